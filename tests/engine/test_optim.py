"""Optimizers against updates written out by hand, on quadratics, and their bookkeeping."""

import math

import numpy as np
import pytest

from engine.errors import EngineError
from engine.optim import SGD, Adam, Momentum, make_optimizer

GRADS = [np.array([0.5, -1.0, 2.0]), np.array([-0.25, 0.75, 1.0]), np.array([1.5, 0.0, -2.0])]
START = [1.0, -2.0, 0.5]


def run(opt, grads=GRADS):
    p = np.array(START)
    for g in grads:
        opt.step({"w": p}, {"w": g.copy()})
    return p


def by_hand(update):
    """Apply ``update(p, g, state, t)`` elementwise with plain floats: the reference."""
    out = []
    for i, p in enumerate(START):
        state = {}
        for t, g in enumerate(GRADS, start=1):
            p = update(p, float(g[i]), state, t)
        out.append(p)
    return out


def test_sgd_matches_the_hand_update():
    expected = by_hand(lambda p, g, s, t: p - 0.1 * g)
    np.testing.assert_allclose(run(SGD(lr=0.1)), expected, rtol=1e-15)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_matches_pytorchs_convention(nesterov):
    lr, mu = 0.1, 0.9

    def update(p, g, s, t):
        s["v"] = mu * s.get("v", 0.0) + g
        return p - lr * (g + mu * s["v"] if nesterov else s["v"])

    opt = Momentum(lr=lr, momentum=mu, nesterov=nesterov)
    np.testing.assert_allclose(run(opt), by_hand(update), rtol=1e-14)


def test_momentum_first_step_is_plain_sgd_and_second_adds_velocity():
    p = np.array([0.0])
    opt = Momentum(lr=1.0, momentum=0.5)
    opt.step({"w": p}, {"w": np.array([1.0])})
    assert p[0] == -1.0
    opt.step({"w": p}, {"w": np.array([1.0])})
    assert p[0] == -1.0 - 1.5


def test_adam_matches_the_hand_update():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8

    def update(p, g, s, t):
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
        m_hat, v_hat = s["m"] / (1 - b1**t), s["v"] / (1 - b2**t)
        return p - lr * m_hat / (math.sqrt(v_hat) + eps)

    np.testing.assert_allclose(run(Adam(lr=lr)), by_hand(update), rtol=1e-13)


def test_adams_first_step_moves_each_weight_by_about_lr():
    p = np.zeros(3)
    Adam(lr=0.05).step({"w": p}, {"w": np.array([1e-3, -7.0, 250.0])})
    np.testing.assert_allclose(p, [-0.05, 0.05, -0.05], rtol=1e-4)  # bias correction: m_hat/sqrt(v_hat) = sign(g)


@pytest.mark.parametrize(
    "name,lr,steps", [("sgd", 0.1, 200), ("momentum", 0.05, 200), ("nesterov", 0.05, 200), ("adam", 0.1, 300)]
)
def test_each_optimizer_minimises_a_quadratic(name, lr, steps):
    """f(p) = 1/2 sum a_i (p_i - c_i)^2, gradient a * (p - c)."""
    a, c = np.array([1.0, 4.0, 0.5]), np.array([3.0, -1.0, 2.0])
    p = np.zeros(3)
    opt = make_optimizer(name, lr)
    start = 0.5 * np.sum(a * (p - c) ** 2)
    for _ in range(steps):
        opt.step({"p": p}, {"p": a * (p - c)})
    assert 0.5 * np.sum(a * (p - c) ** 2) < 1e-4 * start
    np.testing.assert_allclose(p, c, atol=0.02)


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adam"])
def test_changing_lr_between_steps_takes_effect(name):
    g = {"w": np.array([1.0, -2.0])}
    p1, p2 = np.zeros(2), np.zeros(2)
    fast, slow = make_optimizer(name, 0.1), make_optimizer(name, 0.1)
    fast.step({"w": p1}, g)
    slow.step({"w": p2}, g)
    np.testing.assert_array_equal(p1, p2)
    before1, before2 = p1.copy(), p2.copy()
    slow.lr = 0.01
    fast.step({"w": p1}, g)
    slow.step({"w": p2}, g)
    np.testing.assert_allclose(p2 - before2, (p1 - before1) / 10, rtol=1e-12)


@pytest.mark.parametrize("name", ["momentum", "nesterov", "adam"])
def test_state_is_kept_per_parameter_name(name):
    rng = np.random.default_rng(0)
    grads_a = [rng.standard_normal(4) for _ in range(3)]
    grads_b = [rng.standard_normal(4) for _ in range(3)]
    together = make_optimizer(name, 0.1)
    alone_a, alone_b = make_optimizer(name, 0.1), make_optimizer(name, 0.1)
    pa, pb, qa, qb = np.zeros(4), np.zeros(4), np.zeros(4), np.zeros(4)
    for ga, gb in zip(grads_a, grads_b):
        together.step({"conv1.W": pa, "conv2.W": pb}, {"conv1.W": ga, "conv2.W": gb})
        alone_a.step({"conv1.W": qa}, {"conv1.W": ga})
        alone_b.step({"conv2.W": qb}, {"conv2.W": gb})
    np.testing.assert_array_equal(pa, qa)
    np.testing.assert_array_equal(pb, qb)
    assert set(together.state) == {"conv1.W", "conv2.W"}


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adam"])
def test_updates_are_in_place_and_keep_float32(name):
    p = np.ones((3, 2), dtype=np.float32)
    g = np.full((3, 2), 0.5, dtype=np.float32)
    kept = g.copy()
    params = {"dense1.W": p}
    make_optimizer(name, 0.1).step(params, {"dense1.W": g})
    assert params["dense1.W"] is p and p.dtype == np.float32
    assert np.all(p < 1)
    np.testing.assert_array_equal(g, kept)  # the gradient is not modified


@pytest.mark.parametrize("name,kw", [("momentum", {"momentum": 0.8}), ("nesterov", {}), ("adam", {"beta1": 0.8})])
def test_state_dict_resumes_exactly(name, kw):
    rng = np.random.default_rng(3)
    grads = [rng.standard_normal(5) for _ in range(4)]
    straight, p = make_optimizer(name, 0.05, **kw), np.zeros(5)
    for g in grads:
        straight.step({"w": p}, {"w": g})
    first, q = make_optimizer(name, 0.05, **kw), np.zeros(5)
    for g in grads[:2]:
        first.step({"w": q}, {"w": g})
    saved = first.state_dict()
    first.step({"w": q.copy()}, {"w": grads[2]})  # must not leak into the saved copy
    resumed = make_optimizer(name, 0.05, **kw)
    resumed.load_state_dict(saved)
    for g in grads[2:]:
        resumed.step({"w": q}, {"w": g})
    np.testing.assert_array_equal(p, q)
    with pytest.raises(EngineError) as info:
        make_optimizer("sgd", 0.1).load_state_dict(saved)
    assert info.value.code == "optimizer_mismatch"


def test_make_optimizer_types():
    assert type(make_optimizer("sgd", 0.1)) is SGD
    m = make_optimizer("momentum", 0.1)
    assert type(m) is Momentum and m.momentum == 0.9 and not m.nesterov
    n = make_optimizer("nesterov", 0.1, momentum=0.5)
    assert n.nesterov and n.momentum == 0.5 and n.type == "nesterov"
    a = make_optimizer("adam", 0.001)
    assert type(a) is Adam and (a.beta1, a.beta2, a.eps) == (0.9, 0.999, 1e-8)


@pytest.mark.parametrize(
    "name,lr,kw,code",
    [
        ("rmsprop", 0.1, {}, "unknown_optimizer"),
        ("SGD", 0.1, {}, "unknown_optimizer"),
        ("sgd", 0.0, {}, "bad_optimizer_param"),
        ("sgd", -1.0, {}, "bad_optimizer_param"),
        ("adam", float("nan"), {}, "bad_optimizer_param"),
        ("adam", float("inf"), {}, "bad_optimizer_param"),
        ("sgd", True, {}, "bad_optimizer_param"),
        ("sgd", "0.1", {}, "bad_optimizer_param"),
        ("momentum", 0.1, {"momentum": 1.0}, "bad_optimizer_param"),
        ("adam", 0.1, {"beta2": -0.1}, "bad_optimizer_param"),
        ("adam", 0.1, {"eps": 0}, "bad_optimizer_param"),
        ("sgd", 0.1, {"momentum": 0.9}, "optimizer_takes_no_settings"),
        ("momentum", 0.1, {"nesterov": True}, "unknown_optimizer_setting"),
        ("adam", 0.1, {"momentum": 0.9}, "unknown_optimizer_setting"),
    ],
)
def test_make_optimizer_errors(name, lr, kw, code):
    with pytest.raises(EngineError) as info:
        make_optimizer(name, lr, **kw)
    assert info.value.code == code


def test_setting_a_bad_lr_is_refused_and_keeps_the_old_one():
    opt = SGD(lr=0.1)
    with pytest.raises(EngineError):
        opt.lr = -0.5
    assert opt.lr == 0.1


@pytest.mark.parametrize(
    "name,kw,fragment",
    [
        ("sgd", {"momentum": 0.9}, "sgd: unknown setting(s) momentum; it takes only the learning rate"),
        ("nesterov", {"nesterov": False}, "nesterov: unknown setting(s) nesterov; it takes momentum"),
        (
            "adam",
            {"beta3": 0.9, "momentum": 0.9},
            "adam: unknown setting(s) beta3, momentum; it takes beta1, beta2, eps",
        ),
    ],
)
def test_the_optimizer_factory_names_unknown_settings_and_what_it_takes(name, kw, fragment):
    with pytest.raises(EngineError) as info:
        make_optimizer(name, 0.1, **kw)
    assert str(info.value) == fragment
