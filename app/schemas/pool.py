"""POST /api/pool: pooling traced step by step, with the translation demo on request."""

from typing import Any, Literal

from pydantic import BaseModel, Field

from .common import Grid, IntOrPair, StrictRequest, Unread


class PoolTraceRequest(StrictRequest):
    input: Grid = Field(
        description="H x W, or C x H x W (at most 64 x 64)",
        examples=[[[1, 2, 3, 3], [0, 1, 1, 5], [3, 0, 1, 0], [1, 4, 1, 2]]],
    )
    mode: Literal["max", "avg"] = "max"
    size: IntOrPair = 2
    stride: IntOrPair | None = Field(None, description="default: the window size")
    padding: IntOrPair = 0
    ceil_mode: bool = Field(
        False,
        strict=True,
        description="round the output size up, as PyTorch's ceil_mode: "
        "a last, partial window is kept if it starts inside the input or its left padding",
    )
    count_include_pad: bool | None = Field(
        None,
        strict=True,
        description="average pooling only (default true, "
        "as PyTorch): divide by the window's cells including the padding",
    )
    shift: Literal["right", "left", "down", "up"] | None = Field(
        None, description="also shift the input one pixel this way and count what changes"
    )


class PoolStep(BaseModel):
    channel: int
    row: int
    col: int
    top: int
    left: int
    cells: list[list[int]] = Field(description="[channel, row, col] in the padded input, in window order")
    values: list[float | None] = Field(description="the window's values; null for padding in a max window")
    value: float
    winner: int | None = Field(None, description="max: index in the window of the first maximum")
    sum: float | None = Field(None, description="avg: the sum of the window")
    count: int | None = Field(None, description="avg: how many cells it is divided by")


class PoolTranslation(BaseModel):
    """The input shifted one pixel (zeros come in) and its pooled map, against the originals."""

    direction: str
    shifted_input: list[Any]
    shifted_output: list[Any]
    input_changed: list[Any] = Field(description="true where the shifted input differs (same shape as input)")
    output_changed: list[Any] = Field(description="true where the pooled output differs")
    input_changed_count: int
    input_total: int
    output_changed_count: int
    output_total: int
    input_changed_percent: float
    output_changed_percent: float
    verdict: str = Field(
        description="fewer (a smaller share of the pooled outputs changed than of the input), "
        "all (every pooled output changed), not_fewer, or unchanged (no input cell "
        "changed)"
    )


class PoolTraceResponse(BaseModel):
    output: list[Any] = Field(description="OH x OW for a 2-D input, else C x OH x OW")
    output_shape: list[int]
    input_shape: list[int] = Field(description="C, H, W")
    padded_shape: list[int]
    mode: str
    size: list[int]
    stride: list[int]
    padding: list[int]
    ceil_mode: bool
    count_include_pad: bool | None = Field(description="average pooling: whether padding cells are counted")
    formula: list[str] = Field(
        description="the output-size arithmetic for OH and OW: floor, or ceil with "
        "ceil_mode (\u2192 n when PyTorch drops a last window that would start in the padding)"
    )
    unread: Unread = Field(description="input rows and columns no window reads (PyTorch never reads them)")
    steps: list[PoolStep]
    translation: PoolTranslation | None = None
