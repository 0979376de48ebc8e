"""Parallel paths over one input, merged: an Inception module (``merge: "concat"``) or a residual
block (``merge: "add"``).

Spec entry: ``{"type": "branches", "merge": "concat" | "add", "paths": [[layer, ...], [layer, ...], ...]}``;
each path is a list of ordinary layer entries (any type, branches included) and an empty path ``[]``
is the identity (a residual shortcut). Every path reads the same input.

- ``concat`` joins the paths' outputs along channels, as ``torch.cat(outputs, dim=1)`` on
  ``(N, C, H, W)``: every path must give the same height and width; the output has the sum of
  their channels (vector outputs ``(N, D)`` join along features the same way).
- ``add`` sums them element by element (``x + path(x)`` for a residual block): every path must give
  the same shape.

Backward: each path backpropagates its share of the output gradient (its channel slice for
``concat``, the whole gradient for ``add``) and the input gradient is the sum of the paths' input
gradients (an identity path contributes the gradient itself).

Names: the paths' layers are named inside their path as a network names its layers (``conv1``,
``pool1``...); once the layer itself has a name (``branches1``) a sub-layer's full name is
``branches1.path2.conv1`` and its parameters appear in the layer's :attr:`params` as
``path2.conv1.W``, so a model names them ``branches1.path2.conv1.W`` (stable across save and load).
Layouts follow :mod:`engine.layers`: images ``(C, H, W, N)``, vectors ``(N, D)``.
"""

from types import SimpleNamespace

import numpy as np

from .errors import EngineError
from .layers import Layer

MERGES = ("concat", "add")
MAX_PATHS = 8


def _shape_text(shape) -> str:
    return "×".join(str(int(v)) for v in shape)


def _odd(keys: list) -> list[int]:
    """The 1-based numbers of the paths whose key differs from the most common one (ties: the earliest)."""
    common = max(keys, key=lambda k: (keys.count(k), -keys.index(k)))
    return [p for p, k in enumerate(keys, start=1) if k != common]


class Branches(Layer):
    """Parallel paths merged by channel concatenation or by addition (see the module docstring).

    ``paths``: a list (2 to :data:`MAX_PATHS`) of lists of layer spec entries (or of built-in
    :class:`engine.layers.Layer` objects); ``merge``: ``"concat"`` or ``"add"``.
    Raises :class:`EngineError`: ``bad_merge``, ``bad_paths`` (not a list of 2 to 8 lists),
    ``in_path`` (a layer entry of a path that cannot be made: the inner error's code, params and
    message are kept as ``inner_code``, ``inner_params``, ``detail``); at build, a sub-layer's own
    error (naming it ``sublayer`` ``branches1.path2.conv1``, ``path`` 2) or ``branches_mismatch_concat``
    / ``branches_mismatch_add`` (the paths' output shapes cannot be merged; ``shapes`` lists them in
    path order, ``odd`` the numbers of the paths unlike the most common one).
    """

    type = "branches"

    def __init__(self, paths=None, merge: str = "concat", name: str | None = None):
        super().__init__(name)
        from .model import Sequential, make_layer

        if not isinstance(merge, str) or merge not in MERGES:
            shown = str(merge)[:40]
            raise EngineError(
                "bad_merge",
                f'branches: merge must be "concat" (join along channels) or "add" (sum), got {shown!r}',
                value=shown,
                allowed=list(MERGES),
            )
        if (
            not isinstance(paths, list)
            or not 2 <= len(paths) <= MAX_PATHS
            or not all(isinstance(p, list) for p in paths)
        ):
            shown = (
                "nothing"
                if paths is None
                else type(paths).__name__
                if not isinstance(paths, list)
                else len(paths)
                if not 2 <= len(paths) <= MAX_PATHS
                else "a path that is not a list"
            )
            raise EngineError(
                "bad_paths",
                f"branches: paths must be a list of 2 to {MAX_PATHS} paths, each a list of "
                f"layers ([] is the identity), got {shown}",
                got=str(shown),
                limit=MAX_PATHS,
            )
        self.merge = merge
        self.paths: list[list[Layer]] = []
        for p, entries in enumerate(paths, start=1):
            path = []
            try:
                for i, entry in enumerate(entries, start=1):
                    path.append(entry if isinstance(entry, Layer) else make_layer(entry, i))
                Sequential._name_layers(SimpleNamespace(layers=path))
            except EngineError as error:
                inner = {("number" if k == "position" else k): v for k, v in error.params.items()}
                raise EngineError(
                    "in_path",
                    f"branches, path {p}: {error.message}",
                    path=p,
                    inner_code=error.code,
                    inner_params=inner,
                    detail=error.message,
                ) from None
            for layer in path:
                layer.local_name = layer.name
            self.paths.append(path)
        self.has_randomness = any(layer.has_randomness for path in self.paths for layer in path)

    def config(self) -> dict:
        return {
            "merge": self.merge,
            "paths": [[{**layer.spec(), "name": layer.local_name} for layer in path] for path in self.paths],
        }

    # -- building ------------------------------------------------------------------------------------

    def build(self, in_shape, rng, dtype=np.float32):
        """Build every path on ``in_shape``; return the merged shape (see the class for the errors).
        Sets ``path_shapes`` (each path's output shape) and ``shapes`` (each sub-layer's)."""
        own = self.name or "branches"
        self.rng = rng
        self.in_shape = tuple(int(v) for v in in_shape)
        self.path_shapes, self.shapes = [], []
        for p, path in enumerate(self.paths, start=1):
            shape, shapes = self.in_shape, []
            for layer in path:
                layer.name = f"{own}.path{p}.{layer.local_name}"
                try:
                    shape = tuple(int(v) for v in layer.build(shape, rng, dtype))
                except EngineError as error:
                    error.params.setdefault("sublayer", layer.name)  # (the innermost layer at fault)
                    error.params["path"] = p  # (the outermost path, for a user interface to mark)
                    raise
                shapes.append(shape)
            self.path_shapes.append(shape)
            self.shapes.append(shapes)
        out = self._merged_shape(own)
        self.params = {
            f"path{p}.{layer.local_name}.{k}": v
            for p, path in enumerate(self.paths, start=1)
            for layer in path
            for k, v in layer.params.items()
        }
        self.grads = {}
        return out

    def _merged_shape(self, own: str) -> tuple:
        shapes = self.path_shapes
        shown = [f"{_shape_text(s)}" for s in shapes]
        listed = ", ".join(f"path {p}: {s}" for p, s in enumerate(shown, start=1))
        if self.merge == "add":
            if any(s != shapes[0] for s in shapes):
                raise EngineError(
                    "branches_mismatch_add",
                    f"{own}: adding the paths needs every path to give the same shape, but they give {listed}",
                    layer=own,
                    shapes=shown,
                    odd=_odd(shapes),
                )
            return shapes[0]
        ranks = {len(s) for s in shapes}
        if ranks == {3} and len({s[1:] for s in shapes}) == 1:
            return (sum(s[0] for s in shapes), *shapes[0][1:])
        if ranks == {1}:
            return (sum(s[0] for s in shapes),)
        raise EngineError(
            "branches_mismatch_concat",
            f"{own}: joining the paths along channels needs every path "
            f"to give the same height and width, but they give {listed}",
            layer=own,
            shapes=shown,
            odd=_odd([s[1:] if len(s) == 3 else s for s in shapes]),
        )

    def count_params(self, in_shape):
        return self.params_needed(in_shape)[0]

    def params_needed(self, in_shape, room: int | None = None) -> tuple[int, str | None]:
        """The parameters the paths would create on ``in_shape`` (:meth:`Layer.count_params` of each
        sub-layer, building them one at a time to learn the next one's input), and, once they need
        more than ``room``, the name of the sub-layer that goes over (``branches1.path2.conv1``): it
        and the layers after it are not built. A path whose layer cannot be built stops there
        (:meth:`build` explains it)."""
        rng, needed = np.random.default_rng(0), 0
        for p, path in enumerate(self.paths, start=1):
            shape = tuple(in_shape)
            for sub in path:
                name = f"{self.name or 'branches'}.path{p}.{sub.local_name}"
                needed += (
                    sub.params_needed(shape, None if room is None else room - needed)[0]
                    if isinstance(sub, Branches)
                    else sub.count_params(shape)
                )
                if room is not None and needed > room:
                    return needed, name
                try:
                    shape = tuple(int(v) for v in sub.build(shape, rng, np.float32))
                except EngineError:
                    break
        return needed, None

    def path_params(self) -> list[int]:
        """The parameter count of each path (after :meth:`build`)."""
        return [int(sum(v.size for layer in path for v in layer.params.values())) for path in self.paths]

    def values_per_image(self) -> int:
        """Values one image makes inside the paths (every sub-layer's output), after :meth:`build`."""
        return int(sum(np.prod(s) for shapes in self.shapes for s in shapes))

    # -- running -------------------------------------------------------------------------------------

    def forward(self, x, train=False):
        outs = []
        for path in self.paths:
            h = x
            for layer in path:
                if layer.has_randomness:
                    layer.rng = self.rng  # (one generator, as in a model; a gradient check replaces it)
                h = layer.forward(h, train)
            outs.append(h)
        if self.merge == "add":
            out = outs[0] + outs[1]
            for h in outs[2:]:
                out += h
            return out
        self._sizes = [h.shape[0] if h.ndim == 4 else h.shape[1] for h in outs]
        return np.concatenate(outs, axis=0 if outs[0].ndim == 4 else 1)

    def backward(self, dout):
        dx, start = None, 0
        for p, path in enumerate(self.paths):
            if self.merge == "add":
                d = dout
            else:
                size = self._sizes[p]
                d = dout[start : start + size] if dout.ndim == 4 else dout[:, start : start + size]
                start += size
            for layer in reversed(path):
                d = layer.backward(d)
            dx = d if dx is None else dx + d  # (never in place: d may be dout itself, an identity path)
        self.grads = {
            f"path{p}.{layer.local_name}.{k}": v
            for p, path in enumerate(self.paths, start=1)
            for layer in path
            for k, v in layer.grads.items()
        }
        return dx
