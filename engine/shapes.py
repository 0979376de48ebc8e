"""Output-size arithmetic for convolution and pooling, as PyTorch computes it, with errors that show
the numbers.

    OH = floor((H + 2P - D(K - 1) - 1) / S) + 1

When the stride does not divide the room left, the division rounds down (as in PyTorch, TensorFlow
and Caffe): the last rows or columns of the padded input are never read by any window
(:func:`unread`). Pooling may round up instead (``ceil_mode``, PyTorch's rule): then a last,
partial window is kept, but only if it starts inside the input or its left (top) padding.
Only a kernel that does not fit at all is refused.

A convolution's padding may differ per side (top, bottom, left, right; :func:`resolve_padding`,
which also turns PyTorch's names ``"valid"`` and ``"same"`` into numbers); then ``2P`` above is
``P_top + P_bottom`` (or ``P_left + P_right``). How the padding cells are filled
(``padding_mode``: zeros, reflect, replicate, circular) is checked by :func:`check_padding_mode`.

Source: PyTorch ``torch.nn.Conv2d`` and ``torch.nn.MaxPool2d`` documentation (output shape), and
``pooling_output_shape`` in ``aten/src/ATen/native/Pool.h`` (the ceil_mode rule).
"""

from dataclasses import dataclass

from .errors import EngineError

MAX_SETTING = 1_000_000  # no kernel, window, stride, padding or dilation comes near this: larger is a slip


def shown_int(value: int) -> str:
    """An integer as a message shows it: ``64``, or ``1e+400`` when it is too long to read."""
    digits = str(abs(value))
    return str(value) if len(digits) <= 12 else f"{'-' if value < 0 else ''}{digits[0]}e+{len(digits) - 1}"


def pair(value, what: str = "value") -> tuple[int, int]:
    """An int or a pair of ints as ``(vertical, horizontal)``, each at most :data:`MAX_SETTING` in size
    (a larger one cannot be meant, and its arithmetic would overflow a float)."""
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise EngineError(
                "bad_pair", f"{what} must be one number or a pair, got {list(value)}", what=what, value=list(value)
            )
        a, b = value
    else:
        a = b = value
    for v in (a, b):
        if isinstance(v, bool) or not isinstance(v, int):
            raise EngineError("not_integer", f"{what} must be a whole number, got {v!r}", what=what, value=v)
        if abs(v) > MAX_SETTING:
            raise EngineError(
                "setting_too_large",
                f"{what} is {shown_int(v)}; at most {MAX_SETTING:,} is possible",
                what=what,
                value=shown_int(v),
                limit=f"{MAX_SETTING:,}",
            )
    return int(a), int(b)


def flag(value, what: str) -> bool:
    """A yes/no option (``ceil_mode``, ``count_include_pad``): ``True`` or ``False``, nothing else
    (not 0 or 1: a request must not look accepted while an option meant something else)."""
    if not isinstance(value, bool):
        raise EngineError(
            "not_boolean", f"{what} must be true or false, got {str(value)[:40]}", setting=what, value=str(value)[:40]
        )
    return value


def _num(value: float) -> str:
    """A number in a formula: ``12.5``, ``3``, ``−1`` (a true minus sign)."""
    text = f"{value:.4g}"
    return text.replace("-", "\u2212")


def _ends(padding) -> tuple[int, int]:
    """One axis's padding as ``(before, after)``: a number P is ``(P, P)``; a pair is itself."""
    if isinstance(padding, (list, tuple)):
        return int(padding[0]), int(padding[1])
    return int(padding), int(padding)


def _ceil_count(size: int, span: int, padding, stride: int) -> int:
    """PyTorch's ceil_mode output length before the last-window rule, and after it."""
    before, after = _ends(padding)
    room = size + before + after - span
    out = -(-room // stride) + 1
    if out >= 1 and (out - 1) * stride >= size + before:  # the last window would start in the right padding
        out -= 1
    return out


def length(size: int, kernel: int, padding=0, stride: int = 1, dilation: int = 1, ceil_mode: bool = False) -> int:
    """The output length along one axis, with no checks: ``floor((size + 2P - D(K - 1) - 1) / S) + 1``
    (or PyTorch's ceil_mode rule). ``padding`` is P on both ends, or ``(before, after)`` (then
    ``2P`` is ``before + after``). Below 1 means the kernel does not fit."""
    span = dilation * (kernel - 1) + 1
    if ceil_mode:
        return _ceil_count(size, span, padding, stride)
    before, after = _ends(padding)
    return (size + before + after - span) // stride + 1


def formula(
    size: int, kernel: int, padding, stride: int, dilation: int = 1, axis: str = "H", ceil_mode: bool = False
) -> str:
    """The output-size arithmetic with the numbers filled in and the rounding visible, e.g.
    ``OH = ⌊(28 + 2·0 − 1·(3 − 1) − 1) / 2⌋ + 1 = ⌊12.5⌋ + 1 = 13``. With ``ceil_mode`` the brackets
    are ⌈ ⌉, and a last window that PyTorch drops (it would start in the right padding) shows as
    ``= 4 → 3``. ``padding`` is P (both ends) or ``(before, after)``; unequal ends show as both
    numbers: ``OH = ⌊(5 + 0 + 1 − 1·(2 − 1) − 1) / 1⌋ + 1 = ⌊4⌋ + 1 = 5`` (top 0, bottom 1)."""
    out = "OH" if axis == "H" else "OW"
    left, right = ("\u2308", "\u2309") if ceil_mode else ("\u230a", "\u230b")
    before, after = _ends(padding)
    room = size + before + after - (dilation * (kernel - 1) + 1)
    pad = f"2\u00b7{before}" if before == after else f"{before} + {after}"
    text = (
        f"{out} = {left}({size} + {pad} \u2212 {dilation}\u00b7({kernel} \u2212 1) \u2212 1) / {stride}"
        f"{right} + 1 = {left}{_num(room / stride)}{right} + 1"
    )
    rounded = (-(-room // stride) if ceil_mode else room // stride) + 1
    text += f" = {_num(rounded)}"
    final = length(size, kernel, padding, stride, dilation, ceil_mode)
    if final != rounded:
        text += f" \u2192 {final}"
    return text


def unread(size: int, kernel: int, padding=0, stride: int = 1, dilation: int = 1, ceil_mode: bool = False) -> list[int]:
    """The input positions (0-based, in the input without padding) that no window reads along one
    axis: the last rows or columns a floor leaves out, and the gaps a stride larger than the
    (dilated) kernel, or a dilation, steps over. Empty when every input position is read.
    ``padding``: P, or ``(before, after)``."""
    count = length(size, kernel, padding, stride, dilation, ceil_mode)
    before = _ends(padding)[0]
    read = set()
    for i in range(max(count, 0)):
        read.update(i * stride + m * dilation - before for m in range(kernel))
    return [r for r in range(size) if r not in read]


def output_size(
    size: int,
    kernel: int,
    padding=0,
    stride: int = 1,
    dilation: int = 1,
    axis: str = "H",
    where: str = "",
    ceil_mode: bool = False,
    *,
    window: bool = False,
) -> int:
    """Output length along one axis, or an :class:`EngineError` that shows the arithmetic.

    ``padding``: P, or ``(before, after)``. ``where`` names the layer for the message (``"conv2: "``).
    Refused only when not even one window fits (``kernel_too_big``, or ``window_too_big`` for a
    pooling ``window``); a stride that leaves a remainder rounds down (or up, with ``ceil_mode``),
    as in PyTorch.
    """
    if kernel < 1:
        raise EngineError(
            "bad_window" if window else "bad_kernel",
            f"{where}the {'pooling window' if window else 'kernel size'} must be at least 1, got {kernel}",
            kernel=kernel,
        )
    if stride < 1:
        raise EngineError("bad_stride", f"{where}the stride must be at least 1, got {stride}", stride=stride)
    if min(_ends(padding)) < 0:
        raise EngineError("bad_padding", f"{where}the padding cannot be negative, got {padding}", padding=padding)
    if dilation < 1:
        raise EngineError("bad_dilation", f"{where}the dilation must be at least 1, got {dilation}", dilation=dilation)
    span = dilation * (kernel - 1) + 1
    out = length(size, kernel, padding, stride, dilation, ceil_mode)
    if out < 1:
        text = formula(size, kernel, padding, stride, dilation, axis, ceil_mode)
        seen = (
            f"{kernel}-wide pooling window"
            if window
            else f"{span}-wide (dilated) kernel"
            if dilation != 1
            else f"{kernel}-wide kernel"
        )
        raise EngineError(
            "window_too_big" if window else "kernel_too_big",
            f"{where}a {seen} does not fit a {size}-wide input with padding {padding}: {text}",
            kernel=kernel,
            span=span,
            size=size,
            padding=list(padding) if isinstance(padding, tuple) else padding,
            stride=stride,
            dilation=dilation,
            formula=text,
            axis=axis,
        )
    return out


def _checked_shape(
    h: int, w: int, kh: int, kw: int, sides, stride, dilation, where: str, ceil_mode: bool, window: bool = False
) -> tuple[int, int]:
    """``sides``: the padding as (top, bottom, left, right)."""
    top, bottom, left, right = sides
    rows, cols = (top, bottom), (left, right)
    sh, sw = pair(stride, "stride")
    dh, dw = pair(dilation, "dilation")
    if kh >= 1 and kw >= 1 and min(sides) >= 0 and min(sh, sw) >= 1 and min(dh, dw) >= 1:
        fits = [length(h, kh, rows, sh, dh, ceil_mode) >= 1, length(w, kw, cols, sw, dw, ceil_mode) >= 1]
        if not all(fits):  # reported for both axes at once, in the words the notes use
            symmetric = top == bottom and left == right
            pad = (
                (f"{top}" if top == left else f"({top}, {left})")
                if symmetric
                else f"(top {top}, bottom {bottom}, left {left}, right {right})"
            )
            shown = (
                formula(h, kh, rows, sh, dh, "H", ceil_mode)
                if not fits[0]
                else formula(w, kw, cols, sw, dw, "W", ceil_mode)
            )
            raise EngineError(
                "window_too_big" if window else "kernel_too_big",
                f"{where}a {kh}x{kw} {'pooling window' if window else 'kernel'} does not fit a {h}x{w} input with padding {pad}: {shown}",
                kernel=[kh, kw],
                size=[h, w],
                padding=[top, left] if symmetric else [top, bottom, left, right],
                stride=[sh, sw],
                dilation=[dh, dw],
                formula=shown,
            )
    return (
        output_size(h, kh, rows, sh, dh, "H", where, ceil_mode, window=window),
        output_size(w, kw, cols, sw, dw, "W", where, ceil_mode, window=window),
    )


PADDING_SIDES = ("top", "bottom", "left", "right")
PADDING_NAMES = ("valid", "same")
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def resolve_padding(padding, kernel=1, stride=1, dilation=1, where: str = "") -> tuple[int, int, int, int]:
    """A convolution's padding as ``(top, bottom, left, right)``: rows above and below, columns left and right.

    ``padding`` is one of:

    - a whole number P: P on every side;
    - a pair ``[PH, PW]``: PH rows above and below, PW columns left and right (PyTorch's tuple);
    - an object ``{"top": t, "bottom": b, "left": l, "right": r}``: each side on its own (all four
      given, whole numbers of at least 0). PyTorch's ``Conv2d`` has no such form; the same
      convolution there is ``F.pad(x, (l, r, t, b))`` followed by a convolution without padding;
    - ``"valid"``: no padding (the same as 0);
    - ``"same"``: the padding that keeps the output the size of the input, only with stride 1
      (PyTorch: "padding='same' pads the input so the output has the shape as the input. However,
      this mode doesn't support any stride values other than 1.", ``torch.nn.Conv2d``,
      https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html). Along each axis the total is
      ``D·(K − 1)``; when it is odd (an even kernel with an odd dilation) the sides cannot be equal
      and, as in PyTorch (``Conv2d.__init__``: ``left_pad = total_padding // 2``, the rest on the
      right), the top gets ``total // 2`` and the **bottom the extra row** (the left ``total // 2``,
      the right the extra column). A 4x4 kernel: top 1, bottom 2, left 1, right 2.

    ``kernel``, ``stride``, ``dilation`` (a number or a pair each) matter only for ``"same"``.
    Errors (:class:`EngineError`): ``bad_padding`` (a negative number), ``bad_padding_side`` (a
    negative side, with ``side``), ``padding_side_unknown`` / ``padding_side_missing`` (an object
    with another key, or without one of the four sides; ``names``),
    ``bad_padding_name`` (any other text), ``same_padding_stride`` (``"same"`` with a stride above 1),
    ``not_integer`` / ``bad_pair`` / ``setting_too_large`` (as :func:`pair`).
    """
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            shown = padding[:40]
            raise EngineError(
                "bad_padding_name",
                f"{where}padding must be a whole number, a pair, an object with "
                f"top, bottom, left and right, 'valid' or 'same'; got {shown!r}",
                value=shown,
            )
        sh, sw = pair(stride, "stride")
        if (sh, sw) != (1, 1):
            raise EngineError(
                "same_padding_stride",
                f"{where}padding 'same' works only with stride 1 (as in PyTorch); "
                f"the stride is {sh if sh == sw else (sh, sw)}",
                stride=[sh, sw],
            )
        (kh, kw), (dh, dw) = pair(kernel, "kernel"), pair(dilation, "dilation")
        total_h, total_w = max(dh * (kh - 1), 0), max(dw * (kw - 1), 0)
        return (total_h // 2, total_h - total_h // 2, total_w // 2, total_w - total_w // 2)
    if isinstance(padding, dict):
        unknown = sorted(str(k)[:20] for k in set(padding) - set(PADDING_SIDES))[:4]
        if unknown:
            raise EngineError(
                "padding_side_unknown",
                f"{where}padding per side takes top, bottom, left and right; unknown: {', '.join(unknown)}",
                names=unknown,
            )
        missing = [k for k in PADDING_SIDES if k not in padding]
        if missing:
            raise EngineError(
                "padding_side_missing",
                f"{where}padding per side needs all of top, bottom, left and right; missing: {', '.join(missing)}",
                names=missing,
            )
        sides = []
        for side in PADDING_SIDES:
            value = padding[side]
            if isinstance(value, (list, tuple)):  # (pair() would take a pair: one side is one number)
                raise EngineError(
                    "not_integer",
                    f"{where}padding {side} must be a whole number, got {str(value)[:40]}",
                    what=f"padding {side}",
                    value=str(value)[:40],
                )
            value = pair(value, f"padding {side}")[0]
            if value < 0:
                raise EngineError(
                    "bad_padding_side",
                    f"{where}the {side} padding cannot be negative, got {value}",
                    side=side,
                    value=value,
                )
            sides.append(value)
        return tuple(sides)
    ph, pw = pair(padding, "padding")
    if min(ph, pw) < 0:
        raise EngineError(
            "bad_padding",
            f"{where}the padding cannot be negative, got {padding}",
            padding=[ph, pw] if isinstance(padding, (list, tuple)) else ph,
        )
    return (ph, ph, pw, pw)


def padding_by_side(sides) -> dict[str, int]:
    """``(top, bottom, left, right)`` as the per-side object ``{"top": t, "bottom": b, "left": l, "right": r}``."""
    return {side: int(v) for side, v in zip(PADDING_SIDES, sides)}


def check_padding_mode(mode, sides, h: int, w: int, where: str = "") -> str:
    """``mode`` if the ``(top, bottom, left, right)`` padding can be filled that way for an ``h x w``
    input, else an :class:`EngineError`. The modes and their limits are PyTorch's (``Conv2d``'s
    ``padding_mode``, filled by ``torch.nn.functional.pad``):

    - ``zeros``: zeros (the default);
    - ``reflect``: the input mirrored at its edge, the edge itself not repeated (``[1 2 3]`` padded
      by 2: ``3 2 [1 2 3] 2 1``); each side must be smaller than the input's size along that axis
      (``reflect_padding_too_big``: PyTorch "Padding size should be less than the corresponding
      input dimension");
    - ``replicate``: the edge value repeated (``1 1 [1 2 3] 3 3``); any size;
    - ``circular``: the input wrapped around (``2 3 [1 2 3] 1 2``); at most the input's size
      (``circular_padding_too_big``: PyTorch "Padding value causes wrapping around more than once").

    ``bad_padding_mode`` for any other value.
    """
    if not isinstance(mode, str) or mode not in PADDING_MODES:
        shown = str(mode)[:40]
        raise EngineError(
            "bad_padding_mode",
            f"{where}padding_mode must be zeros, reflect, replicate or circular; got {shown!r}",
            value=shown,
            allowed=list(PADDING_MODES),
        )
    if mode in ("reflect", "circular"):
        for side, value in zip(PADDING_SIDES, sides):
            size, unit = (h, "row") if side in ("top", "bottom") else (w, "column")
            if value >= size + (mode == "circular"):
                rule = "smaller than" if mode == "reflect" else "at most"
                raise EngineError(
                    f"{mode}_padding_too_big",
                    f"{where}{mode} padding must be {rule} the input's size: the {side} padding is {value} but "
                    f"the input has {size} {unit}{'s' if size != 1 else ''}",
                    side=side,
                    value=value,
                    size=size,
                    unit=f"{unit}s",
                )
    return mode


@dataclass(frozen=True)
class Geometry:
    """A window sliding over an ``h x w`` input, its settings checked and its output size worked
    out once (:func:`conv_geometry`, :func:`pool_geometry`): what the functions that slide it take,
    so that a lab's request checks and computes these only once. Every field is ``(vertical,
    horizontal)``; ``padding`` is per axis ``((top, bottom), (left, right))``; ``padding_mode`` (a
    convolution's, :func:`check_padding_mode`) and ``ceil_mode`` (pooling's) as checked."""

    size: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[tuple[int, int], tuple[int, int]]
    dilation: tuple[int, int]
    out: tuple[int, int]
    ceil_mode: bool = False
    padding_mode: str = "zeros"

    @property
    def sides(self) -> tuple[int, int, int, int]:
        """The padding as ``(top, bottom, left, right)`` (:func:`resolve_padding`'s form)."""
        return (*self.padding[0], *self.padding[1])

    def formula(self) -> list[str]:
        """The output-size arithmetic for OH and OW (:func:`formula`)."""
        return [
            formula(
                self.size[a], self.kernel[a], self.padding[a], self.stride[a], self.dilation[a], axis, self.ceil_mode
            )
            for a, axis in ((0, "H"), (1, "W"))
        ]

    def unread(self) -> dict[str, list[int]]:
        """The input rows and columns no window reads (:func:`unread`)."""
        return {
            key: unread(self.size[a], self.kernel[a], self.padding[a], self.stride[a], self.dilation[a], self.ceil_mode)
            for a, key in ((0, "rows"), (1, "cols"))
        }


def conv_geometry(
    h: int, w: int, kh: int, kw: int, padding=0, stride=1, dilation=1, where: str = "", padding_mode: str = "zeros"
) -> Geometry:
    """A convolution's checked settings and ``(OH, OW)``: ``padding`` in any form
    :func:`resolve_padding` takes, ``padding_mode`` checked against it (:func:`check_padding_mode`);
    errors as those and :func:`conv_output_shape`."""
    top, bottom, left, right = sides = resolve_padding(padding, (kh, kw), stride, dilation, where)
    out = _checked_shape(h, w, kh, kw, sides, stride, dilation, where, False)
    mode = check_padding_mode(padding_mode, sides, h, w, where)
    return Geometry(
        (h, w),
        (kh, kw),
        pair(stride, "stride"),
        ((top, bottom), (left, right)),
        pair(dilation, "dilation"),
        out,
        False,
        mode,
    )


def pool_geometry(h: int, w: int, size=2, stride=None, padding=0, where: str = "", ceil_mode: bool = False) -> Geometry:
    """A pooling window's checked settings and ``(OH, OW)`` (errors as :func:`pool_output_shape`)."""
    out = pool_output_shape(h, w, size, stride, padding, where, ceil_mode)
    ph, pw = pair(padding, "padding")
    return Geometry(
        (h, w),
        pair(size, "size"),
        pair(size if stride is None else stride, "stride"),
        ((ph, ph), (pw, pw)),
        (1, 1),
        out,
        ceil_mode,
    )


def conv_output_shape(
    h: int, w: int, kh: int, kw: int, padding=0, stride=1, dilation=1, where: str = ""
) -> tuple[int, int]:
    """``(OH, OW)`` of a convolution sliding over an ``h x w`` input (floor, as PyTorch).

    ``padding``: any form :func:`resolve_padding` takes (a number, a pair, per side, "valid", "same").
    A kernel too large for the padded input is reported for both axes at once, in the words the
    notes use ("a 3x3 kernel does not fit a 2x2 input with padding 0: ...").
    """
    sides = resolve_padding(padding, (kh, kw), stride, dilation, where)
    return _checked_shape(h, w, kh, kw, sides, stride, dilation, where, False)


def pool_output_shape(
    h: int, w: int, size=2, stride=None, padding=0, where: str = "", ceil_mode: bool = False
) -> tuple[int, int]:
    """``(OH, OW)`` of a pooling window; stride defaults to the window size. Padding may be at most
    half the window (as in PyTorch), so that no window lies wholly in the padding. ``ceil_mode``:
    round up, keeping a last partial window if it starts inside the input or its left padding.
    A window under 1 is ``bad_window``, one that does not fit ``window_too_big``."""
    kh, kw = pair(size, "size")
    ph, pw = pair(padding, "padding")
    ceil_mode = flag(ceil_mode, "ceil_mode")
    if min(ph, pw) >= 0 and min(kh, kw) >= 1 and (2 * ph > kh or 2 * pw > kw):  # (a window under 1: below)
        raise EngineError(
            "pool_padding_too_big",
            f"{where}pooling padding {padding} is more than half the {kh}x{kw} window",
            padding=[ph, pw],
            size=[kh, kw],
        )
    return _checked_shape(
        h, w, kh, kw, (ph, ph, pw, pw), size if stride is None else stride, 1, where, ceil_mode, window=True
    )


def pool_divisors(
    size: int, kernel: int, padding: int, stride: int, count: int, count_include_pad: bool = True
) -> list[int]:
    """For average pooling along one axis, how many positions each of the ``count`` windows divides
    by (PyTorch's rule): the window's positions inside the padded input (``count_include_pad``),
    or inside the input only. A ceil_mode window that runs past the padded input is cut there.
    The 2-D divisor of window (i, j) is ``rows[i] * cols[j]``."""
    out = []
    for i in range(count):
        start = i * stride - padding
        end = min(start + kernel, size + padding)
        if not count_include_pad:
            start, end = max(start, 0), min(end, size)
        out.append(end - start)
    return out


def check_groups(layer_name: str | None, groups, in_channels: int, filters: int) -> int:
    """``groups`` of a convolution: a whole number of at least 1 dividing both the input channels and
    the filters (PyTorch's rule for ``Conv2d``: weight ``(F, C/groups, kh, kw)``). EngineError
    ``bad_setting`` for a value that is not a whole number of at least 1, ``groups_not_divisible``
    (naming the three numbers) for one that does not divide both."""
    where = f"{layer_name}: " if layer_name else ""
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise EngineError(
            "bad_setting",
            f"{where}groups must be a whole number of at least 1, got {groups!r}"[:200],
            layer=layer_name or "",
            setting="groups",
            value=str(groups)[:40],
            minimum=1,
        )
    if in_channels % groups or filters % groups:
        raise EngineError(
            "groups_not_divisible",
            f"{where}groups = {shown_int(groups)} must divide both the input "
            f"channels ({in_channels}) and the number of filters ({filters}); choose a number that "
            "divides both (1 always does)",
            layer=layer_name or "",
            groups=groups,
            in_channels=in_channels,
            filters=filters,
        )
    return groups


# -- transposed convolution (PyTorch's ConvTranspose2d; the layer is engine.transposed) -----------------
# OH = (H - 1)·S - 2P + D(K - 1) + OP + 1, output_padding OP smaller than the stride S or the dilation D.


def transposed_length(
    size: int, kernel: int, stride: int = 1, padding: int = 0, output_padding: int = 0, dilation: int = 1
) -> int:
    """``(size - 1)·S − 2P + D·(K − 1) + OP + 1`` with no checks (below 1: nothing is left)."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def transposed_formula(
    size: int, kernel: int, stride: int, padding: int, output_padding: int, dilation: int, axis: str = "H"
) -> str:
    """The output-size arithmetic with the numbers in, e.g.
    ``OH = (3 − 1)·2 − 2·0 + 1·(3 − 1) + 0 + 1 = 7``."""
    out = "OH" if axis == "H" else "OW"
    value = transposed_length(size, kernel, stride, padding, output_padding, dilation)
    shown = str(value).replace("-", "\u2212")
    return (
        f"{out} = ({size} \u2212 1)\u00b7{stride} \u2212 2\u00b7{padding} + {dilation}\u00b7({kernel} \u2212 1)"
        f" + {output_padding} + 1 = {shown}"
    )


def transposed_output_shape(
    h: int, w: int, kh: int, kw: int, stride=1, padding=0, output_padding=0, dilation=1, where: str = ""
) -> tuple[int, int]:
    """``(OH, OW)`` of a transposed convolution of an ``h x w`` input, or an :class:`EngineError`:

    - ``bad_kernel`` / ``bad_stride`` / ``bad_padding`` / ``bad_dilation``: a setting out of range;
    - ``bad_output_padding``: ``output_padding`` negative, or not smaller than the stride or the
      dilation on some axis (PyTorch's rule: a larger one would add rows no copy can reach);
    - ``transposed_output_too_small``: the padding crops away everything (``OH < 1``), with the arithmetic.
    """
    (sh, sw), (ph, pw) = pair(stride, "stride"), pair(padding, "padding")
    (oph, opw), (dh, dw) = pair(output_padding, "output_padding"), pair(dilation, "dilation")
    for k in (kh, kw):
        if k < 1:
            raise EngineError("bad_kernel", f"{where}the kernel size must be at least 1, got {k}", kernel=k)
    for s in (sh, sw):
        if s < 1:
            raise EngineError("bad_stride", f"{where}the stride must be at least 1, got {s}", stride=s)
    for p in (ph, pw):
        if p < 0:
            raise EngineError("bad_padding", f"{where}the padding cannot be negative, got {p}", padding=p)
    for d in (dh, dw):
        if d < 1:
            raise EngineError("bad_dilation", f"{where}the dilation must be at least 1, got {d}", dilation=d)
    for op, s, d in ((oph, sh, dh), (opw, sw, dw)):
        if op < 0 or not (op < s or op < d):
            raise EngineError(
                "bad_output_padding",
                f"{where}output_padding must be smaller than the stride or the dilation (PyTorch's rule), "
                f"got output_padding {op} with stride {s} and dilation {d}",
                output_padding=op,
                stride=s,
                dilation=d,
            )
    oh = transposed_length(h, kh, sh, ph, oph, dh)
    ow = transposed_length(w, kw, sw, pw, opw, dw)
    if oh < 1 or ow < 1:
        text = (
            transposed_formula(h, kh, sh, ph, oph, dh, "H")
            if oh < 1
            else transposed_formula(w, kw, sw, pw, opw, dw, "W")
        )
        raise EngineError(
            "transposed_output_too_small",
            f"{where}the padding crops away the whole output of a transposed convolution of a {h}x{w} input "
            f"with a {kh}x{kw} kernel: {text}; use less padding",
            size=[h, w],
            kernel=[kh, kw],
            formula=text,
        )
    return oh, ow
