"""Property-based tests of the promise that bad input gets a clear 4xx message, never a 500, a
crash or a hang, and that the server goes on serving everyone.

Every POST endpoint gets bodies drawn from (a) arbitrary JSON values (huge integers, 1e308, -0.0,
NaN and Infinity literals, "NaN" text, lone surrogates, lists and objects), (b) one of its valid
examples with a field (at any depth: a grid cell, a layer's setting, the trace region) replaced by
such a value or by a ragged, empty, deep or huge one, or removed, or an unexpected field added, and
(c) raw bytes that are not JSON or come with the wrong content type. The GET endpoints with path
or query parameters and the pages get arbitrary text there. Every answer must be 2xx or 4xx; every
4xx has a non-empty ``detail`` and a ``code``, and in Chinese (``?lang=zh``, drawn for about half
of the examples) the detail has Chinese characters: the message was translated, not left in the
engine's English. Each example runs under a deadline, so a request that takes seconds fails.

The websockets get malformed messages (not JSON, binary frames, wrong types, unknown ``type``,
huge numbers, NaN learning rates): each is answered with an ``error`` event and the same
connection still answers a valid message afterwards.

Runs train on a slice of the bundled sample (tests/runs_support.py). One run is paused for the
whole module and holds the only training slot, so the runs the fuzzing starts only queue (and are
stopped at once): nothing trains while the examples run. Hypothesis is derandomized and keeps no
example database, so CI sees the same examples every time (about 1,900 examples, some 15 s); a
longer, random hunt: ``CNN_FUZZ_SCALE=25 CNN_FUZZ_RANDOM=1`` (about 5 minutes).
"""

import faulthandler
import json
import math
import os
import re
import time
from datetime import timedelta
from urllib.parse import quote

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.websockets import WebSocketDisconnect

from app.deps import get_model_store
from app.main import create_app
from app.model_store import ModelStore
from app.runs.deps import get_run_registry
from tests.runs_support import make_registry, receive_until, wait_for

CJK = re.compile(r"[\u4e00-\u9fff]")


# A longer hunt on a developer's machine: CNN_FUZZ_SCALE=20 CNN_FUZZ_RANDOM=1 (CI: 1 and derandomized).
SCALE = float(os.environ.get("CNN_FUZZ_SCALE", "1"))
RANDOM = os.environ.get("CNN_FUZZ_RANDOM") == "1"


def fuzz(examples: int):
    """Hypothesis settings: repeatable (derandomized, no database), each example within 2 s."""
    return settings(
        max_examples=max(1, round(examples * SCALE)),
        deadline=timedelta(seconds=2),
        derandomize=not RANDOM,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


# ---- the app, with runs that stay tiny ----------------------------------------------------------------


class Api:
    """The test client and the runs the tests use: ``done`` has trained and ended (its model can be
    saved), ``blocker`` is paused and holds the only slot, ``queued`` waits behind it."""

    def __init__(self, client: TestClient, registry):
        self.client, self.registry = client, registry
        self.tokens = {}  # run id -> control token
        self.done = self._start(epochs=1, batch_size=64)
        wait_for(lambda: self.run(self.done)["state"] == "done", timeout=60)  # (a trainer process starts first)
        self.blocker = self._start(epochs=50, batch_size=8)
        assert client.post(f"/api/runs/{self.blocker}/pause", headers=self.owner(self.blocker)).status_code == 200
        wait_for(lambda: self.run(self.blocker)["state"] == "paused")
        self.queued = self._start(epochs=1, batch_size=64)
        self.controlled = self._start(epochs=1, batch_size=64)  # for the pause/resume/stop fuzzing
        assert self.run(self.queued)["state"] == "queued"

    def _start(self, **body) -> str:
        r = self.client.post("/api/runs", json={"preset": "tiny", **body})
        assert r.status_code == 201, r.text
        self.tokens[r.json()["id"]] = r.json()["control_token"]
        return r.json()["id"]

    def owner(self, run_id: str) -> dict:
        return {"X-Control-Token": self.tokens[run_id]}

    def run(self, run_id: str) -> dict:
        return self.client.get(f"/api/runs/{run_id}").json()


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    registry = make_registry(max_concurrent=1, max_finished=10_000)
    store = ModelStore(tmp_path_factory.mktemp("fuzz-models"))
    app = create_app()
    app.dependency_overrides[get_run_registry] = lambda: registry
    app.dependency_overrides[get_model_store] = lambda: store
    faulthandler.dump_traceback_later(300, exit=True)  # a hung request or socket fails the run with a traceback
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Api(client, registry)
    finally:
        faulthandler.cancel_dump_traceback_later()
        registry.close()
        assert registry.wait_idle(20), "runs were still training 20 s after the fuzzing"


def check_answer(response, lang: str, what: str) -> dict | None:
    """A 2xx, or a 4xx with a translated ``detail`` and a ``code``; the 4xx body, if any."""
    status = response.status_code
    assert status < 500, f"{what} -> {status}: {response.text[:300]}"
    assert 200 <= status < 300 or 400 <= status < 500, f"{what} -> {status}"
    if status < 400:
        return None
    body = response.json()
    assert isinstance(body, dict), f"{what} -> {status}: {response.text[:300]}"
    detail, code = body.get("detail"), body.get("code")
    assert isinstance(detail, str) and detail.strip(), f"{what} -> {status} without a detail: {body}"
    assert isinstance(code, str) and code, f"{what} -> {status} without a code: {body}"
    if lang == "zh":
        assert CJK.search(detail), f"{what} -> {status} {code}: not translated: {detail!r}"
    return body


# ---- strategies -----------------------------------------------------------------------------------

EDGE_INTS = [
    0,
    -1,
    1,
    2,
    3,
    16,
    17,
    63,
    64,
    65,
    512,
    513,
    2**31,
    2**63,
    -(2**63) - 1,
    10**9,
    10**30,
    -(10**30),
    10**400,
]
EDGE_FLOATS = [0.5, -0.0, 1.5, 1e-320, 1e9, 1.000001e9, 1e308, -1e308, math.nan, math.inf, -math.inf]
EDGE_TEXT = [
    "",
    " ",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "1e999",
    "1",
    "0x10",
    "relu",
    "maxout",
    "max",
    "avg",
    "tiny",
    "lenet5",
    "conv",
    "dense",
    "set",
    "\ud800",
    "\x00",
    "a\n",
    "../../etc/passwd",
    "x" * 300,
    "卷积",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-1000, max_value=1000),
    st.integers(),
    st.sampled_from(EDGE_INTS),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(EDGE_FLOATS),
    st.text(max_size=12),
    st.sampled_from(EDGE_TEXT),
)

json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(
            st.one_of(
                st.text(max_size=8),
                st.sampled_from(["type", "input", "kernel", "image", "name", "layers", "preset", "lr", "id"]),
            ),
            children,
            max_size=5,
        ),
    ),
    max_leaves=20,
)

numbers = st.one_of(
    st.integers(min_value=-5, max_value=9),
    st.floats(min_value=-10, max_value=10),
    st.sampled_from(EDGE_INTS + EDGE_FLOATS),
)


def deep(depth: int, leaf=1):
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


grids = st.one_of(
    st.lists(st.lists(numbers, min_size=0, max_size=6), min_size=0, max_size=6),  # ragged or empty
    st.integers(0, 5).flatmap(lambda w: st.lists(st.lists(numbers, min_size=w, max_size=w), max_size=6)),
    st.lists(st.lists(st.lists(numbers, max_size=3), max_size=3), max_size=3),  # 3-D, maybe ragged
    st.builds(deep, st.integers(1, 200), st.sampled_from([1, "x", None, []])),
    st.sampled_from([[[1] * 65] * 2, [[0.0] * 513], [[1] * 17] * 17, [[]], [[], []], [[[]]]]),
)

bad_values = st.one_of(json_values, grids, st.lists(numbers, max_size=4), scalars)


def paths(value, prefix=()):
    """Every place inside a JSON value: dict keys and list indices, outermost first."""
    out = []
    if isinstance(value, dict):
        for key, item in value.items():
            out.append(prefix + (key,))
            out.extend(paths(item, prefix + (key,)))
    elif isinstance(value, list):
        for i, item in enumerate(value[:4]):  # the first few cells of a grid stand for all of them
            out.append(prefix + (i,))
            out.extend(paths(item, prefix + (i,)))
    return out


def mutated(example):
    """``example`` with a value replaced, a key removed or an unexpected key added, at any depth."""
    places = paths(example)

    def apply(draw_args):
        path, op, value, extra = draw_args
        body = json.loads(json.dumps(example))
        parent = body
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        if op == "remove":
            parent.pop(last)
        elif op == "add" and isinstance(parent, dict):
            parent[extra] = value
        else:
            parent[last] = value
        return body

    return st.tuples(
        st.sampled_from(places),
        st.sampled_from(["replace", "replace", "replace", "remove", "add"]),
        bad_values,
        st.sampled_from(["unexpected", "name", "type", "input", "bias", "lr"]),
    ).map(apply)


langs = st.sampled_from(["en", "zh"])


def dumps(body) -> bytes:
    """JSON as a browser would never send it: NaN and Infinity literals, huge integers as they are."""
    return json.dumps(body, allow_nan=True).encode()


# ---- the endpoints and their valid examples -------------------------------------------------------


def _stroke() -> list:
    d = np.zeros((40, 30))
    d[5:35, 13:17] = 1.0
    return d.tolist()


TRAINING_LAYERS = [
    {"type": "conv", "filters": 2, "kernel": 5, "stride": 1, "padding": 0},
    {"type": "relu"},
    {"type": "maxpool", "size": 2},
    {"type": "flatten"},
    {"type": "dropout", "p": 0.5},
    {"type": "dense", "units": 10},
]

EXAMPLES = {
    "/api/conv": [
        {
            "input": [[0, 1, 2], [3, 4, 5], [6, 7, 8]],
            "kernel": [[0, 1], [2, 3]],
            "bias": 0,
            "stride": 1,
            "padding": 0,
            "dilation": 1,
            "activation": "relu",
            "activation_params": {},
            "im2col": True,
        },
        {
            "input": [[[1, 2, 0], [0, 1, 3], [2, 2, 1]], [[0, 1, 1], [1, 0, 2], [3, 1, 0]]],
            "kernel": [[[[1, 0], [0, 1]], [[1, 1], [0, 0]]]],
            "bias": [1],
            "stride": [1, 1],
            "padding": [1, 0],
            "activation": "leaky_relu",
            "activation_params": {"a": 0.1},
        },
    ],
    "/api/pool": [
        {
            "input": [[1, 2, 3, 3], [0, 1, 1, 5], [3, 0, 1, 0], [1, 4, 1, 2]],
            "mode": "max",
            "size": 2,
            "stride": 2,
            "padding": 0,
            "shift": "right",
        },
        {"input": [[[1, 2, 3], [4, 5, 6], [7, 8, 9]]], "mode": "avg", "size": [2, 2], "stride": 1, "padding": 1},
    ],
    "/api/activations": [
        {
            "name": "leaky_relu",
            "params": {"a": 0.1},
            "xmin": -6,
            "xmax": 6,
            "n": 41,
            "threshold": 0.05,
            "depth": 5,
            "z_mode": "fixed",
            "z": 0.5,
        },
        {"name": "rrelu", "params": {"lower": 0.1, "upper": 0.3}, "n": 21, "z_mode": "steepest"},
        {"name": "maxout", "params": {"weights": [1, -1, 0.5], "biases": [0, 0, 1]}, "n": 21},
    ],
    "/api/filter": [
        {
            "image": "digit-3",
            "kernel": [[-1, 1]],
            "bias": 0,
            "stride": 1,
            "padding": 0,
            "dilation": 1,
            "trace": {"row": 2, "col": 3, "size": 2},
            "include_output": True,
        },
        {
            "image": [[0, 50, 100, 150], [200, 250, 0, 10], [5, 6, 7, 8]],
            "kernel": [[1, 0], [0, -1]],
            "bias": 1,
            "stride": [1, 1],
            "padding": [1, 1],
            "trace": {"row": 0, "col": 0},
        },
    ],
    "/api/predict": [
        {"image": _stroke(), "model": "lenet5", "preprocess": True, "layers": False, "explain": None},
        {"image": (np.eye(28) * 0.8).tolist(), "layers": True, "explain": "saliency"},
    ],
    "/api/backprop": [
        {"x1": 1, "w11": 0.5, "b1": 0.5, "w21": 1, "b2": 1, "label": 2, "lr": 0.1, "updates": 2},
    ],
    "/api/networks/check": [
        {"layers": TRAINING_LAYERS, "dropout": 0.2},
        {"preset": "notes"},
    ],
    "/api/runs": [
        {
            "preset": "tiny",
            "epochs": 1,
            "batch_size": 64,
            "lr": 0.05,
            "optimizer": "sgd",
            "seed": 1,
            "dataset": "sample",
            "l2": 0.0,
        },
        {"layers": TRAINING_LAYERS, "dropout": 0.1, "optimizer": "adam", "lr": 0.01},
    ],
    "/api/runs/{done}/save": [
        {"name": "fuzzed-model"},
    ],
}
POST_ENDPOINTS = list(EXAMPLES)
CONTROL = ["pause", "resume", "stop"]


def post(api: Api, endpoint: str, content: bytes, lang: str, content_type: str | None = "application/json"):
    url = endpoint.replace("{done}", api.done) + f"?lang={lang}"
    headers = {} if content_type is None else {"content-type": content_type}
    if "{done}" in endpoint:
        headers.update(api.owner(api.done))
    response = api.client.post(url, content=content, headers=headers)
    if endpoint == "/api/runs" and response.status_code == 201:  # it only queued: stop it before it trains
        stop = api.client.post(
            f"/api/runs/{response.json()['id']}/stop", headers={"X-Control-Token": response.json()["control_token"]}
        )
        assert stop.status_code == 200
    return response


# ---- HTTP: bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
@fuzz(40)
@given(body=json_values, lang=langs)
def test_any_json_body(api, endpoint, body, lang):
    response = post(api, endpoint, dumps(body), lang)
    check_answer(response, lang, f"POST {endpoint} {dumps(body)[:200]!r}")


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
@fuzz(100)
@given(data=st.data(), lang=langs)
def test_a_valid_example_with_one_thing_wrong(api, endpoint, data, lang):
    example = data.draw(st.sampled_from(EXAMPLES[endpoint]), label="example")
    body = data.draw(mutated(example), label="body")
    response = post(api, endpoint, dumps(body), lang)
    check_answer(response, lang, f"POST {endpoint} {dumps(body)[:300]!r}")


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_the_valid_examples_are_answered(api, endpoint):
    """The examples the fuzzing starts from work, so that a mutation tests one thing going wrong."""
    for example in EXAMPLES[endpoint]:
        response = post(api, endpoint, dumps(example), "en")
        assert response.status_code in (200, 201), response.text
        if endpoint == "/api/networks/check":
            assert response.json()["ok"], response.text


raw_bodies = st.one_of(
    st.binary(max_size=80),
    st.text(max_size=40).map(str.encode),
    st.sampled_from(
        [
            b"",
            b"{",
            b"[",
            b"null",
            b"NaN",
            b"-Infinity",
            b'"text"',
            b'{"input": [[1]]',
            b"\xff\xfe",
            b'{"input": [[1]], "kernel": [[1]]}\x00',
            b'{"a": 1, "a": 2}',
            b"\xef\xbb\xbf{}",
            b'{"input": [[1' + b"0" * 5000 + b']], "kernel": [[1]]}',
            b"[" * 5000 + b"]" * 5000,
            b'{"name": "\\ud800"}',
            b'{"image": "\\udfff", "kernel": [[1]]}',
        ]
    ),
)
content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=latin-1",
        "text/plain",
        None,
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/vnd.api+json",
        "application/octet-stream",
        "nonsense",
    ]
)


@fuzz(240)
@given(
    endpoint=st.sampled_from(POST_ENDPOINTS + [f"/api/runs/{{done}}/{c}" for c in CONTROL]),
    content=raw_bodies,
    content_type=content_types,
    lang=langs,
)
def test_raw_bytes_and_wrong_content_types(api, endpoint, content, content_type, lang):
    response = post(api, endpoint, content, lang, content_type)
    check_answer(response, lang, f"POST {endpoint} ({content_type}) {content[:100]!r}")


# ---- HTTP: path and query parameters ------------------------------------------------------------


def url_text(text: str) -> str:
    """Text as one percent-encoded path segment (a lone surrogate as the bytes UTF-8 would give it)."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


path_text = st.one_of(st.text(max_size=20), st.sampled_from(EDGE_TEXT + ["digit-3", "astronaut", "sigmoid", "."]))
query_values = st.one_of(
    st.text(max_size=10),
    st.sampled_from(
        ["1e308", "-1e308", "nan", "inf", "-0", "0", "2001", "2", "fixed", "steepest", "10000000000000000000"]
    ),
)
query_keys = st.sampled_from(
    [
        "xmin",
        "xmax",
        "n",
        "threshold",
        "depth",
        "z",
        "z_mode",
        "a",
        "lower",
        "upper",
        "k",
        "alpha",
        "weights",
        "lang",
        "preset",
        "presenter",
        "after",
        "x",
    ]
)


@fuzz(80)
@given(name=path_text, query=st.dictionaries(query_keys, query_values, max_size=4), lang=langs)
def test_activation_curves_by_get(api, name, query, lang):
    query = {**query, "lang": lang}
    response = api.client.get(f"/api/activations/{url_text(name)}", params=query)
    check_answer(response, lang, f"GET /api/activations/{name!r} {query}")


@fuzz(60)
@given(
    template=st.sampled_from(
        [
            "/api/filter/samples/{}",
            "/api/runs/{}",
            "/api/runs/{}/pause",
            "/api/runs/{}/resume",
            "/api/runs/{}/stop",
            "/api/runs/{}/save",
            "/api/conv/{}",
        ]
    ),
    name=path_text,
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    lang=langs,
)
def test_path_parameters_and_unknown_routes(api, template, name, method, lang):
    url = template.format(url_text(name)) + f"?lang={lang}"
    response = api.client.request(method, url)
    check_answer(response, lang, f"{method} {url}")


@fuzz(40)
@given(
    command=st.sampled_from(CONTROL),
    which=st.sampled_from(["controlled", "queued-done", "unknown"]),
    body=st.one_of(st.none(), json_values),
    lang=langs,
    token=st.one_of(st.none(), st.just("owner"), path_text),
)
def test_run_controls(api, command, which, body, lang, token):
    run_id = {"controlled": api.controlled, "queued-done": api.done, "unknown": "0123abcd"}[which]
    headers = {} if body is None else {"content-type": "application/json"}
    if token == "owner" and run_id in api.tokens:
        headers.update(api.owner(run_id))
    elif token is not None:
        headers["X-Control-Token"] = token.encode("ascii", "replace").decode()
    kwargs = {"headers": headers} if body is None else {"content": dumps(body), "headers": headers}
    response = api.client.post(f"/api/runs/{run_id}/{command}?lang={lang}", **kwargs)
    answer = check_answer(response, lang, f"POST /api/runs/<{which}>/{command} {body!r}")
    if answer is not None and body not in (None, {}):  # nothing reads it: any field in it is refused, named
        assert answer["code"] in ("invalid_request", "bad_unicode"), answer
    elif answer is not None:  # (text that is not Unicode is refused before the route)
        assert answer["code"] in ("unknown_run", "not_run_owner", "run_finished", "bad_unicode"), answer
        if token != "owner" and answer["code"] != "bad_unicode" and which != "unknown":
            assert answer["code"] == "not_run_owner", answer  # no command without the token


PAGES = [
    "/",
    "/conv",
    "/pool",
    "/activations",
    "/filters",
    "/draw",
    "/learn",
    "/learn/backprop",
    "/health",
    "/api/conv/presets",
    "/api/pool/presets",
    "/api/activations",
    "/api/filter/samples",
    "/api/filter/kernels",
    "/api/models",
    "/api/training/options",
    "/api/runs",
]


@fuzz(80)
@given(
    page=st.sampled_from(PAGES),
    query=st.dictionaries(query_keys, query_values, max_size=4),
    cookie=st.one_of(st.none(), st.text(max_size=6)),
    accept=st.one_of(st.none(), st.text(max_size=12)),
)
def test_pages_and_lists_with_any_query(api, page, query, cookie, accept):
    headers = {} if accept is None else {"accept-language": accept.encode("ascii", "replace").decode()}
    if cookie is not None:
        headers["cookie"] = "lang=" + quote(cookie)
    response = api.client.get(page, params=query, headers=headers)
    if page.startswith("/api/") and set(query) - {"lang"}:  # a parameter the list does not take: named, refused
        assert response.status_code == 422 and response.json()["code"] == "invalid_request", (
            f"GET {page} {query} -> {response.status_code}: {response.text[:300]}"
        )
    else:  # a page reads its own query (a lab's set-up): any query shows the page
        assert response.status_code == 200, f"GET {page} {query} -> {response.status_code}: {response.text[:300]}"


# ---- websockets ---------------------------------------------------------------------------------------


def as_frame(message) -> tuple[str, object]:
    return message if isinstance(message, tuple) else ("text", message)


ws_messages = st.one_of(
    st.binary(max_size=40).map(lambda b: ("bytes", b)),
    st.text(max_size=30),
    json_values.map(lambda v: json.dumps(v, allow_nan=True)),
    st.sampled_from(["{", "[1, 2]", "null", "NaN", '"pause"', "x" * 5000, '{"type": "' + "p" * 2000 + '"}']),
)


def send(ws, frame):
    kind, payload = as_frame(frame)
    if kind == "bytes":
        ws.send_bytes(payload)
    else:
        ws.send_text(payload)


predict_messages = st.one_of(
    ws_messages,
    mutated(EXAMPLES["/api/predict"][0]).map(lambda b: json.dumps(b)),
    mutated({"id": 7, "image": [[0, 1], [1, 0]]}).map(lambda b: json.dumps(b)),
)


@fuzz(40)
@given(messages=st.lists(predict_messages, min_size=1, max_size=3), lang=langs)
def test_predict_socket_answers_every_message_and_carries_on(api, messages, lang):
    with api.client.websocket_connect(f"/ws/predict?lang={lang}") as ws:
        for message in messages:
            send(ws, message)
            answer = ws.receive_json()
            assert answer["type"] in ("prediction", "error"), answer
            if answer["type"] == "error":
                assert isinstance(answer.get("code"), str) and answer["code"], answer
                assert isinstance(answer.get("detail"), str) and answer["detail"].strip(), answer
                if lang == "zh":
                    assert CJK.search(answer["detail"]), f"not translated: {answer}"
        ws.send_json({"id": "last", "image": EXAMPLES["/api/predict"][0]["image"]})
        answer = ws.receive_json()
        assert answer["type"] == "prediction" and answer["id"] == "last" and 0 <= answer["prediction"] <= 9


def _is_command(frame) -> bool:
    """Whether the training socket would obey this message (the fuzzing sends only ones it must refuse)."""
    kind, text = as_frame(frame)
    if kind != "text" or len(text) > 1000:
        return False
    try:
        data = json.loads(text)
    except ValueError:
        return False
    if not isinstance(data, dict) or data.get("type") not in ("pause", "resume", "stop", "set"):
        return False
    lr = data.get("lr")
    return data["type"] != "set" or (not isinstance(lr, bool) and isinstance(lr, (int, float)) and 0 < lr <= 10)


command_like = st.fixed_dictionaries(
    {"type": st.sampled_from(["set", "pause", "resume", "stop", "jump", "", "SET"])},
    optional={"lr": bad_values, "extra": scalars},
).map(lambda d: json.dumps(d, allow_nan=True))
run_messages = st.one_of(
    ws_messages,
    command_like,
    st.sampled_from([0, -1, 1e9, 10**400, 1e308, math.nan, math.inf, "0.1", True, None, [0.1]]).map(
        lambda lr: json.dumps({"type": "set", "lr": lr}, allow_nan=True)
    ),
)


@fuzz(40)
@given(
    messages=st.lists(run_messages.filter(lambda m: not _is_command(m)), min_size=1, max_size=3),
    lang=langs,
    lr=st.sampled_from([0.001, 0.002, 0.005, 0.02, 0.5]),
)
def test_run_socket_refuses_malformed_messages_and_carries_on(api, messages, lang, lr):
    with api.client.websocket_connect(f"/ws/runs/{api.queued}?lang={lang}") as ws:
        for message in messages:
            send(ws, message)
            error = receive_until(ws, "error", limit=50)[-1]
            assert isinstance(error.get("code"), str) and "seq" not in error, error
            assert isinstance(error.get("message"), str) and error["message"].strip(), error
            if lang == "zh":
                assert CJK.search(error["message"]), f"not translated: {error}"
        ws.send_json({"type": "set", "lr": lr, "token": api.tokens[api.queued]})  # a valid message is obeyed
        wait_for(lambda: api.run(api.queued)["lr"] == lr, timeout=5)
        ws.send_text("still there?")  # and the socket still answers
        assert receive_until(ws, "error", limit=50)[-1]["code"] == "bad_message"


@fuzz(30)
@given(after=st.one_of(st.integers(), st.sampled_from(EDGE_TEXT), st.text(max_size=8)), lang=langs)
def test_run_socket_with_any_after(api, after, lang):
    with api.client.websocket_connect(f"/ws/runs/{api.queued}?lang={lang}&after={url_text(str(after))}") as ws:
        ws.send_text("{")
        error = receive_until(ws, "error", limit=50)[-1]
        if error["code"] == "bad_after":  # a bad ?after= is explained, then the socket closes with 1008
            assert error["message"] and (lang != "zh" or CJK.search(error["message"])), error
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == 1008, closed.value
        else:
            assert error["code"] == "bad_message", error


def test_the_server_still_serves_after_the_fuzzing(api):
    started = time.perf_counter()
    assert api.client.get("/health").json() == {"status": "ok"}
    r = api.client.post("/api/conv", json=EXAMPLES["/api/conv"][0])
    assert r.status_code == 200 and r.json()["output"] == [[19, 25], [37, 43]]
    assert time.perf_counter() - started < 2
    assert api.run(api.blocker)["state"] == "paused"  # nothing the fuzzing sent touched the other runs
