"""Strict requests: every operation of the app and every websocket refuses a field it does not know,
a switch given as a number and a number given as a switch or as text, naming the field, in English
and Chinese; never a 200 with an option ignored.

The operations are read from the app's route table, so that a new endpoint that is not strict fails
here without anyone having to list it."""

import types
import typing

import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from pydantic import BaseModel

from app.main import create_app
from tests.runs_support import make_registry, runs_client

UNKNOWN = "colour_of_the_sky"
ZH_UNKNOWN = "未知的字段"
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _routes(kind):
    """The app's routes of ``kind``, included routers walked (FastAPI's own way, as for /openapi.json)."""
    return [
        context.original_route
        for context in iter_route_contexts(create_app().routes)
        if isinstance(context.original_route, kind)
    ]


def _operations() -> list[tuple[str, str]]:
    """Every (method, path) that may carry a body: every operation but GET and HEAD."""
    return sorted((method, route.path) for route in _routes(APIRoute) for method in route.methods & BODY_METHODS)


def _url(path: str) -> str:
    return path.replace("{run_id}", "abc123").replace("{code}", "ABCDE").replace("{name}", "x")


@pytest.fixture(scope="module")
def client():
    with runs_client(make_registry()) as c:
        yield c


def test_the_route_table_has_the_operations_this_file_expects():
    """Not a list to keep up to date: a floor, so that the enumeration below cannot silently find nothing."""
    operations = _operations()
    assert {
        ("POST", "/api/conv"),
        ("POST", "/api/pool"),
        ("POST", "/api/predict"),
        ("POST", "/api/runs"),
        ("POST", "/api/runs/{run_id}/pause"),
        ("POST", "/api/classes"),
    } <= set(operations)
    assert len(operations) >= 15


@pytest.mark.parametrize("lang,said", [("en", f"Unknown field “{UNKNOWN}”"), ("zh", f"{ZH_UNKNOWN}“{UNKNOWN}”")])
@pytest.mark.parametrize("method,path", _operations())
def test_every_operation_refuses_an_unknown_field_and_names_it(client, method, path, lang, said):
    r = client.request(method, _url(path) + f"?lang={lang}", json={UNKNOWN: 1})
    assert r.status_code == 422, (path, r.status_code, r.text[:300])
    body = r.json()
    assert body["code"] == "invalid_request" and said in body["detail"], body
    assert any(e["type"] == "extra_forbidden" and e["loc"][-1] == UNKNOWN for e in body["errors"]), body


def _base_types(annotation) -> set:
    """The plain types a field's annotation allows (through Optional, unions and Annotated)."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _base_types(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return set().union(*(_base_types(a) for a in typing.get_args(annotation)))
    return {annotation}


def _wrong_values(annotation) -> list:
    """Values of the wrong kind for a field: a number for a switch; a switch or text for a number."""
    allowed = _base_types(annotation)
    if bool in allowed:
        return [1, 0, "true"]
    if allowed & {int, float}:
        return [True, False, "1"]
    return []


def _fields(model: type[BaseModel], prefix=()):
    """(path, annotation) of every field, nested request models included."""
    for name, field in model.model_fields.items():
        for t in _base_types(field.annotation):
            if isinstance(t, type) and issubclass(t, BaseModel):
                yield from _fields(t, prefix + (name,))
        yield prefix + (name,), field.annotation


def _typed_cases():
    cases = []
    for route in _routes(APIRoute):
        if route.body_field is None or not route.methods & BODY_METHODS:
            continue
        model = route.body_field.field_info.annotation
        for path, annotation in _fields(model):
            cases += [(route.path, path, value) for value in _wrong_values(annotation)]
    return cases


def test_switches_and_numbers_are_found_in_the_body_models():
    fields = {(path, loc) for path, loc, _ in _typed_cases()}
    for expected in [
        ("/api/conv", ("im2col",)),
        ("/api/pool", ("ceil_mode",)),
        ("/api/pool", ("count_include_pad",)),
        ("/api/predict", ("preprocess",)),
        ("/api/predict", ("probe", "row")),
        ("/api/filter", ("trace", "size")),
        ("/api/runs", ("epochs",)),
        ("/api/runs", ("lr",)),
        ("/api/networks/check", ("batch_size",)),
        ("/api/runs/{run_id}/save", ("overwrite",)),
        ("/api/conv", ("stride",)),
        ("/api/activations", ("xmin",)),
    ]:
        assert expected in fields


@pytest.mark.parametrize("path,loc,value", _typed_cases())
def test_a_switch_given_as_a_number_or_a_number_given_as_a_switch_or_text_is_refused(client, path, loc, value):
    body: dict = {}
    inner = body
    for part in loc[:-1]:
        inner = inner.setdefault(part, {})
    inner[loc[-1]] = value
    r = client.post(_url(path), json=body)
    assert r.status_code == 422, (path, loc, value, r.text[:300])
    problems = r.json()["errors"]
    assert any(tuple(e["loc"][1 : len(loc) + 1]) == loc for e in problems), (loc, problems)
    message = next(e["message"] for e in problems if tuple(e["loc"][1 : len(loc) + 1]) == loc)
    assert repr(value) not in ("True", "False") or "true" in message or "false" in message, message


def test_a_body_sent_to_an_operation_that_takes_none_may_be_empty(client):
    r = client.post("/api/classes", json={})
    assert r.status_code == 201, r.text
    ended = client.post(f"/api/classes/{r.json()['code']}/end", headers={"X-Control-Token": r.json()["control_token"]})
    assert ended.status_code == 200, ended.text
    refused = client.post("/api/classes", json=[1, 2])
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_request"


# ---- websockets -----------------------------------------------------------------------------------


def test_every_websocket_is_covered_below():
    assert {r.path for r in _routes(APIWebSocketRoute)} == {"/ws/predict", "/ws/runs/{run_id}", "/ws/classes/{code}"}


@pytest.mark.parametrize("lang,said", [("en", f"Unknown field “{UNKNOWN}”"), ("zh", f"{ZH_UNKNOWN}“{UNKNOWN}”")])
def test_predict_socket_refuses_an_unknown_field(client, lang, said):
    with client.websocket_connect(f"/ws/predict?lang={lang}") as ws:
        ws.send_json({"id": 7, "image": [[0.0] * 28] * 28, UNKNOWN: 1})
        answer = ws.receive_json()
        assert answer["type"] == "error" and answer["id"] == 7 and answer["code"] == "invalid_request"
        assert said in answer["detail"]
        ws.send_json({"id": 8, "image": [[0.0] * 28] * 28, "layers": 1})  # a switch as a number
        answer = ws.receive_json()
        assert answer["code"] == "invalid_request" and "true" in answer["detail"], answer
        ws.send_json({"id": True, "image": [[0.0] * 28] * 28})  # an id must be a number or text, not a switch
        answer = ws.receive_json()
        assert answer["code"] == "invalid_request" and answer["id"] is None, answer


@pytest.mark.parametrize(
    "lang,said",
    [
        ("en", f"A “pause” message has no field “{UNKNOWN}”: it takes type, token"),
        ("zh", f"“set”消息没有字段“{UNKNOWN}”：它接受 type, token, lr"),
    ],
)
def test_run_socket_refuses_an_unknown_field(client, lang, said):
    r = client.post("/api/runs", json={"preset": "tiny", "epochs": 1, "pace": 1})
    assert r.status_code == 201, r.text
    run_id, token = r.json()["id"], r.json()["control_token"]
    try:
        with client.websocket_connect(f"/ws/runs/{run_id}?lang={lang}") as ws:
            kind = "pause" if lang == "en" else "set"
            ws.send_json(
                {"type": kind, "token": token, "lr": 0.01, UNKNOWN: 1}
                if kind == "set"
                else {"type": kind, "token": token, UNKNOWN: 1}
            )
            ws.send_json({"type": "no_such_command"})  # an error either way: the wait below ends
            message = next(m for m in iter(ws.receive_json, None) if m["type"] == "error")
            assert message["code"] == "unknown_message_field" and message["message"] == said + (
                "." if lang == "en" else "。"
            )
            assert message["params"]["field"] == UNKNOWN
    finally:
        client.post(f"/api/runs/{run_id}/stop", headers={"X-Control-Token": token})


@pytest.mark.parametrize(
    "message,field",
    [
        ({"type": "follow", "token": "x"}, "token"),
        ({"type": "lead", "token": "x", "path": "/conv"}, "path"),
        ({"type": "state", "token": "x", "path": "/", "query": "", "seq": 3}, "seq"),
    ],
)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_class_socket_refuses_an_unknown_field(client, message, field, lang):
    r = client.post("/api/classes")
    code, token = r.json()["code"], r.json()["control_token"]
    try:
        with client.websocket_connect(f"/ws/classes/{code}?lang={lang}") as ws:
            ws.send_json(message)
            ws.send_json({"type": "no_such_message"})  # an error either way: the wait below ends
            answer = next(m for m in iter(ws.receive_json, None) if m["type"] == "error")
            assert answer["type"] == "error" and answer["code"] == "unknown_message_field", answer
            said = (
                f"A “{message['type']}” message has no field “{field}”"
                if lang == "en"
                else f"“{message['type']}”消息没有字段“{field}”"
            )
            assert answer["message"].startswith(said), answer
    finally:
        client.post(f"/api/classes/{code}/end", headers={"X-Control-Token": token})


def _api_gets() -> list[str]:
    """Every GET of the API whose query is not free-form (the route table, walked as above)."""
    from app.deps import FREE_QUERY_PATHS

    return sorted(
        route.path
        for route in _routes(APIRoute)
        if "GET" in route.methods and route.path.startswith("/api/") and route.path not in FREE_QUERY_PATHS
    )


def test_every_api_get_is_in_the_list_below():
    paths = _api_gets()
    assert {"/api/runs", "/api/models", "/api/conv/presets", "/api/export/weights/{name}"} <= set(paths)
    assert len(paths) >= 12


@pytest.mark.parametrize("path", _api_gets())
@pytest.mark.parametrize("lang,words", [("en", "Unknown field"), ("zh", ZH_UNKNOWN)])
def test_every_api_get_refuses_a_query_parameter_it_does_not_take(client, path, lang, words):
    """GET /api/runs?colour_of_the_sky=1: refused, the parameter named, rather than ignored."""
    r = client.get(f"{_url(path)}?{UNKNOWN}=1&lang={lang}")
    assert r.status_code == 422, (path, r.status_code, r.text[:200])
    body = r.json()
    assert body["code"] == "invalid_request" and UNKNOWN in body["detail"] and words in body["detail"], body


def test_a_query_parameter_an_operation_takes_and_the_language_are_accepted(client):
    assert client.get("/api/runs?lang=zh").status_code == 200
    assert client.get("/api/export/weights/lenet5?target=engine").status_code == 200
    assert (
        client.get("/api/activations/softplus?beta=2&lang=en").status_code == 200
    )  # free-form: the function's settings
    r = client.post(f"/api/conv?{UNKNOWN}=1", json={"input": [[1, 2], [3, 4]], "kernel": [[1]]})
    assert r.status_code == 422 and UNKNOWN in r.json()["detail"]
