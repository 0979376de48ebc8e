"""What every endpoint shares when a request is bad before any route looks at it: the body-size
limit (413, without reading an oversize body), text that is not Unicode (422), a body the JSON
reader cannot read (nested ten thousand levels deep, a number thousands of digits long), unknown
URLs and methods: each a 4xx with a translated ``detail`` and a ``code``, answered at once.

Most of these were found by tests/app/test_fuzz.py: they answered with Starlette's untranslated
``{"detail": "Not Found"}`` (no code), or 500 where an answer echoed a lone surrogate."""

import asyncio
import json
import time

import pytest
from fastapi.testclient import TestClient

from app.limits import BodySizeLimit, has_lone_surrogate
from app.main import create_app
from app.settings import Settings

CJK = ("\u4e00", "\u9fff")


def chinese(text: str) -> bool:
    return any(CJK[0] <= ch <= CJK[1] for ch in text)


def post(client, path, raw: bytes, lang="en", content_type="application/json"):
    return client.post(f"{path}?lang={lang}", content=raw, headers={"content-type": content_type})


def assert_answer(r, status, code, *english):
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code and body["detail"], body
    for word in english:
        assert word in body["detail"], body["detail"]
    return body


# ---- unknown URLs and methods ------------------------------------------------------------------------


def test_an_unknown_url_gets_a_translated_404(client):
    assert_answer(client.get("/api/nothing"), 404, "not_found", "no page")
    body = assert_answer(client.get("/api/nothing?lang=zh"), 404, "not_found")
    assert chinese(body["detail"])
    assert_answer(client.get("/static/nothing.js"), 404, "not_found")


def test_a_wrong_method_gets_a_translated_405(client):
    r = client.delete("/api/conv?lang=en")
    assert_answer(r, 405, "method_not_allowed", "DELETE")
    assert r.headers["allow"] == "POST"
    assert chinese(assert_answer(client.get("/api/conv?lang=zh"), 405, "method_not_allowed")["detail"])


def test_a_browser_asking_for_a_missing_page_gets_an_html_page_in_its_language(client):
    """A mistyped URL in the address bar: an HTML page with links home (not raw JSON); /api/ keeps JSON."""
    html = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    r = client.get("/convv?lang=en", headers=html)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "Page not found" in r.text and "/convv" in r.text and 'href="/?lang=en"' in r.text
    assert 'href="/conv?lang=en"' in r.text and "content-security-policy" in r.headers
    r = client.get("/learn/nothing?lang=zh", headers=html)
    assert r.status_code == 404 and "找不到这个页面" in r.text and 'href="/?lang=zh"' in r.text
    assert_answer(client.get("/api/nothing?lang=en", headers=html), 404, "not_found", "no page")
    assert_answer(client.get("/nothing?lang=en"), 404, "not_found")  # a script (no Accept: text/html): JSON


@pytest.mark.parametrize(
    "path", ["/", "/conv", "/pool", "/activations", "/filters", "/learn", "/learn/backprop", "/draw", "/docs", "/redoc"]
)
def test_every_page_answers_head(client, path):
    head, get = client.head(path), client.get(path)
    assert head.status_code == 200 == get.status_code
    assert head.headers["content-type"] == get.headers["content-type"] and head.content == b""
    assert client.head("/api/conv").status_code == 405  # the API is unchanged


# ---- bodies the JSON reader cannot read ----------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'{"input": ' + b"[" * 10_000 + b"1" + b"]" * 10_000 + b', "kernel": [[1]]}',
        b'{"input": [[' + b"9" * 5000 + b']], "kernel": [[1]]}',  # more digits than Python turns into an int
        b"\x00\x00\x00\x00\x00",  # no Unicode encoding
    ],
)
def test_an_unreadable_body_gets_400_at_once(client, raw):
    started = time.perf_counter()
    assert_answer(post(client, "/api/conv", raw), 400, "unreadable_body", "could not be read as JSON")
    assert chinese(post(client, "/api/conv", raw, "zh").json()["detail"])
    assert time.perf_counter() - started < 1
    assert client.get("/health").status_code == 200


@pytest.mark.parametrize("depth", [500, 900])
def test_deep_nesting_the_reader_takes_is_explained(client, depth):
    deep = b"[" * depth + b"1" + b"]" * depth
    started = time.perf_counter()
    for path, raw in (
        ("/api/conv", b'{"input": %s, "kernel": [[1]]}' % deep),
        ("/api/activations", b'{"name": "maxout", "params": {"weights": %s}}' % deep),
        ("/api/networks/check", b'{"layers": [%s]}' % deep),
        ("/api/predict", b'{"image": [[0]], "model": %s}' % deep),
    ):
        r = post(client, path, raw)
        assert r.status_code == 422 and r.json()["code"] and r.json()["detail"], (path, r.text[:300])
        assert len(r.content) < 5000, path  # the params echo only a few levels of what was sent
    assert time.perf_counter() - started < 2


# ---- text that is not Unicode ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, raw",
    [
        ("/api/activations", b'{"name": "\\ud800"}'),  # escaped
        ("/api/activations", b'{"name": "\xed\xa0\x80"}'),  # as the bytes UTF-8 would give it
        ("/api/networks/check", b'{"layers": [{"type": "\\udfff"}]}'),
        ("/api/filter", b'{"image": "astronaut\\udc00", "kernel": [[1]]}'),
        ("/api/runs/abc/save", b'{"name": "x\\ud83d"}'),
    ],
)
def test_a_lone_surrogate_is_refused_before_it_is_echoed(client, path, raw):
    assert_answer(post(client, path, raw), 422, "bad_unicode", "not valid Unicode")
    assert chinese(post(client, path, raw, "zh").json()["detail"])


def test_a_surrogate_pair_is_ordinary_text(client):
    r = post(client, "/api/activations", b'{"name": "\\ud83d\\ude00"}')  # an emoji, escaped
    assert_answer(r, 422, "unknown_activation", "\U0001f600")
    assert not has_lone_surrogate(b'{"a": "\\ud83d\\ude00 \\\\ud800"}')  # a pair, and the text \ud800
    assert has_lone_surrogate(b'["ok", {"b": "\\uDBFF"}]')


# ---- the body-size limit ---------------------------------------------------------------------------------


@pytest.fixture()
def small_limit():
    with TestClient(create_app(Settings(max_body_bytes=1000))) as c:
        yield c


def test_a_body_at_the_limit_is_read_and_one_byte_more_is_not(small_limit):
    base = json.dumps({"input": [[1, 2], [3, 4]], "kernel": [[1]], "activation": None})
    at_limit = base[:-1] + " " * (1000 - len(base)) + "}"
    assert len(at_limit) == 1000
    assert post(small_limit, "/api/conv", at_limit.encode()).status_code == 200
    over = (at_limit[:-1] + " }").encode()
    assert_answer(post(small_limit, "/api/conv", over), 413, "body_too_large", "1,001", "1,000")
    assert chinese(post(small_limit, "/api/conv", over, "zh").json()["detail"])


def _run_middleware(headers, chunks, max_bytes=1000):
    """Call :class:`BodySizeLimit` as a server would; returns (status, chunks it read, whether the app ran)."""
    state = {"read": 0, "app": False, "status": None}
    pending = list(chunks)

    async def app(scope, receive, send):
        state["app"] = True
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def receive():
        if not pending:
            return {"type": "http.disconnect"}
        state["read"] += 1
        return {"type": "http.request", "body": pending.pop(0), "more_body": bool(pending)}

    async def send(message):
        if message["type"] == "http.response.start":
            state["status"] = message["status"]

    scope = {"type": "http", "method": "POST", "path": "/api/conv", "query_string": b"", "headers": headers}
    asyncio.run(BodySizeLimit(app, max_bytes)(scope, receive, send))
    return state["status"], state["read"], state["app"]


def test_an_oversize_body_is_refused_without_reading_it():
    chunks = [b" " * 100] * 1000  # 100 kB, the limit is 1 kB
    # Declared: refused before a byte is read.
    assert _run_middleware([(b"content-length", b"100000")], chunks) == (413, 0, False)
    # Chunked (no Content-Length): read until the limit is passed, and no further.
    assert _run_middleware([(b"transfer-encoding", b"chunked")], chunks) == (413, 11, False)
    # Under the limit, either way: handed on whole.
    assert _run_middleware([(b"content-length", b"1000")], [b" " * 100] * 10) == (200, 10, True)
    assert _run_middleware([], [b" " * 100] * 10) == (200, 10, True)
