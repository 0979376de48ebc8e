"""The convolution lab in a real browser: presets play to the notes' numbers, keys step, the URL
reproduces the screen, the language switch keeps it, presenter mode, and errors shown in words."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import grid_values, open_lab, settle, shoot

PRESET_OF = {
    "basic 3x3 * 2x2": "basic",
    "with bias 2": "bias",
    "zero padding 1": "padding",
    "stride 2": "stride",
    "5x5 image, 3x3 filter, ReLU": "relu5x5",
    "5x5 image, 3x3 filter, stride 2": "relu5x5-stride2",
}


@pytest.mark.parametrize("name", sorted(PRESET_OF))
def test_each_preset_plays_to_the_notes_numbers(page, live_server, console_errors, textbook, name):
    case = next(c for c in textbook["convolution"] if c["name"] == name)
    open_lab(page, f"{live_server}/conv?preset={PRESET_OF[name]}&lang=en&speed=8")
    n = len(case["output"]) * len(case["output"][0])
    expect(page.locator(".player-counter")).to_have_text(f"Step 1 of {n}")
    if "first_step" in case and "relu" not in case["first_step"]:
        expect(page.locator("#math")).to_contain_text(case["first_step"].replace("*", "×"))
    page.click(".player-play")
    expect(page.locator(".player-counter")).to_have_text(f"Step {n} of {n}", timeout=10_000)
    expect(page.locator(".player-play")).to_have_attribute("aria-pressed", "false")
    assert grid_values(page, "#output-grids") == case["output"]
    if "padding" in name:
        assert page.locator("#input-grids .cell.pad").count() == 5 * 5 - 3 * 3
    if "output_size" in case and case["output_size"].startswith("OH"):  # the notes' sum, PyTorch's floor shown
        h, k, p, s = len(case["input"]), len(case["kernel"]), case["padding"], case["stride"]
        expect(page.locator("#formula")).to_contain_text(f"OH = ⌊({h} + 2·{p} − 1·({k} − 1) − 1) / {s}⌋ + 1")
        expect(page.locator("#formula")).to_contain_text(case["output_size"].rsplit("=", 1)[1].strip())
    if name == "5x5 image, 3x3 filter, ReLU":
        shoot(page, "conv-relu5x5-end.png")
    assert console_errors == []


def test_keyboard_steps_back_and_forth(page, live_server, console_errors, textbook):
    open_lab(page, f"{live_server}/conv?preset=basic&lang=en&speed=0.5")  # slow: a play between two keys moves no step
    counter, math = page.locator(".player-counter"), page.locator("#math")
    expect(math).to_contain_text("0×0 + 1×1 + 3×2 + 4×3 = 19")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(counter).to_have_text("Step 3 of 4")
    assert grid_values(page, "#output-grids") == [[19, 25], [37, None]]
    # the window of step 3 (row 2, column 1) is highlighted on the input: 3, 4, 6, 7
    assert sorted(page.eval_on_selector_all("#input-grids .cell.window", "els => els.map(e => +e.value)")) == [
        3,
        4,
        6,
        7,
    ]
    page.keyboard.press("ArrowLeft")
    expect(counter).to_have_text("Step 2 of 4")
    expect(math).to_contain_text("= 25")
    page.keyboard.press("End")
    expect(counter).to_have_text("Step 4 of 4")
    expect(math).to_contain_text("4×0 + 5×1 + 7×2 + 8×3 = 43")
    page.keyboard.press("Home")
    expect(counter).to_have_text("Step 1 of 4")
    assert grid_values(page, "#output-grids") == [[19, None], [None, None]]
    page.keyboard.press("Space")
    expect(page.locator(".player-play")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Space")
    expect(page.locator(".player-play")).to_have_attribute("aria-pressed", "false")
    # typing in a grid cell does not step the player
    page.click("#kernel-grids input.cell >> nth=0")
    before = counter.text_content()
    page.keyboard.press("End")
    assert counter.text_content() == before
    # the player's own buttons are real buttons; Space on one of them plays rather than pressing it again
    page.click(".player-forward")
    expect(counter).not_to_have_text(before)
    after = counter.text_content()
    page.keyboard.press("Space")
    expect(page.locator(".player-play")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Space")
    expect(page.locator(".player-play")).to_have_attribute("aria-pressed", "false")
    assert counter.text_content() == after
    assert console_errors == []


def test_url_round_trip_reproduces_the_screen(page, live_server, console_errors):
    open_lab(page, f"{live_server}/conv?lang=en")
    page.fill("#input-grids input.cell >> nth=0", "9")
    page.fill("#padding", "1")
    settle(page)
    page.select_option("#activation", "relu")
    settle(page)
    expect(page.locator(".player-counter")).to_have_text("Step 1 of 16")
    for _ in range(5):
        page.keyboard.press("ArrowRight") if page.evaluate("document.activeElement.tagName") == "BODY" else page.click(
            ".player-forward"
        )
    expect(page.locator(".player-counter")).to_have_text("Step 6 of 16")
    page.click("#im2col-toggle")
    shown = {
        "input": grid_values(page, "#input-grids"),
        "output": grid_values(page, "#output-grids"),
        "math": page.locator("#math").text_content(),
        "formula": page.locator("#formula").text_content(),
    }
    link = page.url
    assert "input=9,1,2;3,4,5;6,7,8" in link and "padding=1" in link and "step=5" in link
    other = page.context.new_page()
    open_lab(other, link)
    expect(other.locator(".player-counter")).to_have_text("Step 6 of 16")
    assert {
        "input": grid_values(other, "#input-grids"),
        "output": grid_values(other, "#output-grids"),
        "math": other.locator("#math").text_content(),
        "formula": other.locator("#formula").text_content(),
    } == shown
    assert other.locator("#activation").input_value() == "relu"
    expect(other.locator("#im2col-panel")).to_be_visible()
    other.close()
    assert console_errors == []


def test_language_switch_keeps_the_state(page, live_server, console_errors):
    open_lab(page, f"{live_server}/conv?preset=stride&lang=en")
    page.keyboard.press("ArrowRight")
    expect(page.locator("h1")).to_have_text("Convolution lab")
    page.click("a[data-lang=zh]")
    settle(page)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("卷积实验室")
    expect(page.locator(".player-counter")).to_have_text("第 2 步，共 4 步")
    assert "step=1" in page.url and "stride=2" in page.url and "lang=zh" in page.url
    expect(page.locator("label[for=stride]")).to_have_text("步幅")
    shoot(page, "conv-stride-zh.png")
    assert console_errors == []


def test_presenter_mode(page, live_server, console_errors):
    open_lab(page, f"{live_server}/conv?preset=padding&lang=en")
    expect(page.locator(".side-panel")).to_be_visible()
    page.click("[data-presenter-toggle]")
    expect(page.locator("html")).to_have_class("presenter")
    expect(page.locator("#stride")).to_be_visible()  # the side panel is a strip of the main settings
    expect(page.locator("#in-rows")).to_be_hidden()  # without the input's set-up
    assert "presenter=1" in page.url
    size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert size >= 20
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    shoot(page, "conv-padding-presenter.png")
    page.reload()
    settle(page)
    expect(page.locator("html")).to_have_class("presenter")
    expect(page.locator(".player-counter")).to_have_text("Step 6 of 16")
    page.click("[data-presenter-toggle]")
    expect(page.locator("#in-rows")).to_be_visible()
    assert "presenter" not in page.url
    assert console_errors == []


def test_bad_input_is_explained_on_the_page(page, live_server, console_errors):
    open_lab(page, f"{live_server}/conv?preset=basic&lang=en")
    page.fill("#input-grids input.cell >> nth=1", "x")
    expect(page.locator("#alerts")).to_have_text("The input, row 1, column 2: “x” is not a number.")
    expect(page.locator("#input-grids input.cell >> nth=1")).to_have_class("cell invalid")
    page.fill("#input-grids input.cell >> nth=1", "1")
    settle(page)
    expect(page.locator("#alerts")).to_be_hidden()
    page.fill("#k-rows", "4")
    page.dispatch_event("#k-rows", "change")
    expect(page.locator("#alerts")).to_contain_text("OH = ⌊(3 + 2·0 − 1·(4 − 1) − 1) / 1⌋ + 1 = ⌊−1⌋ + 1 = 0")
    # the old feature map does not stay on screen under the refusal: a note says why it is gone
    expect(page.locator("#output-grids .refused-note")).to_contain_text("the server refused these settings")
    expect(page.locator("#output-grids .grid")).to_have_count(0)
    expect(page.locator("#math")).to_be_empty()
    expect(page.locator("#unread-note")).to_be_hidden()
    shoot(page, "conv-error.png")
    page.fill("#padding", "1")
    settle(page)
    expect(page.locator("#alerts")).to_be_hidden()
    expect(page.locator("#output-grids .refused-note")).to_have_count(0)
    expect(page.locator("#output-grids .grid")).to_have_count(1)
    # the only console messages are the browser's notes about the 422 answers
    assert all("422" in e for e in console_errors), console_errors


def test_multichannel_and_im2col(page, live_server, console_errors):
    open_lab(page, f"{live_server}/conv?preset=multichannel&lang=en&im2col=1")
    assert page.locator("#input-grids .grid").count() == 3 and page.locator("#kernel-grids .grid").count() == 3
    page.keyboard.press("End")
    expect(page.locator(".player-counter")).to_have_text("Step 4 of 4")
    assert page.locator("#math .math-line").count() == 4  # one line per channel, then the bias
    # each channel's line is labelled and ends with its subtotal (computed here with NumPy)
    import numpy as np
    from app.presets import CONV_PRESETS

    p = CONV_PRESETS["multichannel"]
    x, k = np.array(p["input"], dtype=float), np.array(p["kernel"], dtype=float)
    subtotals = [(x[c, 1:4, 1:4] * k[0, c]).sum() for c in range(3)]
    for c in range(3):
        line = page.locator(f"#math .math-line[data-channel='{c + 1}']")
        expect(line.locator(".channel-name")).to_have_text(f"channel {c + 1}: ")
        expect(line.locator(".subtotal")).to_have_text(f"{subtotals[c]:g}")
    total = " + ".join(f"{v:g}" for v in subtotals) + f" + {p['bias'][0]:g} = {sum(subtotals) + p['bias'][0]:g}"
    expect(page.locator("#math .total-line")).to_have_text(total)
    product = grid_values(page, "#im2col-body .grid-block:last-child")
    assert [product[0]] == [[v for row in grid_values(page, "#output-grids") for v in row]]
    shoot(page, "conv-multichannel-im2col.png")
    page.fill("#k-filters", "2")
    page.dispatch_event("#k-filters", "change")
    settle(page)
    assert page.locator("#output-grids .grid").count() == 2
    expect(page.locator(".player-counter")).to_have_text("Step 4 of 8")  # an edit keeps the step
    assert console_errors == []


def test_a_stride_that_leaves_a_column_marks_the_cells_never_read(page, live_server, console_errors):
    """The floor preset: a 5x6 input, a 3x3 kernel, stride 2. PyTorch: floor((6 - 3) / 2) + 1 = 2 columns,
    windows at columns 1 and 3 (1-based): column 6 is never read (its 9s never reach the output)."""
    open_lab(page, f"{live_server}/conv?preset=floor&lang=en")
    expect(page.locator("#formula")).to_contain_text("OW = ⌊(6 + 2·0 − 1·(3 − 1) − 1) / 2⌋ + 1 = ⌊1.5⌋ + 1 = 2")
    unread = page.locator("#input-grids .cell.unread")
    expect(unread).to_have_count(5)
    assert unread.evaluate_all("els => els.map(e => +e.dataset.col)") == [5] * 5
    expect(page.locator("#unread-note")).to_have_text("No window covers input column(s) 6: PyTorch never reads them.")
    shoot(page, "conv-floor.png")
    page.fill("#stride", "1")  # stride 1: every column is read
    settle(page)
    expect(unread).to_have_count(0)
    expect(page.locator("#unread-note")).to_be_hidden()
    page.click("a[data-lang=zh]")  # the same cells, said in Chinese
    settle(page)
    page.fill("#stride", "2")
    settle(page)
    expect(page.locator("#unread-note")).to_have_text("没有窗口覆盖输入的第 6 列：PyTorch 从不读取它们。")
    assert console_errors == []


def test_im2col_says_its_values_are_before_the_activation(page, live_server, console_errors):
    open_lab(page, f"{live_server}/conv?preset=relu5x5&lang=en&im2col=1")
    expect(page.locator("#im2col-body")).to_contain_text("Output before relu (1×9)")
    expect(page.locator("#im2col-body .im2col-activation")).to_contain_text("the feature map above shows relu(z)")
    open_lab(page, f"{live_server}/conv?preset=basic&lang=en&im2col=1")
    expect(page.locator("#im2col-body")).to_contain_text("Output (1×4)")
    expect(page.locator("#im2col-body .im2col-activation")).to_have_count(0)
    assert console_errors == []
