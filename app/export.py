"""Any set-up of the labs, and any network of the builder, written out as a runnable Python script.

Two targets for every kind of set-up:

- ``"pytorch"``: the same computation in PyTorch (``torch.nn.functional`` for the labs, an
  ``nn.Sequential`` for networks), with the set-up's numbers as tensor literals;
- ``"engine"``: the same call into this project's NumPy engine that the page's answer comes from.

Every script leaves its main result in a variable called ``output`` and prints it, so that a test
(or a curious student) can run it and compare. Scripts are plain text: this module builds strings
and never imports torch. It depends only on the engine and the standard library (the benchmark in
``benchmarks/torch_parity.py`` imports it outside the web app).

The kinds: ``conv``, ``pool``, ``activations``, ``filters``, ``backprop`` (the labs' request bodies,
as the pages send them), ``network`` (a builder spec ``{"input": [C, H, W], "layers": [...]}``) and
``model`` (a saved model: the script loads its weights from an ``.npz`` the server serves; see
:func:`torch_state_dict` for how engine parameters map to PyTorch's ``state_dict``).

Layers are written by one small function per layer type (:data:`TORCH_LAYERS`); a new layer type
needs one entry there and, if it has parameters, one in :data:`TORCH_PARAMS`.
"""

import base64
import json
import math
import re
import textwrap
from collections.abc import Callable

import numpy as np

from engine.errors import EngineError

TARGETS = ("pytorch", "engine")
WIDTH = 79  # PEP 8's line length
BYTES_LINE = 72  # characters of base64 per line of an embedded picture
HEADER = "# Exported from CNN Playground ({what}).\n"


# ---- literals -------------------------------------------------------------------------------------


def number(value) -> str:
    """A number as Python source: whole numbers without a decimal point, others by ``repr``
    (the shortest text that reads back as the same float64)."""
    value = float(value)
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def literal(values, indent: int = 0, width: int = WIDTH) -> str:
    """Nested lists of numbers as a Python list literal, wrapped to ``width`` columns; the first
    line is assumed to start at column ``indent``, continuation lines are indented from there."""
    if isinstance(values, np.ndarray):
        values = values.tolist()
    if not isinstance(values, (list, tuple)):
        return number(values)
    if not values:
        return "[]"
    if not isinstance(values[0], (list, tuple)):
        items = [number(v) for v in values]
        line = "[" + ", ".join(items) + "]"
        if indent + len(line) <= width:
            return line
        lines, current = [], "["
        for i, item in enumerate(items):
            piece = item + ("]" if i == len(items) - 1 else ",")
            if len(current) > 1 and indent + len(current) + 1 + len(piece) > width:
                lines.append(current)
                current = " " + piece
            else:
                current += ("" if current == "[" else " ") + piece
        lines.append(current)
        return ("\n" + " " * indent).join(lines)
    one_line = "[" + ", ".join(literal(v, 0, 10**9) for v in values) + "]"
    if indent + len(one_line) <= width:
        return one_line
    inner = indent + 4
    rows = [" " * inner + literal(v, inner, width) + "," for v in values]
    return "[\n" + "\n".join(rows) + "\n" + " " * indent + "]"


def py(value) -> str:
    """A JSON-able value (a setting) as Python source."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, (int, float)):
        return number(value) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(py(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {py(v)}" for k, v in value.items()) + "}"
    return repr(value)


def spec_literal(value, indent: int = 0) -> str:
    """A JSON spec as a readable Python literal (lists stay lists, as the engine reads them)."""
    text = json.dumps(value, indent=4, ensure_ascii=False)
    text = text.replace(": true", ": True").replace(": false", ": False").replace(": null", ": None")
    return text.replace("\n", "\n" + " " * indent)


def grid_assignment(name: str, values, module: str, dtype: str = "float64", comment: str = "") -> str:
    """``name = torch.tensor([...], dtype=torch.float64)`` (or ``np.array``), with a comment line."""
    call = "torch.tensor" if module == "torch" else "np.array"
    head = f"{name} = {call}("
    body = literal(values, len(head))
    text = f"{head}{body}, dtype={module}.{dtype})"
    if "\n" in body or len(text.splitlines()[-1]) > WIDTH:
        text = f"{name} = {call}(\n    {literal(values, 4)},\n    dtype={module}.{dtype},\n)"
    return (f"# {comment}\n" if comment else "") + text + "\n"


def picture_assignment(name: str, image: np.ndarray, module: str) -> str:
    """A picture of whole numbers 0..255 as base64 bytes (a 320 x 280 photo as a list literal would
    be half a megabyte of text); other pictures as a literal."""
    image = np.asarray(image, dtype=np.float64)
    h, w = image.shape
    if not (np.all(image == np.round(image)) and image.min() >= 0 and image.max() <= 255):
        return grid_assignment(name, image, module if module == "torch" else "np", "float64", f"the picture, {h} x {w}")
    data = base64.b64encode(np.asarray(image, dtype=np.uint8).tobytes()).decode("ascii")
    chunks = [data[i : i + BYTES_LINE] for i in range(0, len(data), BYTES_LINE)]
    quoted = "\n".join(f'    "{chunk}"' for chunk in chunks)
    text = (
        f"# The picture, {h} x {w} pixels (0 = black, 255 = white), as base64 bytes.\n"
        f"PIXELS = (\n{quoted}\n)\n"
        f"{name} = np.frombuffer(base64.b64decode(PIXELS), dtype=np.uint8)\n"
        f"{name} = {name}.reshape({h}, {w}).astype(np.float64)\n"
    )
    if module == "torch":
        text += f"{name} = torch.from_numpy({name})\n"
    return text


def split_arguments(text: str) -> list[str]:
    """The top-level, comma-separated arguments of ``text`` (brackets and quotes respected)."""
    parts, depth, quote, current = [], 0, None, ""
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


def wrap_call(line: str, indent: int = 0, width: int = WIDTH) -> str:
    """``a = f(x, y=1)[0]`` as it is when it fits ``width`` (from column ``indent``), else with the
    arguments of its first call on the next line, or one a line (PEP 8's hanging indent)."""
    opening = next(
        (i for i, ch in enumerate(line) if ch == "(" and i and (line[i - 1].isalnum() or line[i - 1] in "_.")), None
    )
    if indent + len(line) <= width or opening is None:
        return line
    head, rest = line[:opening], line[opening + 1 :]
    depth, end = 1, 0
    for index, ch in enumerate(rest):
        depth += ch in "([{"
        depth -= ch in ")]}"
        end = index
        if depth == 0:
            break
    args, tail = split_arguments(rest[:end]), rest[end + 1 :]
    pad = " " * (indent + 4)
    together = pad + ", ".join(args) + ","
    if len(together) <= width:
        return f"{head}(\n{together}\n{' ' * indent}){tail}"
    lines = "".join(f"{pad}{wrap_call(arg, indent + 4, width - 1)},\n" for arg in args)
    return f"{head}(\n{lines}{' ' * indent}){tail}"


def _kwargs(pairs) -> str:
    return ", ".join(f"{k}={v}" for k, v in pairs)


def _script(header: str, imports: list[str], body: str) -> str:
    """A whole script: its docstring, its imports (standard library first), its body; one newline
    at the end."""

    def order(line: str) -> tuple[bool, str]:  # isort's: "import x" lines, then "from x import y"
        return line.startswith("from "), line.split()[1]

    stdlib = sorted((i for i in imports if i.split()[1].split(".")[0] in ("base64", "collections", "math")), key=order)
    third = sorted((i for i in imports if i not in stdlib and not i.split()[1].startswith("engine")), key=order)
    local = sorted((i for i in imports if i.split()[1].startswith("engine")), key=order)
    blocks = ["\n".join(i for i in block if _used(i, body)) for block in (stdlib, third, local)]
    gap = "\n\n\n" if body.startswith(("class ", "def ")) else "\n\n"
    return header.rstrip() + "\n\n" + "\n\n".join(b for b in blocks if b) + gap + body.strip() + "\n"


def _used(import_line: str, body: str) -> bool:
    """Whether the name an import binds appears in ``body``."""
    bound = import_line.split()[-1].split(".")[0]
    return re.search(rf"\b{re.escape(bound)}\b", body) is not None


def _doc(title: str, lines: list[str]) -> str:
    text = '"""' + textwrap.fill(title, WIDTH - 3, break_on_hyphens=False) + "\n"
    if lines:
        text += "\n" + "\n".join(lines) + "\n"
    return text + '"""'


# ---- activations as PyTorch expressions ------------------------------------------------------------


def _engine_activation_defaults(name: str, params: dict | None) -> dict:
    """Every parameter of an activation, defaults filled in by the engine (the numbers the page uses)."""
    from engine.activations import check_params

    return check_params(name, dict(params or {}))


def _gelu_approximate(params: dict) -> str:
    """PyTorch's ``approximate`` for the engine's GELU: the engine's own setting when it has one,
    else ``"tanh"`` (the engine's GELU without the setting is the tanh approximation)."""
    return str(params.get("approximate", "tanh"))


def torch_activation(name: str, params: dict | None, x: str) -> str:
    """The PyTorch expression applying activation ``name`` elementwise to the tensor called ``x``."""
    p = _engine_activation_defaults(name, params)
    simple = {
        "sigmoid": "torch.sigmoid({x})",
        "tanh": "torch.tanh({x})",
        "relu": "torch.relu({x})",
        "silu": "F.silu({x})",
    }
    if name in simple:
        return simple[name].format(x=x)
    if name == "leaky_relu":
        return f"F.leaky_relu({x}, negative_slope={number(p['a'])})"
    if name == "prelu":
        return f"F.prelu({x}, torch.full((1,), {number(p['a'])}, dtype={x}.dtype))"
    if name == "rrelu":  # evaluation mode: slope (lower + upper) / 2, as the page shows
        return f"F.rrelu({x}, lower={number(p['lower'])}, upper={number(p['upper'])}, training=False)"
    if name == "elu":
        return f"F.elu({x}, alpha={number(p['alpha'])})"
    if name == "softplus":
        return f"F.softplus({x}, beta={number(p.get('beta', 1))}, threshold={number(p.get('threshold', 20))})"
    if name == "gelu":
        return f"F.gelu({x}, approximate={_gelu_approximate(p)!r})"
    if name == "maxout":  # k lines of one number (torch_activation_setup): max_i (w_i z + b_i)
        return f"torch.stack([w * {x} + b for w, b in MAXOUT_LINES]).amax(dim=0)"
    raise EngineError("export_unknown_activation", f"no PyTorch form for the activation {name!r}", activation=name)


def torch_activation_setup(name: str | None, params: dict | None) -> str:
    """Lines a script needs before :func:`torch_activation`'s expression (maxout's lines)."""
    if name != "maxout":
        return ""
    p = _engine_activation_defaults(name, params)
    head = "MAXOUT_WEIGHTS = "
    return (
        "# Maxout's pieces w * z + b (PyTorch has no maxout function).\n"
        f"{head}{literal(p['weights'], len(head))}\n"
        f"MAXOUT_BIASES = {literal(p['biases'], len(head) - 1)}\n"
        "MAXOUT_LINES = list(zip(MAXOUT_WEIGHTS, MAXOUT_BIASES))\n"
    )


# ---- the labs ----------------------------------------------------------------------------------------


def _setting(setup: dict, key: str, default=None):
    value = setup.get(key)
    return default if value is None else value


def _torch_padding(padding, padding_mode: str, kernel: tuple[int, int], dilation) -> tuple[str, str]:
    """How a convolution's padding is written in PyTorch: ``(lines before the call, the padding
    argument)``. Symmetric zero padding (and ``"same"``/``"valid"``) is the conv's own argument;
    per-side padding or another mode pads the input first (``F.pad``) and convolves with padding 0."""
    modes = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}
    if padding_mode == "zeros" and not isinstance(padding, dict):
        return "", repr(padding) if isinstance(padding, str) else py(padding)
    sides = padding_sides(padding, kernel, dilation)
    top, bottom, left, right = sides
    pre = (
        f"# Pad first: {top} row(s) on top, {bottom} below, {left} column(s) left, {right} right"
        f" ({padding_mode}).\n"
        f"x = F.pad(x, ({left}, {right}, {top}, {bottom}), mode={modes[padding_mode]!r})\n"
    )
    return pre, "0"


def padding_sides(padding, kernel: tuple[int, int], dilation=1) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) for any way of giving padding: an int, [ph, pw], per side, or
    "valid"/"same" (PyTorch's: total d(k - 1), the odd one at the bottom and right)."""
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    if isinstance(padding, dict):
        return tuple(int(padding.get(k, 0)) for k in ("top", "bottom", "left", "right"))
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        th, tw = dh * (kernel[0] - 1), dw * (kernel[1] - 1)
        return (th // 2, th - th // 2, tw // 2, tw - tw // 2)
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    return (ph, ph, pw, pw)


def _conv_common(setup: dict):
    x = np.asarray(setup["input"], dtype=np.float64)
    k = np.asarray(setup["kernel"], dtype=np.float64)
    flat = x.ndim == 2 and k.ndim == 2
    x3 = x.reshape((1,) * (3 - x.ndim) + x.shape)
    k4 = k.reshape((1,) * (4 - k.ndim) + k.shape)
    bias = setup.get("bias", 0)
    bias = np.broadcast_to(np.asarray(0 if bias is None else bias, dtype=np.float64), (k4.shape[0],))
    return x3, k4, bias, flat


def conv_pytorch(setup: dict) -> str:
    x, k, bias, flat = _conv_common(setup)
    stride, padding = _setting(setup, "stride", 1), _setting(setup, "padding", 0)
    dilation, groups = _setting(setup, "dilation", 1), _setting(setup, "groups", 1)
    mode = _setting(setup, "padding_mode", "zeros")
    pre, pad_arg = _torch_padding(padding, mode, k.shape[2:], dilation)
    args = [("stride", py(stride)), ("padding", pad_arg), ("dilation", py(dilation))]
    if groups != 1:
        args.append(("groups", py(groups)))
    body = grid_assignment(
        "x",
        x,
        "torch",
        comment=f"The input: {x.shape[0]} channel(s) x {x.shape[1]} x {x.shape[2]} (channels, rows, columns).",
    )
    body += grid_assignment(
        "weight",
        k,
        "torch",
        comment=f"The kernels: {k.shape[0]} filter(s) x {k.shape[1]} channel(s) x {k.shape[2]} x {k.shape[3]}.",
    )
    body += grid_assignment("bias", bias, "torch", comment="One bias per filter.")
    body += "\n" + torch_activation_setup(setup.get("activation"), setup.get("activation_params")) + pre
    body += (
        "# PyTorch works on batches: add a batch of one, convolve, take it off again.\n"
        "# (Like the page, PyTorch's conv2d is a cross-correlation: the kernel\n"
        "# is not flipped.)\n"
    )
    body += wrap_call(f"output = F.conv2d(x.unsqueeze(0), weight, bias, {_kwargs(args)})[0]") + "\n"
    if setup.get("activation"):
        body += wrap_call(f"output = {torch_activation(setup['activation'], setup.get('activation_params'), 'output')}")
        body += "\n"
    if flat:
        body += "output = output[0]  # one 2-D kernel on a 2-D input: the page shows OH x OW\n"
    body += "print(output.shape)\nprint(output)\n"
    doc = _doc(
        "A convolution from the /conv lab, in PyTorch.",
        ["out[f, i, j] = sum over c, m, n of", "    x_padded[c, i*S + m*D, j*S + n*D] * weight[f, c, m, n] + bias[f]"],
    )
    return _script(HEADER.format(what="/conv") + doc, ["import torch", "import torch.nn.functional as F"], body)


def conv_engine(setup: dict) -> str:
    x, k, bias, flat = _conv_common(setup)
    args = [
        ("stride", py(_setting(setup, "stride", 1))),
        ("padding", py(_setting(setup, "padding", 0))),
        ("dilation", py(_setting(setup, "dilation", 1))),
    ]
    for key, default in (("padding_mode", "zeros"), ("groups", 1)):
        if _setting(setup, key, default) != default:
            args.append((key, py(setup[key])))
    if setup.get("activation"):
        args.append(("activation", repr(setup["activation"])))
        if setup.get("activation_params"):
            args.append(("activation_params", py(setup["activation_params"])))
    body = grid_assignment(
        "x",
        x,
        "np",
        comment=f"The input: {x.shape[0]} channel(s) x {x.shape[1]} x {x.shape[2]} (channels, rows, columns).",
    )
    body += grid_assignment(
        "kernel",
        k,
        "np",
        comment=f"The kernels: {k.shape[0]} filter(s) x {k.shape[1]} channel(s) x {k.shape[2]} x {k.shape[3]}.",
    )
    body += grid_assignment("bias", bias, "np", comment="One bias per filter.")
    body += (
        "\n# The reference loops the page animates: every output cell, step by step.\n"
        + wrap_call(f"output, steps = conv2d_trace(x, kernel, bias, {_kwargs(args)})")
        + "\n"
    )
    if flat:
        body += "output = output[0]  # one 2-D kernel on a 2-D input: the page shows OH x OW\n"
    body += (
        "print(output.shape)\nprint(output)\n"
        "# The first output cell, product by product:\n"
        "first = steps[0]\n"
        "pairs = zip(first['inputs'], first['weights'])\n"
        "print(' + '.join(f'{a:g}*{w:g}' for a, w in pairs), '+', first['bias'],\n"
        "      '=', first['z'])\n"
    )
    doc = _doc(
        "A convolution from the /conv lab, by the CNN Playground engine (NumPy).",
        ["Run it from the project's folder (the engine is the package `engine`)."],
    )
    return _script(
        HEADER.format(what="/conv") + doc, ["import numpy as np", "from engine.reference import conv2d_trace"], body
    )


def _pool_common(setup: dict):
    x = np.asarray(setup["input"], dtype=np.float64)
    flat = x.ndim == 2
    return x.reshape((1,) * (3 - x.ndim) + x.shape), flat


def _pool_settings(setup: dict) -> tuple[str, list[tuple[str, str]]]:
    mode = _setting(setup, "mode", "max")
    size = _setting(setup, "size", 2)
    args = [
        ("kernel_size", py(size)),
        ("stride", py(_setting(setup, "stride", size))),
        ("padding", py(_setting(setup, "padding", 0))),
        ("ceil_mode", py(bool(setup.get("ceil_mode")))),
    ]
    if mode == "avg":
        include = setup.get("count_include_pad")
        args.append(("count_include_pad", py(True if include is None else include)))
    return mode, args


def pool_pytorch(setup: dict) -> str:
    x, flat = _pool_common(setup)
    mode, args = _pool_settings(setup)
    function = "F.max_pool2d" if mode == "max" else "F.avg_pool2d"
    body = grid_assignment(
        "x", x, "torch", comment=f"The input: {x.shape[0]} channel(s) x {x.shape[1]} x {x.shape[2]}."
    )
    note = (
        "# Max pooling pads with -infinity: padding never wins a window.\n"
        if mode == "max"
        else "# Average pooling pads with zeros; count_include_pad says whether they count.\n"
    )
    body += "\n" + note + "# Add a batch of one, pool, take it off again.\n"
    body += wrap_call(f"output = {function}(x.unsqueeze(0), {_kwargs(args)})[0]") + "\n"
    if flat:
        body += "output = output[0]  # a 2-D input: the page shows OH x OW\n"
    body += "print(output.shape)\nprint(output)\n"
    doc = _doc(f"{'Max' if mode == 'max' else 'Average'} pooling from the /pool lab, in PyTorch.", [])
    return _script(HEADER.format(what="/pool") + doc, ["import torch", "import torch.nn.functional as F"], body)


def pool_engine(setup: dict) -> str:
    x, flat = _pool_common(setup)
    mode, args = _pool_settings(setup)
    names = {"kernel_size": "size"}
    engine_args = [(names.get(k, k), v) for k, v in args] + [("mode", repr(mode))]
    body = grid_assignment("x", x, "np", comment=f"The input: {x.shape[0]} channel(s) x {x.shape[1]} x {x.shape[2]}.")
    body += (
        "\n# The reference loops the page animates: every window, and what it gave.\n"
        + wrap_call(f"output, steps = pool2d_trace(x, {_kwargs(engine_args)})")
        + "\n"
    )
    if flat:
        body += "output = output[0]  # a 2-D input: the page shows OH x OW\n"
    body += "print(output.shape)\nprint(output)\n"
    doc = _doc(
        f"{'Max' if mode == 'max' else 'Average'} pooling from the /pool lab, by the CNN Playground engine (NumPy).",
        ["Run it from the project's folder (the engine is the package `engine`)."],
    )
    return _script(
        HEADER.format(what="/pool") + doc, ["import numpy as np", "from engine.reference import pool2d_trace"], body
    )


def _curve_settings(setup: dict):
    return (
        setup["name"],
        dict(setup.get("params") or {}),
        float(_setting(setup, "xmin", -6.0)),
        float(_setting(setup, "xmax", 6.0)),
        int(_setting(setup, "n", 241)),
        int(_setting(setup, "depth", 20)),
        float(_setting(setup, "z", 0.0)),
        _setting(setup, "z_mode", "fixed"),
    )


def activations_pytorch(setup: dict) -> str:
    name, params, xmin, xmax, n, depth, z, z_mode = _curve_settings(setup)
    filled = _engine_activation_defaults(name, params)
    shown = {k: v for k, v in filled.items() if not isinstance(v, list)}
    body = torch_activation_setup(name, params) + (
        f"# {n} evenly spaced points on [{number(xmin)}, {number(xmax)}], as the page plots them.\n"
        + wrap_call(f"x = torch.linspace({number(xmin)}, {number(xmax)}, {n}, dtype=torch.float64, requires_grad=True)")
        + "\n"
        + wrap_call(f"f = {torch_activation(name, params, 'x')}")
        + "\n"
        "# f'(x) by autograd: f[i] depends on x[i] only, so the gradient of f.sum()\n"
        "# with respect to x is f'(x) at every point.\n"
        "(df,) = torch.autograd.grad(f.sum(), x)\n"
        "output = f.detach()\n"
        "print('f(x):', output)\nprint(\"f'(x):\", df)\n"
    )
    if z_mode == "fixed":
        body += (
            f"\n# The vanishing-gradient demo: {depth} stacked one-unit layers, each with\n"
            f"# pre-activation z = {number(z)}; the gradient reaching layer 1 is the product\n"
            "# of the f'(z).\n"
            f"z = torch.tensor({number(z)}, dtype=torch.float64, requires_grad=True)\n"
            + wrap_call(f"f_z = {torch_activation(name, params, 'z')}")
            + "\n"
            "(factor,) = torch.autograd.grad(f_z, z)\n"
            f"gradient = factor ** torch.arange(1, {depth + 1}, dtype=torch.float64)\n"
            "print('gradient after 1, 2, ... layers:', gradient)\n"
        )
    doc = _doc(
        f"The activation {name} from the /activations lab, in PyTorch.",
        [f"Parameters: {shown}" if shown else "No parameters."],
    )
    return _script(HEADER.format(what="/activations") + doc, ["import torch", "import torch.nn.functional as F"], body)


def activations_engine(setup: dict) -> str:
    name, params, xmin, xmax, n, depth, z, z_mode = _curve_settings(setup)
    arg_text = "".join(f", {k}={py(v)}" for k, v in params.items())
    body = (
        wrap_call(f"act = activations.get({name!r}{arg_text})") + "\n"
        "print(act.params)  # every parameter, defaults filled in\n\n"
        f"# {n} evenly spaced points on [{number(xmin)}, {number(xmax)}], as the page plots them.\n"
        f"x = np.linspace({number(xmin)}, {number(xmax)}, {n})\n"
        "output = act.f(x)\n"
        "df = act.df(x)  # the analytic derivative\n"
        "print('f(x):', output)\nprint(\"f'(x):\", df)\n"
    )
    if z_mode == "fixed":
        body += (
            f"\n# The vanishing-gradient demo: {depth} stacked one-unit layers at z = {number(z)}.\n"
            + wrap_call(f"deep = activations.gradient_through_layers({name!r}, {depth}, {number(z)}{arg_text})")
            + "\n"
            "gradient = deep['gradient']\n"
            "print('gradient after 1, 2, ... layers:', gradient)\n"
        )
    doc = _doc(
        f"The activation {name} from the /activations lab, by the CNN Playground engine (NumPy).",
        ["Run it from the project's folder (the engine is the package `engine`)."],
    )
    return _script(
        HEADER.format(what="/activations") + doc, ["import numpy as np", "from engine import activations"], body
    )


def _filter_common(setup: dict):
    image = setup["image"]
    if isinstance(image, str):
        from app import samples  # (a bundled picture: its pixels go into the script)

        name, pixels = image, samples.load(image)
    else:
        name, pixels = "an uploaded picture", np.asarray(image, dtype=np.float64)
    kernel = np.asarray(setup["kernel"], dtype=np.float64)
    bias = setup.get("bias", 0)
    bias = float(np.asarray(0 if bias is None else bias, dtype=np.float64).reshape(-1)[0])
    return name, pixels, kernel, bias


def filters_pytorch(setup: dict) -> str:
    name, pixels, kernel, bias = _filter_common(setup)
    dilation = _setting(setup, "dilation", 1)
    pre, pad_arg = _torch_padding(
        _setting(setup, "padding", 0), _setting(setup, "padding_mode", "zeros"), kernel.shape, dilation
    )
    args = [("stride", py(_setting(setup, "stride", 1))), ("padding", pad_arg), ("dilation", py(dilation))]
    body = picture_assignment("image", pixels, "torch")
    body += grid_assignment("kernel", kernel, "torch", comment=f"The kernel, {kernel.shape[0]} x {kernel.shape[1]}.")
    body += (
        "\n# The page computes in float32 (single precision), as PyTorch does by default.\n"
        "image, kernel = image.float(), kernel.float()\n"
        f"bias = torch.tensor([{number(bias)}], dtype=torch.float32)\n"
        "# conv2d wants (batch, channels, rows, columns): one picture, one channel.\n"
        "x = image[None, None]\n"
        + pre
        + wrap_call(f"output = F.conv2d(x, kernel[None, None], bias, {_kwargs(args)})[0, 0]")
        + "\n"
        "print(output.shape)\nprint(output.round(decimals=4))  # the page sends 4 decimals\n"
    )
    doc = _doc(f"A kernel over {name}, from the /filters lab, in PyTorch.", [])
    return _script(
        HEADER.format(what="/filters") + doc,
        ["import base64", "import numpy as np", "import torch", "import torch.nn.functional as F"]
        if "base64" in body
        else ["import torch", "import torch.nn.functional as F"],
        body,
    )


def filters_engine(setup: dict) -> str:
    name, pixels, kernel, bias = _filter_common(setup)
    args = [
        ("stride", py(_setting(setup, "stride", 1))),
        ("padding", py(_setting(setup, "padding", 0))),
        ("dilation", py(_setting(setup, "dilation", 1))),
    ]
    mode = _setting(setup, "padding_mode", "zeros")
    apply_args = args + ([("padding_mode", repr(mode))] if mode != "zeros" else [])
    body = picture_assignment("image", pixels, "np")
    body += grid_assignment("kernel", kernel, "np", comment=f"The kernel, {kernel.shape[0]} x {kernel.shape[1]}.")
    body += (
        "\n# The whole feature map, by the fast im2col convolution (float32).\n"
        + wrap_call(f"output = filters.apply(image, kernel, {number(bias)}, {_kwargs(apply_args)})")
        + "\n"
        "print(output.shape)\nprint(np.round(output, 4))  # the page is sent 4 decimals\n"
        "# The notes' arithmetic: sliding the kernel against one dense matrix.\n"
        + wrap_call(f"cost = filters.cost(*image.shape, *kernel.shape, {_kwargs(args)})")
        + "\n"
        "print(cost.as_dict())\n"
    )
    doc = _doc(
        f"A kernel over {name}, from the /filters lab, by the CNN Playground engine (NumPy).",
        ["Run it from the project's folder (the engine is the package `engine`)."],
    )
    imports = ["import numpy as np", "from engine import filters"] + (["import base64"] if "base64" in body else [])
    return _script(HEADER.format(what="/filters") + doc, imports, body)


_BACKPROP_NAMES = ("x1", "w11", "b1", "w21", "b2", "label", "lr")


def _backprop_settings(setup: dict) -> dict:
    from engine.walkthrough import DEFAULTS

    values = {k: float(_setting(setup, k, DEFAULTS[k])) for k in _BACKPROP_NAMES}
    values["updates"] = int(_setting(setup, "updates", 0))
    return values


def backprop_pytorch(setup: dict) -> str:
    v = _backprop_settings(setup)
    params = ", ".join(f"{k}={number(v[k])}" for k in ("w11", "b1", "w21", "b2"))
    body = (
        f"x1, label, lr = {number(v['x1'])}, {number(v['label'])}, {number(v['lr'])}\n"
        f"start = dict({params})\n"
        "params = {k: torch.tensor(value, dtype=torch.float64, requires_grad=True)\n"
        "          for k, value in start.items()}\n"
        "optimizer = torch.optim.SGD(params.values(), lr=lr)\n\n\n"
        "def forward(p):\n"
        '    """z1 = x1*w11 + b1, a11 = sigmoid(z1), z2 = a11*w21 + b2, y = relu(z2)."""\n'
        "    a11 = torch.sigmoid(x1 * p['w11'] + p['b1'])\n"
        "    return torch.relu(a11 * p['w21'] + p['b2'])\n\n\n"
        "def loss_of(y):\n"
        "    return 0.5 * (y - label) ** 2  # J = 1/2 (y - label)^2\n\n\n"
    )
    if v["updates"]:
        body += (
            f"# {v['updates']} earlier SGD update(s), before the one the page walks through.\n"
            f"for _ in range({v['updates']}):\n"
            "    optimizer.zero_grad()\n"
            "    loss_of(forward(params)).backward()\n"
            "    optimizer.step()\n\n"
        )
    body += (
        "optimizer.zero_grad()\n"
        "J = loss_of(forward(params))\n"
        "J.backward()  # autograd applies the chain rule the page spells out\n"
        "output = {'J': J.item()}\n"
        "for k, p in params.items():\n"
        "    output[f'dJ_d{k}'] = p.grad.item()\n"
        "optimizer.step()  # w <- w - lr * dJ/dw\n"
        "with torch.no_grad():\n"
        "    for k, p in params.items():\n"
        "        output[f'{k}_new'] = p.item()\n"
        "    output['J_new'] = loss_of(forward(params)).item()\n"
        "for k, value in output.items():\n"
        "    print(f'{k:8} {value:.6f}')\n"
    )
    doc = _doc("The two-neuron backpropagation walkthrough from /learn/backprop, in PyTorch.", [])
    return _script(HEADER.format(what="/learn/backprop") + doc, ["import torch"], body)


def backprop_engine(setup: dict) -> str:
    v = _backprop_settings(setup)
    args = ", ".join(f"{k}={number(v[k])}" for k in _BACKPROP_NAMES)
    body = (
        wrap_call(f"result = walkthrough({args}, updates={v['updates']})") + "\n"
        "values = result['values']\n"
        "# Every step the page reveals, with its expression and its value:\n"
        "for step in result['steps']:\n"
        "    print(f\"{step['id']:10} {step['expression']:50} {step['value']:.6f}\")\n"
        "shown = ('J', 'dJ_dw11', 'dJ_db1', 'dJ_dw21', 'dJ_db2',\n"
        "         'w11_new', 'b1_new', 'w21_new', 'b2_new', 'J_new')\n"
        "output = {k: values[k] for k in shown}\n"
    )
    doc = _doc(
        "The two-neuron backpropagation walkthrough from /learn/backprop, by the CNN Playground engine.",
        ["Run it from the project's folder (the engine is the package `engine`)."],
    )
    return _script(HEADER.format(what="/learn/backprop") + doc, ["from engine.walkthrough import walkthrough"], body)


# ---- networks: one function per layer type -----------------------------------------------------------


class TorchNet:
    """What writing a network collects besides its lines: helper classes the script must define."""

    def __init__(self):
        self.classes: set[str] = set()


def _pair_arg(value) -> str:
    return py(value)


def _conv_layer(layer, net: TorchNet) -> list[tuple[str, str]]:
    cfg = layer.config()
    w = layer.params["W"]
    groups = int(cfg.get("groups", 1) or 1)
    mode = cfg.get("padding_mode", "zeros") or "zeros"
    padding = cfg.get("padding", 0)
    out = []
    args = [("kernel_size", _pair_arg(cfg["kernel"]))]
    if cfg.get("stride", 1) != 1:
        args.append(("stride", _pair_arg(cfg["stride"])))
    if isinstance(padding, dict):  # per side: a padding layer first, then a conv without padding
        top, bottom, left, right = padding_sides(padding, w.shape[2:])
        pad_class = {
            "zeros": "nn.ZeroPad2d",
            "reflect": "nn.ReflectionPad2d",
            "replicate": "nn.ReplicationPad2d",
            "circular": "nn.CircularPad2d",
        }[mode]
        out.append((f"{layer.name}_pad", f"{pad_class}(({left}, {right}, {top}, {bottom}))"))
    elif padding != 0:
        args.append(("padding", _pair_arg(padding)))
        if mode != "zeros":
            args.append(("padding_mode", repr(mode)))
    if cfg.get("dilation", 1) != 1:
        args.append(("dilation", _pair_arg(cfg["dilation"])))
    if groups != 1:
        args.append(("groups", str(groups)))
    if not cfg.get("bias", True):
        args.append(("bias", "False"))
    out.append((layer.name, f"nn.Conv2d({w.shape[1] * groups}, {w.shape[0]}, {_kwargs(args)})"))
    return out


def _conv_transpose_layer(layer, net: TorchNet) -> list[tuple[str, str]]:
    cfg = layer.config()
    w = layer.params["W"]  # (C_in, F / groups, kh, kw), as PyTorch's ConvTranspose2d
    groups = int(cfg.get("groups", 1) or 1)
    args = [("kernel_size", _pair_arg(cfg["kernel"]))]
    for key, default in (("stride", 1), ("padding", 0), ("output_padding", 0)):
        if cfg.get(key, default) != default:
            args.append((key, _pair_arg(cfg[key])))
    if groups != 1:
        args.append(("groups", str(groups)))
    if not cfg.get("bias", True):
        args.append(("bias", "False"))
    if cfg.get("dilation", 1) != 1:
        args.append(("dilation", _pair_arg(cfg["dilation"])))
    return [(layer.name, f"nn.ConvTranspose2d({w.shape[0]}, {w.shape[1] * groups}, {_kwargs(args)})")]


def _pool_layer(layer, net: TorchNet) -> list[tuple[str, str]]:
    cfg = layer.config()
    args = [("kernel_size", _pair_arg(cfg["size"]))]
    if cfg.get("stride") is not None and cfg["stride"] != cfg["size"]:
        args.append(("stride", _pair_arg(cfg["stride"])))
    if cfg.get("padding", 0) != 0:
        args.append(("padding", _pair_arg(cfg["padding"])))
    if cfg.get("ceil_mode"):
        args.append(("ceil_mode", "True"))
    if layer.type == "avgpool" and cfg.get("count_include_pad") is False:
        args.append(("count_include_pad", "False"))
    cls = "nn.MaxPool2d" if layer.type == "maxpool" else "nn.AvgPool2d"
    return [(layer.name, f"{cls}({_kwargs(args)})")]


def _dense_layer(layer, net: TorchNet) -> list[tuple[str, str]]:
    w = layer.params["W"]  # (in, units): nn.Linear's weight is its transpose
    bias = "" if layer.config().get("bias", True) else ", bias=False"
    return [(layer.name, f"nn.Linear({w.shape[0]}, {w.shape[1]}{bias})")]


def _batchnorm_layer(layer, net: TorchNet) -> list[tuple[str, str]]:
    cfg = layer.config()
    features = _batchnorm_features(layer)
    args = [str(features)]
    for key, default in (("eps", 1e-5), ("momentum", 0.1)):
        if key in cfg and cfg[key] != default:
            args.append(f"{key}={py(cfg[key])}")
    if cfg.get("affine", True) is False:
        args.append("affine=False")
    cls = "nn.BatchNorm2d" if layer.type == "batchnorm2d" else "nn.BatchNorm1d"
    return [(layer.name, f"{cls}({', '.join(args)})")]


def _batchnorm_features(layer) -> int:
    for key in ("running_mean", "gamma", "weight"):
        value = getattr(layer, key, None)
        if value is None:
            value = layer.params.get(key) if key in layer.params else getattr(layer, "buffers", {}).get(key)
        if value is not None:
            return int(np.size(value))
    raise EngineError("export_batchnorm", f"{layer.name}: cannot tell the number of features", layer=layer.name)


def _prelu_layer(layer, net: TorchNet) -> list[tuple[str, str]]:
    a = layer.params["a"]
    count = "" if a.size == 1 else f"num_parameters={a.size}, "
    return [(layer.name, f"nn.PReLU({count}init={number(layer.config()['a'])})")]


def _simple(expression: Callable[[dict], str]):
    def write(layer, net: TorchNet) -> list[tuple[str, str]]:
        return [(layer.name, expression(layer.config()))]

    return write


def _gelu_layer(layer, net: TorchNet) -> list[tuple[str, str]]:
    return [(layer.name, f"nn.GELU(approximate={_gelu_approximate(layer.config())!r})")]


def _softplus_layer(layer, net: TorchNet) -> list[tuple[str, str]]:
    cfg = layer.config()
    return [
        (layer.name, f"nn.Softplus(beta={number(cfg.get('beta', 1))}, threshold={number(cfg.get('threshold', 20))})")
    ]


def _maxout_layer(layer, net: TorchNet) -> list[tuple[str, str]]:
    net.classes.add("Maxout")
    return [(layer.name, f"Maxout({layer.config()['k']})")]


def child_name(layer, index: int) -> str:
    """A layer's name in the PyTorch module: its own, else its type and position (a layer inside a
    branch the engine left unnamed)."""
    return layer.name or f"{layer.type}{index + 1}"


def branch_paths(layer) -> list[list]:
    """The inner layers of each path of a ``branches`` layer (an empty path is the identity)."""
    paths = getattr(layer, "paths", None)
    if paths is None:
        raise EngineError("export_branches", f"{layer.name}: cannot read the branches' paths", layer=layer.name)
    return [list(getattr(p, "layers", p)) for p in paths]


class _Renamed:
    """A layer seen under another name (everything else read from the layer itself)."""

    def __init__(self, layer, name: str):
        self._layer, self.name = layer, name

    def __getattr__(self, key):
        return getattr(self._layer, key)


def _named(layer, index: int):
    """A path's layer under its own name in the path (``conv1`` for the engine's ``branches1.path2.conv1``:
    PyTorch's module names have no dots)."""
    if not layer.name:
        return _Renamed(layer, child_name(layer, index))
    return _Renamed(layer, layer.name.rsplit(".", 1)[-1]) if "." in layer.name else layer


def _branches_layer(layer, net: TorchNet) -> list[tuple[str, str]]:
    net.classes.add("Branches")
    merge = layer.config().get("merge", "concat")
    paths = []
    for path in branch_paths(layer):
        rows = [row for j, inner in enumerate(path) for row in torch_layer(_named(inner, j), net)]
        if not rows:
            paths.append("nn.Sequential()")
            continue
        items = "".join("        " + wrap_call(f"({name!r}, {text}),", 8) + "\n" for name, text in rows)
        paths.append("nn.Sequential(OrderedDict([\n" + items + "    ]))")
    inner = ",\n    ".join(paths)
    return [(layer.name, f"Branches(\n    {merge!r},\n    {inner},\n)")]


#: layer type -> function(layer, net) -> [(child name, "nn.Module(...)" source), ...]
TORCH_LAYERS: dict[str, Callable] = {
    "conv": _conv_layer,
    "conv_transpose": _conv_transpose_layer,
    "maxpool": _pool_layer,
    "avgpool": _pool_layer,
    "flatten": _simple(lambda c: "nn.Flatten()"),
    "dense": _dense_layer,
    "dropout": _simple(lambda c: f"nn.Dropout(p={number(c['p'])})"),
    "batchnorm2d": _batchnorm_layer,
    "batchnorm1d": _batchnorm_layer,
    "branches": _branches_layer,
    "relu": _simple(lambda c: "nn.ReLU()"),
    "sigmoid": _simple(lambda c: "nn.Sigmoid()"),
    "tanh": _simple(lambda c: "nn.Tanh()"),
    "silu": _simple(lambda c: "nn.SiLU()"),
    "leaky_relu": _simple(lambda c: f"nn.LeakyReLU(negative_slope={number(c['a'])})"),
    "prelu": _prelu_layer,
    "rrelu": _simple(lambda c: f"nn.RReLU(lower={number(c['lower'])}, upper={number(c['upper'])})"),
    "elu": _simple(lambda c: f"nn.ELU(alpha={number(c['alpha'])})"),
    "softplus": _softplus_layer,
    "gelu": _gelu_layer,
    "maxout": _maxout_layer,
}

HELPER_CLASSES = {
    "Branches": '''class Branches(nn.Module):
    """Parallel paths over the same input, their outputs concatenated along
    the channels ("concat", as in an Inception module) or added ("add", as in
    a residual block). An empty path passes its input on unchanged."""

    def __init__(self, merge, *paths):
        super().__init__()
        self.merge = merge
        self.paths = nn.ModuleList(paths)

    def forward(self, x):
        outputs = [path(x) for path in self.paths]
        if self.merge == "concat":
            return torch.cat(outputs, dim=1)
        return torch.stack(outputs).sum(dim=0)
''',
    "Maxout": '''class Maxout(nn.Module):
    """Max over groups of k consecutive channels: channels 0..k-1 give output
    channel 0, and so on (PyTorch has no Maxout layer)."""

    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, x):
        c = x.shape[1]
        return x.unflatten(1, (c // self.k, self.k)).amax(dim=2)
''',
}


def torch_layer(layer, net: TorchNet) -> list[tuple[str, str]]:
    """The PyTorch module(s) for one engine layer, as ``[(name, source)]``."""
    write = TORCH_LAYERS.get(layer.type)
    if write is None:
        raise EngineError(
            "export_unknown_layer",
            f"{layer.name}: no PyTorch form for the layer type {layer.type!r} yet",
            layer=layer.name,
            layer_type=layer.type,
        )
    return write(layer, net)


def build_engine_model(spec: dict):
    """The engine's model for a spec (seed 0: the builder's numbers)."""
    from engine.model import Sequential

    return Sequential.from_spec(spec, seed=0)


def torch_model_source(model) -> tuple[str, set[str]]:
    """``model = nn.Sequential(OrderedDict([...]))`` for an engine model, child names = the engine's
    layer names (so that ``conv1.W`` is ``conv1.weight``), and the helper classes it needs."""
    net = TorchNet()
    rows = [row for layer in model.layers for row in torch_layer(layer, net)]
    lines = []
    for name, text in rows:
        row = f"({name!r}, {text}),"
        lines.append("    " + (row.replace("\n", "\n    ") if "\n" in text else wrap_call(row, 4)))
    return "model = nn.Sequential(OrderedDict([\n" + "\n".join(lines) + "\n]))\n", net.classes


def _network_doc(model, title: str) -> list[str]:
    sizes = " x ".join(map(str, model.input_shape))
    return [title, "", f"Input: {sizes} (channels, rows, columns); {model.num_params:,} parameters."]


_SUMMARY_LOOP = (
    "# Each layer's output shape and parameter count, as the builder shows them.\n"
    "summary = []\n"
    "with torch.no_grad():\n"
    "    for name, layer in model.named_children():\n"
    "        x = layer(x)\n"
    "        count = sum(p.numel() for p in layer.parameters())\n"
    "        summary.append((name, tuple(x.shape[1:]), count))\n"
    "        print(f'{name:12} {str(tuple(x.shape[1:])):16} {count:>10,}')\n"
    "total = sum(p.numel() for p in model.parameters())\n"
    "print('total parameters:', f'{total:,}')\n"
    "output = x\n"
)


def network_pytorch(spec: dict) -> str:
    model = build_engine_model(spec)
    source, classes = torch_model_source(model)
    shape = ", ".join(map(str, model.input_shape))
    body = "".join(HELPER_CLASSES[name] + "\n\n" for name in sorted(classes))
    body += (
        "# The layers, named as the builder names them. PyTorch initialises the\n"
        "# weights itself (the builder's lecun init is PyTorch's default for conv\n"
        "# and linear layers).\n" + source + "model.eval()  # dropout off, batch norm on its running statistics\n\n"
        f"# A batch of one {shape} input: replace it with your images (N, {shape}).\n"
        f"x = torch.zeros(1, {shape})\n\n" + _SUMMARY_LOOP
    )
    doc = '"""' + "\n".join(_network_doc(model, "A network from the /learn builder, in PyTorch.")) + '\n"""'
    imports = ["import torch", "from torch import nn", "from collections import OrderedDict"]
    return _script(HEADER.format(what="/learn") + doc, imports, body)


def network_engine(spec: dict) -> str:
    model = build_engine_model(spec)
    shape = ", ".join(map(str, model.input_shape))
    body = (
        f"spec = {spec_literal(model_spec(spec))}\n\n"
        "# Seed 0: the weights the builder's numbers come from.\n"
        "model = Sequential.from_spec(spec, seed=0)\n"
        "# Each layer's output shape and parameter count, as the builder shows them.\n"
        "summary = model.summary()\n"
        "for row in summary:\n"
        "    shape = str(tuple(row['output_shape']))\n"
        "    print(f\"{row['name']:12} {shape:16} {row['params']:>10,}\")\n"
        "print('total parameters:', f'{model.num_params:,}')\n\n"
        f"# A batch of one {shape} input: replace it with your images (N, {shape}).\n"
        f"x = np.zeros((1, {shape}), dtype=np.float32)\n"
        "output = model.forward(x)\n"
        "print(output)\n"
    )
    doc = (
        '"""'
        + "\n".join(
            _network_doc(model, "A network from the /learn builder, by the CNN Playground engine.")
            + ["", "Run it from the project's folder (the engine is the package `engine`)."]
        )
        + '\n"""'
    )
    return _script(
        HEADER.format(what="/learn") + doc, ["import numpy as np", "from engine.model import Sequential"], body
    )


def model_spec(spec: dict) -> dict:
    """The spec as the page gave it: input and layers."""
    return {"input": list(spec.get("input", [1, 28, 28])), "layers": spec["layers"]}


# ---- trained models: PyTorch's state_dict from the engine's parameters ----------------------------

#: engine parameter name -> PyTorch parameter name, and how the array changes (per layer type).
TORCH_PARAMS: dict[str, dict[str, tuple[str, Callable]]] = {
    "conv": {"W": ("weight", lambda a: a), "b": ("bias", lambda a: a)},
    "conv_transpose": {"W": ("weight", lambda a: a), "b": ("bias", lambda a: a)},
    "dense": {"W": ("weight", lambda a: a.T), "b": ("bias", lambda a: a)},  # engine x @ W, torch x @ weight.T
    "prelu": {"a": ("weight", lambda a: a)},
    "batchnorm2d": {"W": ("weight", lambda a: a), "b": ("bias", lambda a: a)},  # gamma, beta
}
TORCH_PARAMS["batchnorm1d"] = TORCH_PARAMS["batchnorm2d"]
_BUFFERS = ("running_mean", "running_var")


def _layer_state(layer, prefix: str, out: dict) -> None:
    if layer.type == "branches":
        for i, path in enumerate(branch_paths(layer)):
            for j, inner in enumerate(path):
                _layer_state(_named(inner, j), f"{prefix}{layer.name}.paths.{i}.", out)
        return
    table = TORCH_PARAMS.get(layer.type, {})
    for key, value in layer.params.items():
        if key not in table:
            raise EngineError(
                "export_unknown_param",
                f"{layer.name}: no PyTorch name for the parameter {key!r}",
                layer=layer.name,
                param=key,
            )
        torch_name, convert = table[key]
        out[f"{prefix}{layer.name}.{torch_name}"] = np.ascontiguousarray(convert(np.asarray(value)))
    if layer.type.startswith("batchnorm"):
        buffers = getattr(layer, "buffers", None) or {}
        for key in _BUFFERS:
            value = buffers.get(key) if key in buffers else getattr(layer, key, None)
            if value is not None:
                out[f"{prefix}{layer.name}.{key}"] = np.asarray(value, dtype=np.float32)
        tracked = buffers.get("num_batches_tracked", 0)
        out[f"{prefix}{layer.name}.num_batches_tracked"] = np.array(int(np.asarray(tracked)), dtype=np.int64)


def torch_state_dict(model) -> dict[str, np.ndarray]:
    """An engine model's parameters under PyTorch's ``state_dict`` names and layouts, for the
    ``nn.Sequential`` that :func:`torch_model_source` writes: ``conv1.W`` (F, C, kh, kw) is
    ``conv1.weight`` as it is; ``dense1.W`` (in, out) is ``dense1.weight`` transposed (out, in);
    biases are ``.bias``; batch norm's running statistics are buffers. Flatten needs nothing: the
    engine flattens in PyTorch's (C, H, W) order."""
    out: dict[str, np.ndarray] = {}
    for layer in model.layers:
        _layer_state(layer, "", out)
    return out


def _digit(setup: dict) -> str:
    """The digit a model's script classifies, with where it came from."""
    text = picture_assignment("image", setup["pixels"], "np").replace(
        "(0 = black, 255 = white)", "(0 = no ink, 255 = ink)"
    )
    return (
        f"# The digit: {setup.get('source', 'a 28 x 28 digit')}.\n"
        "# Put your own 28 x 28 digit here (ink 255 on a background of 0, centred\n"
        "# as MNIST's digits are).\n" + text
    )


def model_pytorch(setup: dict) -> str:
    model, name = setup["model"], setup["name"]
    source, classes = torch_model_source(model)
    filename = weights_filename(name, "pytorch")
    from engine.data import MNIST_MEAN, MNIST_STD

    body = "".join(HELPER_CLASSES[c] + "\n\n" for c in sorted(classes))
    body += source + "\n"
    body += (
        f"# The trained weights, saved by the playground under PyTorch's names:\n"
        f"# download {filename} next to this script.\n"
        f"weights = np.load({filename!r})\n"
        "model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})\n"
        "model.eval()  # dropout off, batch norm on its running statistics\n\n"
    )
    body += _digit(setup)
    body += (
        f"# As the playground feeds a digit to the network: scale to [0, 1], then\n"
        f"# standardise with MNIST's mean and standard deviation.\n"
        f"x = torch.from_numpy(image / 255).float()\n"
        f"x = ((x - {MNIST_MEAN}) / {MNIST_STD}).reshape(1, 1, *image.shape)\n"
        "with torch.no_grad():\n"
        "    probabilities = torch.softmax(model(x).double(), dim=1)[0]\n"
        "output = probabilities\n"
        "print('prediction:', int(probabilities.argmax()))\n"
        "print('probabilities:', probabilities)\n"
    )
    doc = '"""' + "\n".join(_network_doc(model, f"The trained model {name!r}, in PyTorch, with its weights.")) + '\n"""'
    imports = [
        "import base64",
        "import numpy as np",
        "import torch",
        "from torch import nn",
        "from collections import OrderedDict",
    ]
    return _script(HEADER.format(what=f"model {name}") + doc, imports, body)


def model_engine(setup: dict) -> str:
    model, name = setup["model"], setup["name"]
    filename = weights_filename(name, "engine")
    body = (
        f"# The trained model as the playground saved it: download {filename}\n"
        "# next to this script.\n"
        f"model = Sequential.load({filename!r})\n\n"
    )
    body += _digit(setup)
    body += (
        "# Scaled to [0, 1] and standardised as the training images were.\n"
        "x = normalise((image / 255).reshape(1, *image.shape))\n"
        "output = model.predict_proba(x)[0]\n"
        "print('prediction:', int(output.argmax()))\n"
        "print('probabilities:', output)\n"
    )
    doc = (
        '"""'
        + "\n".join(
            _network_doc(model, f"The trained model {name!r}, by the CNN Playground engine.")
            + ["", "Run it from the project's folder (the engine is the package `engine`)."]
        )
        + '\n"""'
    )
    imports = [
        "import base64",
        "import numpy as np",
        "from engine.data import normalise",
        "from engine.model import Sequential",
    ]
    return _script(HEADER.format(what=f"model {name}") + doc, imports, body)


def weights_filename(name: str, target: str) -> str:
    """The weights file a model's script loads: ``<name>-pytorch.npz`` or ``<name>.npz``."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
    return f"{safe}-pytorch.npz" if target == "pytorch" else f"{safe}.npz"


# ---- the table -------------------------------------------------------------------------------------

#: kind -> {target: function(setup) -> script}
GENERATORS: dict[str, dict[str, Callable[[dict], str]]] = {
    "conv": {"pytorch": conv_pytorch, "engine": conv_engine},
    "pool": {"pytorch": pool_pytorch, "engine": pool_engine},
    "activations": {"pytorch": activations_pytorch, "engine": activations_engine},
    "filters": {"pytorch": filters_pytorch, "engine": filters_engine},
    "backprop": {"pytorch": backprop_pytorch, "engine": backprop_engine},
    "network": {"pytorch": network_pytorch, "engine": network_engine},
    "model": {"pytorch": model_pytorch, "engine": model_engine},
}
KINDS = tuple(GENERATORS)


def export(kind: str, setup: dict, target: str) -> str:
    """The script for ``setup`` (already validated as the page's request) in ``target``."""
    return GENERATORS[kind][target](setup)


def filename(kind: str, target: str, name: str | None = None) -> str:
    """A file name for the script: ``conv_pytorch.py``, ``lenet5_engine.py``."""
    stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in (name or kind))
    return f"{stem}_{target}.py"
