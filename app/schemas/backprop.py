"""POST /api/backprop: the notes' two-neuron walkthrough (see :mod:`engine.walkthrough`)."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.walkthrough import DEFAULTS, MAX_UPDATES

_LIMIT = 1e6  # larger starting values only overflow the sigmoid's interesting range


def _number(name: str):
    return Field(DEFAULTS[name], ge=-_LIMIT, le=_LIMIT, allow_inf_nan=False, strict=True)


class BackpropRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    x1: float = _number("x1")
    w11: float = _number("w11")
    b1: float = _number("b1")
    w21: float = _number("w21")
    b2: float = _number("b2")
    label: float = _number("label")
    lr: float = Field(DEFAULTS["lr"], gt=0, le=10, allow_inf_nan=False, strict=True, description="the learning rate")
    updates: int = Field(
        0, ge=0, le=MAX_UPDATES, strict=True, description="SGD updates applied before the one walked through"
    )


class BackpropStep(BaseModel):
    id: str = Field(description="also the key of this step's value in `values`; dJ_dy reads dJ/dy")
    kind: Literal["forward", "loss", "factor", "gradient", "update", "after"]
    expression: str = Field(description='with {names} of `values`, e.g. "{a11} * {w21} + {b2}"')
    value: float
    gradient: str | None = Field(description="the parameter whose gradient this factor or update belongs to")


class HistoryPoint(BaseModel):
    update: int
    loss: float
    y: float
    w11: float
    b1: float
    w21: float
    b2: float


class NotesRounding(BaseModel):
    """The new parameters rounded as the notes print them, and the y a forward pass through them gives."""

    decimals: int
    params: dict[str, float]
    y: float


class BackpropResponse(BaseModel):
    inputs: dict[str, float]
    updates: int
    start: dict[str, float] = Field(description="w11, b1, w21, b2 after `updates` earlier updates")
    values: dict[str, float]
    steps: list[BackpropStep]
    history: list[HistoryPoint] = Field(description="the loss before each update and after the last one")
    notes: NotesRounding
