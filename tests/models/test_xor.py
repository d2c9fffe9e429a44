"""The recitation's XOR networks (app.models.xor): the slides' parameter names map onto the engine both ways."""

from __future__ import annotations

import numpy as np
import pytest

from app.models.xor import INPUTS, NETWORK_NAMES, NEURON_NAMES, TASKS, network, neuron, targets
from app.nn.activations import sigmoid

SLIDE_VALUES = {"w1": 0.1, "w2": -0.2, "w3": 0.3, "w4": -0.4, "w5": 0.5, "w6": -0.6, "b1": 0.7, "b2": -0.8, "b3": 0.9}


def test_network_layers_are_dense_sigmoid_dense_sigmoid_in_float64() -> None:
    net = network(0)
    assert [layer.name for layer in net.model.layers] == ["hidden", "sigma1", "output", "sigma2"]
    assert {k: v.shape for k, v in net.model.params().items()} == {
        "hidden.w": (2, 2),
        "hidden.b": (2,),
        "output.w": (2, 1),
        "output.b": (1,),
    }
    assert all(v.dtype == np.float64 for v in net.model.params().values())


def test_slide_names_land_where_the_slide_puts_them() -> None:
    net = network(0)
    net.assign(SLIDE_VALUES)
    params = net.model.params()
    np.testing.assert_array_equal(params["hidden.w"], [[0.1, -0.2], [0.3, -0.4]])  # [[w1, w2], [w3, w4]]
    np.testing.assert_array_equal(params["output.w"], [[0.5], [-0.6]])  # [[w5], [w6]]
    np.testing.assert_array_equal(params["hidden.b"], [0.7, -0.8])
    np.testing.assert_array_equal(params["output.b"], [0.9])
    assert net.values() == SLIDE_VALUES


def test_forward_computes_the_slides_equations() -> None:
    net = network(0)
    net.assign(SLIDE_VALUES)
    v = SLIDE_VALUES
    for x1, x2 in INPUTS:
        z1 = sigmoid(v["w1"] * x1 + v["w3"] * x2 + v["b1"])
        z2 = sigmoid(v["w2"] * x1 + v["w4"] * x2 + v["b2"])
        yhat = sigmoid(v["w5"] * z1 + v["w6"] * z2 + v["b3"])
        out = net.model.forward(np.array([[x1, x2]]), trace=True)
        np.testing.assert_allclose(net.model.trace[1].output[0], [z1, z2], rtol=1e-15)
        assert out[0, 0] == pytest.approx(yhat, rel=1e-15)


def test_slide_grads_read_the_engines_gradient_arrays() -> None:
    net = network(3)
    model = net.model
    model.forward(INPUTS)
    model.backward(np.ones((4, 1)))
    grads = model.grads()
    for name, (key, index) in NETWORK_NAMES.items():
        assert net.grads()[name] == grads[key][index]
    assert net.engine_name("w3") == "hidden.w[1, 0]"
    assert net.engine_name("b3") == "output.b[0]"


def test_single_neuron_has_the_slide_names_w1_w2_b() -> None:
    unit = neuron(0)
    unit.assign({"w1": 2.0, "w2": -3.0, "b": 0.5})
    np.testing.assert_array_equal(unit.model.params()["neuron.w"], [[2.0], [-3.0]])
    assert unit.model.forward(np.array([[1.0, 1.0]]))[0, 0] == pytest.approx(sigmoid(np.float64(-0.5)))
    assert set(unit.values()) == set(NEURON_NAMES) == {"w1", "w2", "b"}


def test_the_same_seed_gives_the_same_initial_weights() -> None:
    assert network(7).values() == network(7).values()
    assert network(7).values() != network(8).values()


def test_truth_tables() -> None:
    assert targets("xor")[:, 0].tolist() == [0, 1, 1, 0]
    assert targets("and")[:, 0].tolist() == [0, 0, 0, 1]
    assert targets("or")[:, 0].tolist() == [0, 1, 1, 1]
    assert set(TASKS) == {"xor", "and", "or"}
