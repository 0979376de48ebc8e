"""Output-size arithmetic for convolution and pooling, as PyTorch computes it, with errors that show
the numbers.

    OH = floor((H + 2P - D(K - 1) - 1) / S) + 1

When the stride does not divide the room left, the division rounds down (as in PyTorch, TensorFlow
and Caffe): the last rows or columns of the padded input are never read by any window
(:func:`unread`). Pooling may round up instead (``ceil_mode``, PyTorch's rule): then a last,
partial window is kept, but only if it starts inside the input or its left (top) padding.
Only a kernel that does not fit at all is refused.

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
            raise EngineError("bad_pair", f"{what} must be one number or a pair, got {list(value)}",
                              what=what, value=list(value))
        a, b = value
    else:
        a = b = value
    for v in (a, b):
        if isinstance(v, bool) or not isinstance(v, int):
            raise EngineError("not_integer", f"{what} must be a whole number, got {v!r}", what=what, value=v)
        if abs(v) > MAX_SETTING:
            raise EngineError("setting_too_large", f"{what} is {shown_int(v)}; at most {MAX_SETTING:,} is possible",
                              what=what, value=shown_int(v), limit=f"{MAX_SETTING:,}")
    return int(a), int(b)


def flag(value, what: str) -> bool:
    """A yes/no option (``ceil_mode``, ``count_include_pad``): ``True`` or ``False``, nothing else
    (not 0 or 1: a request must not look accepted while an option meant something else)."""
    if not isinstance(value, bool):
        raise EngineError("not_boolean", f"{what} must be true or false, got {str(value)[:40]}",
                          setting=what, value=str(value)[:40])
    return value


def _num(value: float) -> str:
    """A number in a formula: ``12.5``, ``3``, ``−1`` (a true minus sign)."""
    text = f"{value:.4g}"
    return text.replace("-", "\u2212")


def _ceil_count(size: int, span: int, padding: int, stride: int) -> int:
    """PyTorch's ceil_mode output length before the last-window rule, and after it."""
    room = size + 2 * padding - span
    out = -(-room // stride) + 1
    if out >= 1 and (out - 1) * stride >= size + padding:  # the last window would start in the right padding
        out -= 1
    return out


def length(size: int, kernel: int, padding: int = 0, stride: int = 1, dilation: int = 1,
           ceil_mode: bool = False) -> int:
    """The output length along one axis, with no checks: ``floor((size + 2P - D(K - 1) - 1) / S) + 1``
    (or PyTorch's ceil_mode rule). Below 1 means the kernel does not fit."""
    span = dilation * (kernel - 1) + 1
    if ceil_mode:
        return _ceil_count(size, span, padding, stride)
    return (size + 2 * padding - span) // stride + 1


def formula(size: int, kernel: int, padding: int, stride: int, dilation: int = 1, axis: str = "H",
            ceil_mode: bool = False) -> str:
    """The output-size arithmetic with the numbers filled in and the rounding visible, e.g.
    ``OH = ⌊(28 + 2·0 − 1·(3 − 1) − 1) / 2⌋ + 1 = ⌊12.5⌋ + 1 = 13``. With ``ceil_mode`` the brackets
    are ⌈ ⌉, and a last window that PyTorch drops (it would start in the right padding) shows as
    ``= 4 → 3``."""
    out = "OH" if axis == "H" else "OW"
    left, right = ("\u2308", "\u2309") if ceil_mode else ("\u230a", "\u230b")
    room = size + 2 * padding - (dilation * (kernel - 1) + 1)
    text = (f"{out} = {left}({size} + 2\u00b7{padding} \u2212 {dilation}\u00b7({kernel} \u2212 1) \u2212 1) / {stride}"
            f"{right} + 1 = {left}{_num(room / stride)}{right} + 1")
    rounded = (-(-room // stride) if ceil_mode else room // stride) + 1
    text += f" = {_num(rounded)}"
    final = length(size, kernel, padding, stride, dilation, ceil_mode)
    if final != rounded:
        text += f" \u2192 {final}"
    return text


def unread(size: int, kernel: int, padding: int = 0, stride: int = 1, dilation: int = 1,
           ceil_mode: bool = False) -> list[int]:
    """The input positions (0-based, in the input without padding) that no window reads along one
    axis: the last rows or columns a floor leaves out, and the gaps a stride larger than the
    (dilated) kernel, or a dilation, steps over. Empty when every input position is read."""
    count = length(size, kernel, padding, stride, dilation, ceil_mode)
    read = set()
    for i in range(max(count, 0)):
        read.update(i * stride + m * dilation - padding for m in range(kernel))
    return [r for r in range(size) if r not in read]


def output_size(size: int, kernel: int, padding: int = 0, stride: int = 1, dilation: int = 1,
                axis: str = "H", where: str = "", ceil_mode: bool = False, *, window: bool = False) -> int:
    """Output length along one axis, or an :class:`EngineError` that shows the arithmetic.

    ``where`` names the layer for the message (``"conv2: "``). Refused only when not even one
    window fits (``kernel_too_big``, or ``window_too_big`` for a pooling ``window``); a stride that
    leaves a remainder rounds down (or up, with ``ceil_mode``), as in PyTorch.
    """
    if kernel < 1:
        raise EngineError("bad_window" if window else "bad_kernel",
                          f"{where}the {'pooling window' if window else 'kernel size'} must be at least 1, got {kernel}",
                          kernel=kernel)
    if stride < 1:
        raise EngineError("bad_stride", f"{where}the stride must be at least 1, got {stride}", stride=stride)
    if padding < 0:
        raise EngineError("bad_padding", f"{where}the padding cannot be negative, got {padding}", padding=padding)
    if dilation < 1:
        raise EngineError("bad_dilation", f"{where}the dilation must be at least 1, got {dilation}",
                          dilation=dilation)
    span = dilation * (kernel - 1) + 1
    out = length(size, kernel, padding, stride, dilation, ceil_mode)
    if out < 1:
        text = formula(size, kernel, padding, stride, dilation, axis, ceil_mode)
        seen = (f"{kernel}-wide pooling window" if window else f"{span}-wide (dilated) kernel" if dilation != 1
                else f"{kernel}-wide kernel")
        raise EngineError(
            "window_too_big" if window else "kernel_too_big",
            f"{where}a {seen} does not fit a {size}-wide input with padding {padding}: {text}",
            kernel=kernel, span=span, size=size, padding=padding, stride=stride, dilation=dilation,
            formula=text, axis=axis)
    return out


def _checked_shape(h: int, w: int, kh: int, kw: int, padding, stride, dilation, where: str,
                   ceil_mode: bool, window: bool = False) -> tuple[int, int]:
    ph, pw = pair(padding, "padding")
    sh, sw = pair(stride, "stride")
    dh, dw = pair(dilation, "dilation")
    if kh >= 1 and kw >= 1 and min(ph, pw) >= 0 and min(sh, sw) >= 1 and min(dh, dw) >= 1:
        fits = [length(h, kh, ph, sh, dh, ceil_mode) >= 1, length(w, kw, pw, sw, dw, ceil_mode) >= 1]
        if not all(fits):  # reported for both axes at once, in the words the notes use
            pad = f"{ph}" if ph == pw else f"({ph}, {pw})"
            shown = (formula(h, kh, ph, sh, dh, "H", ceil_mode) if not fits[0]
                     else formula(w, kw, pw, sw, dw, "W", ceil_mode))
            raise EngineError(
                "window_too_big" if window else "kernel_too_big",
                f"{where}a {kh}x{kw} {'pooling window' if window else 'kernel'} does not fit a {h}x{w} input with padding {pad}: {shown}",
                kernel=[kh, kw], size=[h, w], padding=[ph, pw], stride=[sh, sw], dilation=[dh, dw],
                formula=shown)
    return (output_size(h, kh, ph, sh, dh, "H", where, ceil_mode, window=window),
            output_size(w, kw, pw, sw, dw, "W", where, ceil_mode, window=window))


@dataclass(frozen=True)
class Geometry:
    """A window sliding over an ``h x w`` input, its settings checked and its output size worked
    out once (:func:`conv_geometry`, :func:`pool_geometry`): what the functions that slide it take,
    so that a lab's request checks and computes these only once. Every field is ``(vertical,
    horizontal)``; ``ceil_mode`` only for pooling."""

    size: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    out: tuple[int, int]
    ceil_mode: bool = False

    def formula(self) -> list[str]:
        """The output-size arithmetic for OH and OW (:func:`formula`)."""
        return [formula(self.size[a], self.kernel[a], self.padding[a], self.stride[a], self.dilation[a], axis,
                        self.ceil_mode) for a, axis in ((0, "H"), (1, "W"))]

    def unread(self) -> dict[str, list[int]]:
        """The input rows and columns no window reads (:func:`unread`)."""
        return {key: unread(self.size[a], self.kernel[a], self.padding[a], self.stride[a], self.dilation[a],
                            self.ceil_mode) for a, key in ((0, "rows"), (1, "cols"))}


def conv_geometry(h: int, w: int, kh: int, kw: int, padding=0, stride=1, dilation=1, where: str = "") -> Geometry:
    """A convolution's checked settings and ``(OH, OW)`` (errors as :func:`conv_output_shape`)."""
    out = _checked_shape(h, w, kh, kw, padding, stride, dilation, where, False)
    return Geometry((h, w), (kh, kw), pair(stride, "stride"), pair(padding, "padding"), pair(dilation, "dilation"),
                    out)


def pool_geometry(h: int, w: int, size=2, stride=None, padding=0, where: str = "",
                  ceil_mode: bool = False) -> Geometry:
    """A pooling window's checked settings and ``(OH, OW)`` (errors as :func:`pool_output_shape`)."""
    out = pool_output_shape(h, w, size, stride, padding, where, ceil_mode)
    return Geometry((h, w), pair(size, "size"), pair(size if stride is None else stride, "stride"),
                    pair(padding, "padding"), (1, 1), out, ceil_mode)


def conv_output_shape(h: int, w: int, kh: int, kw: int, padding=0, stride=1, dilation=1,
                      where: str = "") -> tuple[int, int]:
    """``(OH, OW)`` of a convolution sliding over an ``h x w`` input (floor, as PyTorch).

    A kernel too large for the padded input is reported for both axes at once, in the words the
    notes use ("a 3x3 kernel does not fit a 2x2 input with padding 0: ...").
    """
    return _checked_shape(h, w, kh, kw, padding, stride, dilation, where, False)


def pool_output_shape(h: int, w: int, size=2, stride=None, padding=0, where: str = "",
                      ceil_mode: bool = False) -> tuple[int, int]:
    """``(OH, OW)`` of a pooling window; stride defaults to the window size. Padding may be at most
    half the window (as in PyTorch), so that no window lies wholly in the padding. ``ceil_mode``:
    round up, keeping a last partial window if it starts inside the input or its left padding.
    A window under 1 is ``bad_window``, one that does not fit ``window_too_big``."""
    kh, kw = pair(size, "size")
    ph, pw = pair(padding, "padding")
    ceil_mode = flag(ceil_mode, "ceil_mode")
    if min(ph, pw) >= 0 and min(kh, kw) >= 1 and (2 * ph > kh or 2 * pw > kw):  # (a window under 1: below)
        raise EngineError("pool_padding_too_big",
                          f"{where}pooling padding {padding} is more than half the {kh}x{kw} window",
                          padding=[ph, pw], size=[kh, kw])
    return _checked_shape(h, w, kh, kw, (ph, pw), size if stride is None else stride, 1, where, ceil_mode, window=True)


def pool_divisors(size: int, kernel: int, padding: int, stride: int, count: int,
                  count_include_pad: bool = True) -> list[int]:
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
