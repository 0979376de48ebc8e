"""The "Code" panel in a real browser (two pages, to keep it quick): it opens, shows the server's code
for what the page shows, switches between PyTorch and the engine, follows an edit, and copies (or,
where the browser refuses the clipboard, selects the code and says to press Ctrl+C)."""

from playwright.sync_api import expect

from tests.browser.helpers import open_lab
from tests.browser.test_draw import draw, settled

SEVEN = [[(0.25, 0.2), (0.75, 0.2)], [(0.75, 0.2), (0.4, 0.85)]]

SHOTS = "/work/notes/shots/export"


def test_the_conv_lab_exports_its_set_up_and_copies_it(page, live_server, console_errors):
    page.set_viewport_size({"width": 1280, "height": 720})
    open_lab(page, f"{live_server}/conv?preset=basic&lang=en")
    panel = page.locator("#export-panel")
    expect(panel).to_be_hidden()
    page.click("#export-toggle")
    expect(page.locator("#export-toggle")).to_have_attribute("aria-expanded", "true")
    code = page.locator("#export-code")
    expect(code).to_contain_text("F.conv2d(")
    expect(code).to_contain_text("x = torch.tensor([[[0, 1, 2], [3, 4, 5], [6, 7, 8]]], dtype=torch.float64)")
    expect(page.locator("#export-note")).to_contain_text("PyTorch")
    page.locator("#export").scroll_into_view_if_needed()
    page.screenshot(path=f"{SHOTS}/conv-pytorch-1280.png")

    page.click("#export-tab-engine")
    expect(page.locator("#export-tab-engine")).to_have_attribute("aria-selected", "true")
    expect(code).to_contain_text("from engine.reference import conv2d_trace")

    # An edit on the page: the open panel writes the new set-up's code.
    page.fill("#stride", "2")
    page.locator("#stride").dispatch_event("change")
    expect(code).to_contain_text("stride=2", timeout=10_000)

    # Copy: the page is served from 127.0.0.1 (a secure context), so the Clipboard API is used when the
    # browser grants it; otherwise the code ends up selected with the Ctrl+C hint.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.click("#export-copy")
    expect(page.locator("#export")).to_have_attribute("data-copied", "clipboard")
    expect(page.locator("#export-status")).to_have_text("Copied to the clipboard.")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == code.text_content() and "stride=2" in copied
    page.screenshot(path=f"{SHOTS}/conv-engine-copied-1280.png")

    # Without the Clipboard API (as on a classroom server over plain HTTP), the code is selected.
    page.evaluate("() => Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    page.evaluate("() => { document.execCommand = () => false; }")
    page.click("#export-copy")
    expect(page.locator("#export")).to_have_attribute("data-copied", "selected")
    expect(page.locator("#export-status")).to_contain_text("press Ctrl+C")
    assert page.evaluate("() => window.getSelection().toString()").rstrip() == code.text_content().rstrip()
    assert console_errors == []


def test_the_draw_page_exports_the_model_with_its_weights_in_chinese(page, live_server, console_errors):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{live_server}/draw?lang=zh")
    page.wait_for_selector("body[data-models=loaded]")
    expect(page.locator("#export-toggle")).to_have_text("代码")
    page.click("#export-toggle")
    code = page.locator("#export-code")
    expect(code).to_contain_text("model.load_state_dict(")
    link = page.locator("#export-weights")
    expect(link).to_be_visible()
    expect(link).to_contain_text("下载权重")
    href = link.get_attribute("href")
    assert href.startswith("/api/export/weights/lenet5")
    weights = page.request.get(live_server + href)
    assert weights.ok and weights.body()[:2] == b"PK"  # an .npz is a zip file
    page.locator("#export").scroll_into_view_if_needed()
    page.screenshot(path=f"{SHOTS}/draw-model-zh-1280.png")
    page.click("#export-tab-engine")
    expect(code).to_contain_text("Sequential.load('lenet5.npz')")
    expect(link).to_have_attribute("download", "lenet5.npz")
    expect(code).to_contain_text("digit-7")  # nothing drawn yet: the bundled sample's 7

    # A drawn digit: the open panel now exports the 28 x 28 image the network saw.
    draw(page, SEVEN)
    settled(page)
    expect(code).to_contain_text("the digit the page last showed", timeout=10_000)
    assert console_errors == []
