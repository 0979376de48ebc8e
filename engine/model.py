"""A network as a list of layers, built from a JSON-able spec, saved as one ``.npz``.

A spec is ``{"input": [C, H, W], "layers": [{"type": "conv", "filters": 6, "kernel": 5}, ...]}``
(a bare list of layers means a 1x28x28 input). Before anything runs, :meth:`Sequential.from_spec`
works out every layer's output shape and parameter count and explains an impossible spec in words
("conv2: a 5x5 kernel does not fit a 4x4 input with padding 0: ...").
"""

import inspect
import json
import os
import re
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import EngineError
from .layers import LAYER_TYPES as _BASE_TYPES
from .layers import BatchNorm1D, BatchNorm2D, Conv2D, Dense, Layer, MaxPool2D

DEFAULT_INPUT = (1, 28, 28)
#: The version of the saved-model format :meth:`Sequential.save` writes (the ``__format__`` entry).
#: A file without one is format 1, saved before GELU took PyTorch's ``approximate`` setting: its GELU
#: layers were the tanh approximation and load as ``approximate="tanh"`` (:func:`upgrade_spec`).
FORMAT_VERSION = 2
_NAME_PREFIX = {
    "conv": "conv",
    "maxpool": "pool",
    "avgpool": "pool",
    "dense": "dense",
    "flatten": "flatten",
    "dropout": "dropout",
    "batchnorm2d": "bn",
    "batchnorm1d": "bn",
}


_LAYER_NAME = re.compile(r"[^\W\d][\w-]{0,31}")  # no '.': it separates a layer from its parameter ("conv1.W")


def layer_types() -> dict[str, type]:
    """Every layer type a spec may name: the structural layers and every activation."""
    from .activations import LAYER_TYPES as activation_types
    from .branches import Branches
    from .transposed import ConvTranspose2D

    return {**_BASE_TYPES, ConvTranspose2D.type: ConvTranspose2D, **activation_types, Branches.type: Branches}


def make_layer(entry: dict, position: int) -> Layer:
    """One layer from its spec entry; ``position`` (1-based) names it in errors (their ``number``)."""
    if not isinstance(entry, dict) or "type" not in entry:
        raise EngineError(
            "bad_layer_entry", f'layer {position}: each layer must be an object with a "type"', number=position
        )
    settings = dict(entry)
    kind = settings.pop("type")
    types = layer_types()
    if not isinstance(kind, str) or kind not in types:
        shown = str(kind)[:40]
        raise EngineError(
            "unknown_layer",
            f"layer {position}: unknown layer type {shown!r}; known types: " + ", ".join(sorted(types)),
            number=position,
            layer_type=shown,
            known=sorted(types),
        )
    name = settings.get("name")
    if name is not None and not (isinstance(name, str) and _LAYER_NAME.fullmatch(name)):
        shown = str(name)[:40]
        raise EngineError(
            "bad_layer_name",
            f"layer {position}: the name {shown!r} is not usable; a layer's name is "
            "1 to 32 letters, digits, '_' or '-', starting with a letter or '_'",
            number=position,
            name=shown,
        )
    allowed, required = layer_settings(kind)
    unknown = sorted(set(settings) - set(allowed) - {"name"})
    if unknown:
        shown = [str(k)[:40] for k in unknown]
        if not allowed:
            raise EngineError(
                "takes_no_settings",
                f"layer {position} ({kind}): unknown setting(s) {', '.join(shown)}; "
                "this layer takes no settings (only a name)",
                number=position,
                layer_type=kind,
                unknown=shown,
            )
        raise EngineError(
            "unknown_setting",
            f"layer {position} ({kind}): unknown setting(s) {', '.join(shown)}; it takes {', '.join(allowed)}",
            number=position,
            layer_type=kind,
            unknown=shown,
            allowed=allowed,
        )
    missing = [k for k in required if k not in settings]
    if missing:
        raise EngineError(
            "missing_setting",
            f"layer {position}: {kind} needs {' and '.join(missing)}",
            number=position,
            layer_type=kind,
            missing=missing,
        )
    try:
        return types[kind](**settings)
    except EngineError as error:  # a setting the layer refuses: say which layer
        error.params.setdefault("number", position)
        raise


def upgrade_spec(spec, version: int):
    """A spec read from a model file of format ``version``, in the current meaning (a new object).

    Format 1 (files without ``__format__``): a GELU layer without ``approximate`` was computed with
    the tanh approximation, so it becomes ``{"type": "gelu", "approximate": "tanh"}``; a spec written
    today without ``approximate`` means PyTorch's default, the exact GELU.
    """
    if version >= 2 or not isinstance(spec, (dict, list)):
        return spec
    layers = spec if isinstance(spec, list) else spec.get("layers")
    if not isinstance(layers, list):
        return spec
    layers = [
        {**entry, "approximate": "tanh"}
        if isinstance(entry, dict) and entry.get("type") == "gelu" and "approximate" not in entry
        else entry
        for entry in layers
    ]
    return layers if isinstance(spec, list) else {**spec, "layers": layers}


def _rows(layers, shapes, shape) -> list[dict]:
    """Summary rows of layers run in order from ``shape`` (see :meth:`Sequential.summary`)."""
    rows = []
    for layer, out in zip(layers, shapes):
        count = int(sum(p.size for p in layer.params.values()))
        row = {
            "name": layer.name,
            "type": layer.type,
            "input_shape": list(shape),
            "output_shape": list(out),
            "params": count,
        }
        if isinstance(layer, (Conv2D, Dense)) or layer.type == "conv_transpose":
            row["dense_params"] = int((np.prod(shape) + 1) * np.prod(out))
        if layer.type == "branches":
            row["merge"] = layer.merge
            row["paths"] = [
                {"output_shape": list(path_out), "params": params, "layers": _rows(path, path_shapes, shape)}
                for path, path_shapes, path_out, params in zip(
                    layer.paths, layer.shapes, layer.path_shapes, layer.path_params()
                )
            ]
        rows.append(row)
        shape = out
    return rows


def layer_settings(kind: str) -> tuple[list[str], list[str]]:
    """The settings a layer ``type`` takes (besides ``name``), and those of them it cannot do without
    (``conv`` needs ``filters``), read from its constructor."""
    parameters = inspect.signature(layer_types()[kind]).parameters.values()
    named = [p for p in parameters if p.name != "name" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    return sorted(p.name for p in named), [p.name for p in named if p.default is p.empty]


def name_layers(layers: list[Layer]) -> None:
    """Name the unnamed layers ("conv1", "pool2"...); two layers given the same name are refused
    (their parameters would share names)."""
    taken = set()
    for number, layer in enumerate(layers, start=1):
        if layer.name in taken:
            raise EngineError(
                "duplicate_layer_name",
                f"layer {number}: the name {layer.name!r} is already "
                "used by an earlier layer; give each layer its own name",
                number=number,
                layer=layer.name,
            )
        if layer.name:
            taken.add(layer.name)
    counts: dict[str, int] = {}
    for layer in layers:
        if layer.name:
            continue
        prefix = _NAME_PREFIX.get(layer.type, layer.type)
        while True:
            counts[prefix] = counts.get(prefix, 0) + 1
            name = f"{prefix}{counts[prefix]}" if layer.type != "flatten" or counts[prefix] > 1 else "flatten"
            if name not in taken:
                break
        layer.name = name
        taken.add(name)


@dataclass
class SpecCheck:
    """What :func:`check_spec` found: the 0-based index of the first layer that cannot work and why
    (``index`` None with an error: the whole network), and the output shape of the layers before it."""

    index: int | None
    error: EngineError | None
    output_shape: tuple


def check_spec(spec, max_params: int | None = None, max_values: int | None = None) -> SpecCheck:
    """Make and build the layers of ``spec`` one at a time, as :meth:`Sequential.from_spec` does, and
    stop at the first that cannot work. Before a layer creates its weights, the parameters so far are
    counted (:meth:`Layer.count_params`) against ``max_params`` (``network_too_big``): a layer over the
    cap never allocates them; after it, the values one sample gives across the layers so far against
    ``max_values`` (``network_too_slow``). None: no cap. A branches layer is counted inside its paths
    (:meth:`engine.branches.Branches.params_needed`): the error names the sub-layer that goes over
    (``branches1.path2.conv1``), and its paths' values count too."""
    input_shape, entries = _spec_parts(spec)
    layers, late = [], None
    for i, entry in enumerate(entries):
        try:
            layers.append(make_layer(entry, i + 1))
        except EngineError as error:
            late = SpecCheck(i, error, ())  # reported if the layers before it work
            break
    try:
        name_layers(layers)
    except EngineError as error:  # two layers with the same name
        return SpecCheck(error.params["number"] - 1, error, ())
    rng = np.random.default_rng(0)
    shape, params, values = input_shape, 0, 0
    for i, layer in enumerate(layers):
        culprit = layer.name
        if layer.type == "branches":  # counted path by path, naming the sub-layer that goes over
            needed, inner = layer.params_needed(shape, None if max_params is None else max_params - params)
            params, culprit = params + needed, inner or culprit
        else:
            params += layer.count_params(shape)
        if max_params is not None and params > max_params:
            return SpecCheck(
                i,
                EngineError(
                    "network_too_big",
                    f"{culprit}: the network would have at least "
                    f"{params:,} parameters; at most {max_params:,} are allowed",
                    layer=culprit,
                    params=f"{params:,}",
                    limit=f"{max_params:,}",
                ),
                shape,
            )
        try:
            out = tuple(int(v) for v in layer.build(shape, rng, np.float32))
        except EngineError as error:
            return SpecCheck(i, error, shape)
        shape = out
        values += int(np.prod(shape)) + (layer.values_per_image() if layer.type == "branches" else 0)
        if max_values is not None and values > max_values:
            return SpecCheck(
                i,
                EngineError(
                    "network_too_slow",
                    f"{layer.name}: the layers so far compute {values:,} "
                    f"values for each sample; at most {max_values:,} are allowed",
                    layer=layer.name,
                    values=f"{values:,}",
                    limit=f"{max_values:,}",
                ),
                shape,
            )
    if late is not None:
        return SpecCheck(late.index, late.error, shape)
    return SpecCheck(None, None, shape)


def _spec_parts(spec) -> tuple[tuple, list]:
    """The input shape and the layer entries of a spec (a bare list: a 1x28x28 input), checked."""
    if isinstance(spec, list):
        spec = {"layers": spec}
    if not isinstance(spec, dict) or not isinstance(spec.get("layers"), list) or not spec["layers"]:
        raise EngineError("empty_network", "a network needs at least one layer")
    input_shape = spec.get("input", DEFAULT_INPUT)
    if (
        not isinstance(input_shape, (list, tuple))
        or len(input_shape) not in (1, 3)
        or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in input_shape)
    ):
        raise EngineError(
            "bad_input_shape",
            f"the input shape must be [channels, height, width] of positive whole numbers, got {input_shape!r}",
            shape=input_shape,
        )
    return tuple(input_shape), spec["layers"]


class Sequential:
    """Layers applied in order. Takes ``(N, C, H, W)`` images (or ``(N, D)`` vectors), returns ``(N, K)``.

    Inside, image activations are ``(C, H, W, N)`` (see :mod:`engine.layers`).
    Parameters are exposed under stable names, ``"conv1.W"``, in :attr:`params` and :attr:`grads`.
    """

    def __init__(
        self, layers: list[Layer], input_shape=DEFAULT_INPUT, seed: int | np.random.Generator = 0, dtype=np.float32
    ):
        self.layers = layers
        self.input_shape = tuple(int(v) for v in input_shape)
        self.dtype = np.dtype(dtype)
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self._name_layers()
        self.shapes = []
        shape = self.input_shape
        for layer in layers:
            shape = layer.build(shape, rng, self.dtype)
            self.shapes.append(tuple(int(v) for v in shape))
        self.output_shape = shape
        # The first weighted layer need not compute the gradient of the input (nothing learns from it);
        # backward(..., input_grad=True) asks for it when it is wanted (a saliency map).
        self._skips_input_grad = None
        for layer in layers:
            if hasattr(layer, "input_grad"):
                layer.input_grad = False
                self._skips_input_grad = layer
                break
            if layer.params:
                break
        self.metadata: dict = {}
        self._order = self._plan()

    def _name_layers(self):
        name_layers(self.layers)

    # -- building ------------------------------------------------------------------------------------

    @classmethod
    def from_spec(cls, spec, seed: int | np.random.Generator = 0, dtype=np.float32) -> "Sequential":
        input_shape, entries = _spec_parts(spec)
        layers = [make_layer(entry, i + 1) for i, entry in enumerate(entries)]
        return cls(layers, input_shape, seed, dtype)

    @property
    def spec(self) -> dict:
        return {"input": list(self.input_shape), "layers": [layer.spec() for layer in self.layers]}

    def summary(self) -> list[dict]:
        """Per layer: name, type, output shape, parameter count, and for conv and dense layers the
        parameters a fully connected layer would need to map the same input to the same output
        (also for a transposed convolution). A branches layer's row also has ``merge`` and ``paths``:
        per path its ``output_shape``, ``params`` and ``layers`` (rows of the same form, named
        ``branches1.path2.conv1``)."""
        return _rows(self.layers, self.shapes, self.input_shape)

    @property
    def params(self) -> dict[str, np.ndarray]:
        return {f"{layer.name}.{k}": v for layer in self.layers for k, v in layer.params.items()}

    @property
    def grads(self) -> dict[str, np.ndarray]:
        return {f"{layer.name}.{k}": v for layer in self.layers for k, v in layer.grads.items()}

    @property
    def buffers(self) -> dict[str, np.ndarray]:
        """State that is saved with the model but not trained by the optimizer (PyTorch's buffers):
        batch norm's ``"bn1.running_mean"``, ``"bn1.running_var"`` and ``"bn1.num_batches_tracked"``."""
        return {f"{layer.name}.{k}": v for layer in self.layers for k, v in getattr(layer, "buffers", {}).items()}

    def single_value_layer(self) -> Layer | None:
        """The first batch-norm layer that would see a single value per channel in a training batch of
        one image (every batchnorm1d; a batchnorm2d on 1x1 maps), or None: with one, a training batch
        needs at least 2 images (see :func:`engine.train.check_train_batches`)."""
        shape = self.input_shape
        for layer, out in zip(self.layers, self.shapes):
            if isinstance(layer, (BatchNorm1D, BatchNorm2D)) and (len(shape) == 1 or shape[1] * shape[2] == 1):
                return layer
            shape = out
        return None

    @property
    def num_params(self) -> int:
        return int(sum(p.size for p in self.params.values()))

    def layer(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    # -- running -------------------------------------------------------------------------------------

    def _to_engine(self, x):
        x = np.asarray(x, self.dtype)
        if x.shape[1:] != self.input_shape:
            raise EngineError(
                "bad_batch_shape",
                f"the network takes inputs of shape {list(self.input_shape)}, got {list(x.shape[1:])}",
                expected=list(self.input_shape),
                got=list(x.shape[1:]),
            )
        return np.ascontiguousarray(x.transpose(1, 2, 3, 0)) if x.ndim == 4 else x

    def forward(self, x, train: bool = False) -> np.ndarray:
        """x (N, C, H, W) -> logits (N, K). ``train`` turns on dropout and RReLU's random slopes, and makes
        batch norm use (and update) the batch's statistics; otherwise it uses its running statistics."""
        x = self._to_engine(x)
        for layer in self._order:
            x = layer.forward(x, train)
        return x

    def backward(self, dout, input_grad: bool = False):
        """Backpropagate d(loss)/d(logits); parameter gradients land in :attr:`grads`.

        With ``input_grad``, also return the gradient with respect to the input, shaped like the
        input of :meth:`forward` ((N, C, H, W) or (N, D)); otherwise return None.
        """
        first = self._skips_input_grad if input_grad else None
        if first is not None:
            first.input_grad = True
        try:
            for layer in reversed(self._order):
                dout = layer.backward(dout)
                if dout is None:
                    return None
        finally:
            if first is not None:
                first.input_grad = False
        return dout.transpose(3, 0, 1, 2) if dout.ndim == 4 else dout

    def _plan(self) -> list[Layer]:
        """The order layers run in. A ReLU followed by max-pooling runs after it instead: the two
        commute (max and ReLU are both monotone), and the ReLU then touches a quarter as many values."""
        plan = list(self.layers)
        for i in range(len(plan) - 1):
            if plan[i].type == "relu" and isinstance(plan[i + 1], MaxPool2D):
                plan[i], plan[i + 1] = plan[i + 1], plan[i]
        return plan

    def activations(self, x) -> list[tuple[str, np.ndarray]]:
        """Every layer's output for a batch, in the declared order, as (N, C, H, W) or (N, D)."""
        out, x = [], self._to_engine(x)
        for layer in self.layers:
            x = layer.forward(x, False)
            out.append((layer.name, x.transpose(3, 0, 1, 2) if x.ndim == 4 else x))
        return out

    def predict_proba(self, x, batch_size: int = 1000) -> np.ndarray:
        """Softmax probabilities (N, K), in batches."""
        from .losses import softmax

        return np.concatenate(
            [softmax(self.forward(x[i : i + batch_size]).astype(np.float64)) for i in range(0, len(x), batch_size)]
        )

    # -- saving --------------------------------------------------------------------------------------

    def save(self, path, metadata: dict | None = None) -> Path:
        """Write parameters, spec and metadata to one ``.npz``, atomically (temp file, then rename)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {**self.metadata, **(metadata or {})}
        arrays = {name: value for name, value in self.params.items()}
        arrays.update(self.buffers)
        arrays["__spec__"] = np.array(json.dumps(self.spec))
        arrays["__metadata__"] = np.array(json.dumps(meta))
        arrays["__format__"] = np.array(FORMAT_VERSION)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **arrays)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o644)  # mkstemp makes it private; a saved model is for everyone to read
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.metadata = meta
        return path

    @classmethod
    def load(cls, path) -> "Sequential":
        """The model saved at ``path`` by :meth:`save`; ``EngineError("bad_model_file")`` (params: the
        file's ``model`` name, never its folder) for a file that is missing, damaged or not a model."""
        try:
            with open(path, "rb") as f, np.load(f, allow_pickle=False) as data:  # (closed even if not a zip)
                version = int(data["__format__"]) if "__format__" in data else 1
                if version > FORMAT_VERSION:
                    raise EngineError(
                        "bad_model_file",
                        f"{path} was saved in model format {version}, newer than "
                        f"this version of the engine reads ({FORMAT_VERSION})",
                        model=Path(path).stem,
                    )
                spec = upgrade_spec(json.loads(str(data["__spec__"])), version)
                meta = json.loads(str(data["__metadata__"])) if "__metadata__" in data else {}
                model = cls.from_spec(spec, seed=0)
                for name, value in (model.params | model.buffers).items():
                    if name not in data or data[name].shape != value.shape:
                        raise EngineError(
                            "bad_model_file",
                            f"{path}: parameter {name} is missing or has the wrong shape",
                            model=Path(path).stem,
                            param=name,
                        )
                    value[...] = data[name]
        except (OSError, KeyError, ValueError, TypeError, EOFError, zipfile.BadZipFile, zlib.error) as e:
            if isinstance(e, EngineError):
                raise
            raise EngineError("bad_model_file", f"{path} is not a saved model: {e}", model=Path(path).stem) from None
        model.metadata = meta
        return model
