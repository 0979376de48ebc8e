"""Presenter mode a teacher drives, in a real browser: the control strip keeps the preset, the lab's
main settings, the player and "one more step", and they work; the nav is one click away behind the
menu button; presenter mode follows a nav click and every link to a page carries it; the grids
scale to the screen (a 5x5 input's cells at least 64 px at 1920x1080; a 16x16 input, its kernel,
its feature map and the products line on one 1280x720 screen). Screenshots of every page in both
modes at 1280x720 and 1920x1080 go to screenshots/presenter-*.png."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import open_lab, settle, shoot

pytestmark = pytest.mark.browser

PAGES = ["/", "/conv", "/filters", "/pool", "/activations", "/learn/backprop", "/learn", "/draw"]
SIZES = {"1280x720": {"width": 1280, "height": 720}, "1920x1080": {"width": 1920, "height": 1080}}
# (the lab, what its strip must show, what presenter mode folds away: the data's set-up)
STRIPS = {
    "/conv": (["#preset", "#stride", "#padding", "#dilation", "#activation", "#bias-0"], ["#in-rows", "#k-rows"]),
    "/pool": (["#preset", "#mode", "#size", "#stride", "#padding", "#shift"], ["#in-rows"]),
    "/learn/backprop": (["#bp-more", "#bp-restart", "#bp-digits"], ["#bp-x1"]),
}


def page_links(page):
    """The hrefs of the links to the app's pages (header, cards, in-page links)."""
    return page.eval_on_selector_all(
        "a[href]:not([data-lang])",
        "els => els.map(a => a.getAttribute('href')).filter(h => h.startsWith('/') && !h.startsWith('/docs'))",
    )


@pytest.mark.parametrize("path", sorted(STRIPS))
def test_the_strip_keeps_the_main_settings_and_the_player(page, live_server, console_errors, path):
    page.goto(f"{live_server}{path}?lang=en&presenter=1")
    expect(page.locator(".player-play")).to_be_visible()
    shown, folded = STRIPS[path]
    for selector in shown:
        expect(page.locator(selector)).to_be_visible()
        box = page.locator(selector).bounding_box()
        assert box["y"] + box["height"] <= 720, f"{selector} is below the fold: {box}"
    for selector in folded:
        expect(page.locator(selector)).to_be_hidden()
    expect(page.locator(".side-panel")).to_be_visible()
    strip = page.locator(".side-panel").bounding_box()
    assert strip["height"] < 120, f"the strip is not compact: {strip}"
    expect(page.locator("p.hint.keys")).to_be_visible()
    assert console_errors == []


def test_stride_changed_in_presenter_mode_changes_the_output(page, live_server, console_errors):
    open_lab(page, f"{live_server}/conv?preset=relu5x5&lang=en&presenter=1")
    counter = page.locator(".player-counter")
    expect(counter).to_have_text("Step 1 of 9")  # 5x5 input, 3x3 kernel, stride 1: (5 - 3)/1 + 1 = 3 per side
    assert page.locator("#output-grids .cell").count() == 9
    page.fill("#stride", "2")
    settle(page)
    expect(counter).to_have_text("Step 1 of 4")  # stride 2: floor((5 - 3)/2) + 1 = 2 per side
    assert page.locator("#output-grids .cell").count() == 4
    expect(page.locator("#formula")).to_contain_text("/ 2⌋ + 1 = ⌊1⌋ + 1 = 2")
    assert "stride=2" in page.url and "presenter=1" in page.url
    # the activation and the preset from the strip
    page.select_option("#activation", "")
    settle(page)
    expect(page.locator("#math")).not_to_contain_text("relu")
    page.select_option("#preset", "basic")
    settle(page)
    expect(counter).to_have_text("Step 1 of 4")
    expect(page.locator("#math")).to_contain_text("0×0 + 1×1 + 3×2 + 4×3 = 19")
    # the player from the keyboard (once the focus has left the menu) and its buttons
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("ArrowRight")
    expect(counter).to_have_text("Step 2 of 4")
    page.click(".player-forward")
    expect(counter).to_have_text("Step 3 of 4")
    shoot(page, "presenter-conv-stride.png")
    assert console_errors == []


def test_one_more_step_in_presenter_mode(page, live_server, console_errors):
    page.goto(f"{live_server}/learn/backprop?lang=en&presenter=1")
    updates = page.locator("#bp-updates")
    expect(updates).to_contain_text("Updates done before this one: 0.")
    page.click("#bp-more")
    expect(updates).to_contain_text("Updates done before this one: 1.")
    page.click("#bp-restart")
    expect(updates).to_contain_text("Updates done before this one: 0.")
    shoot(page, "presenter-backprop.png")
    assert console_errors == []


def test_the_nav_is_reachable_and_presenter_mode_follows_it(page, live_server, console_errors):
    open_lab(page, f"{live_server}/conv?preset=basic&lang=en")
    links = page_links(page)
    assert links and not any("presenter" in h for h in links)
    page.click("[data-presenter-toggle]")
    expect(page.locator("html")).to_have_class("presenter")
    assert "presenter=1" in page.url
    links = page_links(page)
    assert links and all("presenter=1" in h for h in links), links
    # the nav is folded behind the menu button, which opens it
    toggle = page.locator("#menu-toggle")
    expect(toggle).to_be_visible()
    expect(page.locator(".topnav")).to_be_hidden()
    assert page.locator("header.topbar").bounding_box()["height"] < 70
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator(".topnav")).to_be_visible()
    page.click(".topnav a[href^='/pool']")
    page.wait_for_url("**/pool?**")
    settle(page)
    expect(page.locator("html")).to_have_class("presenter")
    assert "presenter=1" in page.url
    expect(page.locator("[data-presenter-toggle]")).to_have_attribute("aria-pressed", "true")
    assert all("presenter=1" in h for h in page_links(page))
    # switched off: the links drop it
    page.click("[data-presenter-toggle]")
    expect(page.locator("html")).not_to_have_class("presenter")
    assert "presenter" not in page.url
    assert not [h for h in page_links(page) if "presenter" in h]
    expect(page.locator(".topnav")).to_be_visible()
    expect(toggle).to_be_hidden()
    assert console_errors == []


def test_a_5x5_input_has_cells_of_at_least_64_px_at_1920x1080(page, live_server, console_errors):
    page.set_viewport_size(SIZES["1920x1080"])
    open_lab(page, f"{live_server}/conv?preset=relu5x5&lang=en&presenter=1")
    page.evaluate("() => document.fonts.ready")
    sizes = page.eval_on_selector_all(
        "#input-grids .cell, #kernel-grids .cell, #output-grids .cell",
        "els => els.map(e => [e.getBoundingClientRect().width, e.getBoundingClientRect().height])",
    )
    assert len(sizes) == 25 + 9 + 9
    assert min(min(w, h) for w, h in sizes) >= 64, sizes
    bottom = page.locator("#math").bounding_box()
    assert bottom["y"] + bottom["height"] <= 1080
    shoot(page, "presenter-conv-5x5-1920.png")
    # the same page outside presenter mode keeps its ordinary size
    page.click("[data-presenter-toggle]")
    width = page.eval_on_selector("#input-grids .cell", "e => e.getBoundingClientRect().width")
    assert width < 64
    assert console_errors == []


def test_a_16x16_input_kernel_feature_map_and_products_line_fit_one_1280x720_screen(page, live_server, console_errors):
    rows = ";".join(",".join(str((r * 7 + c * 3) % 10) for c in range(16)) for r in range(16))
    open_lab(page, f"{live_server}/conv?lang=en&presenter=1&input={rows}&kernel=1,0,-1;1,0,-1;1,0,-1")
    page.evaluate("() => document.fonts.ready")
    assert page.locator("#input-grids .cell").count() == 256
    assert page.locator("#output-grids .cell").count() == 14 * 14
    assert page.evaluate("window.scrollY") == 0
    for selector in ["#input-grids", "#kernel-grids", "#output-grids", "#math", ".player"]:
        box = page.locator(selector).bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 720, f"{selector} is not on the screen: {box}"
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1280, f"{selector} is not on the screen: {box}"
    expect(page.locator("#math")).to_contain_text("=")
    cell = page.eval_on_selector("#input-grids .cell", "e => e.getBoundingClientRect().width")
    shoot(page, "presenter-conv-16x16-1280.png")
    assert cell >= 18  # fitted, not shrunk to nothing
    assert console_errors == []


@pytest.mark.parametrize("size", sorted(SIZES))
def test_every_page_in_both_modes_fits_the_width(page, live_server, console_errors, size):
    """Screenshots of every page, normal and presenter, at the two projector sizes (en, and zh for the labs with grids)."""
    page.set_viewport_size(SIZES[size])
    width = SIZES[size]["width"]
    for path in PAGES:
        for mode in ("", "&presenter=1"):
            for lang in ("en", "zh") if path in ("/conv", "/pool", "/learn/backprop") else ("en",):
                page.goto(f"{live_server}{path}?lang={lang}{mode}")
                if path in ("/conv", "/pool", "/filters", "/activations", "/draw"):
                    settle(page)
                page.evaluate("() => document.fonts.ready")
                assert page.evaluate("document.documentElement.scrollWidth") <= width, (path, mode)
                name = path.strip("/").replace("/", "-") or "home"
                shoot(page, f"presenter-{name}-{lang}-{'presenter' if mode else 'normal'}-{size}.png")
    assert console_errors == []
