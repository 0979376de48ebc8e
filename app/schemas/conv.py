"""POST /api/conv: a convolution traced step by step."""
from typing import Any

from pydantic import BaseModel, Field

from .common import Grid, IntOrPair, NumberOrList, StrictRequest, Unread


class ConvTraceRequest(StrictRequest):
    input: Grid = Field(description="H x W, or C x H x W (at most 64 x 64)",
                        examples=[[[0, 1, 2], [3, 4, 5], [6, 7, 8]]])
    kernel: Grid = Field(description="h x w, C x h x w, or F x C x h x w", examples=[[[0, 1], [2, 3]]])
    bias: NumberOrList = Field(0, description="one number, or one per filter")
    stride: IntOrPair = 1
    padding: IntOrPair = 0
    dilation: IntOrPair = 1
    activation: str | None = Field(None, description="an activation name, e.g. relu")
    activation_params: dict[str, Any] | None = Field(None, description="e.g. {\"a\": 0.1} for leaky_relu")
    im2col: bool = Field(True, strict=True, description="include the matrix form (when it is small enough to show)")


class ConvStep(BaseModel):
    """One output cell: where the window sits in the padded input and how its value is made."""

    filter: int
    row: int
    col: int
    top: int
    left: int
    cells: list[list[int]] = Field(description="[channel, row, col] in the padded input, in window order")
    inputs: list[float]
    weights: list[float]
    products: list[float]
    channel_sums: list[float] = Field(description="the products of each input channel added up (one per channel)")
    sum: float
    bias: float
    z: float = Field(description="sum + bias")
    value: float = Field(description="after the activation")


class Im2colView(BaseModel):
    """The convolution as one matrix product: kernel_rows @ columns + bias = product."""

    columns: list[list[float]] = Field(description="(C*kh*kw) x (OH*OW): one column per window")
    kernel_rows: list[list[float]] = Field(description="F x (C*kh*kw)")
    bias: list[float]
    product: list[list[float]] = Field(description="F x (OH*OW): each row is one feature map, flattened")
    row_offsets: list[list[int]] = Field(description="[channel, m, n] of each row of columns")


class ConvTraceResponse(BaseModel):
    output: list[Any] = Field(description="OH x OW for a 2-D input and kernel, else F x OH x OW")
    output_shape: list[int]
    input_shape: list[int] = Field(description="C, H, W")
    kernel_shape: list[int] = Field(description="F, C, kh, kw")
    padded_shape: list[int] = Field(description="C, H + 2P, W + 2P")
    stride: list[int]
    padding: list[int]
    dilation: list[int]
    formula: list[str] = Field(description="the output-size arithmetic for OH and OW, numbers filled in, the "
                               "floor shown")
    unread: Unread = Field(description="input rows and columns no window reads (PyTorch never reads them)")
    activation: str | None
    steps: list[ConvStep]
    im2col: Im2colView | None = Field(description="null when the matrix is too large to show")
