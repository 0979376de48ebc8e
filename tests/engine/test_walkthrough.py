"""engine.walkthrough: the notes' backprop chain as steps (the numbers themselves are checked against
textbook_cases.json through the API in tests/app/test_backprop_api.py and by test_backprop_walkthrough.py)."""

import math

import pytest

from engine.errors import EngineError
from engine.walkthrough import DEFAULTS, chain, walkthrough


def test_defaults_are_the_notes_example(textbook):
    assert DEFAULTS == {k: float(v) for k, v in textbook["backprop_walkthrough"]["init"].items()}


def test_chain_agrees_with_the_engine_layers(textbook):
    """The same numbers as tests/engine/test_backprop_walkthrough.py computes with Sigmoid, ReLU, MSE, SGD."""
    from tests.engine.test_backprop_walkthrough import run_walkthrough

    case = textbook["backprop_walkthrough"]
    layers = run_walkthrough(case)
    v = chain(**{k: float(x) for k, x in case["init"].items()})
    assert v["J"] == pytest.approx(layers["loss"], abs=1e-15)
    for p in ("w11", "b1", "w21", "b2"):
        assert v[f"dJ_d{p}"] == pytest.approx(layers["gradients"][p], abs=1e-15)
        assert v[f"{p}_new"] == pytest.approx(layers["after_one_step"][p], abs=1e-15)
    assert v["y_new"] == pytest.approx(layers["after_one_step"]["y"], abs=1e-15)


def test_history_chains_the_updates():
    r = walkthrough(updates=3)
    assert [p["update"] for p in r["history"]] == [0, 1, 2, 3, 4]
    for before, after in zip(r["history"], r["history"][1:]):
        step = chain(1.0, before["w11"], before["b1"], before["w21"], before["b2"], 2.0, 0.1)
        assert after["w11"] == step["w11_new"] and after["loss"] == step["J_new"]


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"lr": 0}, "bad_walkthrough_lr"),
        ({"lr": -1}, "bad_walkthrough_lr"),
        ({"x1": math.nan}, "bad_walkthrough_value"),
        ({"w11": "1"}, "bad_walkthrough_value"),
        ({"updates": -1}, "bad_walkthrough_updates"),
        ({"updates": 1.5}, "bad_walkthrough_updates"),
        ({"updates": 1001}, "bad_walkthrough_updates"),
    ],
)
def test_refusals(kwargs, code):
    with pytest.raises(EngineError) as e:
        walkthrough(**kwargs)
    assert e.value.code == code


def test_numbers_too_large_to_compute_are_explained():
    with pytest.raises(EngineError) as e:
        walkthrough(w21=1e200, b2=1e200)
    assert e.value.code == "walkthrough_diverged" and e.value.params["updates"] == 0
