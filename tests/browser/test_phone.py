"""Every page on a phone (390x844, touch) in English and Chinese: nothing scrolls sideways, no
visible element reaches past the screen's right edge, the header folds into a menu button that
opens, closes (touch, Enter, Escape) and reaches every nav link and the presenter and language
buttons, and every control is on screen and not covered. /docs is the third-party API
documentation (ReDoc/Swagger UI) and is left out. Screenshots in screenshots/phone-*.png."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import shoot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.browser_context_args(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True),
]

PAGES = ["/", "/conv", "/filters", "/pool", "/activations", "/learn/backprop", "/learn", "/draw"]

# Visible elements whose box reaches past the right edge of the window, unless an ancestor that
# clips or scrolls its overflow (a scroll box within the page) ends inside the window.
OVERFLOWING = """() => {
  const right = document.documentElement.clientWidth + 0.5;
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || box.right <= right) continue;
    if (getComputedStyle(el).visibility === 'hidden') continue;
    let contained = false;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible' && a.getBoundingClientRect().right <= right) { contained = true; break; }
    }
    if (!contained) out.push(`${el.tagName.toLowerCase()}#${el.id}.${[...el.classList].join('.')}: right edge ${Math.round(box.right)} px`);
  }
  return out;
}"""

# Every visible control, scrolled to: its centre is inside the window and the element there is
# the control (or inside it, or its label): nothing covers it and a finger can reach it.
UNREACHABLE = """() => {
  const out = [];
  const controls = document.querySelectorAll('main a[href], main button, main input:not([type=hidden]), main select, main canvas[tabindex]');
  for (const el of controls) {
    const box0 = el.getBoundingClientRect();
    if (box0.width === 0 || box0.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
    if (el.closest('details:not([open])') && !el.closest('summary')) continue;
    el.scrollIntoView({block: 'center', inline: 'center'});
    const box = el.getBoundingClientRect();
    const [x, y] = [box.left + box.width / 2, box.top + box.height / 2];
    const name = `${el.tagName.toLowerCase()}#${el.id}.${[...el.classList].join('.')}`;
    if (x < 0 || x > document.documentElement.clientWidth || y < 0 || y > innerHeight) { out.push(`${name}: centre off screen`); continue; }
    const hit = document.elementFromPoint(x, y);
    const ok = hit && (el === hit || el.contains(hit) || hit.contains(el) || (el.labels && [...el.labels].some((l) => l.contains(hit))));
    if (!ok) out.push(`${name}: covered by ${hit && hit.tagName.toLowerCase()}.${hit && [...hit.classList].join('.')}`);
  }
  window.scrollTo(0, 0);
  return out;
}"""


def open_page(page, url, path):
    page.goto(url)
    if path in ("/conv", "/pool", "/filters", "/activations", "/draw"):
        page.wait_for_selector("body[data-ready=yes]")
    elif path == "/learn/backprop":
        expect(page.locator("#bp-current")).not_to_be_empty()
    elif path == "/learn":
        expect(page.locator("#layers li").first).to_be_visible()
    page.evaluate("() => document.fonts.ready.then(() => new Promise((done) => requestAnimationFrame(() => done())))")


def assert_within_width(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate(OVERFLOWING) == []


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("path", PAGES)
def test_phone_page_fits_the_width_and_its_menu_reaches_everything(page, live_server, console_errors, path, lang):
    open_page(page, f"{live_server}{path}?lang={lang}", path)
    assert_within_width(page)
    assert page.evaluate(UNREACHABLE) == []
    name = path.strip("/").replace("/", "-") or "home"
    shoot(page, f"phone-{name}-{lang}.png", full_page=True)

    # The header is one line: the site's name and the menu button; the nav and the switches are folded.
    toggle = page.locator("#menu-toggle")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_have_attribute("aria-controls", "site-menu")
    assert page.locator("header.topbar").bounding_box()["height"] < 80
    nav_links = page.locator(".topnav a")
    switches = page.locator(".switches [data-presenter-toggle], .switches a[data-lang]")
    assert nav_links.count() >= 6 and switches.count() == 3
    for item in [*nav_links.all(), *switches.all()]:
        expect(item).to_be_hidden()

    # A tap opens it: every link and switch is on screen, within the width, and can be tapped.
    toggle.tap()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    for item in [*nav_links.all(), *switches.all()]:
        expect(item).to_be_visible()
        box = item.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 30, (item, box)
        item.tap(trial=True)  # Playwright's actionability checks: visible, stable, enabled, not covered
    assert_within_width(page)
    shoot(page, f"phone-{name}-{lang}-menu.png")

    # Escape closes it and gives the focus back; Enter on the focused button opens it again.
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    expect(nav_links.first).to_be_hidden()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(nav_links.first).to_be_visible()
    # A tap on the page outside the menu closes it.
    page.locator("main").tap(position={"x": 5, "y": 5})
    expect(toggle).to_have_attribute("aria-expanded", "false")
    assert console_errors == []


def test_phone_menu_links_and_switches_work_by_touch(page, live_server, console_errors):
    open_page(page, f"{live_server}/conv?lang=en&preset=stride", "/conv")
    page.locator("#menu-toggle").tap()
    # the presenter switch, by touch: the page and its links carry presenter=1
    page.locator("[data-presenter-toggle]").tap()
    expect(page.locator("html")).to_have_class("presenter")
    assert "presenter=1" in page.url
    assert_within_width(page)
    # the language switch (the menu is still open) keeps the lab's state and presenter mode
    expect(page.locator("#menu-toggle")).to_have_attribute("aria-expanded", "true")
    page.locator(".switches a[data-lang=zh]").tap()
    page.wait_for_url("**lang=zh**")
    page.wait_for_selector("body[data-ready=yes]")
    assert "preset=stride" in page.url and "presenter=1" in page.url
    expect(page.locator("html")).to_have_class("presenter")
    # a nav link, by touch, opens the pooling lab, still in presenter mode
    page.locator("#menu-toggle").tap()
    page.locator(".topnav a[href^='/pool']").tap()
    page.wait_for_url("**/pool?**")
    page.wait_for_selector("body[data-ready=yes]")
    expect(page.locator("html")).to_have_class("presenter")
    assert "presenter=1" in page.url and "lang=zh" in page.url
    assert_within_width(page)
    shoot(page, "phone-pool-zh-presenter.png", full_page=True)
    assert console_errors == []


def test_phone_grids_scale_to_the_width(page, live_server, console_errors):
    """A 16x16 input on a phone: every cell on screen, the products line readable, not one character a line."""
    rows = ";".join(",".join(str((r * 7 + c * 3) % 10) for c in range(16)) for r in range(16))
    open_page(page, f"{live_server}/conv?lang=en&input={rows}&kernel=1,0,-1;1,0,-1;1,0,-1&padding=1", "/conv")
    assert_within_width(page)
    cells = page.locator("#input-grids .cell")
    assert cells.count() == 18 * 18
    sizes = page.eval_on_selector_all("#input-grids .cell", "els => els.map(e => e.getBoundingClientRect().width)")
    assert min(sizes) >= 14  # shrunk to the width, still a cell a finger can see
    lines = page.evaluate(
        "() => { const m = document.getElementById('math'); const s = getComputedStyle(m);"
        " return [m.getBoundingClientRect().width, m.textContent.length]; }"
    )
    assert lines[0] > 300  # the products line is as wide as the screen, not a thin column
    shoot(page, "phone-conv-16x16.png", full_page=True)
    assert console_errors == []
