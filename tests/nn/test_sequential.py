"""Sequential: forward/backward through named layers, tracing, params/grads views, receptive fields."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from app.nn.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU
from app.nn.sequential import LayerTrace, Sequential

NAMES = ["conv1", "relu1", "pool1", "flatten", "fc"]


def make_model(seed: int = 0, dtype=np.float64) -> Sequential:
    rng = np.random.default_rng(seed)
    return Sequential(
        [
            Conv2D(2, 3, 3, padding=1, rng=rng, dtype=dtype, name="conv1"),
            ReLU(name="relu1"),
            MaxPool2D(2, name="pool1"),
            Flatten(name="flatten"),
            Dense(3 * 3 * 3, 4, rng=rng, dtype=dtype, name="fc"),
        ]
    )


def run(model: Sequential, x, g, trace: bool):
    out = model.forward(x, trace=trace)
    dx = model.backward(g)
    return out.copy(), dx.copy(), {k: v.copy() for k, v in model.grads().items()}


@pytest.fixture
def data():
    rng = np.random.default_rng(1)
    return rng.standard_normal((2, 2, 6, 6)), rng.standard_normal((2, 4))


def test_layers_and_layer_lookup_by_name():
    model = make_model()
    assert [layer.name for layer in model.layers] == NAMES
    for layer in model.layers:
        assert model.layer(layer.name) is layer


def test_tracing_does_not_change_forward_or_gradients_bitwise(data):
    x, g = data
    out_a, dx_a, grads_a = run(make_model(), x, g, trace=False)
    out_b, dx_b, grads_b = run(make_model(), x, g, trace=True)
    np.testing.assert_array_equal(out_a, out_b)
    np.testing.assert_array_equal(dx_a, dx_b)
    assert grads_a.keys() == grads_b.keys()
    for key in grads_a:
        np.testing.assert_array_equal(grads_a[key], grads_b[key], err_msg=key)


def test_tracing_on_and_off_on_the_same_model_give_identical_results(data):
    x, g = data
    model = make_model()
    first = run(model, x, g, trace=True)
    second = run(model, x, g, trace=False)
    third = run(model, x, g, trace=True)
    for a, b in [(first, second), (first, third)]:
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
        for key in a[2]:
            np.testing.assert_array_equal(a[2][key], b[2][key])


def test_trace_has_one_entry_per_layer_with_chaining_shapes(data):
    x, _ = data
    model = make_model()
    out = model.forward(x, trace=True)
    trace = model.trace
    assert len(trace) == len(model.layers)
    assert all(isinstance(entry, LayerTrace) for entry in trace)
    assert [entry.name for entry in trace] == NAMES
    np.testing.assert_array_equal(trace[0].input, x)
    np.testing.assert_array_equal(trace[-1].output, out)
    for prev, nxt in itertools.pairwise(trace):
        assert prev.output.shape == nxt.input.shape, (prev.name, nxt.name)
        np.testing.assert_array_equal(prev.output, nxt.input)
    assert [entry.output.shape for entry in trace] == [(2, 3, 6, 6), (2, 3, 6, 6), (2, 3, 3, 3), (2, 27), (2, 4)]


def test_trace_values_are_each_layers_own_forward(data):
    x, _ = data
    model = make_model()
    model.forward(x, trace=True)
    snapshot = [(e.input.copy(), e.output.copy()) for e in model.trace]
    for layer, (inp, outp) in zip(model.layers, snapshot, strict=True):
        np.testing.assert_array_equal(layer.forward(inp), outp, err_msg=layer.name)


def test_trace_gradient_fields_are_empty_until_backward(data):
    x, _ = data
    model = make_model()
    model.forward(x, trace=True)
    for entry in model.trace:
        assert entry.grad_output is None
        assert entry.grad_input is None
        assert not entry.param_grads


def test_backward_fills_trace_gradients_equal_to_layer_grads(data):
    x, g = data
    model = make_model()
    model.forward(x, trace=True)
    dx = model.backward(g)
    trace = model.trace
    np.testing.assert_array_equal(trace[-1].grad_output, g)
    np.testing.assert_array_equal(trace[0].grad_input, dx)
    for entry in trace:
        assert entry.grad_output.shape == entry.output.shape, entry.name
        assert entry.grad_input.shape == entry.input.shape, entry.name
    for prev, nxt in itertools.pairwise(trace):
        np.testing.assert_array_equal(prev.grad_output, nxt.grad_input, err_msg=f"{prev.name} <- {nxt.name}")
    for layer, entry in zip(model.layers, trace, strict=True):
        assert set(entry.param_grads) == set(layer.grads), layer.name
        for key, value in layer.grads.items():
            np.testing.assert_array_equal(entry.param_grads[key], value, err_msg=f"{layer.name}.{key}")
    assert trace[NAMES.index("relu1")].param_grads == {}
    assert set(trace[0].param_grads) == {"w", "b"}


def test_trace_gradients_survive_a_later_backward_unchanged(data):
    """A trace is a record of one pass: a second traced pass must not rewrite the first one's arrays."""
    x, g = data
    model = make_model()
    model.forward(x, trace=True)
    model.backward(g)
    first = model.trace
    saved = [(e.output.copy(), e.grad_input.copy(), {k: v.copy() for k, v in e.param_grads.items()}) for e in first]
    model.forward(x * 2 + 1, trace=True)
    model.backward(g * 3)
    for entry, (out, gin, pg) in zip(first, saved, strict=True):
        np.testing.assert_array_equal(entry.output, out, err_msg=entry.name)
        np.testing.assert_array_equal(entry.grad_input, gin, err_msg=entry.name)
        for key in pg:
            np.testing.assert_array_equal(entry.param_grads[key], pg[key], err_msg=f"{entry.name}.{key}")


def test_backward_after_untraced_forward_does_not_fill_an_old_trace(data):
    x, g = data
    model = make_model()
    model.forward(x, trace=True)
    old = model.trace
    model.forward(x)  # not traced
    model.backward(g)
    for entry in old or []:
        assert entry.grad_output is None and entry.grad_input is None, entry.name
    if model.trace:
        for entry in model.trace:
            assert entry.grad_output is None and entry.grad_input is None, entry.name


@pytest.mark.parametrize("names", [["dup", "dup"], None], ids=["explicit", "default_names"])
def test_duplicate_layer_names_are_rejected(names):
    if names is None:
        layers = [ReLU(), ReLU()]  # both default to "relu"
        dup = layers[0].name
    else:
        layers = [ReLU(name=names[0]), Flatten(name=names[1])]
        dup = names[0]
    with pytest.raises(ValueError) as excinfo:
        Sequential(layers)
    assert dup in str(excinfo.value)


def test_params_keys_are_layer_dot_param_and_are_references(data):
    x, _ = data
    model = make_model()
    params = model.params()
    assert list(params) == ["conv1.w", "conv1.b", "fc.w", "fc.b"]
    assert params["conv1.w"] is model.layer("conv1").params["w"] or np.shares_memory(
        params["conv1.w"], model.layer("conv1").params["w"]
    )
    before = model.forward(x).copy()
    params["fc.b"][...] += 1.0  # editing through the view changes the model
    np.testing.assert_allclose(model.forward(x), before + 1.0, rtol=1e-12)


def test_grads_have_the_same_keys_and_shapes_as_params(data):
    x, g = data
    model = make_model()
    model.forward(x)
    model.backward(g)
    params, grads = model.params(), model.grads()
    assert list(grads) == list(params)
    for key in params:
        assert grads[key].shape == params[key].shape, key
    np.testing.assert_array_equal(grads["fc.w"], model.layer("fc").grads["w"])


def test_model_receptive_fields_follow_spatial_layers_and_stop_at_flatten():
    model = make_model()
    rfs = model.receptive_fields()
    assert rfs["conv1"].size == 3 and rfs["conv1"].jump == 1 and rfs["conv1"].span(0) == (-1, 1)
    assert rfs["relu1"] == rfs["conv1"]  # activations keep the previous field
    assert rfs["pool1"].size == 4 and rfs["pool1"].jump == 2 and rfs["pool1"].span(0) == (-1, 2)
    assert "fc" not in rfs
    assert list(rfs)[:3] == ["conv1", "relu1", "pool1"]


def test_sequential_runs_a_custom_layer_written_to_the_specs_layer_api(data):
    """The Layer API is forward(x) -> out and backward(dout, input_grad=True) -> dx; a student's own layer written
    to it (here: doubling, no parameters) must work inside Sequential, forward and backward."""
    from app.nn.layers import Layer

    class Double(Layer):
        def __init__(self, name: str = "double") -> None:
            super().__init__(name)

        def forward(self, x):
            return 2.0 * x

        def backward(self, dout, input_grad=True):
            return 2.0 * dout

    x, g = data
    rng = np.random.default_rng(2)
    model = Sequential([Flatten(name="flatten"), Double(), Dense(72, 4, rng=rng, dtype=np.float64, name="fc")])
    out = model.forward(x, trace=True)
    np.testing.assert_allclose(out, 2.0 * x.reshape(2, -1) @ model.layer("fc").params["w"], rtol=1e-12)
    dx = model.backward(g)
    np.testing.assert_allclose(dx, (2.0 * g @ model.layer("fc").params["w"].T).reshape(x.shape), rtol=1e-12)
