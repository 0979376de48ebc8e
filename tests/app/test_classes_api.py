"""Follow the teacher through the test client: opening a class, its join URL and QR code, the join
pages, ending it with and without the leader's token (en and zh), the limits, and the websocket: a
state from the leader reaches every follower, a follower's messages cannot lead, counts, exploring
alone, rejoining, the end of a class, malformed messages; and the registry's bounds and expiry."""

import re

import pytest
import segno
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.classes import ALPHABET, CODE_LENGTH, MAX_PENDING_STATES, ClassRegistry, Member
from app.main import create_app
from app.settings import Settings

CODE = re.compile(rf"[{ALPHABET}]{{{CODE_LENGTH}}}")


def client_with(**settings) -> TestClient:
    return TestClient(create_app(Settings(**settings)))


@pytest.fixture()
def client():
    with client_with() as c:
        yield c


def open_class(client) -> tuple[str, str]:
    r = client.post("/api/classes")
    assert r.status_code == 201, r.text
    return r.json()["code"], r.json()["control_token"]


# ---- HTTP ---------------------------------------------------------------------------------------


def test_opening_a_class_answers_a_short_code_a_token_once_and_the_join_url(client):
    r = client.post("/api/classes")
    assert r.status_code == 201
    body = r.json()
    assert CODE.fullmatch(body["code"]) and not set(body["code"]) & set("0O1IL")
    assert len(body["control_token"]) >= 24
    assert body["join_url"] == f"http://testserver/join/{body['code']}"
    assert body["qr_url"] == f"/api/classes/{body['code']}/qr.svg"
    assert (body["following"], body["exploring"], body["state"]) == (0, 0, None)
    seen = client.get(f"/api/classes/{body['code'].lower()}")  # any case
    assert seen.status_code == 200 and "control_token" not in seen.json()
    assert seen.json()["code"] == body["code"]
    assert open_class(client)[0] != body["code"]


@pytest.mark.parametrize(
    "lang,text", [("en", "There is no class with the code “ZZZZ9”"), ("zh", "没有加入码为“ZZZZ9”的课堂")]
)
def test_an_unknown_code_is_a_clear_404(client, lang, text):
    for r in (
        client.get(f"/api/classes/zzzz9?lang={lang}"),
        client.get(f"/api/classes/ZZZZ9/qr.svg?lang={lang}"),
        client.post(f"/api/classes/ZZZZ9/end?lang={lang}", headers={"X-Control-Token": "x"}),
    ):
        assert r.status_code == 404 and r.json()["code"] == "unknown_class"
        assert r.json()["detail"].startswith(text)
    page = client.get(f"/join/zzzz9?lang={lang}")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    assert text in page.text and 'value="ZZZZ9"' in page.text


@pytest.mark.parametrize("lang,text", [("en", "Only the browser that opened class"), ("zh", "只有开设课堂")])
def test_only_the_leaders_token_ends_a_class(client, lang, text):
    code, token = open_class(client)
    for headers in ({}, {"X-Control-Token": "not-the-token"}, {"X-Control-Token": token + "x"}):
        r = client.post(f"/api/classes/{code}/end?lang={lang}", headers=headers)
        assert r.status_code == 403 and r.json()["code"] == "not_class_leader", r.text
        assert r.json()["detail"].startswith(text) and code in r.json()["detail"]
    assert client.get(f"/api/classes/{code}").status_code == 200
    r = client.post(f"/api/classes/{code}/end", headers={"X-Control-Token": token})
    assert r.status_code == 200 and r.json() == {"code": code, "ended": "closed"}
    assert client.get(f"/api/classes/{code}").status_code == 404


@pytest.mark.parametrize(
    "lang,text", [("en", "This device already has 2 classes open"), ("zh", "这台设备已开设 2 个课堂")]
)
def test_one_client_may_lead_only_a_few_classes(lang, text):
    with client_with(max_classes_per_client=2) as c:
        (a, a_token), (b, b_token) = open_class(c), open_class(c)
        with c.websocket_connect(f"/ws/classes/{a}") as lead_a, c.websocket_connect(f"/ws/classes/{b}") as lead_b:
            for ws, token in ((lead_a, a_token), (lead_b, b_token)):
                ws.send_json({"type": "lead", "token": token})
                assert ws.receive_json()["type"] == "count"
            r = c.post(f"/api/classes?lang={lang}")
            assert r.status_code == 429 and r.json()["code"] == "too_many_classes"
            assert r.json()["detail"].startswith(text)
            assert c.get(f"/api/classes/{a}").status_code == 200 and c.get(f"/api/classes/{b}").status_code == 200


def test_a_class_whose_teacher_left_makes_room_for_a_new_one():
    """A teacher whose browser closed (or crashed) cannot end its classes from another browser: at the
    limit, the oldest class with no teacher's page open ends instead of a refusal."""
    with client_with(max_classes_per_client=2) as c:
        (a, _), (b, b_token) = open_class(c), open_class(c)
        with c.websocket_connect(f"/ws/classes/{b}") as lead_b, c.websocket_connect(f"/ws/classes/{a}") as student:
            lead_b.send_json({"type": "lead", "token": b_token})
            assert lead_b.receive_json()["type"] == "count"
            new, _ = open_class(c)  # a (no teacher) ends; b (its teacher is there) stays
            assert student.receive_json() == {"type": "ended", "reason": "closed"}
            assert c.get(f"/api/classes/{a}").status_code == 404
            assert c.get(f"/api/classes/{b}").status_code == 200 and c.get(f"/api/classes/{new}").status_code == 200


def test_the_server_holds_a_bounded_number_of_classes():
    with client_with(max_classes=2, max_classes_per_client=10) as c:
        first, token = open_class(c)
        open_class(c)
        r = c.post("/api/classes?lang=zh")
        assert r.status_code == 429 and r.json()["code"] == "classes_full" and "2 个课堂" in r.json()["detail"]
        c.post(f"/api/classes/{first}/end", headers={"X-Control-Token": token})
        open_class(c)  # ending one makes room


def qr_modules(svg: str) -> list[list[int]]:
    """The dark modules of segno's SVG path (``M x y``, ``m dx dy``, ``h n``: one row of modules per
    horizontal stroke at y + 0.5), as rows of 0/1 including the quiet zone."""
    size = int(re.search(r'width="(\d+)"', svg).group(1)) // int(re.search(r"scale\((\d+)\)", svg).group(1))
    path = re.search(r'<path[^>]*class="qrline"[^>]*d="([^"]+)"', svg) or re.search(r'd="(M[^"]+)"[^>]*/>\s*</g>', svg)
    rows = [[0] * size for _ in range(size)]
    x = y = 0.0
    for op, args in re.findall(r"([MmHh])([-\d.\s]+)", path.group(1)):
        numbers = [float(n) for n in args.split()]
        if op == "M":
            x, y = numbers
        elif op == "m":
            x, y = x + numbers[0], y + numbers[1]
        else:
            for i in range(int(numbers[0])):
                rows[int(y)][int(x) + i] = 1
            x += numbers[0]
    return rows


def test_the_qr_code_is_an_svg_of_the_join_url(client):
    code, _ = open_class(client)
    r = client.get(f"/api/classes/{code}/qr.svg")
    assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml"
    svg = r.text
    assert svg.startswith("<svg") and "<script" not in svg and "style=" not in svg
    join = client.get(f"/api/classes/{code}").json()["join_url"]
    assert f"<title>{join}</title>" in svg
    # The modules drawn are those of the join URL encoded again, here, at error correction level M.
    expected = [[1 if dark else 0 for dark in row] for row in segno.make(join, error="m").matrix_iter(border=4)]
    assert qr_modules(svg) == expected
    other = [[1 if dark else 0 for dark in row] for row in segno.make(join + "X", error="m").matrix_iter(border=4)]
    assert qr_modules(svg) != other  # (the comparison can fail)


def test_the_join_url_names_an_address_students_can_reach(monkeypatch):
    """A teacher on http://127.0.0.1 with the server on every address: the machine's address, same port."""
    from app.routers import classes

    monkeypatch.setattr(classes, "machine_addresses", lambda: ["192.0.2.7", "2001:db8::7"])
    with TestClient(create_app(Settings(listen_host="0.0.0.0")), base_url="http://127.0.0.1:8000") as c:
        body = c.post("/api/classes").json()
        assert body["join_url"] == f"http://192.0.2.7:8000/join/{body['code']}"
    with TestClient(create_app(Settings(listen_host="127.0.0.1")), base_url="http://127.0.0.1:8000") as c:
        body = c.post("/api/classes").json()  # listening on loopback only: the address the teacher used
        assert body["join_url"] == f"http://127.0.0.1:8000/join/{body['code']}"


def test_the_join_pages_lead_to_the_teachers_page(client):
    code, token = open_class(client)
    r = client.get(f"/join/{code.lower()}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/?class={code}"  # no state yet: the home page
    with client.websocket_connect(f"/ws/classes/{code}") as leader:
        leader.send_json(
            {"type": "state", "token": token, "path": "/conv", "query": "lang=zh&preset=basic&presenter=1&step=2"}
        )
        assert leader.receive_json()["type"] == "count"
    r = client.get(f"/join/{code}", follow_redirects=False)
    assert r.headers["location"] == f"/conv?preset=basic&step=2&class={code}"  # not the teacher's language
    r = client.get("/join?code= ab-cd ", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/join/ABCD"
    form = client.get("/join")
    assert form.status_code == 200 and 'action="/join"' in form.text


# ---- the websocket --------------------------------------------------------------------------------


def test_a_step_from_the_leader_reaches_every_follower(client):
    code, token = open_class(client)
    with (
        client.websocket_connect(f"/ws/classes/{code}") as leader,
        client.websocket_connect(f"/ws/classes/{code}") as a,
        client.websocket_connect(f"/ws/classes/{code}") as b,
    ):
        leader.send_json({"type": "lead", "token": token})
        assert leader.receive_json() == {"type": "count", "following": 2, "exploring": 0}
        for step in (1, 2, 3):
            leader.send_json({"type": "state", "token": token, "path": "/conv", "query": f"preset=basic&step={step}"})
            for follower in (a, b):
                assert follower.receive_json() == {
                    "type": "state",
                    "path": "/conv",
                    "query": f"preset=basic&step={step}",
                    "seq": step,
                }
        with client.websocket_connect(f"/ws/classes/{code}") as late:  # a late follower gets the state at once
            assert late.receive_json()["query"] == "preset=basic&step=3"
            assert leader.receive_json() == {"type": "count", "following": 3, "exploring": 0}
        assert leader.receive_json() == {"type": "count", "following": 2, "exploring": 0}
    assert client.get(f"/api/classes/{code}").json()["state"]["seq"] == 3


@pytest.mark.parametrize("lang,text", [("en", "Only the browser that opened class"), ("zh", "只有开设课堂")])
def test_a_followers_messages_cannot_lead(client, lang, text):
    code, token = open_class(client)
    with (
        client.websocket_connect(f"/ws/classes/{code}") as leader,
        client.websocket_connect(f"/ws/classes/{code}?lang={lang}") as follower,
        client.websocket_connect(f"/ws/classes/{code}") as other,
    ):
        leader.send_json({"type": "state", "token": token, "path": "/conv", "query": "step=1"})
        for ws in (follower, other):
            assert ws.receive_json()["seq"] == 1
        for message in (
            {"type": "state", "path": "/pool", "query": "step=9"},
            {"type": "state", "token": "guess", "path": "/pool", "query": "step=9"},
            {"type": "lead", "token": None},
            {"type": "lead", "token": token[:-1]},
        ):
            follower.send_json(message)
            answer = follower.receive_json()
            assert answer["type"] == "error" and answer["code"] == "not_class_leader", answer
            assert answer["message"].startswith(text)
        leader.send_json({"type": "state", "token": token, "path": "/conv", "query": "step=2"})
        assert other.receive_json()["query"] == "step=2"  # the next state the others see is the leader's
    state = client.get(f"/api/classes/{code}").json()["state"]
    assert state == {"path": "/conv", "query": "step=2", "seq": 2}


def test_exploring_alone_and_rejoining(client):
    code, token = open_class(client)
    with (
        client.websocket_connect(f"/ws/classes/{code}") as leader,
        client.websocket_connect(f"/ws/classes/{code}") as s,
    ):
        leader.send_json({"type": "lead", "token": token})
        assert leader.receive_json()["following"] == 1
        s.send_json({"type": "explore"})
        assert leader.receive_json() == {"type": "count", "following": 0, "exploring": 1}
        leader.send_json({"type": "state", "token": token, "path": "/pool", "query": "step=4"})
        leader.send_json({"type": "state", "token": token, "path": "/pool", "query": "step=5"})
        s.send_json({"type": "follow"})  # rejoin: the newest state at once, nothing sent while exploring
        assert s.receive_json() == {"type": "state", "path": "/pool", "query": "step=5", "seq": 2}
        assert leader.receive_json() == {"type": "count", "following": 1, "exploring": 0}


def test_ending_the_class_tells_every_member_and_closes(client):
    code, token = open_class(client)
    with client.websocket_connect(f"/ws/classes/{code}") as a, client.websocket_connect(f"/ws/classes/{code}") as b:
        assert client.post(f"/api/classes/{code}/end", headers={"X-Control-Token": token}).status_code == 200
        for ws in (a, b):
            assert ws.receive_json() == {"type": "ended", "reason": "closed"}
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == 1000


def test_an_unknown_or_full_class_closes_the_websocket_with_a_reason():
    with client_with(max_followers_per_class=2) as c:
        with c.websocket_connect("/ws/classes/NOPE2?lang=zh") as ws:
            answer = ws.receive_json()
            assert answer["code"] == "unknown_class" and "NOPE2" in answer["message"]
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == 4404
        code, _ = open_class(c)
        with c.websocket_connect(f"/ws/classes/{code}"), c.websocket_connect(f"/ws/classes/{code}"):
            with c.websocket_connect(f"/ws/classes/{code}") as third:
                assert third.receive_json()["code"] == "class_full"
                with pytest.raises(WebSocketDisconnect) as closed:
                    third.receive_json()
                assert closed.value.code == 1013


@pytest.mark.parametrize(
    "raw,code",
    [
        ("not json", "bad_class_message"),
        ('{"type": "dance"}', "bad_class_message"),
        ("[1, 2]", "bad_class_message"),
        ('{"type": "follow", "pad": "' + "x" * 10_000 + '"}', "bad_class_message"),
    ],
)
def test_malformed_messages_are_answered_and_the_connection_carries_on(client, raw, code):
    room, token = open_class(client)
    with client.websocket_connect(f"/ws/classes/{room}") as ws:
        ws.send_text(raw)
        answer = ws.receive_json()
        assert answer["type"] == "error" and answer["code"] == code and answer["message"]
        ws.send_json({"type": "state", "token": token, "path": "/conv", "query": ""})
        assert ws.receive_json()["type"] == "count"  # (it leads now: the count of followers comes)


@pytest.mark.parametrize(
    "path,query",
    [
        ("//evil.example/x", ""),
        ("http://evil.example/", ""),
        ("/conv?x=1", ""),
        ("conv", ""),
        (None, ""),
        ("/" + "a" * 300, ""),
        ("/conv", "x" * 8500),
        ("/conv", "a=1#frag"),
        ("/conv", 5),
    ],
)
def test_a_state_that_is_not_a_page_of_this_site_is_refused(client, path, query):
    code, token = open_class(client)
    with client.websocket_connect(f"/ws/classes/{code}?lang=zh") as ws:
        ws.send_json({"type": "state", "token": token, "path": path, "query": query})
        answers = [ws.receive_json(), ws.receive_json()]  # (the count as it becomes the leader, and the refusal)
        error = next(a for a in answers if a["type"] == "error")
        assert error["code"] == "bad_class_state" and "无法共享老师的页面" in error["message"]
    assert client.get(f"/api/classes/{code}").json()["state"] is None


# ---- the registry's bounds ----------------------------------------------------------------------


def test_a_member_too_slow_to_send_keeps_only_the_newest_states():
    member = Member()
    member.offer("count 1", "count")
    for step in range(1000):
        member.offer(f"state {step}")
    member.offer("count 2", "count")
    member.offer("ended", "ended")
    kept = [f"state {step}" for step in range(1000 - MAX_PENDING_STATES, 1000)]
    assert member._pending == [("state", text) for text in kept] + [("count", "count 2"), ("ended", "ended")]


def test_classes_end_when_the_teacher_has_been_away_for_long():
    now = [1000.0]
    registry = ClassRegistry(idle_seconds=60, max_seconds=3600, clock=lambda: now[0])
    away, _ = registry.create("a")
    led, token = registry.create("b")
    follower = registry.join(away)
    leader = registry.join(led)
    registry.lead(led, leader, token)
    now[0] += 59
    registry.sweep()
    assert len(registry) == 2
    now[0] += 2
    registry.sweep()
    assert len(registry) == 1 and away.ended == "expired"
    assert follower._pending[-1][0] == "ended"  # its followers are told
    now[0] += 3600 - 61 + 1  # a class with its teacher present still ends after max_seconds
    registry.sweep()
    assert len(registry) == 0 and led.ended == "expired"


def test_a_page_of_another_site_cannot_join_or_lead_a_class(client):
    code, _ = open_class(client)
    with client.websocket_connect(f"/ws/classes/{code}", headers={"Origin": "http://evil.example"}) as ws:
        assert ws.receive_json()["code"] == "cross_site"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4403
    r = client.post("/api/classes", headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and r.json()["code"] == "cross_site"
