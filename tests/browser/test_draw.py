"""The draw-a-digit page in real Chromium: digits drawn with the mouse are recognised, undo and
clear work, the 28x28 view, layers and explanation show, in English and Chinese, in presenter mode."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import shoot

# Strokes in the pad's own coordinates, (x, y) in [0, 1], as a person would draw them.
DIGITS = {
    "0": [[(0.5, 0.15), (0.3, 0.3), (0.28, 0.6), (0.5, 0.85), (0.7, 0.6), (0.72, 0.3), (0.5, 0.15)]],
    "1": [[(0.52, 0.15), (0.48, 0.85)]],
    "4": [[(0.55, 0.15), (0.25, 0.6), (0.75, 0.6)], [(0.6, 0.35), (0.6, 0.88)]],
    "7": [[(0.25, 0.2), (0.75, 0.2)], [(0.75, 0.2), (0.4, 0.85)]],
}


def draw(page, strokes, steps=12):
    """Draw `strokes` with the mouse, moving in `steps` pointer events from each point to the next
    (the pad joins them with straight lines: fewer steps draw the same ink with fewer events)."""
    page.locator("#pad").scroll_into_view_if_needed()
    box = page.locator("#pad").bounding_box()
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=steps)
        page.mouse.up()


def settled(page):
    """Wait until the page has the answer to the latest drawing."""
    page.wait_for_function("() => document.body.dataset.ready === 'yes' || document.body.dataset.ready === 'error'")


def dark_pixels(page, selector) -> int:
    """How many pixels of a canvas are drawn darker than light grey (what a person would see)."""
    return page.eval_on_selector(
        selector,
        """(c) => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && d[i] < 160) n++;
        return n;
    }""",
    )


def red_pixels(page, selector) -> int:
    """How many pixels of a canvas are clearly red (the explanation's "this helped the answer")."""
    return page.eval_on_selector(
        selector,
        """(c) => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] > d[i + 1] + 60 && d[i] > d[i + 2] + 60) n++;
        return n;
    }""",
    )


def open_page(page, live_server, query="lang=en"):
    page.goto(f"{live_server}/draw?{query}")
    page.wait_for_selector("body[data-models=loaded]")


@pytest.mark.parametrize("digit", ["1", "0", "7", "4"])
def test_drawn_digit_is_the_top_guess(page, live_server, console_errors, digit):
    open_page(page, live_server)
    draw(page, DIGITS[digit])
    expect(page.locator("#top-digit")).to_have_text(digit)
    settled(page)
    expect(page.locator("#top-digit")).to_have_text(digit)
    expect(page.locator(f".bar-row.top[data-digit='{digit}']")).to_have_count(1)
    # The 28x28 view shows the digit and where its centre of mass is.
    assert dark_pixels(page, "#input28") >= 20
    expect(page.locator("#mass-centre")).to_be_visible()
    expect(page.locator("#step-bbox")).to_be_visible()
    fit_note = page.locator("#note-fit").text_content()
    assert "20×" in fit_note or "×20" in fit_note
    # The explanation arrives when the pen is lifted; every layer is drawn.
    expect(page.locator("#explain-text")).to_contain_text(f"score for {digit}")
    assert red_pixels(page, "#explain-map") >= 10  # the strokes that support the answer
    expect(page.locator(".layer[data-layer=conv1] canvas")).to_have_count(6)
    if digit == "7":
        shoot(page, "draw-7-en.png")
        shoot(page, "draw-7-en-full.png", full_page=True)
    page.click("input[name=explain][value=occlusion]")  # the other map of the same answer
    expect(page.locator("#explain-text")).to_contain_text(f"probability of {digit}")
    assert "explain=occlusion" in page.url
    expect(page.locator(".layer[data-layer=conv1] canvas")).to_have_count(6)
    expect(page.locator(".layer[data-layer=conv2] canvas")).to_have_count(16)
    expect(page.locator(".layer[data-layer=dense3] .unit")).to_have_count(10)
    assert console_errors == []


PEN_STROKE = """([points, type]) => {
    const pad = document.getElementById('pad');
    const box = pad.getBoundingClientRect();
    const at = ([x, y], kind, extra = {}) => pad.dispatchEvent(new PointerEvent(kind, {
        bubbles: true, cancelable: true, pointerId: 7, pointerType: type, isPrimary: true, pressure: 0.6,
        clientX: box.left + x * box.width, clientY: box.top + y * box.height, ...extra}));
    at(points[0], 'pointerdown', {button: 0, buttons: 1});
    const [a, b] = [points[0], points[points.length - 1]];
    for (let i = 1; i <= 30; i++) at([a[0] + (b[0] - a[0]) * i / 30, a[1] + (b[1] - a[1]) * i / 30], 'pointermove');
    at(b, 'pointerup');
}"""


@pytest.mark.parametrize("pointer", ["pen", "touch"])
def test_pen_and_finger(page, live_server, console_errors, pointer):
    """Pointer Events from a pen or a finger draw like the mouse (the pad ignores their type)."""
    open_page(page, live_server)
    assert page.eval_on_selector("#pad", "c => getComputedStyle(c).touchAction") == "none"
    page.evaluate(PEN_STROKE, [[[0.5, 0.15], [0.48, 0.85]], pointer])
    expect(page.locator("#pad")).to_have_attribute("data-strokes", "1")
    expect(page.locator("#top-digit")).to_have_text("1")
    assert console_errors == []


def test_undo_and_clear_with_buttons_and_keys(page, live_server, console_errors):
    open_page(page, live_server)
    expect(page.locator("#result-empty")).to_be_visible()
    draw(page, DIGITS["1"])
    expect(page.locator("#top-digit")).to_have_text("1")
    draw(page, [[(0.15, 0.5), (0.85, 0.5)]])  # a second stroke across it
    expect(page.locator("#pad")).to_have_attribute("data-strokes", "2")
    settled(page)
    page.click("#undo")
    expect(page.locator("#pad")).to_have_attribute("data-strokes", "1")
    settled(page)
    expect(page.locator("#top-digit")).to_have_text("1")
    page.click("#clear")
    expect(page.locator("#pad")).to_have_attribute("data-strokes", "0")
    expect(page.locator("#result-empty")).to_be_visible()
    expect(page.locator("#top-guess")).to_be_hidden()
    expect(page.locator("#pad-placeholder")).to_be_visible()
    assert dark_pixels(page, "#input28") == 0
    # The keyboard: Ctrl+Z and Backspace undo, Delete clears.
    draw(page, DIGITS["7"])
    expect(page.locator("#top-digit")).to_have_text("7")
    page.keyboard.press("Control+z")
    expect(page.locator("#pad")).to_have_attribute("data-strokes", "1")
    page.keyboard.press("Backspace")
    expect(page.locator("#pad")).to_have_attribute("data-strokes", "0")
    expect(page.locator("#result-empty")).to_be_visible()
    draw(page, DIGITS["0"])
    expect(page.locator("#top-digit")).to_have_text("0")
    page.keyboard.press("Delete")
    expect(page.locator("#pad")).to_have_attribute("data-strokes", "0")
    expect(page.locator("#top-guess")).to_be_hidden()
    assert console_errors == []


def test_a_dot_is_not_a_digit(page, live_server, console_errors):
    open_page(page, live_server)
    box = page.locator("#pad").bounding_box()
    page.mouse.click(box["x"] + 0.3 * box["width"], box["y"] + 0.3 * box["height"])  # one dot of the pen
    expect(page.locator("#pad")).to_have_attribute("data-strokes", "1")
    settled(page)
    expect(page.locator("#result-empty")).to_contain_text("Draw a digit first")
    expect(page.locator("#top-guess")).to_be_hidden()
    expect(page.locator("#alerts")).to_be_hidden()  # an answer to show, not an error
    draw(page, DIGITS["1"])  # the dot and a stroke: now a digit
    expect(page.locator("#top-guess")).to_be_visible()
    assert console_errors == []


def test_chinese_and_presenter_mode(page, live_server, console_errors):
    open_page(page, live_server, "lang=en")
    page.click("a[data-lang=zh]")
    page.wait_for_selector("body[data-models=loaded]")
    expect(page.locator("h1")).to_have_text("手写数字识别")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#model option").first).to_contain_text("预训练")
    expect(page.locator("#result-empty")).to_contain_text("写一个数字")
    page.click("[data-presenter-toggle]")
    expect(page.locator("html")).to_have_class("presenter")
    assert "presenter=1" in page.url
    draw(page, DIGITS["4"])
    expect(page.locator("#top-digit")).to_have_text("4")
    settled(page)
    expect(page.locator("#explain-text")).to_contain_text("给 4 的分数")
    # Large enough for the back row: the top guess and the pad are big.
    assert page.locator("#top-digit").bounding_box()["height"] >= 80
    assert page.locator("#pad").bounding_box()["width"] >= 300
    shoot(page, "draw-4-zh-presenter.png")
    # The language and presenter mode survive a reload; the explanation method is in the URL.
    page.click("input[name=explain][value=saliency]")
    assert "explain=saliency" in page.url
    page.reload()
    page.wait_for_selector("body[data-models=loaded]")
    expect(page.locator("html")).to_have_class("presenter")
    expect(page.locator("input[name=explain][value=saliency]")).to_be_checked()
    draw(page, DIGITS["1"])
    expect(page.locator("#top-digit")).to_have_text("1")
    expect(page.locator("#explain-text")).to_contain_text("1 的分数")
    assert console_errors == []


def test_keyboard_reaches_every_control(page, live_server, console_errors):
    open_page(page, live_server)
    reached = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.id || document.activeElement.name || ''"))
    assert {"pad", "undo", "clear", "model", "explain"} <= reached
    assert console_errors == []
