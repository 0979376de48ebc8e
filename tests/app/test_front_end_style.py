"""The front end in one style (issue 9, item 8), checked over the source of static/js: one module
for colour (colour.js) holds every value -> colour scale and the one pixel painter; one helper
(keys.js) decides who owns a key press; the pages that fetch a computed answer as you edit use the
labs' request cycle (lab.js ServerCycle)."""

import re
from pathlib import Path

JS = Path(__file__).resolve().parents[2] / "static" / "js"
VENDORED = {"swagger_init.js", "redoc_offline.js"}

# What only colour.js may contain: a colour as an [r, g, b] literal, rgb(...) built from numbers,
# a gradient (a scale bar's ramp), or pixels written into a canvas.
COLOUR_RAMP = [
    re.compile(r"\[\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*\]"),
    re.compile(r"rgba?\(\s*(\d|\$\{)"),
    re.compile(r"linear-gradient"),
    re.compile(r"\b(createImageData|putImageData)\b"),
    re.compile(r"\bfunction\s+mix\b"),
]
# What only keys.js may contain: deciding from the focused element's tag whether it keeps its keys.
KEY_OWNERSHIP = [
    re.compile(r"\[\s*'(INPUT|SELECT|TEXTAREA)'"),
    re.compile(r"isContentEditable"),
    re.compile(r"closest\('input, select"),
]


def modules():
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(JS.glob("*.js")) if p.name not in VENDORED}


def offenders(patterns, allowed):
    return sorted(
        f"{name}: {m.group(0)}"
        for name, text in modules().items()
        if name != allowed
        for pattern in patterns
        for m in pattern.finditer(text)
    )


def imports(text):
    return set(re.findall(r"from '\./([\w.]+\.js)'", text))


def test_only_colour_js_defines_colours_or_paints_pixels():
    assert offenders(COLOUR_RAMP, "colour.js") == []
    source = modules()["colour.js"]
    for name in ("colour", "inkColour", "signedColour", "explainColour", "paintArray", "paintPixels"):
        assert f"export function {name}(" in source


def test_every_module_that_paints_values_imports_colour_js():
    painters = {
        name
        for name, text in modules().items()
        if re.search(r"\b(paintArray|paintPixels|colour|inkColour|signedColour|explainColour)\(", text)
    }
    assert {"heatmap.js", "draw_views.js", "draw_layers.js", "run_images.js"} <= painters
    assert sorted(n for n in painters - {"colour.js"} if "colour.js" not in imports(modules()[n])) == []


def test_only_keys_js_decides_who_owns_a_key():
    assert offenders(KEY_OWNERSHIP, "keys.js") == []
    # every module that binds a shortcut on the whole document asks keys.js (menu.js: Escape closes
    # the open menu, wherever the focus is)
    binders = {name for name, text in modules().items() if "document.addEventListener('keydown'" in text}
    assert {"player.js", "backprop.js", "draw_page.js"} <= binders
    assert sorted(n for n in binders - {"menu.js", "keys.js"} if "keys.js" not in imports(modules()[n])) == []


def test_the_labs_share_one_request_cycle():
    # the labs that compute as you edit use lab.ServerCycle; none keeps its own newest-request-wins
    # (api.Latest) or debounce timer for it. /draw asks over a websocket (draw_socket.js) instead.
    users = {name for name, text in modules().items() if re.search(r"new ServerCycle\(", text)}
    assert {"conv_lab.js", "pool_lab.js", "filter_lab.js", "backprop.js", "activation_lab.js", "learn.js"} <= users
    assert (
        sorted(
            name
            for name, text in modules().items()
            if name not in {"api.js", "lab.js"} and re.search(r"new Latest\(", text)
        )
        == []
    )
