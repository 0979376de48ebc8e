"""POST /api/conv_transpose: a transposed convolution traced input cell by input cell."""

from typing import Any

from pydantic import BaseModel, Field

from .common import Grid, IntOrPair, NumberOrList, StrictRequest


class ConvTransposeTraceRequest(StrictRequest):
    input: Grid = Field(description="H x W, or C x H x W (at most 16 x 16)", examples=[[[1, 2], [3, 4]]])
    kernel: Grid = Field(
        description="h x w, or C x F x h x w (PyTorch's ConvTranspose2d weight layout: input channels first)",
        examples=[[[1, 1, 1], [1, 1, 1], [1, 1, 1]]],
    )
    bias: NumberOrList = Field(0, description="one number, or one per filter")
    stride: IntOrPair = 1
    padding: IntOrPair = Field(0, description="rows and columns cropped from each side of the scatter")
    output_padding: IntOrPair = Field(
        0,
        description="rows and columns added at the bottom and right; smaller "
        "than the stride or the dilation (PyTorch's rule)",
    )
    dilation: IntOrPair = 1


class ConvTransposeStep(BaseModel):
    """One input cell: its kernel-weighted copy and where it lands in the scatter."""

    channel: int
    row: int
    col: int
    input: float = Field(description="the input cell's value")
    top: int = Field(description="row of the copy's top-left corner in the scatter (row x stride)")
    left: int
    cells: list[list[int]] = Field(description="[filter, row, col] in the scatter of each copied cell, kernel order")
    weights: list[float]
    products: list[float] = Field(description="input x weight: the copy")
    inside: list[bool] = Field(description="whether each copied cell survives the crop (padding)")
    output_cells: list[list[int] | None] = Field(
        description="[filter, row, col] in the output of each copied cell, null where the crop drops it"
    )
    overlaps: list[bool] = Field(description="whether an earlier copy already added into each cell")
    partial: list[Any] = Field(description="the scatter after this step (Hf x Wf, or F x Hf x Wf)")


class ConvTransposeTraceResponse(BaseModel):
    output: list[Any] = Field(description="OH x OW for a 2-D input and kernel, else F x OH x OW")
    output_shape: list[int]
    input_shape: list[int] = Field(description="C, H, W")
    kernel_shape: list[int] = Field(description="C, F, kh, kw")
    scatter: list[Any] = Field(description="the full scatter before cropping, without the bias")
    scatter_shape: list[int] = Field(description="F, Hf, Wf")
    crop: list[int] = Field(description="[top, left, rows, columns]: the output's part of the scatter")
    bias: list[float]
    stride: list[int]
    padding: list[int]
    output_padding: list[int]
    dilation: list[int]
    formula: list[str] = Field(description="the output-size arithmetic for OH and OW, numbers filled in")
    conv_formula: list[str | None] = Field(
        description="the convolution with the same settings taking the "
        "output back to the input's size (null if its kernel does not fit)"
    )
    steps: list[ConvTransposeStep]
