"""The notes' two-neuron backpropagation walkthrough, number by number.

The chain (one input, two neurons, one squared-error loss)::

    z1 = x1*w11 + b1        a11 = sigmoid(z1)
    z2 = a11*w21 + b2       y   = relu(z2)
    J  = 1/2 (y - label)^2

:func:`walkthrough` returns the forward pass, the loss, every chain-rule factor of the four
gradients (dJ/dw21, dJ/db2, dJ/dw11, dJ/db1), one SGD update and the forward pass after it, as a
list of steps a page can reveal one at a time. ``updates`` earlier SGD updates can be applied
first ("one more step"), and the loss before every update comes back as ``history``.

Each step has an ``id`` (also the key of its value in ``values``), a ``kind`` (forward, loss,
factor, gradient, update, after), and an ``expression`` such as ``"{a11} * {w21} + {b2}"``
whose ``{names}`` are keys of ``values``: a page can show it with symbols or with the numbers.
Identifiers of derivatives read ``dJ_dy`` for dJ/dy. Everything is float64 Python arithmetic
through the engine's own sigmoid and ReLU.
"""

import math

from .activations import get as activation
from .errors import EngineError

PARAMS = ("w11", "b1", "w21", "b2")
INPUTS = ("x1", "label", "lr")
#: The notes' example (``backprop_walkthrough`` in the course's worked examples).
DEFAULTS = {"x1": 1.0, "w11": 0.5, "b1": 0.5, "w21": 1.0, "b2": 1.0, "label": 2.0, "lr": 0.1}
MAX_UPDATES = 1000
NOTES_DECIMALS = 3

_SIGMOID = activation("sigmoid")
_RELU = activation("relu")

# (id, kind, expression, gradient it belongs to or None). Factors are listed in the order the
# chain rule meets them, walking back from the loss; a factor shared by several gradients is
# computed once, at its first use.
_FORWARD = (
    ("z1", "forward", "{x1} * {w11} + {b1}"),
    ("a11", "forward", "sigmoid({z1})"),
    ("z2", "forward", "{a11} * {w21} + {b2}"),
    ("y", "forward", "relu({z2})"),
    ("J", "loss", "1/2 * ({y} - {label})^2"),
)
_BACKWARD = (
    ("dJ_dy", "factor", "{y} - {label}", "w21"),
    ("dy_dz2", "factor", "relu'({z2})", "w21"),
    ("dz2_dw21", "factor", "{a11}", "w21"),
    ("dJ_dw21", "gradient", "{dJ_dy} * {dy_dz2} * {dz2_dw21}", "w21"),
    ("dz2_db2", "factor", "1", "b2"),
    ("dJ_db2", "gradient", "{dJ_dy} * {dy_dz2} * {dz2_db2}", "b2"),
    ("dz2_da11", "factor", "{w21}", "w11"),
    ("da11_dz1", "factor", "{a11} * (1 - {a11})", "w11"),
    ("dz1_dw11", "factor", "{x1}", "w11"),
    ("dJ_dw11", "gradient", "{dJ_dy} * {dy_dz2} * {dz2_da11} * {da11_dz1} * {dz1_dw11}", "w11"),
    ("dz1_db1", "factor", "1", "b1"),
    ("dJ_db1", "gradient", "{dJ_dy} * {dy_dz2} * {dz2_da11} * {da11_dz1} * {dz1_db1}", "b1"),
)
_UPDATE = tuple((f"{p}_new", "update", f"{{{p}}} - {{lr}} * {{dJ_d{p}}}", p) for p in ("w21", "b2", "w11", "b1"))
_AFTER = (
    ("z1_new", "after", "{x1} * {w11_new} + {b1_new}"),
    ("a11_new", "after", "sigmoid({z1_new})"),
    ("z2_new", "after", "{a11_new} * {w21_new} + {b2_new}"),
    ("y_new", "after", "relu({z2_new})"),
    ("J_new", "after", "1/2 * ({y_new} - {label})^2"),
)


def forward(x1: float, w11: float, b1: float, w21: float, b2: float) -> dict[str, float]:
    """z1, a11, z2 and y for one input."""
    z1 = x1 * w11 + b1
    a11 = float(_SIGMOID.f(z1))
    z2 = a11 * w21 + b2
    return {"z1": z1, "a11": a11, "z2": z2, "y": float(_RELU.f(z2))}


def loss(y: float, label: float) -> float:
    """J = 1/2 (y - label)^2 (inf, not an exception, when it overflows)."""
    d = y - label
    return 0.5 * d * d


def chain(x1: float, w11: float, b1: float, w21: float, b2: float, label: float, lr: float) -> dict[str, float]:
    """Every value of one forward pass, backward pass and SGD update, by step id (see the module)."""
    v = {"x1": x1, "w11": w11, "b1": b1, "w21": w21, "b2": b2, "label": label, "lr": lr}
    v.update(forward(x1, w11, b1, w21, b2))
    v["J"] = loss(v["y"], label)
    v["dJ_dy"] = v["y"] - label
    v["dy_dz2"] = float(_RELU.df(v["z2"]))  # 1 where z2 > 0, else 0 (the notes' ReLU'(0) = 0)
    v["dz2_dw21"] = v["a11"]
    v["dJ_dw21"] = v["dJ_dy"] * v["dy_dz2"] * v["dz2_dw21"]
    v["dz2_db2"] = 1.0
    v["dJ_db2"] = v["dJ_dy"] * v["dy_dz2"] * v["dz2_db2"]
    v["dz2_da11"] = w21
    v["da11_dz1"] = float(_SIGMOID.df(v["z1"]))  # = a11 (1 - a11)
    v["dz1_dw11"] = x1
    upstream = v["dJ_dy"] * v["dy_dz2"] * v["dz2_da11"] * v["da11_dz1"]
    v["dJ_dw11"] = upstream * v["dz1_dw11"]
    v["dz1_db1"] = 1.0
    v["dJ_db1"] = upstream * v["dz1_db1"]
    for p in PARAMS:
        v[f"{p}_new"] = v[p] - lr * v[f"dJ_d{p}"]
    after = forward(x1, v["w11_new"], v["b1_new"], v["w21_new"], v["b2_new"])
    v.update({f"{k}_new": value for k, value in after.items()})
    v["J_new"] = loss(v["y_new"], label)
    return v


def _check(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise EngineError(
            "bad_walkthrough_value", f"{name} must be a finite number, got {value!r}", name=name, value=str(value)[:40]
        )
    return float(value)


def walkthrough(x1=1.0, w11=0.5, b1=0.5, w21=1.0, b2=1.0, label=2.0, lr=0.1, updates: int = 0) -> dict:
    """The walkthrough of SGD update number ``updates + 1``, after ``updates`` earlier ones.

    Returns ``start`` (the parameters the walkthrough starts from), ``values`` (every step's value
    by id, plus the inputs), ``steps`` (in the order a page reveals them), ``history`` (the loss
    and parameters before each update and after the last: ``updates + 2`` points) and ``notes``
    (the new parameters rounded to 3 decimals as the notes print them, and the y they give).
    """
    inputs = {
        name: _check(name, value)
        for name, value in {"x1": x1, "w11": w11, "b1": b1, "w21": w21, "b2": b2, "label": label, "lr": lr}.items()
    }
    if inputs["lr"] <= 0:
        raise EngineError("bad_walkthrough_lr", f"the learning rate must be above 0, got {lr!r}", lr=inputs["lr"])
    if isinstance(updates, bool) or not isinstance(updates, int) or not 0 <= updates <= MAX_UPDATES:
        raise EngineError(
            "bad_walkthrough_updates",
            f"the number of earlier updates must be a whole number from 0 to {MAX_UPDATES}, got {updates!r}",
            updates=str(updates)[:20],
            limit=MAX_UPDATES,
        )
    params = {p: inputs[p] for p in PARAMS}
    history = []
    for k in range(updates + 1):
        v = chain(inputs["x1"], **params, label=inputs["label"], lr=inputs["lr"])
        if not all(math.isfinite(x) for x in v.values()):
            raise EngineError(
                "walkthrough_diverged",
                f"after {k} updates the numbers grew too large to compute: the learning rate {lr:g} is too large",
                updates=k,
                lr=inputs["lr"],
            )
        history.append({"update": k, "loss": v["J"], "y": v["y"], **params})
        if k < updates:
            params = {p: v[f"{p}_new"] for p in PARAMS}
    history.append({"update": updates + 1, "loss": v["J_new"], "y": v["y_new"], **{p: v[f"{p}_new"] for p in PARAMS}})
    steps = [{"id": i, "kind": kind, "expression": expr, "value": v[i], "gradient": None} for i, kind, expr in _FORWARD]
    steps += [
        {"id": i, "kind": kind, "expression": expr, "value": v[i], "gradient": g}
        for i, kind, expr, g in _BACKWARD + _UPDATE
    ]
    steps += [{"id": i, "kind": kind, "expression": expr, "value": v[i], "gradient": None} for i, kind, expr in _AFTER]
    rounded = {p: round(v[f"{p}_new"], NOTES_DECIMALS) for p in PARAMS}
    notes_y = forward(inputs["x1"], rounded["w11"], rounded["b1"], rounded["w21"], rounded["b2"])["y"]
    return {
        "inputs": inputs,
        "updates": updates,
        "start": params,
        "values": v,
        "steps": steps,
        "history": history,
        "notes": {"decimals": NOTES_DECIMALS, "params": rounded, "y": notes_y},
    }
