"""The builder on /learn shows and edits a branches layer (the inception preset): its paths side by
side, each path's layers editable, addable and removable, the merge choice, the server's shapes and
parameter counts per path, the refusal marked on the path at fault, the URL keeping it all; stacked
on a phone. One page load (and one reload for the URL). Screenshots at 1280x720 and 390x844:
screenshots/learn-branches.png, learn-branches-error.png, learn-branches-phone.png."""

import re

from playwright.sync_api import expect

from tests.browser.helpers import shoot
from tests.browser.test_text_legibility import MENU_WIDTHS


def menus_cut(page):
    """The visible menus narrower than their longest option (the project's legibility rule)."""
    return [m for m in page.evaluate(MENU_WIDTHS) if m["need"] > m["have"] + 0.5]


def api(page, base, lang="en", **body):
    r = page.request.post(f"{base}/api/networks/check?lang={lang}", data=body)
    assert r.ok, r.text()
    return r.json()


def spec_layers(page):
    """The builder's layers as it sends them (read back from the URL through the page's own decoder)."""
    return page.evaluate(
        "async () => { const b = await import('/static/js/builder.js');"
        " const opts = JSON.parse(document.getElementById('learn-options').textContent);"
        " const items = b.decode(new URLSearchParams(location.search).get('layers'), opts.activations);"
        " return items.map(b.toSpec); }"
    )


def test_the_builder_edits_a_branches_layer(page, live_server, console_errors):
    page.goto(f"{live_server}/learn?lang=en&preset=inception")
    block = page.locator("#layers > li[data-kind=branches]")
    paths = block.locator(".branch-path")
    expect(paths).to_have_count(4)
    answer = api(page, live_server, preset="inception", batch_size=64, optimizer="momentum")
    row = next(r for r in answer["layers"] if r["type"] == "branches")
    for p, path in enumerate(row["paths"]):  # the server's figures under each path
        shape = "×".join(map(str, path["output_shape"]))
        expect(paths.nth(p).locator(".path-info")).to_have_text(f"path → {shape}, {path['params']:,} parameters")
    conv = paths.nth(1).locator(".sublayer").nth(2)
    expect(conv.locator(".layer-name")).to_have_text("conv2")
    expect(conv.locator(".layer-info")).to_have_text("→ 8×14×14, 584 parameters")  # 8 × (8·3·3 + 1)
    expect(block.locator(":scope > .layer-info")).to_contain_text(f"→ 24×14×14, {row['params']:,} parameters")
    # side by side at 1280x720: the first two paths share a row
    first, second = paths.nth(0).bounding_box(), paths.nth(1).bounding_box()
    assert abs(first["y"] - second["y"]) < 2 and second["x"] > first["x"] + first["width"] - 1
    assert menus_cut(page) == []
    block.evaluate("e => e.scrollIntoView({block: 'start'})")
    shoot(page, "learn-branches.png")

    # Path 4 emptied layer by layer: the identity, 8 channels of the input and no parameters.
    last = paths.nth(3)
    for _ in range(3):
        last.locator(".sublayer [data-action=remove]").first.click()
    expect(last.locator(".path-identity")).to_be_visible()
    expect(last.locator(".path-info")).to_have_text("path → 8×14×14, 0 parameters")
    expect(block.locator(":scope > .layer-info")).to_contain_text("→ 28×14×14")

    # A fifth path with a 3x3 convolution without padding: 12x12 cannot join 14x14; path 5 is marked.
    block.locator(".path-add").click()
    expect(paths).to_have_count(5)
    paths.nth(4).locator(".path-adder select").select_option("conv")
    paths.nth(4).locator(".path-add-layer").click()
    problem = block.locator(":scope > .layer-problem")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("path 5: 4×12×12")
    expect(paths.nth(4)).to_have_class(re.compile("invalid"))
    expect(paths.nth(0)).not_to_have_class(re.compile("invalid"))
    layers = spec_layers(page)
    assert api(page, live_server, layers=layers)["error"]["detail"] == problem.inner_text()
    expect(page.locator("#start")).to_be_disabled()
    problem.scroll_into_view_if_needed()
    shoot(page, "learn-branches-error.png")

    # Padding 1 fixes it; the merge choice changes to add, which needs equal shapes everywhere.
    paths.nth(4).locator("input[data-field=padding]").fill("1")
    expect(problem).to_be_hidden()
    expect(block.locator(":scope > .layer-info")).to_contain_text("→ 32×14×14")
    block.locator("select[data-field=merge]").select_option("add")
    expect(problem).to_contain_text("adding the paths")
    expect(problem).to_contain_text("path 3: 4×14×14")
    for p, odd in enumerate([False, False, True, False, True]):  # 8, 8, 4, 8 and 4 channels
        expect(paths.nth(p)).to_have_class(re.compile("invalid") if odd else re.compile("^branch-path$"))
    block.locator("select[data-field=merge]").select_option("concat")
    expect(problem).to_be_hidden()
    expect(page.locator("#start")).to_be_enabled()

    # The URL keeps the paths: reloaded, the same five paths and the same figures.
    assert "branches:concat%5B" in page.url, page.url
    before = spec_layers(page)
    page.reload()
    expect(paths).to_have_count(5)
    expect(paths.nth(3).locator(".path-identity")).to_be_visible()
    expect(paths.nth(4).locator(".path-info")).to_have_text("path → 4×14×14, 292 parameters")  # 4 × (8·3·3 + 1)
    assert spec_layers(page) == before

    # A path removed by its button; a phone stacks the paths one above the other.
    paths.nth(4).locator("[data-action=remove-path]").click()
    expect(paths).to_have_count(4)
    expect(block.locator(":scope > .layer-info")).to_contain_text("→ 28×14×14")
    page.set_viewport_size({"width": 390, "height": 844})
    first, second = paths.nth(0).bounding_box(), paths.nth(1).bounding_box()
    assert second["y"] > first["y"] + first["height"] - 1 and abs(first["x"] - second["x"]) < 2
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    block.evaluate("e => e.scrollIntoView({block: 'start'})")
    shoot(page, "learn-branches-phone.png")
    assert console_errors == []


def test_a_residual_block_added_in_chinese(page, live_server, console_errors):
    page.goto(f"{live_server}/learn?lang=zh&preset=&layers=conv:4:3:1:1,relu,flatten,dense:10")
    expect(page.locator("#layers > li")).to_have_count(4)
    page.select_option("#add-kind", "branches")
    page.click("#add-layer")
    block = page.locator("#layers > li[data-kind=branches]")
    # added last, after the dense layer: its 3x3 convolutions need an image; the engine says which one
    expect(block.locator(":scope > .layer-problem")).to_contain_text("branches1.path1.conv1")
    block.locator(":scope > .layer-head [data-action=up]").click()
    block = page.locator("#layers > li[data-kind=branches]")
    block.locator(":scope > .layer-head [data-action=up]").click()
    expect(page.locator("#layers > li").nth(2)).to_have_attribute("data-kind", "branches")
    expect(block.locator(".branch-path").nth(0).locator(".path-title")).to_have_text("路径 1")
    expect(block.locator(".branch-path").nth(1).locator(".path-identity")).to_contain_text("恒等")
    expect(block.locator(".branch-path").nth(0).locator(".path-info")).to_have_text("路径 → 4×28×28，296 个参数")
    expect(page.locator("#start")).to_be_enabled()
    assert menus_cut(page) == []
    assert console_errors == []
