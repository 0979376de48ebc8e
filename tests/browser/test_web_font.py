"""In real Chromium, the Chinese UI is drawn with the bundled web font "Playground CJK", never as
boxes, even on a machine without any CJK font; Latin text keeps the system font.

Which font draws which text is asked of Chromium itself (DevTools' CSS.getPlatformFontsForNode),
so a system CJK font cannot make these tests pass in the web font's place."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import settle, shoot

SOURCE = "Noto Sans CJK SC"  # the family name inside the bundled subset

# Marks every rendered element whose own text holds wide (CJK) characters, and every <select>
# showing some, and returns per mark how many wide characters Chromium draws for it: Chromium
# counts a node's glyphs together with its descendants', but not the options inside a <select>
# (a <select> itself draws its selected option).
MARK_CHINESE = r"""async () => {
  await document.fonts.ready;
  for (let i = 0; i < 3; i++) await new Promise(requestAnimationFrame);  // the page has painted its data
  const wide = /[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]/gu;
  const count = text => (text.match(wide) || []).length;
  const skip = 'option, select, script, style, template, textarea';
  const shown = el => el.checkVisibility({visibilityProperty: true});
  const drawn = el => {  // wide characters in the rendered text nodes of el's subtree
    let n = 0;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      if (!t.parentElement.closest(skip) && shown(t.parentElement)) n += count(t.data);
    }
    return n;
  };
  const counts = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (!shown(el)) continue;
    let expected;
    if (el.tagName === 'SELECT') expected = el.selectedOptions.length ? count(el.selectedOptions[0].text) : 0;
    else if (el.closest(skip)) continue;
    else if ([...el.childNodes].some(n => n.nodeType === Node.TEXT_NODE && count(n.data))) expected = drawn(el);
    if (!expected) continue;
    el.dataset.fontProbe = counts.length;
    counts.push(expected);
  }
  return counts;
}"""


def devtools(page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    return cdp


def fonts_of(cdp, selector):
    """{(family, is custom): glyphs drawn} for the text of the first element matching selector."""
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    assert node, selector
    counts = {}
    for font in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]:  # one per face
        key = (font["familyName"], font["isCustomFont"])
        counts[key] = counts.get(key, 0) + font["glyphCount"]
    return counts


# Counts the page's fetches still under way (window.__inflight): with the load event and a lab's
# body[data-ready], the condition for "everything the page asked the server for is shown", without
# networkidle's half second of waiting on every page.
COUNT_FETCHES = """(() => {
  let inflight = 0;
  const fetch = window.fetch;
  window.fetch = (...args) => { inflight++; return fetch(...args).finally(() => { inflight--; }); };
  Object.defineProperty(window, '__inflight', {get: () => inflight});
})();"""
QUIET = """() => document.readyState === 'complete' && window.__inflight === 0
  && document.body.dataset.ready !== 'pending'"""


def open_zh(page, url):
    if not getattr(page, "counts_fetches", False):
        page.add_init_script(COUNT_FETCHES)
        page.counts_fetches = True
    response = page.goto(url)
    page.wait_for_function(QUIET)
    page.evaluate("document.fonts.ready.then(() => true)")
    if page.locator("body[data-ready]").count():
        settle(page)
    page.wait_for_function(QUIET)  # (what the shown answer asked for in turn)
    return response


def test_the_web_font_loads_and_draws_the_chinese(page, live_server, console_errors):
    open_zh(page, f"{live_server}/conv?lang=zh")
    settle(page)
    state = page.evaluate("""async () => {
      await document.fonts.ready;
      const faces = [...document.fonts].filter(f => f.family.replace(/"/g, '') === 'Playground CJK');
      return {check: document.fonts.check('16px "Playground CJK"', '卷积'),
              faces: faces.map(f => [f.weight, f.status])};
    }""")
    assert state["check"] is True
    assert sorted(state["faces"]) == [["400", "loaded"], ["700", "loaded"]], state  # titles use the bold

    cdp = devtools(page)
    assert fonts_of(cdp, "a[data-lang=zh]") == {(SOURCE, True): 2}  # 中文, regular
    assert fonts_of(cdp, "a.brand") == {(SOURCE, True): len(page.inner_text("a.brand"))}  # bold, all Chinese
    english = fonts_of(cdp, "a[data-lang=en]")
    assert english and not any(custom for _, custom in english), english  # Latin keeps the system font
    where = page.inner_text(".math .where")  # Chinese inside the monospace formula
    where_fonts = fonts_of(cdp, ".math .where")
    assert where_fonts[(SOURCE, True)] == sum(not c.isascii() for c in where), where_fonts

    shoot(page, "conv-zh-font.png")
    assert console_errors == []


CLEAR = "() => document.querySelectorAll('[data-font-probe]').forEach(el => el.removeAttribute('data-font-probe'))"

# The marked elements in document order, each with its mark and its text (for the messages).
PROBES = """() => [...document.querySelectorAll('[data-font-probe]')].map(el => [Number(el.dataset.fontProbe), el.textContent])"""


def check_chinese(page, where: str) -> int:
    """Assert that every Chinese character shown on the page is drawn by the web font; how many texts.

    The marked elements are found with one DOM.querySelectorAll (document order, the order
    MARK_CHINESE numbered them in, which is checked), then one CSS.getPlatformFontsForNode each."""
    for _ in range(3):  # a text the page replaced between marking and finding (a late answer): mark again
        counts = page.evaluate(MARK_CHINESE)
        assert counts, f"{where} shows no Chinese?"
        probes = page.evaluate(PROBES)
        if [mark for mark, _ in probes] == list(range(len(counts))):
            break
        page.evaluate(CLEAR)
        page.wait_for_function(QUIET)
    assert [mark for mark, _ in probes] == list(range(len(counts))), (where, probes)
    cdp = devtools(page)
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    nodes = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": "[data-font-probe]"})["nodeIds"]
    assert len(nodes) == len(counts) and all(nodes), (where, len(nodes), len(counts))
    for node, expected, (_, text) in zip(nodes, counts, probes):
        fonts = {}
        for font in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]:  # one per face
            key = (font["familyName"], font["isCustomFont"])
            fonts[key] = fonts.get(key, 0) + font["glyphCount"]
        drawn = sum(n for (family, custom), n in fonts.items() if custom and family == SOURCE)
        assert drawn == expected, (
            f"{where}: {text!r} has {expected} Chinese characters, {drawn} from the web font: {fonts}"
        )
    cdp.detach()
    page.evaluate(CLEAR)
    return len(counts)


def reveal(page):
    """Open what a reader opens: every <details> and the header's menu (folded in presenter mode)."""
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
    toggle = page.locator("#menu-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false":
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")


# Page states beyond the nav's pages: the never-read cells' note, ceil_mode's explanation, the shift
# demo's verdict, the join page and the not-found page.
MORE_PAGES = ["/conv?preset=floor", "/pool?preset=ceil", "/pool?preset=shift", "/join", "/no-such-page"]


@pytest.mark.parametrize("presenter", [False, True], ids=["normal", "presenter"])
def test_every_chinese_text_on_every_page_is_drawn_with_the_web_font(shared_page, live_server, presenter):
    """All glyphs of every Chinese text on the home page, each lab and the other pages come from the
    web font, in normal and presenter mode: a character missing from it would be drawn by another font
    (or as a box) and lower the count. (A lab that fails to load is its own tests' business; the first
    three must be checked.)"""
    page = shared_page
    query = "lang=zh" + ("&presenter=1" if presenter else "")
    open_zh(page, f"{live_server}/?{query}")
    paths = ["/"] + page.eval_on_selector_all(".topnav a", "links => links.map(a => new URL(a.href).pathname)")
    assert "/conv" in paths and "/pool" in paths
    checked, pages = 0, []
    for path in paths + MORE_PAGES:
        response = open_zh(page, f"{live_server}{path}{'&' if '?' in path else '?'}{query}")
        if not response.headers["content-type"].startswith("text/html"):
            continue
        assert response.ok or path == "/no-such-page", path
        pages.append(path)
        reveal(page)
        checked += check_chinese(page, path)
    assert {"/", "/conv", "/pool", "/join", "/no-such-page"} <= set(pages) and checked >= 40, (pages, checked)


@pytest.mark.parametrize("presenter", [False, True], ids=["normal", "presenter"])
def test_panels_shown_after_interaction_are_drawn_with_the_web_font(page, live_server, presenter):
    """Texts that only appear after a click: the im2col panel, a teacher's class panel, the draw page's
    hint and uncertain badge."""
    from tests.browser.test_draw import draw
    from tests.browser.test_draw_hints import NOT_DIGITS

    query = "lang=zh" + ("&presenter=1" if presenter else "")
    open_zh(page, f"{live_server}/conv?preset=relu5x5&{query}")
    page.click("#im2col-toggle")
    expect(page.locator("#im2col-panel")).to_be_visible()
    settle(page)
    teach = page.locator("[data-follow-teach]")
    if not teach.is_visible():  # folded into the header's menu
        reveal(page)
    teach.click()
    expect(page.locator("[data-class-panel]")).to_be_visible()
    expect(page.locator("[data-class-panel]")).to_contain_text("加入码")
    check_chinese(page, "/conv with im2col and the class panel")
    page.locator("[data-class-panel] button", has_text="结束课堂").click()  # (a client may open 3 classes)

    open_zh(page, f"{live_server}/draw?{query}")
    draw(page, NOT_DIGITS["full"][0], steps=1)  # (straight strokes: one pointer event each)
    expect(page.locator("#draw-hint")).to_be_visible()
    expect(page.locator("#uncertain-badge")).to_be_visible()
    check_chinese(page, "/draw with a hint")


def test_the_font_is_served_offline_from_the_app(page, live_server):
    for name in ("playground-cjk.woff2", "playground-cjk-bold.woff2", "OFL.txt"):
        response = page.request.get(f"{live_server}/static/fonts/{name}")
        assert response.ok, name
    assert page.request.get(f"{live_server}/static/fonts/playground-cjk.woff2").headers["content-type"] == "font/woff2"
    css = page.request.get(f"{live_server}/static/css/fonts.css").text()
    assert "http" not in css, "no font from the internet"
    page.goto(f"{live_server}/?lang=zh")
    expect(page.locator("link[href='/static/css/fonts.css']")).to_have_count(1)
