"""The transposed-convolution lab in a real browser: a preset of Dumoulin & Visin's figures steps
through the input cells with the server's numbers, output_padding changes the output, a refusal is
explained, and the page reads well on a phone in Chinese."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import grid_values, open_lab, settle

pytestmark = pytest.mark.browser

SHOTS = Path("/work/notes/shots/transposed")


def shoot(page, name, full_page=False):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / name, full_page=full_page)


def test_a_figure_steps_with_the_servers_numbers(page, live_server, console_errors, client):
    preset = client.get("/api/conv_transpose/presets").json()["fig4_6"]
    body = {k: preset[k] for k in ("input", "kernel", "stride", "padding", "output_padding", "dilation")}
    answer = client.post("/api/conv_transpose", json=body).json()
    assert answer["output_shape"] == [5, 5] and answer["scatter_shape"] == [1, 7, 7]

    open_lab(page, f"{live_server}/transposed?preset=fig4_6&lang=en")
    expect(page.locator(".topnav a[aria-current=page]")).to_have_text("Transposed conv lab")
    counter = page.locator(".player-counter")
    expect(counter).to_have_text("Step 1 of 9")
    assert grid_values(page, "#output-grid") == answer["output"]
    # step 2: input row 1, column 2 (value 2) lands with its corner at scatter column 3 (0-based 2)
    page.keyboard.press("ArrowRight")
    expect(counter).to_have_text("Step 2 of 9")
    assert grid_values(page, "#scatter-grid") == answer["steps"][1]["partial"]
    assert grid_values(page, "#copy-grid") == [[2, 2, 2], [2, 2, 2], [2, 2, 2]]
    expect(page.locator("#input-grid .cell.current")).to_have_value("2")
    copied = page.eval_on_selector_all(
        "#scatter-grid .cell.window", "els => els.map(e => [+e.dataset.r, +e.dataset.c])"
    )
    assert sorted(copied) == sorted([[r, c] for _, r, c in answer["steps"][1]["cells"]])
    # padding 1 crops the scatter's border: 7*7 - 5*5 cells hatched
    expect(page.locator("#scatter-grid .cell.cropped")).to_have_count(24)
    expect(page.locator("#math")).to_contain_text("Input row 1, column 2: 2 × kernel")
    expect(page.locator("#math")).to_contain_text("3 of its cells land in the cropped border")
    # stride 2 with a 3x3 kernel: this copy shares its first column with the first copy's last
    expect(page.locator("#scatter-grid .cell.overlap")).to_have_count(3)
    expect(page.locator("#math")).to_contain_text("3 of its cells add to what earlier copies put there")
    expect(page.locator("#formula-text")).to_have_text(
        "OH = (3 − 1)·2 − 2·1 + 1·(3 − 1) + 0 + 1 = 5OW = (3 − 1)·2 − 2·1 + 1·(3 − 1) + 0 + 1 = 5"
    )
    expect(page.locator("#back-text")).to_contain_text("= 3")
    page.keyboard.press("End")
    expect(counter).to_have_text("Step 9 of 9")
    assert grid_values(page, "#scatter-grid") == answer["scatter"]
    expect(page.locator("#why")).to_contain_text("not the identity")
    shoot(page, "transposed-fig4_6-1280.png")
    shoot(page, "transposed-fig4_6-1280-full.png", full_page=True)

    # output_padding 1 (figure 4.7): 6x6; 2 is refused (not smaller than the stride) with the reason
    page.fill("#output_padding", "1")
    settle(page)
    assert len(grid_values(page, "#output-grid")) == 6
    expect(page.locator("#preset")).to_have_value("")
    assert "output_padding=1" in page.url
    page.fill("#output_padding", "2")
    expect(page.locator("#alerts")).to_contain_text("output_padding must be smaller than the stride or the dilation")
    expect(page.locator("#output-grid .refused-note")).to_have_count(1)
    shoot(page, "transposed-refused-1280.png")
    page.fill("#output_padding", "0")
    settle(page)
    expect(page.locator("#alerts")).to_be_hidden()
    assert grid_values(page, "#output-grid") == answer["output"]
    assert all("422" in e for e in console_errors), console_errors


@pytest.mark.browser_context_args(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
def test_phone_in_chinese(page, live_server, console_errors):
    open_lab(page, f"{live_server}/transposed?preset=fig4_1&lang=zh&step=3")
    expect(page.locator("h1")).to_have_text("转置卷积实验室")
    expect(page.locator(".player-counter")).to_contain_text("4")
    assert grid_values(page, "#scatter-grid") == [[1, 3, 3, 2], [4, 10, 10, 6], [4, 10, 10, 6], [3, 7, 7, 4]]
    # the last copy (input row 2, column 2) lands on 8 cells that earlier copies reached (all but the corner)
    expect(page.locator("#scatter-grid .cell.overlap")).to_have_count(8)
    expect(page.locator("#math")).to_contain_text("其中 8 个单元与之前的副本重叠")
    # nothing wider than the screen
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    shoot(page, "transposed-phone-zh.png", full_page=True)
    assert console_errors == []
