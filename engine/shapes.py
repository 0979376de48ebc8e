"""Output-size arithmetic for convolution and pooling, with errors that show the numbers.

    OH = (H + 2P - D(FH - 1) - 1) / S + 1

A configuration where the kernel does not fit the padded input, or where the stride does not
divide the remaining room, is explained to the user rather than silently floored.
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


def formula(size: int, kernel: int, padding: int, stride: int, dilation: int = 1, axis: str = "H") -> str:
    """The output-size arithmetic with the numbers filled in, e.g. ``OH = (3 + 2*1 - 2)/1 + 1 = 4``."""
    out = "OH" if axis == "H" else "OW"
    k = f"{dilation}*({kernel} - 1) - 1" if dilation != 1 else f"{kernel}"
    room = size + 2 * padding - (dilation * (kernel - 1) + 1)
    return f"{out} = ({size} + 2*{padding} - {k})/{stride} + 1 = {room / stride + 1:.4g}"


def output_size(size: int, kernel: int, padding: int = 0, stride: int = 1, dilation: int = 1,
                axis: str = "H", where: str = "") -> int:
    """Output length along one axis, or an :class:`EngineError` that shows the arithmetic.

    ``where`` names the layer for the message (``"conv2: "``).
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
    room = size + 2 * padding - span
    text = formula(size, kernel, padding, stride, dilation, axis)
    if room < 0:
        seen = f"{span}-wide (dilated) kernel" if dilation != 1 else f"{kernel}-wide kernel"
        raise EngineError(
            "kernel_too_big",
            f"{where}a {seen} does not fit a {size}-wide input with padding {padding}: {text}",
            kernel=kernel, span=span, size=size, padding=padding, stride=stride, dilation=dilation,
            formula=text, axis=axis)
    if room % stride:
        raise EngineError(
            "stride_does_not_fit",
            f"{where}stride {stride} does not fit: {text}; change the stride or the padding so that "
            f"{size} + 2*{padding} - {span} = {room} is a multiple of {stride}",
            size=size, kernel=kernel, padding=padding, stride=stride, dilation=dilation, room=room,
            formula=text, axis=axis)
    return room // stride + 1


def conv_output_shape(h: int, w: int, kh: int, kw: int, padding=0, stride=1, dilation=1,
                      where: str = "") -> tuple[int, int]:
    """``(OH, OW)`` of a convolution or pooling window sliding over an ``h x w`` input.

    A kernel too large for the padded input is reported for both axes at once, in the words the
    notes use ("a 3x3 kernel does not fit a 2x2 input with padding 0: ...").
    """
    ph, pw = pair(padding, "padding")
    sh, sw = pair(stride, "stride")
    dh, dw = pair(dilation, "dilation")
    spans = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    if kh >= 1 and kw >= 1 and min(ph, pw) >= 0 and min(sh, sw) >= 1 and min(dh, dw) >= 1 and (
            h + 2 * ph < spans[0] or w + 2 * pw < spans[1]):
        pad = f"{ph}" if ph == pw else f"({ph}, {pw})"
        texts = [formula(h, kh, ph, sh, dh, "H"), formula(w, kw, pw, sw, dw, "W")]
        shown = texts[0] if h + 2 * ph < spans[0] else texts[1]
        raise EngineError(
            "kernel_too_big",
            f"{where}a {kh}x{kw} kernel does not fit a {h}x{w} input with padding {pad}: {shown}",
            kernel=[kh, kw], size=[h, w], padding=[ph, pw], stride=[sh, sw], dilation=[dh, dw],
            formula=shown)
    return (output_size(h, kh, ph, sh, dh, "H", where), output_size(w, kw, pw, sw, dw, "W", where))


def pool_output_shape(h: int, w: int, size=2, stride=None, padding=0, where: str = "") -> tuple[int, int]:
    """``(OH, OW)`` of a pooling window; stride defaults to the window size. Padding may be at most
    half the window (as in PyTorch), so that no window lies wholly in the padding."""
    kh, kw = pair(size, "size")
    ph, pw = pair(padding, "padding")
    if min(ph, pw) >= 0 and min(kh, kw) >= 1 and (2 * ph > kh or 2 * pw > kw):  # (a window under 1: below)
        raise EngineError("pool_padding_too_big",
                          f"{where}pooling padding {padding} is more than half the {kh}x{kw} window",
                          padding=[ph, pw], size=[kh, kw])
    return conv_output_shape(h, w, kh, kw, (ph, pw), size if stride is None else stride, where=where)
