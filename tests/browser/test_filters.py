"""The image-filter lab in a real browser: the notes' edge detection (a 280x319 map, 267,960
operations), presets, a traced block stepped by keys and picked by a click, custom kernels, an
uploaded picture scaled to 512, the URL, both languages, presenter mode, errors in words."""

import struct
import zlib

from playwright.sync_api import expect

from tests.browser.helpers import open_lab, settle, shoot


def term(x):
    """A number as the page writes it in a sum: negative numbers in brackets."""
    text = f"{x:g}"
    return f"({text})" if x < 0 else text


def png(width, height, pixel):
    """A small RGB PNG: pixel(x, y) -> (r, g, b)."""
    raw = b"".join(b"\x00" + bytes(v for x in range(width) for v in pixel(x, y)) for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_the_notes_edge_detection_and_its_arithmetic(page, live_server, console_errors):
    open_lab(page, f"{live_server}/filters?lang=en")
    # sizes are rows × columns, as on every page: the notes' 320-wide, 280-high picture is 280×320
    expect(page.locator("#input-size")).to_have_text("280×320")
    expect(page.locator("#kernel-size")).to_have_text("1×2")
    expect(page.locator("#output-size")).to_have_text("280×319 (rows × columns)")
    expect(page.locator("#cost-size")).to_have_text(
        "A 280×320 picture and a 1×2 kernel (rows × columns) give a 280×319 feature map."
    )
    expect(page.locator("#cost-sliding")).to_contain_text("280 × 319 × 3 = 267,960 operations")
    expect(page.locator("#cost-dense")).to_contain_text("(280·320) × (280·319) = 8,003,072,000 entries")
    expect(page.locator("#formula-text")).to_contain_text(
        "OW = ⌊(320 + 2·0 − 1·(2 − 1) − 1) / 1⌋ + 1 = ⌊318⌋ + 1 = 319"
    )
    assert page.eval_on_selector("#output-map canvas", "c => [c.width, c.height]") == [319, 280]
    assert page.eval_on_selector("#input-map canvas", "c => [c.width, c.height]") == [320, 280]
    # the traced block: its first step is the pixel minus its left neighbour, from the server's pixels
    photo = page.request.get(f"{live_server}/api/filter/samples/astronaut").json()["image"]
    left, pixel = photo[59][129], photo[59][130]
    expect(page.locator("#trace-math")).to_contain_text(f"{term(left)}×(-1) + {term(pixel)}×1 = {pixel - left}")
    expect(page.locator("#trace-math")).to_contain_text("feature map row 60, column 130")
    expect(page.locator(".player-counter")).to_have_text("Step 1 of 16")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#trace-math")).to_contain_text("row 60, column 131")
    page.keyboard.press("End")
    expect(page.locator(".player-counter")).to_have_text("Step 16 of 16")
    expect(page.locator("#trace-math")).to_contain_text("row 63, column 133")
    assert "step=15" in page.url
    shoot(page, "filters-edge-en.png")
    page.locator("#trace").scroll_into_view_if_needed()
    shoot(page, "filters-trace.png")
    assert console_errors == []


def test_presets_click_to_trace_and_a_custom_kernel(page, live_server, console_errors):
    open_lab(page, f"{live_server}/filters?lang=en&image=camera")
    page.select_option("#preset", "sobel_x")
    settle(page)
    expect(page.locator("#output-size")).to_contain_text("278×318")
    expect(page.locator("#cost-sliding")).to_contain_text(f"278 × 318 × 17 = {318 * 278 * 17:,}")
    assert "preset=sobel_x" in page.url
    assert page.locator("#kernel-grid input.cell").count() == 9
    # a click on the feature map traces the block there
    box = page.locator("#output-map canvas").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.25)
    settle(page)
    row, col = int(page.input_value("#trace-row")), int(page.input_value("#trace-col"))
    assert abs(row - 278 * 0.25) <= 2 and abs(col - 318 * 0.5) <= 2
    expect(page.locator("#trace-math")).to_contain_text(f"feature map row {row}, column {col}")
    assert page.locator("#trace-input .cell").count() == (4 + 2) * (4 + 2)
    # editing a kernel cell makes it a custom kernel and recomputes
    cell = page.locator("#kernel-grid input.cell").first
    cell.fill("5")
    settle(page)
    expect(page.locator("#preset")).to_have_value("")
    assert "kernel=5,0,1;-2,0,2;-1,0,1" in page.url
    page.fill("#k-cols", "2")
    page.dispatch_event("#k-cols", "change")
    settle(page)
    expect(page.locator("#kernel-size")).to_have_text("3×2")
    expect(page.locator("#output-size")).to_contain_text("278×319")
    for preset, size in (
        ("box_blur", "278×318"),
        ("gaussian_blur", "278×318"),
        ("sharpen", "278×318"),
        ("edge", "280×319"),
    ):
        page.select_option("#preset", preset)
        settle(page)
        expect(page.locator("#output-size")).to_contain_text(size)
    assert console_errors == []


def test_url_round_trip_language_switch_and_presenter(page, live_server, console_errors):
    query = "image=digit-3&preset=sobel_y&stride=1&padding=1&row=10&col=12&size=3&step=4"
    open_lab(page, f"{live_server}/filters?lang=en&{query}")
    expect(page.locator("#image")).to_have_value("digit-3")
    expect(page.locator("#padding")).to_have_value("1")
    expect(page.locator("#output-size")).to_contain_text("28×28")
    expect(page.locator(".player-counter")).to_have_text("Step 5 of 9")
    expect(page.locator("#trace-math")).to_contain_text("row 11, column 13")
    math = page.locator("#trace-math").text_content()
    other = page.context.new_page()
    open_lab(other, page.url)
    expect(other.locator("#trace-math")).to_have_text(math)
    other.close()
    page.click("a[data-lang=zh]")
    settle(page)
    expect(page.locator("h1")).to_have_text("图像滤波")
    expect(page.locator(".player-counter")).to_contain_text("5")
    assert "image=digit-3" in page.url and "lang=zh" in page.url
    page.goto(f"{live_server}/filters?lang=zh")
    settle(page)
    expect(page.locator("#cost-sliding")).to_contain_text("280 × 319 × 3 = 267,960 次运算")
    expect(page.locator("#output-size")).to_have_text("280×319（行×列）")
    shoot(page, "filters-zh.png")
    page.click("[data-presenter-toggle]")
    expect(page.locator("html")).to_have_class("presenter")
    for control in ("#image", "#preset", "#stride", "#padding", "#trace-row"):
        expect(page.locator(control)).to_be_visible()
    shoot(page, "filters-presenter.png")
    assert console_errors == []


def test_an_uploaded_picture_is_scaled_to_512_and_filtered(page, live_server, console_errors):
    open_lab(page, f"{live_server}/filters?lang=en")
    picture = png(1024, 64, lambda x, y: (255, 255, 255) if (x // 128) % 2 else (0, 0, 0))  # vertical stripes
    page.set_input_files("#upload", files=[{"name": "stripes.png", "mimeType": "image/png", "buffer": picture}])
    settle(page)
    expect(page.locator("#image")).to_have_value("upload")
    expect(page.locator("#input-size")).to_have_text("32×512")
    expect(page.locator("#output-size")).to_contain_text("32×511")
    expect(page.locator("#cost-sliding")).to_contain_text(f"32 × 511 × 3 = {511 * 32 * 3:,}")
    assert page.eval_on_selector("#input-map canvas", "c => [c.width, c.height]") == [512, 32]
    page.set_input_files("#upload", files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"}])
    expect(page.locator("#alerts")).to_contain_text("cannot be read as a picture")
    assert console_errors == []


def test_errors_are_shown_in_words(page, live_server, console_errors):
    open_lab(page, f"{live_server}/filters?lang=en&image=digit-1")
    page.fill("#bias", "abc")
    page.wait_for_selector("body[data-ready=error]")
    expect(page.locator("#alerts")).to_contain_text("“abc” is not a usable number")
    expect(page.locator("#output-refused")).to_be_visible()  # the old feature map is not left on screen
    expect(page.locator("#output-map")).to_be_hidden()
    expect(page.locator("#output-size")).to_be_empty()
    expect(page.locator("#cost")).to_be_hidden()
    page.fill("#bias", "0")
    settle(page)
    expect(page.locator("#alerts")).to_be_hidden()
    expect(page.locator("#output-refused")).to_be_hidden()
    expect(page.locator("#output-map")).to_be_visible()
    expect(page.locator("#cost")).to_be_visible()
    page.fill("#stride", "2")  # 28 - 1 = 27 is odd: PyTorch rounds down, floor(27 / 2) + 1 = 14 (once refused)
    settle(page)
    expect(page.locator("#alerts")).to_be_hidden()
    expect(page.locator("#formula-text")).to_contain_text("⌊13.5⌋ + 1 = 14")
    expect(page.locator("#output-size")).to_have_text("14×14 (rows × columns)")
    expect(page.locator("#output-refused")).to_be_hidden()
    page.fill("#padding", "-1")
    page.wait_for_selector("body[data-ready=error]")
    expect(page.locator("#alerts")).to_contain_text("negative")
    expect(page.locator("#output-refused")).to_be_visible()
    expect(page.locator("#output-map")).to_be_hidden()
    assert [e for e in console_errors if "422" not in e] == []
