"""The pooling lab in a real browser: the notes' presets play to their numbers with the winner
marked, keys step, the URL reproduces the screen, language switch, presenter mode, the shift demo."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import grid_values, open_lab, settle, shoot

PRESET_OF = {"max pooling 2x2 stride 2": "max", "average pooling 2x2 stride 2": "avg"}


@pytest.mark.parametrize("name", sorted(PRESET_OF))
def test_each_preset_plays_to_the_notes_numbers(page, live_server, console_errors, textbook, name):
    case = next(c for c in textbook["pooling"] if c["name"] == name)
    open_lab(page, f"{live_server}/pool?preset={PRESET_OF[name]}&lang=en&speed=8")
    page.click(".player-play")
    expect(page.locator(".player-counter")).to_have_text("Step 4 of 4", timeout=10_000)
    assert grid_values(page, "#output-grid") == case["output"]
    window = sorted(page.eval_on_selector_all("#input-grid .cell.window", "els => els.map(e => +e.value)"))
    assert window == sorted([1, 0, 1, 2])  # the last window of the notes' input
    if case["mode"] == "max":
        expect(page.locator("#input-grid .cell.winner")).to_have_value("2")
        expect(page.locator("#math")).to_contain_text("max(1, 0, 1, 2) = 2")
    else:
        assert page.locator("#input-grid .cell.winner").count() == 0
        expect(page.locator("#math")).to_contain_text("(1 + 0 + 1 + 2) / 4 = 4 / 4 = 1")
    shoot(page, f"pool-{case['mode']}-end.png", full_page=True)
    assert console_errors == []


def test_keyboard_and_url_round_trip(page, live_server, console_errors):
    open_lab(page, f"{live_server}/pool?preset=max&lang=en")
    counter = page.locator(".player-counter")
    page.keyboard.press("ArrowRight")
    expect(counter).to_have_text("Step 2 of 4")
    expect(page.locator("#input-grid .cell.winner")).to_have_value("5")
    assert grid_values(page, "#output-grid") == [[2, 5], [None, None]]
    page.keyboard.press("End")
    page.keyboard.press("ArrowLeft")
    expect(counter).to_have_text("Step 3 of 4")
    page.select_option("#mode", "avg")
    settle(page)
    expect(page.locator("#preset")).to_have_value("")
    link = page.url
    assert "mode=avg" in link and "step=2" in link
    other = page.context.new_page()
    open_lab(other, link)
    expect(other.locator(".player-counter")).to_have_text("Step 3 of 4")
    assert grid_values(other, "#output-grid") == grid_values(page, "#output-grid") == [[1, 3], [2, None]]
    assert other.locator("#math").text_content() == page.locator("#math").text_content()
    other.close()
    assert console_errors == []


def test_translation_demo_shows_the_servers_counts(page, live_server, console_errors, client):
    preset = client.get("/api/pool/presets").json()["shift"]
    demo = client.post("/api/pool", json={k: preset[k] for k in ("input", "mode", "size", "stride", "shift")}).json()[
        "translation"
    ]
    open_lab(page, f"{live_server}/pool?preset=shift&lang=en")
    summary = page.locator("#shift-summary")
    expect(summary).to_contain_text(f"{demo['input_changed_count']} of {demo['input_total']} input cells")
    expect(summary).to_contain_text(f"only {demo['output_changed_count']} of {demo['output_total']} pooled outputs")
    expect(page.locator("#shift-honest")).to_be_hidden()
    assert page.locator("#shift-grids .grid").count() == 4
    assert (
        page.locator("#shift-grids .cell.changed").count() == demo["input_changed_count"] + demo["output_changed_count"]
    )
    page.locator("#shift-panel").scroll_into_view_if_needed()
    shoot(page, "pool-shift.png", full_page=True)
    page.select_option("#shift", "")
    settle(page)
    expect(page.locator("#shift-panel")).to_be_hidden()
    assert "shift=&" in page.url or page.url.endswith("shift=")
    assert console_errors == []


def test_translation_demo_on_the_notes_example_says_honestly_that_every_pooled_value_changed(
    page, live_server, console_errors
):
    open_lab(page, f"{live_server}/pool?preset=max&lang=en")
    page.select_option("#shift", "right")
    settle(page)
    summary = page.locator("#shift-summary")
    expect(summary).to_contain_text("13 of 16 input cells changed")
    expect(summary).to_contain_text("every one of the 4 pooled outputs")
    assert "only" not in summary.text_content()
    honest = page.locator("#shift-honest")
    expect(honest).to_be_visible()
    honest.locator("a").click()
    settle(page)
    expect(page.locator("#preset")).to_have_value("shift")
    expect(page.locator("#shift-summary")).to_contain_text("but only")
    page.click("a[data-lang=zh]")
    settle(page)
    expect(page.locator("#shift-summary")).to_contain_text("而池化输出的 16 个格子中只有")
    assert console_errors == []


def test_language_switch_and_presenter_mode(page, live_server, console_errors):
    open_lab(page, f"{live_server}/pool?preset=avg&lang=en")
    page.keyboard.press("ArrowRight")
    page.click("a[data-lang=zh]")
    settle(page)
    expect(page.locator("h1")).to_have_text("池化实验室")
    expect(page.locator(".player-counter")).to_have_text("第 2 步，共 4 步")
    expect(page.locator("#mode")).to_have_value("avg")
    page.click("[data-presenter-toggle]")
    expect(page.locator("#mode")).to_be_visible()  # the side panel is a strip of the main settings
    expect(page.locator("#in-rows")).to_be_hidden()  # without the input's set-up
    assert "presenter=1" in page.url and "lang=zh" in page.url
    shoot(page, "pool-avg-zh-presenter.png", full_page=True)
    page.fill("#input-grid input.cell >> nth=0", "")
    expect(page.locator("#alerts")).to_contain_text("第 1 行，第 1 列")
    expect(page.locator("#output-grid .refused-note")).to_contain_text("服务器拒绝了这些设置")
    expect(page.locator("#output-grid .grid")).to_have_count(0)
    assert all("422" in e for e in console_errors), console_errors


def test_ceil_mode_and_count_include_pad(page, live_server, console_errors):
    """The ceil preset: 5x5, 2x2 max windows, stride 2, ceil_mode. PyTorch: ceil((5 - 2) / 2) + 1 = 3;
    without ceil_mode floor(1.5) + 1 = 2, and the last row and column (the 9s) are never read."""
    open_lab(page, f"{live_server}/pool?preset=ceil&lang=en")
    expect(page.locator("#ceil-mode")).to_be_checked()
    expect(page.locator("#formula-text")).to_contain_text("OH = ⌈(5 + 2·0 − 1·(2 − 1) − 1) / 2⌉ + 1 = ⌈1.5⌉ + 1 = 3")
    expect(page.locator("#count-include-pad")).to_be_hidden()  # max pooling divides by nothing
    page.keyboard.press("End")
    expect(page.locator(".player-counter")).to_have_text("Step 9 of 9")
    assert grid_values(page, "#output-grid") == [[2, 5, 9], [4, 2, 9], [9, 9, 9]]
    # the last window is cut to the one cell inside the input
    assert page.eval_on_selector_all("#input-grid .cell.window", "els => els.map(e => +e.value)") == [9]
    expect(page.locator("#math")).to_contain_text("max(9) = 9 (the window runs past the edge")
    expect(page.locator("#input-grid .cell.unread")).to_have_count(0)
    shoot(page, "pool-ceil.png", full_page=True)
    page.uncheck("#ceil-mode")
    settle(page)
    assert "ceil_mode=" in page.url and page.locator("#preset").input_value() == ""
    expect(page.locator("#formula-text")).to_contain_text("⌊1.5⌋ + 1 = 2")
    expect(page.locator("#input-grid .cell.unread")).to_have_count(9)  # row 5 and column 5
    expect(page.locator("#unread-note")).to_contain_text("input row(s) 5")
    # average pooling with padding 1: the corner window holds one input cell and three zeros
    page.select_option("#mode", "avg")
    page.fill("#padding", "1")
    settle(page)
    expect(page.locator("#count-include-pad")).to_be_visible()
    expect(page.locator("#count-include-pad")).to_be_checked()
    page.click("h1")  # (out of the padding field: Home there moves the caret)
    page.keyboard.press("Home")
    expect(page.locator("#math")).to_contain_text("(0 + 0 + 0 + 1) / 4 = 1 / 4 = 0.25")
    page.uncheck("#count-include-pad")
    settle(page)
    page.click("h1")
    page.keyboard.press("Home")
    expect(page.locator("#math")).to_contain_text("(0 + 0 + 0 + 1) / 1 = 1 / 1 = 1 (padding not counted)")
    link = page.url
    other = page.context.new_page()
    open_lab(other, link)
    expect(other.locator("#count-include-pad")).not_to_be_checked()
    assert grid_values(other, "#output-grid")[0][0] == 1
    other.close()
    assert console_errors == []
