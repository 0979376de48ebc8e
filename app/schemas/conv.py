"""POST /api/conv: a convolution traced step by step."""

from typing import Any

from pydantic import BaseModel, Field

from .common import PADDING_MODE_DESCRIPTION, Grid, IntOrPair, NumberOrList, Padding, StrictRequest, Unread


class ConvTraceRequest(StrictRequest):
    input: Grid = Field(
        description="H x W, or C x H x W (at most 64 x 64)", examples=[[[0, 1, 2], [3, 4, 5], [6, 7, 8]]]
    )
    kernel: Grid = Field(description="h x w, C x h x w, or F x C x h x w", examples=[[[0, 1], [2, 3]]])
    bias: NumberOrList = Field(0, description="one number, or one per filter")
    stride: IntOrPair = 1
    padding: Padding = 0
    padding_mode: str = Field("zeros", strict=True, description=PADDING_MODE_DESCRIPTION)
    dilation: IntOrPair = 1
    activation: str | None = Field(None, description="an activation name, e.g. relu")
    activation_params: dict[str, Any] | None = Field(None, description='e.g. {"a": 0.1} for leaky_relu')
    im2col: bool = Field(True, strict=True, description="include the matrix form (when it is small enough to show)")
    groups: int = Field(
        1,
        ge=1,
        strict=True,
        description="PyTorch's groups: the kernel is F x C/groups x h x w, and "
        "filter group i reads input channel group i only (groups = C: depthwise)",
    )


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


class PaddingSides(BaseModel):
    """Rows of padding above and below the input, columns left and right of it."""

    top: int
    bottom: int
    left: int
    right: int


class PaddingSource(BaseModel):
    """Which input cell each cell of the padded input shows: padded cell (r, q) copies input cell
    (rows[r], cols[q]); null (in zeros padding) means the cell is a zero. Inside the input,
    rows[r] = r - top and cols[q] = q - left."""

    rows: list[int | None]
    cols: list[int | None]


class ConvTraceResponse(BaseModel):
    output: list[Any] = Field(description="OH x OW for a 2-D input and kernel, else F x OH x OW")
    output_shape: list[int]
    input_shape: list[int] = Field(description="C, H, W")
    kernel_shape: list[int] = Field(description="F, C/groups, kh, kw")
    groups: int = Field(1, description="the groups the channels and filters are split into")
    padded_shape: list[int] = Field(description="C, H + top + bottom, W + left + right")
    stride: list[int]
    padding: PaddingSides = Field(description='the padding of each side ("same" and "valid" worked out)')
    padding_mode: str
    padded_input: list[list[list[float]]] = Field(
        description="C x (H + top + bottom) x (W + left + right): the "
        "input with its padding, filled as padding_mode says"
    )
    padding_source: PaddingSource
    dilation: list[int]
    formula: list[str] = Field(
        description="the output-size arithmetic for OH and OW, numbers filled in, the floor shown"
    )
    unread: Unread = Field(description="input rows and columns no window reads (PyTorch never reads them)")
    activation: str | None
    steps: list[ConvStep]
    im2col: Im2colView | None = Field(description="null when the matrix is too large to show")
