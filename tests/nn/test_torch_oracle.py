"""PyTorch (CPU) as an independent oracle for forward values and every gradient.

Skipped *visibly* (with the install hint in the skip reason) when torch is missing.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch", reason="PyTorch not installed: pip install torch==2.13.0")
F = torch.nn.functional

from app.models.lenet import lenet5  # noqa: E402
from app.nn.arithmetic import effective_kernel  # noqa: E402
from app.nn.conv import conv2d_backward, conv2d_forward  # noqa: E402
from app.nn.layers import AvgPool2D, Conv2D, Dense, MaxPool2D  # noqa: E402
from app.nn.losses import softmax_cross_entropy, squared_error  # noqa: E402
from app.nn.optim import SGD, Adam  # noqa: E402
from app.nn.pool import avg_pool2d_backward, avg_pool2d_forward, max_pool2d_backward, max_pool2d_forward  # noqa: E402

ORACLE_SETTINGS = settings(max_examples=40, deadline=None)
RTOL64, ATOL64 = 1e-5, 1e-8
RTOL32, ATOL32 = 1e-4, 1e-5


def t(a: np.ndarray, grad: bool = False):
    return torch.tensor(a, requires_grad=grad)


def close(ours, theirs, rtol=RTOL64, atol=ATOL64, what=""):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert np.shape(ours) == theirs.shape, what
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, err_msg=what)


# ---------------------------------------------------------------- convolution


@given(
    n=st.integers(1, 3),
    c=st.integers(1, 3),
    h=st.integers(1, 9),
    w=st.integers(1, 9),
    f=st.integers(1, 4),
    k=st.integers(1, 4),
    s=st.integers(1, 3),
    p=st.integers(0, 2),
    d=st.integers(1, 3),
    bias=st.booleans(),
    seed=st.integers(0, 2**16),
)
@ORACLE_SETTINGS
def test_conv2d_forward_and_all_gradients_match_torch(n, c, h, w, f, k, s, p, d, bias, seed):
    keff = effective_kernel(k, d)
    assume(keff <= h + 2 * p and keff <= w + 2 * p)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w))
    wt = rng.standard_normal((f, c, k, k))
    b = rng.standard_normal(f) if bias else None

    out, cache = conv2d_forward(x, wt, b, stride=s, pad=p, dilation=d)
    g = rng.standard_normal(out.shape)
    dx, dw, db = conv2d_backward(g, cache)

    xt, wtt = t(x, True), t(wt, True)
    bt = t(b, True) if bias else None
    ref = F.conv2d(xt, wtt, bt, stride=s, padding=p, dilation=d)
    ref.backward(t(g))
    close(out, ref, what="forward")
    close(dx, xt.grad, what="dx")
    close(dw, wtt.grad, what="dw")
    if bias:
        close(db, bt.grad, what="db")
    else:
        assert db is None

    # the Conv2D layer wraps the same computation
    layer = Conv2D(c, f, k, stride=s, padding=p, dilation=d, bias=bias, rng=rng, dtype=np.float64)
    layer.params["w"][...] = wt
    if bias:
        layer.params["b"][...] = b
    close(layer.forward(x), ref, what="layer forward")
    close(layer.backward(g), xt.grad, what="layer dx")
    close(layer.grads["w"], wtt.grad, what="layer dw")
    if bias:
        close(layer.grads["b"], bt.grad, what="layer db")


def test_conv2d_float32_matches_torch_float32(rng):
    x = rng.standard_normal((2, 3, 12, 11)).astype(np.float32)
    wt = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    out, cache = conv2d_forward(x, wt, b, stride=2, pad=1, dilation=2)
    assert out.dtype == np.float32
    g = rng.standard_normal(out.shape).astype(np.float32)
    dx, dw, db = conv2d_backward(g, cache)
    assert dx.dtype == dw.dtype == db.dtype == np.float32

    xt, wtt, bt = t(x, True), t(wt, True), t(b, True)
    ref = F.conv2d(xt, wtt, bt, stride=2, padding=1, dilation=2)
    ref.backward(t(g))
    for ours, theirs, what in [(out, ref, "out"), (dx, xt.grad, "dx"), (dw, wtt.grad, "dw"), (db, bt.grad, "db")]:
        close(ours, theirs, rtol=RTOL32, atol=ATOL32, what=what)


# ---------------------------------------------------------------- pooling


pool_cases = dict(
    n=st.integers(1, 3),
    c=st.integers(1, 3),
    h=st.integers(1, 9),
    w=st.integers(1, 9),
    k=st.integers(1, 4),
    s=st.one_of(st.none(), st.integers(1, 3)),
    data=st.data(),
    seed=st.integers(0, 2**16),
)


@given(**pool_cases)
@ORACLE_SETTINGS
def test_maxpool2d_forward_and_input_gradient_match_torch(n, c, h, w, k, s, data, seed):
    p = data.draw(st.integers(0, k // 2), label="p")  # torch's limit
    assume(k <= h + 2 * p and k <= w + 2 * p)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w))  # continuous values: no ties
    out, cache = max_pool2d_forward(x, k, stride=s, pad=p)
    g = rng.standard_normal(out.shape)
    dx = max_pool2d_backward(g, cache)

    xt = t(x, True)
    ref = F.max_pool2d(xt, k, stride=s, padding=p)
    ref.backward(t(g))
    close(out, ref, what="forward")
    close(dx, xt.grad, what="dx")

    layer = MaxPool2D(k, stride=s, padding=p)
    close(layer.forward(x), ref, what="layer forward")
    close(layer.backward(g), xt.grad, what="layer dx")


@given(**pool_cases)
@ORACLE_SETTINGS
def test_avgpool2d_forward_and_input_gradient_match_torch_count_include_pad(n, c, h, w, k, s, data, seed):
    p = data.draw(st.integers(0, k // 2), label="p")
    assume(k <= h + 2 * p and k <= w + 2 * p)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w))
    out, cache = avg_pool2d_forward(x, k, stride=s, pad=p)
    g = rng.standard_normal(out.shape)
    dx = avg_pool2d_backward(g, cache)

    xt = t(x, True)
    ref = F.avg_pool2d(xt, k, stride=s, padding=p, count_include_pad=True)
    ref.backward(t(g))
    close(out, ref, what="forward")
    close(dx, xt.grad, what="dx")

    layer = AvgPool2D(k, stride=s, padding=p)
    close(layer.forward(x), ref, what="layer forward")
    close(layer.backward(g), xt.grad, what="layer dx")


# ---------------------------------------------------------------- dense


@given(n=st.integers(1, 5), d_in=st.integers(1, 8), m=st.integers(1, 6), bias=st.booleans(), seed=st.integers(0, 2**16))
@ORACLE_SETTINGS
def test_dense_forward_and_all_gradients_match_torch_linear_with_weight_transposed(n, d_in, m, bias, seed):
    rng = np.random.default_rng(seed)
    layer = Dense(d_in, m, bias=bias, rng=rng, dtype=np.float64)
    x = rng.standard_normal((n, d_in))
    out = layer.forward(x)
    g = rng.standard_normal(out.shape)
    dx = layer.backward(g)

    xt = t(x, True)
    weight = t(layer.params["w"].T.copy(), True)  # torch Linear weight is (out, in) == w.T
    bt = t(layer.params["b"].copy(), True) if bias else None
    ref = F.linear(xt, weight, bt)
    ref.backward(t(g))
    close(out, ref, what="forward")
    close(dx, xt.grad, what="dx")
    close(layer.grads["w"], weight.grad.T, what="dw")
    if bias:
        close(layer.grads["b"], bt.grad, what="db")


# ---------------------------------------------------------------- losses


@given(n=st.integers(1, 6), m=st.integers(2, 10), scale=st.sampled_from([0.1, 1.0, 30.0]), seed=st.integers(0, 2**16))
@ORACLE_SETTINGS
def test_softmax_cross_entropy_and_gradient_match_torch_cross_entropy_mean(n, m, scale, seed):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((n, m)) * scale
    labels = rng.integers(0, m, size=n)
    loss, dlogits = softmax_cross_entropy(logits, labels)

    lt = t(logits, True)
    ref = F.cross_entropy(lt, torch.tensor(labels), reduction="mean")
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-9, abs=1e-12)
    close(dlogits, lt.grad, what="dlogits")


@given(n=st.integers(1, 6), m=st.integers(1, 5), seed=st.integers(0, 2**16))
@ORACLE_SETTINGS
def test_squared_error_and_gradient_match_torch_sum_over_outputs_mean_over_batch(n, m, seed):
    rng = np.random.default_rng(seed)
    y_hat, y = rng.standard_normal((n, m)), rng.standard_normal((n, m))
    loss, dy_hat = squared_error(y_hat, y)

    yt = t(y_hat, True)
    ref = F.mse_loss(yt, t(y), reduction="sum") / n
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-9, abs=1e-12)
    close(dy_hat, yt.grad, what="dy_hat")


def test_softmax_cross_entropy_float32_matches_torch(rng):
    logits = (rng.standard_normal((4, 10)) * 5).astype(np.float32)
    labels = rng.integers(0, 10, size=4)
    loss, dlogits = softmax_cross_entropy(logits, labels)
    lt = t(logits, True)
    ref = F.cross_entropy(lt, torch.tensor(labels))
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-4)
    close(dlogits, lt.grad, rtol=RTOL32, atol=ATOL32)


# ---------------------------------------------------------------- optimizers


def run_both(make_ours, make_theirs, steps: int, seed: int):
    """Step our optimizer and torch's on identical params and identical per-step grads."""
    rng = np.random.default_rng(seed)
    params = {
        "fc.w": rng.standard_normal((3, 4)),
        "fc.b": rng.standard_normal(4),
        "conv.w": rng.standard_normal((2, 1, 3, 3)),
    }
    tparams = {k: torch.nn.Parameter(torch.tensor(v.copy())) for k, v in params.items()}
    ours, theirs = make_ours(), make_theirs(list(tparams.values()))
    for step in range(steps):
        grads = {k: rng.standard_normal(v.shape) for k, v in params.items()}
        if step == 2:
            grads["fc.b"] = np.zeros_like(grads["fc.b"])  # a zero gradient still moves state (momentum/decay)
        for k, tp in tparams.items():
            tp.grad = torch.tensor(grads[k].copy())
        ours.step(params, grads)
        theirs.step()
        for k in params:
            np.testing.assert_allclose(
                params[k], tparams[k].detach().numpy(), rtol=1e-6, atol=1e-6, err_msg=f"{k} after step {step + 1}"
            )


@pytest.mark.parametrize(
    "lr, momentum, weight_decay",
    [(0.1, 0.0, 0.0), (0.05, 0.9, 0.0), (0.05, 0.9, 0.01), (0.2, 0.5, 0.1)],
)
def test_sgd_matches_torch_optim_sgd_over_several_steps(lr, momentum, weight_decay):
    run_both(
        lambda: SGD(lr, momentum=momentum, weight_decay=weight_decay),
        lambda ps: torch.optim.SGD(ps, lr=lr, momentum=momentum, weight_decay=weight_decay),
        steps=6,
        seed=1,
    )


@pytest.mark.parametrize(
    "lr, betas, eps, weight_decay",
    [(1e-3, (0.9, 0.999), 1e-8, 0.0), (1e-2, (0.9, 0.999), 1e-8, 0.01), (5e-2, (0.8, 0.99), 1e-6, 0.1)],
)
def test_adam_matches_torch_optim_adam_over_several_steps(lr, betas, eps, weight_decay):
    run_both(
        lambda: Adam(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay),
        lambda ps: torch.optim.Adam(ps, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay),
        steps=6,
        seed=2,
    )


def test_adam_defaults_match_torch_defaults():
    run_both(lambda: Adam(), lambda ps: torch.optim.Adam(ps), steps=4, seed=3)


# ---------------------------------------------------------------- LeNet-5 end to end


def torch_lenet_from(model):
    nn = torch.nn
    net = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 10),
    ).double()
    pairs = {"conv1": net[0], "conv2": net[3], "fc1": net[7], "fc2": net[9], "fc3": net[11]}
    with torch.no_grad():
        for name, mod in pairs.items():
            w = model.layer(name).params["w"]
            mod.weight.copy_(torch.tensor(w.T.copy() if name.startswith("fc") else w.copy()))
            mod.bias.copy_(torch.tensor(model.layer(name).params["b"].copy()))
    return net, pairs


def test_lenet5_logits_and_all_gradients_match_equivalent_torch_sequential():
    rng = np.random.default_rng(5)
    model = lenet5(np.random.default_rng(0), dtype=np.float64)
    net, pairs = torch_lenet_from(model)
    x = rng.random((4, 1, 28, 28))
    labels = np.array([3, 1, 4, 1])

    logits = model.forward(x)
    loss, dlogits = softmax_cross_entropy(logits, labels)
    dx = model.backward(dlogits)

    xt = t(x, True)
    ref_logits = net(xt)
    ref_loss = F.cross_entropy(ref_logits, torch.tensor(labels))
    ref_loss.backward()

    close(logits, ref_logits, what="logits")
    assert loss == pytest.approx(ref_loss.item(), rel=1e-9)
    close(dx, xt.grad, what="d input")
    grads = model.grads()
    for name, mod in pairs.items():
        wgrad = mod.weight.grad.T if name.startswith("fc") else mod.weight.grad
        close(grads[f"{name}.w"], wgrad, what=f"{name}.w grad")
        close(grads[f"{name}.b"], mod.bias.grad, what=f"{name}.b grad")
    assert set(grads) == {f"{n}.{p}" for n in pairs for p in ("w", "b")}


def test_lenet5_float32_logits_match_torch_float32():
    model = lenet5(np.random.default_rng(1))  # float32 by default
    net, _ = torch_lenet_from(model)
    net = net.float()
    x = np.random.default_rng(6).random((2, 1, 28, 28)).astype(np.float32)
    logits = model.forward(x)
    assert logits.dtype == np.float32
    close(logits, net(t(x)), rtol=RTOL32, atol=ATOL32)


# ---------------------------------------------------------------- edge cases that matter for the UI


@given(
    h=st.integers(2, 8),
    w=st.integers(2, 8),
    k=st.integers(1, 3),
    s=st.integers(1, 3),
    data=st.data(),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=40, deadline=None)
def test_maxpool2d_ties_send_the_gradient_where_torch_does(h, w, k, s, data, seed):
    """After ReLU on an MNIST digit most values are exactly 0, so ties in max-pool windows are the common case
    in LeNet. Gradients must go to the same (first, row-major) cell torch picks."""
    p = data.draw(st.integers(0, k // 2), label="p")
    assume(k <= h + 2 * p and k <= w + 2 * p)
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, size=(2, 2, h, w)).astype(np.float64)  # only 0s and 1s: ties everywhere
    out, cache = max_pool2d_forward(x, k, stride=s, pad=p)
    g = rng.standard_normal(out.shape)
    dx = max_pool2d_backward(g, cache)
    xt = t(x, True)
    ref = F.max_pool2d(xt, k, stride=s, padding=p)
    ref.backward(t(g))
    close(out, ref, what="forward")
    close(dx, xt.grad, what="dx")
