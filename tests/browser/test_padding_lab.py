"""Padding per side, "same" and the padding modes on /conv and /filters in a real browser: the
padded cells show the server's values (copies marked with the cell they copy), the formula and the
note say where "same" put its extra row, a refusal is shown in words. Screenshots (1280x720) go to
/work/notes/shots/padding/ when that folder's parent exists."""

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.helpers import open_lab, settle, shoot

NOTES_SHOTS = Path("/work/notes/shots/padding")


def snap(page, name):
    shoot(page, f"padding-{name}.png")
    if NOTES_SHOTS.parent.exists():
        NOTES_SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=NOTES_SHOTS / f"{name}.png")


def pad_cells(page):
    """The padding cells of the first input grid: (padded row, padded col, text, tag or None, copy?)."""
    return page.eval_on_selector_all(
        "#input-grids .grid >> nth=0 >> .cell.pad",
        "els => els.map(e => [+e.dataset.r, +e.dataset.c, e.textContent, e.dataset.tag ?? null,"
        " e.classList.contains('pad-copy')])",
    )


def test_conv_lab_same_even_kernel_and_the_modes(page, live_server, console_errors):
    open_lab(page, f"{live_server}/conv?preset=same-even&lang=en&speed=8")
    # "same" with a 2x2 kernel on 4x4: top 0, bottom 1, left 0, right 1 (the server's answer)
    cells = pad_cells(page)
    assert len(cells) == 5 * 5 - 4 * 4
    assert {(r, c) for r, c, *_ in cells} == {(4, c) for c in range(5)} | {(r, 4) for r in range(4)}
    assert all(text == "0" and not copy for *_, text, _, copy in cells)
    expect(page.locator("#padding-note")).to_contain_text("PyTorch puts the extra row at the bottom (top 0, bottom 1)")
    expect(page.locator("#padding-note")).to_contain_text("extra column at the right (left 0, right 1)")
    expect(page.locator("#formula")).to_contain_text("OH = ⌊(4 + 0 + 1 − 1·(2 − 1) − 1) / 1⌋ + 1 = ⌊3⌋ + 1 = 4")
    expect(page.locator(".pad-copy-legend")).to_be_hidden()
    assert page.locator("#padding-form").input_value() == "same"
    snap(page, "conv-same-even-zeros")

    # reflect: the padding cells become copies; the bottom row reflects input row 3 (1-based), the
    # right column input column 3: input [[1,2,0,1],[3,1,2,0],[0,2,1,3],[1,0,3,2]]
    page.select_option("#padding-mode", "reflect")
    settle(page)
    cells = {(r, c): (text, tag, copy) for r, c, text, tag, copy in pad_cells(page)}
    assert all(copy for _, _, copy in cells.values())
    assert [cells[(4, c)][0] for c in range(5)] == ["0", "2", "1", "3", "1"]  # input row 3, then (3, 3)
    assert cells[(4, 0)][1] == "3,1" and cells[(0, 4)][1] == "1,3"
    assert (
        page.get_attribute("#input-grids .cell.pad[data-r='4'][data-c='0']", "title")
        == "Reflect padding: a copy of row 3, column 1"
    )
    expect(page.locator(".pad-copy-legend")).to_be_visible()
    assert "padding_mode=reflect" in page.url
    snap(page, "conv-same-even-reflect")

    for mode, bottom in (("replicate", ["1", "0", "3", "2", "2"]), ("circular", ["1", "2", "0", "1", "1"])):
        page.select_option("#padding-mode", mode)
        settle(page)
        assert [text for r, c, text, *_ in sorted(pad_cells(page)) if r == 4] == bottom
        snap(page, f"conv-same-even-{mode}")

    # per side: starts from the answer's sides, then 2 rows on top
    page.select_option("#padding-form", "sides")
    settle(page)
    assert [page.input_value(f"#pad-{s}") for s in ("top", "bottom", "left", "right")] == ["0", "1", "0", "1"]
    page.fill("#pad-top", "2")
    settle(page)
    assert len(pad_cells(page)) == 7 * 5 - 4 * 4
    expect(page.locator("#formula")).to_contain_text("OH = ⌊(4 + 2 + 1 ")
    assert "padding=2,1,0,1" in page.url.replace("%2C", ",")
    expect(page.locator("#padding-note")).to_be_hidden()
    snap(page, "conv-per-side-circular")

    # refused in words: reflect padding as large as the input
    page.select_option("#padding-form", "number")
    page.select_option("#padding-mode", "reflect")
    page.fill("#padding", "4")
    page.wait_for_selector("body[data-ready=error]")
    expect(page.locator("[role=alert]").first).to_contain_text("Reflect padding must be smaller than the input")
    snap(page, "conv-reflect-refused")
    assert [e for e in console_errors if "422" not in e] == []  # (the browser's note of the refusal)


def test_conv_reflect_preset_in_chinese(page, live_server, console_errors):
    open_lab(page, f"{live_server}/conv?preset=reflect&lang=zh")
    cells = pad_cells(page)
    assert len(cells) == 6 * 6 - 4 * 4 and all(copy for *_, copy in cells)
    # reflect by 1 around [[5,5,5,1] x 4]: the left column copies column 2 (5), the right column 3 (5)
    assert {text for r, c, text, *_ in cells if c in (0, 5)} == {"5"}
    assert (
        page.get_attribute("#input-grids .cell.pad[data-r='0'][data-c='0']", "title")
        == "反射填充：复制第 2 行、第 2 列"
    )
    snap(page, "conv-reflect-preset-zh")
    assert console_errors == []


def test_filters_padding_modes_at_the_border(page, live_server, console_errors):
    open_lab(page, f"{live_server}/filters?image=camera&preset=sobel_x&padding=1&lang=en")
    assert page.locator("#padding-form").count() == 0 and page.locator("#padding-mode").input_value() == "zeros"
    snap(page, "filters-zeros")
    page.select_option("#padding-mode", "reflect")
    settle(page)
    assert "padding_mode=reflect" in page.url
    snap(page, "filters-reflect")
    page.select_option("#padding-mode", "replicate")
    settle(page)
    snap(page, "filters-replicate")
    page.select_option("#padding-mode", "circular")
    settle(page)
    snap(page, "filters-circular")
    page.fill("#padding", "400")
    page.wait_for_selector("body[data-ready=error]")
    expect(page.locator("#output-refused")).to_be_visible()
    assert [e for e in console_errors if "422" not in e] == []


def test_builder_conv_layer_takes_the_new_paddings(page, live_server, console_errors):
    page.goto(f"{live_server}/learn?lang=en&preset=&layers=conv:4:2:1:same:reflect,relu,flatten,dense:10")
    first = page.locator("#layers .layer").first
    expect(first.locator(".layer-info")).to_contain_text("4×28×28")  # "same" keeps 28x28 (the server's answer)
    assert first.locator("input[data-field=padding]").input_value() == "same"
    assert first.locator("select[data-field=padding_mode]").input_value() == "reflect"
    # per side: 0,1,0,1 with a 2x2 kernel also keeps 28x28; the URL keeps it
    first.locator("input[data-field=padding]").fill("0,1,0,1")
    expect(page).to_have_url(re.compile(r"layers=conv(:|%3A)4(:|%3A)2(:|%3A)1(:|%3A)0_1_0_1(:|%3A)reflect"))
    expect(first.locator(".layer-info")).to_contain_text("4×28×28")
    page.locator("#layers .layer").first.scroll_into_view_if_needed()
    snap(page, "builder-per-side-reflect")
    # a name that is not a padding: refused on the layer, in words
    first.locator("input[data-field=padding]").fill("full")
    expect(first.locator(".layer-problem")).to_contain_text("“valid” or “same”; got “full”")
    first.locator("input[data-field=padding]").fill("2")
    first.locator("select[data-field=padding_mode]").select_option("circular")
    expect(first.locator(".layer-info")).to_contain_text("4×31×31")  # 28 + 2 + 2 - 2 + 1
    expect(page).to_have_url(re.compile(r"(:|%3A)2(:|%3A)circular"))
    assert console_errors == []
