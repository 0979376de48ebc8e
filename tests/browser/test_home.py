"""The home page in a real browser: it renders, links to every lab it serves, and switches language."""

from playwright.sync_api import expect

from tests.browser.helpers import shoot


def test_home_links_and_language(page, live_server, console_errors):
    page.goto(f"{live_server}/?lang=en")
    expect(page.locator("h1")).to_have_text("CNN Playground")
    for href in ("/conv", "/pool"):
        assert page.locator(f"a.card[href^='{href}']").count() == 1
    for href in ("/activations", "/learn", "/draw"):  # a link once the lab exists, "coming soon" until then
        assert page.locator(f"a.card[href^='{href}'], .card.soon[data-href='{href}']").count() == 1
    page.click("a[data-lang=zh]")
    expect(page.locator("h1")).to_have_text("卷积神经网络演练场")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    shoot(page, "home-zh.png")
    page.goto(f"{live_server}/")  # the cookie remembers the choice
    expect(page.locator("h1")).to_have_text("卷积神经网络演练场")
    page.click("[data-presenter-toggle]")
    expect(page.locator("html")).to_have_class("presenter")
    assert "presenter=1" in page.url
    assert console_errors == []
