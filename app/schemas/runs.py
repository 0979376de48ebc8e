"""Training runs (``/api/runs``, ``/ws/runs/{id}``) and the network check (``/api/networks/check``).

Layers are JSON objects as the engine's specs take them (``{"type": "conv", "filters": 6,
"kernel": 5}``); the engine explains a layer it cannot build, so they are not typed here.
"""

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from ..runs.base import MAX_PACE

MAX_EPOCHS = 50
MAX_BATCH = 1024
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam")
DATASETS = ("sample", "mnist")
MAX_LAYER_NESTING = 3  # a layer is an object of numbers, words and pairs: {"kernel": [3, 3]}
MAX_BRANCHES_NESTING = 2  # a branches layer's paths hold layers, branches among them (once more)


def _shallow(entry: Any, branches: int = 0) -> Any:
    """Refuse a layer nested more deeply than any layer can be (the answer echoes the layers back):
    a branches layer's ``paths`` are lists of layers, each checked the same way, two levels at most."""
    rest = entry
    if isinstance(entry, dict) and entry.get("type") == "branches" and branches >= MAX_BRANCHES_NESTING:
        raise PydanticCustomError("too_deep", "nested too deeply: branches inside branches inside branches")
    if isinstance(entry, dict) and entry.get("type") == "branches" and isinstance(entry.get("paths"), list):
        for path in entry["paths"]:
            for layer in path if isinstance(path, list) else [path]:
                _shallow(layer, branches + 1)
        rest = {k: v for k, v in entry.items() if k != "paths"}
    level, todo = 0, [rest]
    while todo:
        level += 1
        if level > MAX_LAYER_NESTING:
            raise PydanticCustomError(
                "too_deep", "nested too deeply: a layer is an object whose settings are numbers, words or pairs"
            )
        todo = [
            v
            for item in todo
            if isinstance(item, (list, dict))
            for v in (item.values() if isinstance(item, dict) else item)
        ]
    return entry


LayerEntry = Annotated[Any, AfterValidator(_shallow)]


class NetworkRequest(BaseModel):
    """A network: ``{"preset": "tiny"}`` or ``{"layers": [...]}`` (a 1x28x28 input, 10 outputs)."""

    model_config = ConfigDict(extra="forbid")

    preset: str | None = Field(None, description="lenet5, notes, tiny, resnet or inception", examples=["tiny"])
    layers: list[LayerEntry] | None = Field(
        None, description='layer specs, e.g. {"type": "conv", "filters": 4, "kernel": 5}'
    )
    dropout: float | None = Field(
        None, ge=0, lt=1, allow_inf_nan=False, strict=True, description="if given, the p of every dropout layer"
    )
    batch_size: int = Field(
        64, ge=1, le=MAX_BATCH, strict=True, description="the run's batch size (the memory estimate depends on it)"
    )
    optimizer: Literal[OPTIMIZERS] = Field("momentum", description="the run's optimizer (its state takes memory)")


class RunCreateRequest(NetworkRequest):
    epochs: int = Field(1, ge=1, le=MAX_EPOCHS, strict=True)
    batch_size: int = Field(64, ge=1, le=MAX_BATCH, strict=True)
    lr: float = Field(0.05, gt=0, le=10, allow_inf_nan=False, strict=True, description="the learning rate")
    optimizer: Literal[OPTIMIZERS] = "momentum"
    seed: int = Field(0, ge=0, le=2**32 - 1, strict=True)
    dataset: Literal[DATASETS] = Field("sample", description="the bundled sample, or full MNIST if the server has it")
    l2: float = Field(0.0, ge=0, le=1, allow_inf_nan=False, strict=True, description="L2 weight decay lambda")
    pace: int | None = Field(
        None,
        ge=1,
        le=MAX_PACE,
        strict=True,
        description="at most this many steps a second, each step's progress and snapshot sent "
        "to the viewers (slow mode, for watching); null: full speed",
    )


class RunPaceRequest(BaseModel):
    """A run's new pace (checked by the registry, which explains a bad one in the user's language)."""

    model_config = ConfigDict(extra="forbid")

    pace: Any = Field(description=f"steps a second, 1 to {MAX_PACE}, or null for full speed", examples=[2])


class SaveModelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="1 to 48 letters, digits, spaces, '_', '.' or '-'", examples=["my-lenet"])
    overwrite: bool = Field(
        False, strict=True, description="replace a model of that name saved with the same control token"
    )


class LayerRow(BaseModel):
    name: str
    type: str
    input_shape: list[int]
    output_shape: list[int]
    params: int
    dense_params: int | None = Field(
        None,
        description="what a fully connected layer would need on the same "
        "input for the same output (conv and dense layers)",
    )
    dense_ratio: float | None = Field(None, description="dense_params / params, to one decimal")
    train_bytes: int | None = Field(
        None,
        description="what the layer holds during training: parameters, "
        "gradients, optimizer state, caches, kept activations",
    )
    eval_bytes: int | None = Field(None, description="what the layer holds during an evaluation")
    merge: str | None = Field(None, description="a branches layer: concat (along channels) or add")
    paths: list["PathRow"] | None = Field(
        None, description="a branches layer: each path's output shape, parameters and layers ([] for the identity)"
    )


class PathRow(BaseModel):
    """One path of a branches layer."""

    output_shape: list[int]
    params: int
    layers: list[LayerRow]


class MemoryEstimateResponse(BaseModel):
    """The peak memory of a run of the network (``engine.memory``), and the server's budget."""

    train_bytes: int = Field(description="the peak of a training step at the batch size")
    eval_bytes: int = Field(description="the peak of an evaluation of the test set in batches of that size")
    budget_bytes: int = Field(description="the most a run may need on this server")
    train_mb: float = Field(description="train_bytes in MB (2^20 bytes), to one decimal")
    eval_mb: float
    budget_mb: float
    batch_size: int


class NetworkProblem(BaseModel):
    index: int | None = Field(description="the 0-based index of the layer at fault; null for the whole network")
    code: str
    detail: str = Field(description="the explanation, in the request's language")
    params: dict[str, Any] = {}


class NetworkCheckResponse(BaseModel):
    ok: bool
    spec: dict[str, Any] = Field(description="the network as the engine reads it (a preset's layers filled in)")
    layers: list[LayerRow] = Field(description="every layer that works, up to the first problem")
    total_params: int
    output_shape: list[int] | None
    max_params: int
    memory: MemoryEstimateResponse | None = Field(
        None, description="when the whole network works (also when it needs too much memory)"
    )
    error: NetworkProblem | None = None


class RunResponse(BaseModel):
    """A run as GET /api/runs/{id} shows it; the events themselves stream over /ws/runs/{id}."""

    id: str
    state: Literal["queued", "running", "paused", "done", "diverged", "interrupted"]
    place: int | None = Field(description="1 for the next run to start, while queued")
    created: str | None
    started: str | None
    finished: str | None
    wall_seconds: float | None
    config: dict[str, Any]
    dataset: dict[str, Any]
    layers: list[LayerRow]
    params: int
    lr: float
    pace: int | None = Field(None, description="steps a second (slow mode), null: full speed")
    steps_total: int
    progress: dict[str, Any] | None
    epoch: dict[str, Any] | None
    result: dict[str, Any] | None = Field(description="the `done` event, once the run has ended")
    viewers: int
    events: int = Field(description="the seq of the latest event")
    saved: list[str]


class RunCreated(RunResponse):
    control_token: str = Field(description="the key to the run's controls (X-Control-Token): given only once")


class TrainingOptions(BaseModel):
    presets: dict[str, dict[str, Any]]
    datasets: dict[str, bool] = Field(description="whether each dataset is available on this server")
    optimizers: list[str]
    layer_types: list[str]
    limits: dict[str, Any]
