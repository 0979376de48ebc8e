"""Every text on every lab page is legible, in normal and presenter mode: a contrast of at least 4.5:1
(WCAG 2.x, computed here from getComputedStyle colours, since axe-core is not available offline)
against the background it is really drawn on, and menus wide enough for their longest option.

The contrast check visits every visible text node, every text field's value (the grids' cells are
inputs), SVG text (its fill) and ::before/::after text. The background is found by compositing the
background colours of the element and its ancestors (a gradient counts as its worst colour stop);
text of a disabled control is left out, as WCAG does. Each page is first driven to show what hides
behind interaction: the last step of a trace (the max-pool winner cell), the translation demo, the
im2col panel, a refusal."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import settle, shoot

MIN_CONTRAST = 4.5

CONTRASTS = r"""() => {
  const parse = (text) => {
    const m = text.match(/rgba?\(([^)]+)\)/) || text.match(/color\(srgb ([^)]+)\)/);
    if (!m) return null;
    const parts = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    const srgb = text.startsWith('color(');
    const [r, g, b] = parts.slice(0, 3).map((v) => (srgb ? v * 255 : v));
    return [r, g, b, parts.length > 3 ? parts[3] : 1];
  };
  const over = (top, under) => {  // `top` (with alpha) composited over the opaque `under`
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat(1);
  };
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => { const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  // The backgrounds an element is drawn on: every combination of its ancestors' colours (a gradient
  // gives one candidate per colour stop), composited from the canvas (white) up.
  const backgrounds = (el) => {
    const chain = [];
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) chain.unshift(e);
    let layers = [[255, 255, 255, 1]];
    for (const e of chain) {
      const cs = getComputedStyle(e);
      const stops = (cs.backgroundImage.match(/rgba?\([^)]+\)/g) || []).map(parse);
      const colour = parse(cs.backgroundColor);
      const next = [];
      for (const under of layers) {
        let base = colour && colour[3] > 0 ? over(colour, under) : under;
        if (stops.length) for (const s of stops) next.push(over(s, base));
        else next.push(base);
      }
      layers = next.slice(0, 16);
    }
    return layers;
  };
  const visible = (el) => {
    if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const disabled = (el) => Boolean(el.closest(':disabled, [aria-disabled="true"]'));
  const describe = (el) => {
    const bits = [el.tagName.toLowerCase()];
    if (el.id) bits.push('#' + el.id);
    if (typeof el.className === 'string' && el.className) bits.push('.' + el.className.trim().split(/\s+/).join('.'));
    const parent = el.parentElement?.closest('[id]');
    return bits.join('') + (parent ? ` in #${parent.id}` : '');
  };
  const results = [];
  const check = (el, text, colourText, pseudo = '') => {
    const fg = parse(colourText);
    if (!fg) return;
    let worst = Infinity;
    for (const bg of backgrounds(el)) worst = Math.min(worst, ratio(over(fg, bg), bg));
    results.push({where: describe(el) + pseudo, text: text.trim().slice(0, 40), ratio: Math.round(worst * 100) / 100});
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || ['SCRIPT', 'STYLE', 'OPTION', 'TITLE'].includes(el.tagName)) continue;
    if (!visible(el) || disabled(el)) continue;
    const cs = getComputedStyle(el);
    check(el, node.textContent, el instanceof SVGElement ? cs.fill : cs.color);
  }
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (['range', 'checkbox', 'radio', 'color', 'file', 'hidden'].includes(el.type)) continue;
    const text = el.tagName === 'SELECT' ? el.selectedOptions[0]?.text ?? '' : el.value;
    if (!text.trim() || !visible(el) || disabled(el)) continue;
    check(el, text, getComputedStyle(el).color);
  }
  for (const el of document.body.querySelectorAll('*')) {
    for (const pseudo of ['::before', '::after']) {
      const cs = getComputedStyle(el, pseudo);
      const content = cs.content;
      if (!content || content === 'none' || content === 'normal') continue;
      const text = content.startsWith('"') ? content.slice(1, -1)
        : content.startsWith('attr(') ? el.getAttribute(content.slice(5, -1)) ?? '' : '';
      if (!text.trim() || !visible(el) || disabled(el)) continue;
      check(el, text, cs.color, pseudo);
    }
  }
  return results;
}"""


def _drive(page, base, path, presenter):
    """Open `path` and bring out what only shows after interaction."""
    mode = "&presenter=1" if presenter else ""
    page.goto(f"{base}{path}{mode}")
    if path.startswith(("/conv", "/pool", "/filters", "/activations", "/draw")) and "kernel=" not in path:
        settle(page)
    if path.startswith("/pool?preset=max"):
        page.keyboard.press("End")  # the last window: its winner cell is marked
        expect(page.locator("#input-grid .cell.winner")).to_have_count(1)
    if path.startswith("/conv?preset=multichannel"):
        page.keyboard.press("End")
    if "kernel=" in path:  # a kernel larger than the input: refused, with a note in the feature map's place
        page.wait_for_selector("body[data-ready=error]")
        expect(page.locator("#alerts")).to_be_visible()
        expect(page.locator("#output-grids .refused-note")).to_be_visible()
    if path.startswith("/learn/backprop"):
        settle(page)  # the walkthrough's first answer is shown
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        settle(page)
    if path.startswith("/learn?"):
        settle(page)  # the builder's check answers


PAGES = [
    "/?lang=en",
    "/conv?preset=basic&lang=en&im2col=1",
    "/conv?preset=multichannel&lang=en",
    "/conv?preset=basic&lang=en&kernel=1,1,1,1;1,1,1,1;1,1,1,1;1,1,1,1",
    "/pool?preset=max&lang=en",
    "/pool?preset=shift&lang=en",
    "/filters?lang=en",
    "/activations?lang=en",
    "/learn?lang=en",
    "/learn/backprop?lang=en",
    "/draw?lang=en",
    "/no-such-page?lang=en",
]


@pytest.mark.parametrize("presenter", [False, True], ids=["normal", "presenter"])
@pytest.mark.parametrize("path", PAGES)
def test_every_text_has_a_contrast_of_at_least_4_5(shared_page, live_server, path, presenter):
    page = shared_page  # one page for all the pages and modes (each case opens its own URL)
    page.set_extra_http_headers({"accept": "text/html"})
    _drive(page, live_server, path, presenter)
    results = page.evaluate(CONTRASTS)
    assert len(results) >= 5, results  # the check saw the page's text
    low = [r for r in results if r["ratio"] < MIN_CONTRAST]
    assert not low, f"text below {MIN_CONTRAST}:1 on {path} ({'presenter' if presenter else 'normal'}): {low}"
    if path.startswith("/pool?preset=max"):  # the example: the winner cell is among the checked texts
        assert any("winner" in r["where"] for r in results), results


def test_the_contrast_check_can_fail(page, live_server):
    """The same check finds the winner cell's old colours (a green of #1e8e3e on the window's amber)
    below 4.5:1, so a passing run above means something."""
    page.goto(f"{live_server}/pool?preset=max&lang=en")
    settle(page)
    page.keyboard.press("End")
    page.locator("#input-grid .cell.winner").evaluate("""el => { el.classList.add('contrast-probe');
      el.style.setProperty('color', '#1e8e3e', 'important'); el.style.setProperty('background', '#ffd98a', 'important'); }""")
    low = [r for r in page.evaluate(CONTRASTS) if "contrast-probe" in r["where"]]
    assert low and 2.5 < low[0]["ratio"] < 3.5, low


MENU_WIDTHS = """() => [...document.querySelectorAll('select')].filter((s) => s.checkVisibility()).map((s) => {
  const have = s.getBoundingClientRect().width;
  const saved = s.getAttribute('style');
  Object.assign(s.style, {position: 'absolute', width: 'auto', minWidth: '0', maxWidth: 'none'});
  const need = s.getBoundingClientRect().width;  // what Chromium needs to show its longest option
  if (saved === null) s.removeAttribute('style'); else s.setAttribute('style', saved);
  return {id: s.id, have: Math.round(have), need: Math.round(need)};
})"""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_menus_are_wide_enough_for_their_longest_option(page, live_server, lang):
    """The preset menus cut their names off (the multichannel one needed 458 px of 209)."""
    for path in ("/conv", "/pool", "/filters", "/activations", "/learn", "/learn/backprop", "/draw"):
        page.goto(f"{live_server}{path}?lang={lang}")
        settle(page)  # the menus the page fills from the server are filled
        menus = page.evaluate(MENU_WIDTHS)
        assert menus, path
        cut = [m for m in menus if m["need"] > m["have"] + 0.5]
        assert not cut, f"{path} ({lang}): menus narrower than their longest option: {cut}"
        if path in ("/conv", "/pool", "/draw"):  # and in presenter mode, the preset menu and the model menu
            page.goto(f"{live_server}{path}?lang={lang}&presenter=1")
            settle(page)
            cut = [
                m for m in page.evaluate(MENU_WIDTHS) if m["id"] in ("preset", "model") and m["need"] > m["have"] + 0.5
            ]
            assert not cut, f"{path} ({lang}, presenter): {cut}"
    shoot(page, f"menus-{lang}.png")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_counts_are_written_one_way_on_every_page(page, live_server, lang):
    """One number format per language: a count of 10,000 or more is grouped by thousands everywhere
    (`61706` on /draw and `61,706` on /learn were seen)."""
    import re

    seen = {}
    for path in ("/learn?preset=lenet5", "/draw", "/filters", "/learn"):
        page.goto(f"{live_server}{path}{'&' if '?' in path else '?'}lang={lang}")
        if path == "/draw":
            expect(page.locator("#model-info")).not_to_be_empty()
        elif path.startswith("/learn?preset"):
            expect(page.locator("#network-total")).to_contain_text("61,706")
        else:
            settle(page)  # the server's numbers are shown
        text = page.locator("body").inner_text()
        assert not re.findall(r"(?<![\d.,])\d{5,}(?![\d.])", text), (path, re.findall(r"\S*\d{5,}\S*", text))
        seen[path] = re.findall(r"\d{1,3}(?:,\d{3})+", text)
    assert "61,706" in seen["/draw"] and "61,706" in seen["/learn?preset=lenet5"], seen
    assert "267,960" in seen["/filters"] and "20,000" in seen["/learn"], seen
