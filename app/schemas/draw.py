"""POST /api/predict and GET /api/models: a drawn digit, what the network saw, and what it said."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, Strict

from .common import Grid, StrictRequest


class CellProbe(StrictRequest):
    """One cell of a convolution or pooling layer's output, 0-based."""

    layer: str = Field(max_length=64, description="a layer name from `layers`, e.g. conv1 or pool1")
    channel: int = Field(ge=0, strict=True, description="the feature map (a conv layer's filter)")
    row: int = Field(ge=0, strict=True)
    column: int = Field(ge=0, strict=True)


class PredictRequest(StrictRequest):
    image: Grid | None = Field(
        None,
        description="H x W ink intensities in [0, 1], ink 1 and background 0, at most "
        "512 x 512. A 28 x 28 image is taken as already preprocessed unless "
        "`preprocess` is true. Give either `image` or `pixels`.",
    )
    pixels: str | None = Field(
        None,
        description="the same image as base64 of H x W bytes (row-major, 0 = no ink, "
        "255 = full ink), with `shape`: what the draw page sends",
    )
    shape: list[Annotated[int, Field(strict=True)]] | None = Field(None, description="[H, W] of `pixels`")
    model: str | None = Field(None, description="a name from GET /api/models (default: lenet5)")
    preprocess: bool | None = Field(
        None,
        strict=True,
        description="crop, fit 20 x 20 and put the centre of mass in pixel (14, 14) as MNIST was made; "
        "default: yes unless the image is 28 x 28",
    )
    layers: bool = Field(False, strict=True, description="include every layer's activations")
    explain: Literal["occlusion", "saliency"] | None = Field(
        None,
        description="occlusion: the drop in the answer's probability when each part is erased; "
        "saliency: the gradient of the answer's score with respect to each pixel",
    )
    probe: CellProbe | None = Field(
        None,
        description="also send this cell's window, kernel and value (`probe`): what the /conv and /pool labs replay",
    )


class PredictMessage(PredictRequest):
    """A message on WS /ws/predict: the body of POST /api/predict and an optional ``id``, echoed in the answer."""

    id: Annotated[int, Strict()] | str | None = Field(None, description="echoed in the answer (the page's count)")


class PreprocessSteps(BaseModel):
    """Each step of the MNIST-style preprocessing, in the drawing's and the 28 x 28 field's pixels."""

    drawing_shape: list[int] = Field(description="height, width of the drawing")
    bbox: list[int] = Field(description="top, left, height, width of the ink in the drawing")
    ink_percent: float = Field(description="the drawing's mean ink, in percent")
    scale: float = Field(description="the crop is scaled by this to fit 20 x 20")
    fitted: list[list[float]] = Field(description="the crop scaled to fit 20 x 20, longer side 20")
    fitted_centre: list[float] = Field(description="centre of mass (row, column) of `fitted`")
    offset: list[int] = Field(description="top, left where `fitted` is placed in the 28 x 28 field")
    centre: list[float] = Field(
        description="centre of mass (row, column) of `input28`, pixel (i, j) covering "
        "[i, i+1) x [j, j+1): inside `centre_pixel`, as in MNIST"
    )
    centre_pixel: list[int] = Field(
        description="the pixel (row, column), from 0, that MNIST puts every digit's centre of mass in: (14, 14)"
    )


class DigitCheckResult(BaseModel):
    """Whether the drawing looks like a handwritten digit (engine.preprocess.digit_check)."""

    hint: Literal["dark_on_light", "dot", "draw_bigger"] | None = Field(
        description="null: it does; dark_on_light: mostly ink or ink all along the edge; dot: one blot; "
        "draw_bigger: strokes thick for the digit's size"
    )
    message: str | None = Field(description="the hint in the request's language")
    uncertain: bool = Field(description="true: the prediction is a guess about something that is not a digit")
    ink_percent: float = Field(description="the drawing's mean ink, in percent")
    border_ink_percent: float = Field(description="mean ink of the drawing's outermost rows and columns, in percent")
    stroke: float | None = Field(
        description="stroke width / size of the ink (MNIST: median 0.10, hint above 0.2); "
        "null when the whole drawing is ink"
    )


class CellWindowResult(BaseModel):
    """A feature-map cell and what it was computed from (engine.probe.cell_window)."""

    layer: str
    type: Literal["conv", "maxpool", "avgpool"]
    channel: int
    row: int
    column: int
    source: str = Field(
        description="the layer whose output the window is taken from (input: the image as the "
        "network reads it, normalised)"
    )
    patch: list[Any] = Field(description="conv: C x kh x kw, pooling: kh x kw, the input under the cell")
    kernel: list[Any] | None = Field(description="conv: C x kh x kw, the filter's weights")
    bias: float | None = Field(description="conv: the filter's bias")
    size: list[int] = Field(description="kh, kw")
    value: float = Field(description="the layer's output at the cell")


class LayerActivation(BaseModel):
    name: str
    type: str
    shape: list[int] = Field(description="C, H, W for feature maps, D for vectors")
    values: list[Any] = Field(description="C x H x W or D numbers (rounded to 4 decimals)")
    min: float
    max: float
    scale: float = Field(description="the larger of |min| and |max|: the page's colour scale")


class Heatmap(BaseModel):
    map: list[list[float]] = Field(description="28 x 28")
    min: float
    max: float
    scale: float = Field(description="the larger of |min| and |max|: the page's colour scale")


class Explanation(BaseModel):
    method: Literal["occlusion", "saliency"]
    target: int = Field(description="the digit the map explains (the prediction)")
    map: list[list[float]] = Field(description="28 x 28; occlusion: probability drop, saliency: d score / d ink")
    min: float
    max: float
    scale: float = Field(description="the larger of |min| and |max|: the page's colour scale")
    patch: int | None = Field(None, description="occlusion: side of the erased square")
    stride: int | None = Field(None, description="occlusion: step between squares")
    score: Heatmap | None = Field(
        None,
        description="occlusion: the drop in the target's score (logit) instead of "
        "its probability, which a confident answer barely moves",
    )


class PredictResponse(BaseModel):
    model: str
    prediction: int
    probabilities: list[float] = Field(description="ten numbers summing to 1")
    percent: list[float] = Field(description="the probabilities in percent, rounded to 1 decimal, for display")
    input28: list[list[float]] = Field(description="28 x 28 ink in [0, 1]: what the network saw")
    preprocessed: bool
    steps: PreprocessSteps | None = Field(None, description="null when the image was taken as it is")
    layers: list[LayerActivation] | None = None
    explanation: Explanation | None = None
    check: DigitCheckResult = Field(description="does the drawing look like a digit; a hint if not")
    probe: CellWindowResult | None = Field(None, description="the asked cell's window (with `probe`)")
    timing_ms: float = Field(description="time spent preprocessing and running the network")


class ModelInfo(BaseModel):
    name: str
    source: Literal["pretrained", "trained"]
    test_accuracy: float | None = None
    accuracy_percent: float | None = Field(None, description="test accuracy in percent, 2 decimals, for display")
    dataset: str | None = None
    epochs: int | None = None
    params: int
    created: str | None = None


class ModelsResponse(BaseModel):
    default: str | None = Field(description="the model /api/predict uses when none is named")
    models: list[ModelInfo]
