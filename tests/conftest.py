"""Shared fixtures: the path to the development copy of MNIST, an HTTP test client, and a real
uvicorn server on a free local port with Debian's Chromium for browser tests."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# FastAPI's test client sends "Host: testserver": a name the server accepts only when told so.
os.environ.setdefault("CNN_PLAYGROUND_ALLOWED_HOSTS", "testserver")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
MNIST_DIR = SHARED / "datasets" / "mnist"
TEXTBOOK = SHARED / "examples" / "textbook_cases.json"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def textbook():
    import json

    with open(TEXTBOOK, encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    assert (MNIST_DIR / "train-images-idx3-ubyte.gz").exists(), f"the development MNIST is missing: {MNIST_DIR}"
    return MNIST_DIR


@pytest.fixture()
def client():
    from fastapi.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app()) as c:
        yield c


@pytest.fixture(scope="session")
def live_server():
    """A real uvicorn serving the app on a socket pre-bound to a free port; yields its base URL."""
    from app.main import create_app
    from tests.browser.helpers import serve

    with serve(create_app()) as url:
        yield url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    assert Path(CHROMIUM).exists(), "Debian's chromium is not installed: apt-get install -y chromium"
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 720}}


@pytest.fixture()
def console_errors(page):
    """Collects console errors and page errors; a browser test asserts it stays empty."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


CSP_MARK = "Content Security Policy"
_REPORT_VIOLATIONS = """document.addEventListener('securitypolicyviolation', (e) => console.error(
  'Content Security Policy violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') +
  ' at ' + e.sourceFile + ':' + e.lineNumber));"""


@pytest.fixture(autouse=True)
def no_csp_violations(request):
    """Every browser test fails if a page breaks the Content-Security-Policy: Chromium's own console
    message ("Refused to ... because it violates the following Content Security Policy directive")
    and the page's ``securitypolicyviolation`` events (reported to the console by an init script)."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if CSP_MARK in m.text else None)
    page.add_init_script(_REPORT_VIOLATIONS)
    yield violations
    if not page.is_closed():
        page.evaluate("() => new Promise((done) => setTimeout(done, 50))")  # (events still on their way)
    assert not violations, f"Content Security Policy violations: {violations}"


@pytest.fixture(scope="module")
def module_page(browser, browser_context_args):
    """One page (in its own context) for all the tests of a module that ask for ``shared_page``: the
    parametrised cases that each open pages and check what they show, without a new context each."""
    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    page.csp_violations = []
    page.on("console", lambda m: page.csp_violations.append(m.text) if CSP_MARK in m.text else None)
    page.add_init_script(_REPORT_VIOLATIONS)
    yield page
    context.close()


@pytest.fixture()
def shared_page(module_page):
    """The module's page (see ``module_page``), with the same Content-Security-Policy guard as ``page``:
    a violation during this test fails this test."""
    module_page.csp_violations.clear()
    yield module_page
    if not module_page.is_closed():
        module_page.evaluate("() => new Promise((done) => setTimeout(done, 50))")  # (events still on their way)
    assert not module_page.csp_violations, f"Content Security Policy violations: {module_page.csp_violations}"
