"""Networks for training runs: resolve a request to a spec, explain it layer by layer, build it.

The builder on ``/learn`` sends its layers after every edit; :func:`inspect` answers with each
layer's output shape and parameter count (the engine's :meth:`Sequential.summary`, with the
notes' comparison: what a fully connected layer would need on the same input), or with the index
of the first layer that cannot work and the engine's explanation.

The engine's :func:`engine.model.check_spec` walks the layers: before a layer creates its weights,
its parameter count is worked out from its input shape, so that a network over the size cap is
refused without allocating them; the values one image produces across all layers are capped too
(they decide the memory and time of a step).
Once the network works, :func:`engine.memory.estimate` gives the peak memory of a training step
and of an evaluation at the run's batch size, and a network above the memory budget is refused.
"""

import copy
from dataclasses import dataclass, field

from engine.errors import EngineError
from engine.memory import MemoryEstimate, estimate
from engine.model import DEFAULT_INPUT, Sequential, check_spec
from engine.presets import PRESETS, preset
from engine.train import check_train_batches

CLASSES = 10  # MNIST digits: the last layer must give one number per digit
MAX_LAYERS = 40
MAX_VALUES_PER_IMAGE = 400_000  # all layers' outputs for one image (LeNet-5: about 15,000)
MB = 1024 * 1024  # memory figures are shown in MB of 2^20 bytes
DEFAULT_BATCH = 64


def resolve(preset_name: str | None, layers: list | None, dropout: float | None = None) -> tuple[dict, str | None]:
    """The spec for ``{"preset": ...}`` or ``{"layers": [...]}`` (exactly one of them), and the preset's
    name (None for custom layers). ``dropout``, if given, becomes every dropout layer's p."""
    if preset_name is not None and layers is not None:
        raise EngineError("two_networks", "give the network either as a preset or as a list of layers, not both")
    if preset_name is None and layers is None:
        raise EngineError(
            "no_network",
            f"give the network as a preset ({', '.join(PRESETS)}) or as a list of layers",
            known=list(PRESETS),
        )
    if preset_name is not None:
        spec = preset(preset_name)
    else:
        total = _count_layers(layers)
        if total > MAX_LAYERS:
            raise EngineError(
                "too_many_layers",
                f"a network here has at most {MAX_LAYERS} layers (counting the layers inside branches), got {total}",
                count=total,
                limit=MAX_LAYERS,
            )
        spec = {"input": list(DEFAULT_INPUT), "layers": copy.deepcopy(layers)}
    if dropout is not None:
        for entry in _entries(spec["layers"]):
            if entry.get("type") == "dropout":
                entry["p"] = dropout
    return spec, preset_name


def _entries(layers: list):
    """Every layer entry (a dict), those inside a branches layer's paths included."""
    for entry in layers:
        if not isinstance(entry, dict):
            continue
        yield entry
        if entry.get("type") == "branches" and isinstance(entry.get("paths"), list):
            for path in entry["paths"]:
                if isinstance(path, list):
                    yield from _entries(path)


def _count_layers(layers: list) -> int:
    """Layers, counting those inside branches (and each branches layer itself)."""
    return len(layers) + sum(
        _count_layers(path)
        for entry in layers
        if isinstance(entry, dict) and entry.get("type") == "branches" and isinstance(entry.get("paths"), list)
        for path in entry["paths"]
        if isinstance(path, list)
    )


@dataclass
class Report:
    """What :func:`inspect` found: rows for the layers that work, and the first problem, if any."""

    spec: dict
    rows: list[dict] = field(default_factory=list)
    total_params: int = 0
    output_shape: list[int] | None = None
    error: EngineError | None = None
    error_index: int | None = None  # 0-based layer index of the problem; None for the whole network
    model: Sequential | None = None
    memory: MemoryEstimate | None = None  # when the whole network works
    budget_bytes: int | None = None

    def memory_json(self) -> dict | None:
        """``{"train_bytes", "eval_bytes", "budget_bytes", "train_mb", "eval_mb", "budget_mb",
        "batch_size"}`` (MB of 2^20 bytes, to one decimal), or None when the network does not work."""
        if self.memory is None:
            return None
        out = {
            "train_bytes": self.memory.train_bytes,
            "eval_bytes": self.memory.eval_bytes,
            "budget_bytes": self.budget_bytes,
            "batch_size": self.memory.batch_size,
        }
        for key in ("train", "eval", "budget"):
            value = out[f"{key}_bytes"]
            out[f"{key}_mb"] = None if value is None else round(value / MB, 1)
        return out

    @property
    def ok(self) -> bool:
        return self.error is None


def _walk(spec: dict, max_params: int) -> tuple[int | None, EngineError | None]:
    """The index of the first layer that cannot work and why, or ``(None, None)``: the engine's
    check with this server's caps, and a digit classifier's last layer (10 outputs)."""
    if not spec["layers"]:
        return None, EngineError("empty_network", "a network needs at least one layer")
    found = check_spec(spec, max_params, MAX_VALUES_PER_IMAGE)
    if found.error is not None:
        return found.index, found.error
    if found.output_shape != (CLASSES,):
        shown = "x".join(map(str, found.output_shape))
        return len(spec["layers"]) - 1, EngineError(
            "wrong_output",
            f"the last layer gives {shown} numbers, but a digit classifier must end with "
            f"{CLASSES} (one score per digit): end with a dense layer of {CLASSES} units",
            shape=shown,
            classes=CLASSES,
        )
    return None, None


def _rows(model: Sequential) -> list[dict]:
    rows = model.summary()
    _add_ratios(rows)
    return rows


def _add_ratios(rows: list[dict]) -> None:
    for row in rows:
        if "dense_params" in row and row["params"]:
            ratio = row["dense_params"] / row["params"]
            row["dense_ratio"] = round(ratio, 1) if ratio < 100 else round(ratio)
        for path in row.get("paths", ()):
            _add_ratios(path["layers"])


def _mb(size: int) -> str:
    """Bytes as MB for a message: 8,616.2 and 1,024 (as the builder writes them)."""
    return f"{size / MB:,.1f}".removesuffix(".0")


def _memory_problem(memory: MemoryEstimate, budget: int) -> EngineError | None:
    if memory.peak_bytes <= budget:
        return None
    train, evaluation, allowed = _mb(memory.train_bytes), _mb(memory.eval_bytes), _mb(budget)
    return EngineError(
        "too_much_memory",
        f"at a batch size of {memory.batch_size}, this network needs about "
        f"{train} MB to train and {evaluation} MB to evaluate; this server allows {allowed} MB "
        "for a run: choose a smaller batch size, or fewer or smaller layers",
        batch_size=memory.batch_size,
        train_mb=train,
        eval_mb=evaluation,
        budget_mb=allowed,
    )


def _batch_problem(model: Sequential, batch_size: int) -> tuple[EngineError | None, int | None]:
    """A batch size of 1 with a batch-norm layer that would see one value per channel (the whole
    dataset's last batch is checked when a run starts): the error and that layer's index."""
    try:
        check_train_batches(model, None, batch_size)
    except EngineError as error:
        return error, [layer.name for layer in model.layers].index(error.params["layer"])
    return None, None


def inspect(
    spec: dict,
    max_params: int,
    seed: int = 0,
    *,
    batch_size: int = DEFAULT_BATCH,
    optimizer: str = "momentum",
    max_memory_bytes: int | None = None,
) -> Report:
    """Each layer's shapes and parameters, and the first layer that cannot work (see the module).
    When the whole network works, ``report.model`` is it, built with ``seed``, and ``report.memory``
    its memory estimate for ``batch_size`` and ``optimizer`` (each row gains its ``train_bytes`` and
    ``eval_bytes``); above ``max_memory_bytes`` (None: no budget) the error is ``too_much_memory``
    for the whole network (index None)."""
    report = Report(spec, budget_bytes=max_memory_bytes)
    index, error = _walk(spec, max_params)
    good = spec["layers"] if error is None else spec["layers"][: index or 0]
    if error is not None and error.code == "wrong_output":
        good = spec["layers"]
    if good:
        model = Sequential.from_spec({**spec, "layers": good}, seed=seed)
        report.rows = _rows(model)
        if error is None:
            report.model = model
            report.memory = estimate(model, batch_size, optimizer)
            for row, share in zip(report.rows, report.memory.layers):
                row.update(train_bytes=share["train_bytes"], eval_bytes=share["eval_bytes"])
            if max_memory_bytes is not None:
                error = _memory_problem(report.memory, max_memory_bytes)
            if error is None:
                error, index = _batch_problem(model, batch_size)
        report.total_params = model.num_params
        report.output_shape = list(model.output_shape)
    report.error, report.error_index = error, index
    return report


def build(
    spec: dict,
    seed: int,
    max_params: int,
    *,
    batch_size: int = DEFAULT_BATCH,
    optimizer: str = "momentum",
    max_memory_bytes: int | None = None,
) -> tuple[Sequential, Report]:
    """The model for a run, or the first problem as an :class:`EngineError`: among them
    ``too_much_memory`` when the estimate for the run's ``batch_size`` and ``optimizer`` is above
    ``max_memory_bytes`` (the setting ``max_run_memory_mb`` times :data:`MB`; None: no budget)."""
    report = inspect(
        spec, max_params, seed, batch_size=batch_size, optimizer=optimizer, max_memory_bytes=max_memory_bytes
    )
    if report.error is not None:
        if report.error_index is not None:
            report.error.params.setdefault("layer_index", report.error_index)
        raise report.error
    return report.model, report
