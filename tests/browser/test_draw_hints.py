"""The draw page in real Chromium: drawings that are not digits get the server's hint and an answer
marked uncertain (English and Chinese), and a click on a convolution or pooling map's cell opens the
/conv or /pool lab on that cell's window and kernel, where the lab's own answer is the value /draw showed."""

import re
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.browser.helpers import SHOTS, grid_values, settle, shoot
from tests.browser.test_draw import DIGITS, draw, open_page, settled


def zigzag(left, right, top=0.0, bottom=1.0, step=0.06):
    """Horizontal strokes from `left` to `right`, `step` apart: ink over that band of the pad."""
    return [[(left, y), (right, y)] for y in np.arange(top, bottom + 1e-9, step)]


QUARTER_SEVEN = [
    [(0.1 + x / 4, 0.65 + y / 4) for x, y in DIGITS["7"][0]],
    [(0.1 + x / 4, 0.65 + y / 4) for x, y in DIGITS["7"][1]],
]
NOT_DIGITS = {
    "full": (zigzag(0.0, 1.0), "dark_on_light"),
    "inverted_one": (
        zigzag(0.0, 0.42) + zigzag(0.58, 1.0) + zigzag(0.0, 1.0, 0.0, 0.1) + zigzag(0.0, 1.0, 0.9, 1.0),
        "dark_on_light",
    ),
    "dot": ([[(0.5, 0.45), (0.55, 0.5), (0.5, 0.55), (0.45, 0.5), (0.5, 0.45), (0.52, 0.5)]], "dot"),
    "quarter": (QUARTER_SEVEN, "draw_bigger"),
}
# Pointer events per straight segment: the zigzags' long horizontal strokes need one each (the pad
# joins the points with straight lines; 12 steps drew the same ink with 450 events), the small shapes
# keep the default.
STEPS = {"full": 1, "inverted_one": 1, "dot": 12, "quarter": 12}
WORDS = {
    "en": {
        "dark_on_light": "Draw a dark digit on the light pad",
        "dot": "looks like a dot",
        "draw_bigger": "Draw bigger",
        "badge": "uncertain",
    },
    "zh": {
        "dark_on_light": "请在浅色画板上写深色的数字",
        "dot": "像一个点",
        "draw_bigger": "请写大一些",
        "badge": "不确定",
    },
}


def save(page, name):
    shoot(page, name)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", sorted(NOT_DIGITS))
def test_a_drawing_that_is_not_a_digit_gets_a_hint(page, live_server, console_errors, name, lang):
    strokes, hint = NOT_DIGITS[name]
    open_page(page, live_server, f"lang={lang}")
    draw(page, strokes, steps=STEPS[name])
    settled(page)
    expect(page.locator("body")).to_have_attribute("data-hint", hint)
    expect(page.locator("#draw-hint")).to_be_visible()
    expect(page.locator("#draw-hint")).to_contain_text(WORDS[lang][hint])
    expect(page.locator("#uncertain-badge")).to_be_visible()
    expect(page.locator("#uncertain-badge")).to_have_text(WORDS[lang]["badge"])
    expect(page.locator("#top-guess")).to_have_class(re.compile(r"\buncertain\b"))
    assert page.locator("body").get_attribute("data-uncertain") == "yes"
    if name in ("quarter", "inverted_one"):
        save(page, f"draw-hint-{name}-{lang}.png")
    # a real digit after Clear: no hint, a confident answer
    page.click("#clear")
    draw(page, DIGITS["7"])
    expect(page.locator("#top-digit")).to_have_text("7")
    settled(page)
    expect(page.locator("#draw-hint")).to_be_hidden()
    expect(page.locator("#uncertain-badge")).to_be_hidden()
    assert page.locator("body").get_attribute("data-uncertain") == "no"
    assert console_errors == []


def lab_grids(page, selector):
    """Each channel grid of a lab's block, as rows of the numbers it shows."""
    count = page.locator(f"{selector} .channel").count()
    if count == 0:
        return [grid_values(page, selector)]
    return [grid_values(page, f"{selector} .channel:nth-child({i + 1})") for i in range(count)]


def parse_tensor(text):
    """The labs' URL tensors: `,` values, `;` rows, `:` channels, `~` filters (static/js/urlstate.js)."""
    for sep in "~:;,":
        if sep in text:
            return [parse_tensor(part) for part in text.split(sep)]
    return float(text)


def shown_number(text):
    return float(text.rsplit(":", 1)[1].replace("−", "-").strip())


def click_cell(page, layer, channel, row, column, side):
    """Click the middle of cell (row, column) of a side x side map (positions: in its padding box)."""
    canvas = page.locator(f".layer[data-layer={layer}] .fmap-frame[data-channel='{channel}'] canvas")
    canvas.scroll_into_view_if_needed()
    width, height = canvas.evaluate("c => [c.clientWidth, c.clientHeight]")
    canvas.click(position={"x": (column + 0.5) / side * width, "y": (row + 0.5) / side * height})
    page.wait_for_selector("body[data-cell=ready]")
    return page.locator("#cell-value").text_content()


def lenet5():
    from engine.model import Sequential

    return Sequential.load(SHOTS.parent / "app" / "pretrained" / "lenet5.npz")


@pytest.mark.parametrize("layer, channel, row, column, side", [("conv2", 3, 2, 4, 10), ("conv1", 0, 14, 13, 28)])
def test_a_conv_cell_opens_in_the_conv_lab(page, live_server, console_errors, layer, channel, row, column, side):
    open_page(page, live_server, "lang=en")
    draw(page, DIGITS["7"])
    settled(page)
    expect(page.locator(f".layer[data-layer={layer}] canvas")).to_have_count(16 if layer == "conv2" else 6)
    text = click_cell(page, layer, channel, row, column, side)
    assert text.startswith(f"{layer}, map {channel + 1}, row {row + 1}, column {column + 1}:")
    shown = shown_number(text)
    link = page.locator("#cell-link")
    expect(link).to_contain_text("convolution lab")
    if layer == "conv2":
        save(page, "draw-cell-conv2-en.png")
    query = {k: v[0] for k, v in parse_qs(urlparse(link.get_attribute("href")).query).items()}
    assert urlparse(link.get_attribute("href")).path == "/conv"
    patch, kernel = parse_tensor(query["input"]), parse_tensor(query["kernel"])
    patch = np.array(patch).reshape(-1, 5, 5)
    kernel = np.array(kernel).reshape(1, -1, 5, 5)
    # the kernel is filter `channel` of the shipped LeNet-5 (an independent read of the weights)
    weights = lenet5().layer(layer).params
    np.testing.assert_allclose(kernel[0], weights["W"][channel], rtol=1e-6, atol=1e-7)
    assert float(query["bias"]) == pytest.approx(float(weights["b"][channel]), rel=1e-6)
    with page.context.expect_page() as info:
        link.click()
    lab = info.value
    lab.wait_for_load_state()
    settle(lab)
    # the lab shows that patch and that kernel (to its display's 4 significant digits) ...
    shown_patch = np.array(lab_grids(lab, "#input-grids"))
    shown_kernel = np.array(lab_grids(lab, "#kernel-grids"))
    np.testing.assert_allclose(shown_patch, patch, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(shown_kernel.reshape(kernel.shape), kernel, rtol=1e-3, atol=1e-4)
    # ... and its own answer is the value /draw showed at the cell
    ((value,),) = lab_grids(lab, "#output-grids")[0]
    assert value == pytest.approx(shown, rel=1e-3, abs=1e-4)
    if layer == "conv2":
        save(lab, "conv-from-draw-conv2-en.png")
        lab.locator("#output-block").scroll_into_view_if_needed()
        save(lab, "conv-from-draw-conv2-en-output.png")
    assert console_errors == []


def test_a_pool_cell_opens_in_the_pool_lab(page, live_server, console_errors):
    open_page(page, live_server, "lang=zh")
    draw(page, DIGITS["4"])
    settled(page)
    text = click_cell(page, "pool1", 2, 5, 7, 14)
    assert "pool1" in text and "第 6 行、第 8 列" in text
    shown = shown_number(text.replace("：", ":"))
    link = page.locator("#cell-link")
    expect(link).to_contain_text("池化实验室")
    href = link.get_attribute("href")
    query = {k: v[0] for k, v in parse_qs(urlparse(href).query).items()}
    assert urlparse(href).path == "/pool" and (query["mode"], query["size"], query["stride"]) == ("max", "2", "2")
    with page.context.expect_page() as info:
        link.click()
    lab = info.value
    lab.wait_for_load_state()
    settle(lab)
    np.testing.assert_allclose(grid_values(lab, "#input-grid"), parse_tensor(query["input"]), rtol=1e-3, atol=1e-4)
    ((value,),) = grid_values(lab, "#output-grid")
    assert value == pytest.approx(shown, rel=1e-3, abs=1e-4)
    assert value == pytest.approx(np.max(parse_tensor(query["input"])), rel=1e-3)
    save(lab, "pool-from-draw-pool1-zh.png")
    assert console_errors == []
