"""A server that may face a classroom network (app/security.py, app/client_limits.py, app/hosts.py):
a foreign Host refused (DNS rebinding), websockets from other origins closed with a code and a
reason, cross-site and form posts refused, security headers on every kind of answer, and the limits
on open connections per client and overall answered 429 or close 1013, in English and Chinese."""

import asyncio
import json

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app import hosts
from app.client_limits import ConnectionLimits
from app.main import create_app
from app.refusals import MAX_CLOSE_REASON_BYTES, close_reason
from app.security import content_security_policy
from app.settings import Settings
from tests.runs_support import make_registry, runs_client, wait_for
from tests.app.test_error_handling import assert_answer as refused  # status, code, words

CJK = ("\u4e00", "\u9fff")
EVIL = "http://evil.example"
OWN = "http://testserver"  # the test client's origin: its Host header is "testserver"
CONV = {"input": [[1, 2], [3, 4]], "kernel": [[1]]}


def chinese(text: str) -> bool:
    return any(CJK[0] <= ch <= CJK[1] for ch in text)


def closed(ws, code: str) -> WebSocketDisconnect:
    """The error message ``code`` a refused websocket gets, then its close (returned). (A message is
    sent first: a socket the route accepted by mistake answers it, and the test fails, not hangs.)"""
    ws.send_text("{}")
    message = ws.receive_json()
    assert message["type"] == "error" and message["code"] == code, message
    assert message["detail"] and message["message"] == message["detail"], message
    with pytest.raises(WebSocketDisconnect) as info:
        ws.receive_text()
    return info.value


# ---- the Host header ------------------------------------------------------------------------------


def test_a_foreign_host_is_refused_with_a_message(client):
    body = refused(
        client.get("/api/conv/presets", headers={"host": "evil.example"}),
        400,
        "bad_host",
        "evil.example",
        "CNN_PLAYGROUND_ALLOWED_HOSTS",
    )
    assert body["params"] == {"host": "evil.example"}
    zh = refused(client.get("/?lang=zh", headers={"host": "rebound.example:8000"}), 400, "bad_host")
    assert chinese(zh["detail"]) and "rebound.example" in zh["detail"]
    refused(client.post("/api/conv", json=CONV, headers={"host": "evil.example"}), 400, "bad_host")
    with client.websocket_connect("/ws/predict", headers={"host": "evil.example"}) as ws:
        error = closed(ws, "bad_host")
    assert error.code == 4400 and "evil.example" in error.reason


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST", "testserver"])
def test_loopback_names_and_the_configured_ones_pass(client, host):
    assert client.get("/api/conv/presets", headers={"host": host}).status_code == 200


def test_which_hosts_are_allowed(monkeypatch):
    monkeypatch.setattr(hosts, "machine_addresses", lambda: ["192.0.2.7", "fd00::7"])
    monkeypatch.setattr(hosts, "machine_names", lambda: ["teacher-laptop", "teacher-laptop.local"])
    everywhere = hosts.allowed_hosts("0.0.0.0", [])
    assert everywhere == [
        "localhost",
        "127.0.0.1",
        "[::1]",
        "192.0.2.7",
        "[fd00::7]",
        "teacher-laptop",
        "teacher-laptop.local",
    ]
    assert hosts.allowed_hosts("::", ["Class.Example"])[-1] == "class.example"
    assert hosts.allowed_hosts("127.0.0.1", []) == ["localhost", "127.0.0.1", "[::1]"]  # not the machine's names
    assert hosts.allowed_hosts("192.0.2.7", []) == ["localhost", "127.0.0.1", "[::1]", "192.0.2.7"]
    app = create_app(Settings(listen_host="0.0.0.0", allowed_hosts=[]))
    with TestClient(app, base_url="http://192.0.2.7:8000") as c:
        assert c.get("/health").status_code == 200
        assert c.get("/health", headers={"host": "[fd00::7]:8000"}).status_code == 200
        assert c.get("/health", headers={"host": "teacher-laptop.local:8000"}).status_code == 200
        refused(c.get("/health", headers={"host": "testserver"}), 400, "bad_host")
    with TestClient(create_app(Settings(allowed_hosts="*")), base_url="http://anything.example") as c:
        assert c.get("/health").status_code == 200


# ---- websockets from other origins ----------------------------------------------------------------


def test_a_cross_site_websocket_is_closed_with_a_code_and_a_reason(client):
    for path in ("/ws/predict", "/ws/runs/nope", "/ws/predict?lang=zh"):
        with client.websocket_connect(path, headers={"origin": EVIL}) as ws:
            error = closed(ws, "cross_site")
        assert error.code == 4403 and error.reason, path
        assert chinese(error.reason) if "zh" in path else "evil.example" in error.reason, error.reason
    with client.websocket_connect("/ws/predict", headers={"origin": "null"}) as ws:  # a sandboxed page
        assert closed(ws, "cross_site").code == 4403


def test_own_origin_allowed_origins_and_no_origin_may_connect():
    app = create_app(Settings(allowed_origins="http://projector.example:9000"))
    with TestClient(app) as c:
        for headers in ({}, {"origin": OWN}, {"origin": "http://projector.example:9000"}):
            with c.websocket_connect("/ws/predict", headers=headers) as ws:
                ws.send_text("not json")
                assert ws.receive_json()["code"] == "bad_predict_message", headers  # the route answered
        with c.websocket_connect("/ws/predict", headers={"origin": "https://testserver"}) as ws:  # other scheme
            assert closed(ws, "cross_site").code == 4403


# ---- state-changing requests from other sites --------------------------------------------------------


@pytest.fixture()
def runs():
    with runs_client(make_registry()) as c:
        yield c


def control(run: dict) -> dict:
    """The headers of the run's starter (where runs have control tokens)."""
    return {"X-Control-Token": run["control_token"]} if run.get("control_token") else {}


def test_a_cross_site_form_post_cannot_stop_a_run(runs):
    blocker = runs.post("/api/runs", json={"preset": "tiny", "epochs": 50, "batch_size": 8}).json()
    queued = runs.post("/api/runs", json={"preset": "tiny"}).json()
    assert queued["state"] == "queued", queued
    stop = f"/api/runs/{queued['id']}/stop"
    form = {"content-type": "application/x-www-form-urlencoded", **control(queued)}  # (even with the token)
    # what an <form method=post action=...> on another site sends: its Origin, its Sec-Fetch-Site, a form body
    refused(runs.post(stop, headers={**form, "origin": EVIL, "sec-fetch-site": "cross-site"}), 403, "cross_site", EVIL)
    refused(runs.post(stop, headers={**form, "sec-fetch-site": "cross-site"}), 403, "cross_site")  # no Origin
    refused(runs.post(stop, headers={**form, "origin": EVIL}), 403, "cross_site")
    refused(
        runs.post(stop, headers={"sec-fetch-site": "same-site", "origin": "http://testserver:9999"}), 403, "cross_site"
    )  # another port of the same host is another origin
    for kind in ("application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"):
        body = refused(
            runs.post(stop, content=b"a=1", headers={"content-type": kind, **control(queued)}),
            415,
            "json_required",
            "JSON",
            kind.split(";")[0],
        )
        assert chinese(
            refused(runs.post(stop + "?lang=zh", headers={"content-type": kind}), 415, "json_required")["detail"]
        ), body
    zh = refused(runs.post(stop + "?lang=zh", headers={"origin": EVIL}), 403, "cross_site")
    assert chinese(zh["detail"])
    assert runs.get(f"/api/runs/{queued['id']}").json()["state"] == "queued"  # none of them reached the run
    # the page's own requests: same origin, JSON (or no body at all from a non-browser client)
    page = {"origin": OWN, "sec-fetch-site": "same-origin", **control(queued)}
    assert runs.post(stop, json={}, headers=page).status_code == 200
    assert runs.get(f"/api/runs/{queued['id']}").json()["result"]["reason"] == "stopped"
    assert runs.post(f"/api/runs/{blocker['id']}/stop", headers=control(blocker)).status_code == 200
    wait_for(lambda: runs.get(f"/api/runs/{blocker['id']}").json()["state"] == "done")


def test_a_same_origin_json_post_still_works(client):
    for headers in ({"origin": OWN, "sec-fetch-site": "same-origin"}, {"sec-fetch-site": "none"}, {}):
        r = client.post("/api/conv", json=CONV, headers=headers)
        assert r.status_code == 200 and r.json()["output"] == [[1.0, 2.0], [3.0, 4.0]], (headers, r.text)
    r = client.post("/api/conv", content=json.dumps(CONV), headers={"content-type": "application/json; charset=utf-8"})
    assert r.status_code == 200
    # reading is not changing: a cross-site GET (a link, an image) is answered as usual
    assert client.get("/api/conv/presets", headers={"origin": EVIL, "sec-fetch-site": "cross-site"}).status_code == 200
    app = create_app(Settings(allowed_origins=["http://projector.example:9000/"]))
    with TestClient(app) as c:
        headers = {"origin": "http://projector.example:9000", "sec-fetch-site": "cross-site"}
        assert c.post("/api/conv", json=CONV, headers=headers).status_code == 200


# ---- security headers -------------------------------------------------------------------------------


def test_security_headers_on_every_kind_of_answer():
    app = create_app()

    @app.get("/boom")
    def boom():
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as c:
        answers = {
            "page": c.get("/conv?lang=en"),
            "api": c.get("/api/conv/presets"),
            "static": c.get("/static/js/api.js"),
            "error": c.get("/api/nothing"),
            "invalid": c.post("/api/conv", json={}),
            "docs": c.get("/docs"),
            "docs asset": c.get("/docs-assets/swagger-ui.css"),
            "openapi": c.get("/openapi.json"),
            "500": c.get("/boom"),
            "refused": c.get("/", headers={"host": "evil.example"}),
        }
    statuses = {name: r.status_code for name, r in answers.items()}
    assert statuses == {
        "page": 200,
        "api": 200,
        "static": 200,
        "error": 404,
        "invalid": 422,
        "docs": 200,
        "docs asset": 200,
        "openapi": 200,
        "500": 500,
        "refused": 400,
    }
    for name, r in answers.items():
        h = r.headers
        assert (
            h.get("x-content-type-options"),
            h.get("x-frame-options"),
            h.get("referrer-policy"),
            h.get("cross-origin-opener-policy"),
        ) == ("nosniff", "DENY", "no-referrer", "same-origin"), name
        csp = dict(d.strip().split(" ", 1) for d in h["content-security-policy"].split(";"))
        assert csp["default-src"] == "'self'" and csp["script-src"] == "'self'", name
        assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'", name
        assert csp["base-uri"] == "'self'" and csp["form-action"] == "'self'", name
        assert csp["style-src"] == "'self'" and csp["img-src"] == "'self' data: blob:", name
        assert "http:" not in h["content-security-policy"] and "https:" not in h["content-security-policy"], name


def test_the_policy_allows_websockets_to_our_own_host_only():
    policy = content_security_policy("/learn", "192.0.2.7:8000")
    assert "connect-src 'self' ws://192.0.2.7:8000 wss://192.0.2.7:8000;" in policy
    assert "script-src 'self';" in policy and "unsafe" not in policy
    redoc = content_security_policy("/redoc", None)  # ReDoc alone writes <style> elements: styles only
    assert "style-src 'self' 'unsafe-inline'" in redoc and "script-src 'self';" in redoc


def test_the_docs_pages_load_nothing_from_elsewhere_and_run_no_inline_script(client):
    for path in ("/docs", "/redoc"):
        html = client.get(path).text
        assert "http://" not in html and "https://" not in html and "cdn" not in html, path
        assert "<script>" not in html, path  # only scripts with a src, and a JSON data block
    assert "swagger_init.js" in client.get("/docs").text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        assert client.get(f"/docs-assets/{asset}").status_code == 200


def test_the_openapi_document_lists_the_refusals(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert len(paths) > 10
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert {"400", "403", "429"} <= set(operation["responses"]), (method, path)


# ---- limits on open connections ---------------------------------------------------------------------


def http_scope(client: str, lang: str = "en"):
    return {
        "type": "http",
        "method": "GET",
        "path": "/slow",
        "query_string": f"lang={lang}".encode(),
        "headers": [(b"host", b"testserver")],
        "client": (client, 50000),
        "scheme": "http",
    }


def ws_scope(client: str, lang: str = "en"):
    return {**http_scope(client, lang), "type": "websocket", "scheme": "ws"}


def test_open_requests_and_websockets_are_limited_per_client_and_overall():
    async def scenario():
        release = asyncio.Event()

        async def slow_app(scope, receive, send):
            await release.wait()

        limits = ConnectionLimits(slow_app, {"http": (2, 3), "websocket": (1, 2)})

        async def call(scope, incoming=({"type": "websocket.connect"},)):
            sent, queue = [], list(incoming)

            async def receive():
                return queue.pop(0) if queue else {"type": "http.disconnect"}

            async def send(message):
                sent.append(message)

            await limits(scope, receive, send)
            return sent

        held = [asyncio.create_task(call(http_scope("10.0.0.1"))) for _ in range(2)]
        held.append(asyncio.create_task(call(ws_scope("10.0.0.1"))))
        await asyncio.sleep(0.01)
        answers = {
            "third request of a client": await call(http_scope("10.0.0.1")),
            "in Chinese": await call(http_scope("10.0.0.1", "zh")),
            "second socket of a client": await call(ws_scope("10.0.0.1")),
        }
        held.append(asyncio.create_task(call(http_scope("10.0.0.2"))))  # overall: 3 open requests
        held.append(asyncio.create_task(call(ws_scope("10.0.0.2"))))  # overall: 2 open websockets
        await asyncio.sleep(0.01)
        answers["over the total"] = await call(http_scope("10.0.0.3"))
        answers["sockets over the total"] = await call(ws_scope("10.0.0.3", "zh"))
        release.set()
        await asyncio.gather(*held)
        answers["after they closed"] = await call(http_scope("10.0.0.1"))
        assert limits.total == {"http": 0, "websocket": 0} and not limits.open["http"] and not limits.open["websocket"]
        return answers

    answers = asyncio.run(scenario())

    def http_answer(messages):
        start, body = messages[0], json.loads(messages[1]["body"])
        assert start["status"] == 429 and (b"retry-after", b"1") in start["headers"]
        return body

    body = http_answer(answers["third request of a client"])
    assert body["code"] == "too_many_requests" and body["params"] == {"limit": 2} and "2 requests" in body["detail"]
    assert chinese(http_answer(answers["in Chinese"])["detail"])
    accept, error, close = answers["second socket of a client"]
    assert accept == {"type": "websocket.accept"} and close["code"] == 1013
    assert json.loads(error["text"])["code"] == "too_many_websockets" and "1 live connection" in close["reason"]
    body = http_answer(answers["over the total"])
    assert body["code"] == "server_busy" and "3 connections" in body["detail"]
    accept, error, close = answers["sockets over the total"]
    assert close["code"] == 1013 and json.loads(error["text"])["code"] == "server_busy" and chinese(close["reason"])
    assert answers["after they closed"] == []  # passed on to the app (which sent nothing)


def test_the_app_refuses_one_websocket_too_many():
    with TestClient(create_app(Settings(max_websockets_per_client=2))) as c:
        with c.websocket_connect("/ws/predict") as first, c.websocket_connect("/ws/predict") as second:
            with c.websocket_connect("/ws/predict?lang=zh") as third:
                error = closed(third, "too_many_websockets")
            assert error.code == 1013 and chinese(error.reason)
            for ws in (first, second):  # the open ones still work
                ws.send_text("{}")
                assert ws.receive_json()["type"] == "error"
        with c.websocket_connect("/ws/predict") as again:  # closed ones are not counted
            again.send_text("{}")
            assert again.receive_json()["code"] == "one_image"


def test_a_close_reason_fits_a_close_frame():
    assert close_reason("short") == "short"
    long = close_reason("服务器" * 100)
    assert len(long.encode()) <= MAX_CLOSE_REASON_BYTES and long.endswith("…")
