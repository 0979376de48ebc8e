"""POST /api/export: a lab's set-up, a builder network or a saved model as a PyTorch or engine script."""

from typing import Any, Literal

from pydantic import BaseModel, Field

from .common import Grid, StrictRequest

EXPORT_KINDS = ("conv", "pool", "activations", "filters", "backprop", "network", "model")


class ExportRequest(StrictRequest):
    kind: Literal[EXPORT_KINDS] = Field(
        description="which page's set-up: conv, pool, activations, filters, "
        "backprop, network (the builder) or model (a saved model)"
    )
    setup: dict[str, Any] = Field(
        description="the page's request body as it sends it (POST /api/conv, /api/pool, "
        "/api/activations, /api/filter, /api/backprop, /api/networks/check); "
        'for a model: {"model": name, "image": a sample digit or 28 x 28 '
        "grid}",
        examples=[{"input": [[0, 1, 2], [3, 4, 5], [6, 7, 8]], "kernel": [[0, 1], [2, 3]]}],
    )
    target: Literal["pytorch", "engine"] = Field("pytorch", description="PyTorch, or NumPy with this project's engine")


class ModelSetup(StrictRequest):
    """A saved model, and the 28 x 28 digit its script classifies."""

    model: str | None = Field(None, description="a name from GET /api/models (default: lenet5)")
    image: Grid | None = Field(
        None,
        description="a sample digit's name (digit-0 ... digit-9, default digit-7) or a "
        "28 x 28 grid of ink intensities in [0, 1]",
    )


class WeightsLink(BaseModel):
    url: str = Field(description="GET it for the .npz the script loads")
    filename: str


class ExportResponse(BaseModel):
    kind: str
    target: str
    filename: str = Field(description="a name to save the script under")
    code: str = Field(description="the script: runnable Python, PEP 8, its result in `output`")
    weights: WeightsLink | None = Field(None, description="a saved model's weights file, which the script loads")
