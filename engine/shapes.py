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
                axis: str = "H", where: str = "", ceil_mode: bool = False) -> int:
    """Output length along one axis, or an :class:`EngineError` that shows the arithmetic.

    ``where`` names the layer for the message (``"conv2: "``). Refused only when not even one
    window fits (``kernel_too_big``); a stride that leaves a remainder rounds down (or up, with
    ``ceil_mode``), as in PyTorch.
    """
    if kernel < 1:
        raise EngineError("bad_kernel", f"{where}the kernel size must be at least 1, got {kernel}",
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
        seen = f"{span}-wide (dilated) kernel" if dilation != 1 else f"{kernel}-wide kernel"
        raise EngineError(
            "kernel_too_big",
            f"{where}a {seen} does not fit a {size}-wide input with padding {padding}: {text}",
            kernel=kernel, span=span, size=size, padding=padding, stride=stride, dilation=dilation,
            formula=text, axis=axis)
    return out


def _checked_shape(h: int, w: int, kh: int, kw: int, padding, stride, dilation, where: str,
                   ceil_mode: bool) -> tuple[int, int]:
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
                "kernel_too_big",
                f"{where}a {kh}x{kw} kernel does not fit a {h}x{w} input with padding {pad}: {shown}",
                kernel=[kh, kw], size=[h, w], padding=[ph, pw], stride=[sh, sw], dilation=[dh, dw],
                formula=shown)
    return (output_size(h, kh, ph, sh, dh, "H", where, ceil_mode),
            output_size(w, kw, pw, sw, dw, "W", where, ceil_mode))


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
    round up, keeping a last partial window if it starts inside the input or its left padding."""
    kh, kw = pair(size, "size")
    ph, pw = pair(padding, "padding")
    ceil_mode = flag(ceil_mode, "ceil_mode")
    if min(ph, pw) >= 0 and min(kh, kw) >= 1 and (2 * ph > kh or 2 * pw > kw):  # (a window under 1: below)
        raise EngineError("pool_padding_too_big",
                          f"{where}pooling padding {padding} is more than half the {kh}x{kw} window",
                          padding=[ph, pw], size=[kh, kw])
    return _checked_shape(h, w, kh, kw, (ph, pw), size if stride is None else stride, 1, where, ceil_mode)


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


# -- transposed convolution (PyTorch's ConvTranspose2d; the layer is engine.transposed) -----------------
# OH = (H - 1)·S - 2P + D(K - 1) + OP + 1, output_padding OP smaller than the stride S or the dilation D.

def transposed_length(size: int, kernel: int, stride: int = 1, padding: int = 0, output_padding: int = 0,
                      dilation: int = 1) -> int:
    """``(size - 1)·S − 2P + D·(K − 1) + OP + 1`` with no checks (below 1: nothing is left)."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def transposed_formula(size: int, kernel: int, stride: int, padding: int, output_padding: int, dilation: int,
                       axis: str = "H") -> str:
    """The output-size arithmetic with the numbers in, e.g.
    ``OH = (3 − 1)·2 − 2·0 + 1·(3 − 1) + 0 + 1 = 7``."""
    out = "OH" if axis == "H" else "OW"
    value = transposed_length(size, kernel, stride, padding, output_padding, dilation)
    shown = str(value).replace("-", "\u2212")
    return (f"{out} = ({size} \u2212 1)\u00b7{stride} \u2212 2\u00b7{padding} + {dilation}\u00b7({kernel} \u2212 1)"
            f" + {output_padding} + 1 = {shown}")


def transposed_output_shape(h: int, w: int, kh: int, kw: int, stride=1, padding=0, output_padding=0, dilation=1,
                            where: str = "") -> tuple[int, int]:
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
                output_padding=op, stride=s, dilation=d)
    oh = transposed_length(h, kh, sh, ph, oph, dh)
    ow = transposed_length(w, kw, sw, pw, opw, dw)
    if oh < 1 or ow < 1:
        text = (transposed_formula(h, kh, sh, ph, oph, dh, "H") if oh < 1
                else transposed_formula(w, kw, sw, pw, opw, dw, "W"))
        raise EngineError(
            "transposed_output_too_small",
            f"{where}the padding crops away the whole output of a transposed convolution of a {h}x{w} input "
            f"with a {kh}x{kw} kernel: {text}; use less padding", size=[h, w], kernel=[kh, kw],
            formula=text)
    return oh, ow
