"""POST /api/filter: a kernel over a real grayscale picture, with the notes' cost arithmetic and,
on request, the reference trace of a small block of the feature map."""

from typing import Annotated, Any

from pydantic import BaseModel, Field, PlainValidator, WithJsonSchema

from .common import PADDING_MODE_DESCRIPTION, Grid, IntOrPair, NumberOrList, Padding, StrictRequest
from .conv import ConvStep, PaddingSides

ImageField = Annotated[
    Any,
    PlainValidator(lambda v: v),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "description": "a bundled sample's name (GET /api/filter/samples)"},
                {
                    "type": "array",
                    "items": {"type": "array", "items": {"type": "number"}},
                    "description": "a grayscale picture, H x W numbers (0 = black, 255 = white), at most 512 x 512",
                },
            ]
        }
    ),
]


class TraceRegion(StrictRequest):
    """A block of output cells to trace: rows row..row+size-1, columns col..col+size-1 (0-based)."""

    row: int = Field(ge=0, strict=True)
    col: int = Field(ge=0, strict=True)
    size: int = Field(4, ge=1, le=8, strict=True)


class FilterRequest(StrictRequest):
    image: ImageField = Field(examples=["astronaut"])
    kernel: Grid = Field(description="h x w (at most 16 x 16)", examples=[[[-1, 1]]])
    bias: NumberOrList = Field(0, description="one number added to every output cell")
    stride: IntOrPair = 1
    padding: Padding = 0
    padding_mode: str = Field("zeros", strict=True, description=PADDING_MODE_DESCRIPTION)
    dilation: IntOrPair = 1
    trace: TraceRegion | None = Field(None, description="also trace this block of the feature map step by step")
    include_output: bool = Field(
        True,
        strict=True,
        description="false: leave the feature map out (output is []), e.g. when only the traced block changed",
    )


class FilterCostView(BaseModel):
    """The notes' arithmetic: sliding the kernel against one dense matrix product."""

    height: int
    width: int
    kernel_height: int
    kernel_width: int
    output_height: int
    output_width: int
    input_cells: int
    output_cells: int
    multiplications_per_cell: int
    additions_per_cell: int
    ops_per_cell: int
    operations: int = Field(description="output_cells * ops_per_cell")
    dense_entries: int = Field(description="input_cells * output_cells")
    dense_nonzero: int
    dense_zero_fraction: float
    dense_zero_percent: float
    dense_per_operation: int = Field(description="dense_entries / operations, rounded")


class FilterTrace(BaseModel):
    row: int
    col: int
    rows: int
    cols: int
    top: int = Field(description="where the crop starts in the padded picture")
    left: int
    input: list[list[float]] = Field(description="the crop of the padded picture these cells see")
    output: list[list[float]]
    steps: list[ConvStep] = Field(description="row/col in the whole feature map; top/left/cells in the crop")


class ColourScale(BaseModel):
    """How to colour the feature map: ``diverging`` (negative blue, 0 white, positive red, from
    -m to m with m the 99th percentile of |value|: the strongest 1% saturate) when it has both
    signs, else ``gray`` from min to max."""

    kind: str
    low: float
    high: float


class FilterResponse(BaseModel):
    image: str = Field(description='the sample\'s name, or "upload"')
    input_shape: list[int] = Field(description="H, W")
    kernel: list[list[float]]
    kernel_shape: list[int]
    bias: float
    stride: list[int]
    padding: PaddingSides = Field(description='the padding of each side ("same" and "valid" worked out)')
    padding_mode: str
    dilation: list[int]
    output: list[list[float]] = Field(
        description="the feature map, OH x OW, rounded to 4 decimals ([] when include_output is false)"
    )
    output_shape: list[int] = Field(description="OH, OW")
    min: float
    max: float
    scale: ColourScale
    formula: list[str]
    cost: FilterCostView
    trace: FilterTrace | None = None


class SampleInfo(BaseModel):
    name: str
    kind: str = Field(description="photo or digit")
    width: int
    height: int


class SampleImage(SampleInfo):
    image: list[list[int]] = Field(description="H x W, 0 = black, 255 = white")
