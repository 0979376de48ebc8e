"""The builder on /learn offers groups on a convolution and batch norm on maps and on vectors: a
depthwise-separable block with batch norm passes the network check (the server's shapes and parameter
counts under each layer), groups that do not divide are refused on that layer, in English and
Chinese. Screenshots at 1280x720 and 390x844: screenshots/learn-builder-groups-bn*.png."""

import re

from playwright.sync_api import expect

from tests.browser.helpers import shoot

# conv 4@3x3 pad 1, batch norm, relu, depthwise 4@3x3 pad 1 (groups 4), pointwise 8@1x1, batch norm, relu,
# maxpool 4, flatten, dense 16, batch norm (vectors), relu, dense 10
LAYERS = (
    "conv:4:3:1:1,batchnorm2d:0.1,relu,conv:4:3:1:1:4,conv:8:1:1:0,batchnorm2d:0.2,relu,maxpool:4:4,"
    "flatten,dense:16,batchnorm1d:0.1,relu,dense:10"
)


def test_groups_and_batch_norm_in_the_builder(page, live_server, console_errors):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{live_server}/learn?lang=en&preset=&layers={LAYERS}&batch=32")
    layers = page.locator("#layers .layer")
    expect(layers).to_have_count(13)
    expect(page.locator("#start")).to_be_enabled()
    expect(layers.nth(1).locator(".layer-title")).to_have_text("batch norm (maps)")
    expect(layers.nth(1).locator(".layer-name")).to_have_text("bn1")
    expect(layers.nth(1).locator(".layer-info")).to_contain_text("4×28×28, 8 parameters")
    expect(layers.nth(3).locator("input[data-field='groups']")).to_have_value("4")
    expect(layers.nth(3).locator(".layer-info")).to_contain_text("40 parameters")  # 4 * (1*9) + 4
    expect(layers.nth(4).locator(".layer-info")).to_contain_text("8×28×28, 40 parameters")  # 8 * 4 + 8
    expect(layers.nth(10).locator(".layer-info")).to_contain_text("16, 32 parameters")
    expect(layers.nth(10).locator("input[data-field='momentum']")).to_have_value("0.1")
    layers.nth(3).scroll_into_view_if_needed()
    shoot(page, "learn-builder-groups-bn.png")
    # groups that do not divide the channels: refused on that layer, with the numbers
    layers.nth(3).locator("input[data-field='groups']").fill("3")
    expect(layers.nth(3)).to_have_class(re.compile("invalid"))
    expect(layers.nth(3).locator(".layer-problem")).to_contain_text(
        "groups = 3 must divide both the input channels (4)"
    )
    expect(page.locator("#start")).to_be_disabled()
    shoot(page, "learn-builder-groups-error.png")
    assert "conv:4:3:1:1:3" in page.url
    layers.nth(3).locator("input[data-field='groups']").fill("1")
    expect(page.locator("#start")).to_be_enabled()
    expect(layers.nth(3).locator(".layer-info")).to_contain_text("148 parameters")  # 4 * (4*9) + 4
    assert "conv:4:3:1:1,batchnorm2d" in page.url  # groups 1 is left out of the URL
    # add a batch norm on vectors from the list
    page.select_option("#add-kind", "batchnorm1d")
    page.click("#add-layer")
    expect(layers).to_have_count(14)
    expect(layers.nth(13).locator(".layer-info")).to_contain_text("10, 20 parameters")
    assert console_errors == []


def test_the_builder_in_chinese_on_a_phone(page, live_server, console_errors):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(
        f"{live_server}/learn?lang=zh&preset=&layers={LAYERS.replace('conv:4:3:1:1:4', 'conv:4:3:1:1:3')}&batch=1"
    )
    layers = page.locator("#layers .layer")
    expect(layers.nth(3).locator(".layer-problem")).to_contain_text("分组数 groups = 3 必须同时整除输入通道数（4）")
    expect(layers.nth(1).locator(".layer-title")).to_have_text("批归一化（特征图）")
    layers.nth(3).scroll_into_view_if_needed()
    shoot(page, "learn-builder-groups-bn-zh-phone.png")
    layers.nth(3).locator("input[data-field='groups']").fill("4")
    expect(layers.nth(10).locator(".layer-problem")).to_contain_text("批归一化层 bn3")  # a batch of 1
    expect(page.locator("#start")).to_be_disabled()
    assert console_errors == []
