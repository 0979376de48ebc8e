"""The front end in one style (issue 9, item 8) in a real browser: one keyboard-ownership rule
(keys.js) on every page, a select picked with the mouse giving the keys back to the player, and one
colour module (colour.js) behind every page that paints values."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import open_lab, settle

pytestmark = pytest.mark.browser

PAGES = ["/", "/conv", "/filters", "/pool", "/activations", "/learn/backprop", "/learn", "/draw"]
# The pages that paint numbers as colours (canvases and coloured cells); the other labs show their
# numbers as text in grids.
PAINTING = ["/filters", "/learn", "/draw"]
LOADED = "() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)"


def focused_id(page):
    return page.evaluate("() => document.activeElement ? document.activeElement.id : ''")


def test_a_focused_field_keeps_its_keys_and_the_page_gets_the_rest(page, live_server, console_errors):
    open_lab(page, f"{live_server}/conv?preset=basic&lang=en&speed=0.5")
    counter, play = page.locator(".player-counter"), page.locator(".player-play")
    expect(counter).to_have_text("Step 1 of 4")
    page.focus("#padding")
    for key in ("ArrowRight", "End", "Space", "ArrowLeft"):
        page.keyboard.press(key)
    expect(counter).to_have_text("Step 1 of 4")
    expect(play).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("ArrowUp")  # the number field's own arrows: the padding goes up, the player stays
    expect(page.locator("#padding")).to_have_value("1")
    settle(page)
    expect(counter).to_have_text("Step 1 of 16")
    page.fill("#padding", "0")
    settle(page)
    # on the page itself, the same keys drive the player
    page.click("h1")
    assert focused_id(page) == ""
    page.keyboard.press("ArrowRight")
    expect(counter).to_have_text("Step 2 of 4")
    page.keyboard.press("Space")
    expect(play).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Space")
    expect(play).to_have_attribute("aria-pressed", "false")
    assert console_errors == []


def test_a_preset_picked_with_the_mouse_gives_the_arrows_back_to_the_player(page, live_server, console_errors):
    open_lab(page, f"{live_server}/conv?preset=basic&lang=en&speed=0.5")
    counter = page.locator(".player-counter")
    page.click("#preset")
    page.select_option("#preset", "stride")
    settle(page)
    assert focused_id(page) != "preset"
    page.keyboard.press("ArrowRight")
    expect(counter).to_have_text("Step 2 of 4")
    expect(page.locator("#preset")).to_have_value("stride")
    # changed from the keyboard, the menu keeps the focus and its arrows (the player does not move)
    page.focus("#preset")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#preset")).not_to_have_value("stride")
    settle(page)
    assert focused_id(page) == "preset"
    expect(counter).to_have_text(re.compile(r"^Step 1 of "))
    chosen = page.locator("#preset").input_value()
    page.keyboard.press("ArrowRight")  # Chromium's closed select takes Left/Right too: the next preset
    expect(page.locator("#preset")).not_to_have_value(chosen)
    settle(page)
    assert focused_id(page) == "preset"
    expect(counter).to_have_text(re.compile(r"^Step 1 of "))
    assert console_errors == []


def test_the_n_key_on_backprop_follows_the_same_rule(page, live_server, console_errors):
    page.goto(f"{live_server}/learn/backprop?lang=en")
    updates = page.locator("#bp-updates")
    expect(updates).to_contain_text("update 1")
    page.focus("#bp-digits")
    page.keyboard.press("n")  # the menu's own key (type-ahead), not "one more step"
    expect(updates).to_contain_text("update 1")
    page.click("h1")
    page.keyboard.press("n")
    expect(updates).to_contain_text("update 2")
    assert console_errors == []


def test_every_page_loads_the_one_key_rule_and_the_painting_pages_the_one_colour_module(page, live_server):
    for path in PAGES:
        page.goto(f"{live_server}{path}?lang=en")
        page.wait_for_load_state("networkidle")
        loaded = set(page.evaluate(LOADED))
        assert "/static/js/keys.js" in loaded, path
        if path in PAINTING:
            assert "/static/js/colour.js" in loaded, path
