"""The API documentation in a real browser with every request off this server blocked: /docs
(Swagger UI) and /redoc list the operations, from assets served by our own origin, under the
site's Content-Security-Policy (tests/conftest.py fails any test with a CSP violation)."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import shoot


@pytest.fixture()
def offline(page, live_server):
    """Abort every request not to the live server; yields the list of what was blocked."""
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith(live_server + "/"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return blocked


def test_swagger_ui_works_offline(page, live_server, offline, console_errors):
    page.goto(f"{live_server}/docs")
    expect(page.locator(".opblock-summary-path", has_text="/api/conv").first).to_be_visible(timeout=15_000)
    expect(page.locator(".opblock-summary-path", has_text="/api/runs/{run_id}/stop").first).to_be_visible()
    shoot(page, "docs-swagger.png")
    assert offline == []
    assert console_errors == []


def test_redoc_works_offline(page, live_server, offline, console_errors):
    page.goto(f"{live_server}/redoc")
    expect(page.get_by_text("/api/conv", exact=False).first).to_be_attached(timeout=15_000)
    expect(page.locator("h2", has_text="Conv").first).to_be_visible()
    shoot(page, "docs-redoc.png")
    assert offline == []
    assert console_errors == []


def test_the_csp_guard_sees_a_violation(page, live_server, no_csp_violations):
    """The autouse guard is not vacuous: an inline script on one of our pages is reported to it."""
    page.goto(f"{live_server}/?lang=en")
    page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';
                             document.head.append(s); }""")
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.ran") is None  # the policy blocked it
    assert any("script-src" in v for v in no_csp_violations), no_csp_violations
    no_csp_violations.clear()  # (seen on purpose: the guard's own check at teardown passes)
