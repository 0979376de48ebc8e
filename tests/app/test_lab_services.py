"""One lab service per lab: a /api/conv, /api/pool or /api/filter request checks each grid once and
works out the output size once (before, a /api/conv request checked each grid three times and
computed the output size three times; a /api/pool request with the shift demo, five and four)."""

import collections

import pytest

import app.arrays
import engine.demos
import engine.filters
import engine.reference
import engine.shapes
from app.routers import conv, filters, pool
from app.schemas.conv import ConvTraceRequest
from app.schemas.filters import FilterRequest
from app.schemas.pool import PoolTraceRequest


@pytest.fixture()
def counts(monkeypatch):
    """Calls of every grid check (the app's to_array, the engine's _check_grid wherever it is imported)
    by the grid's name, and of the output-size arithmetic (engine.shapes._checked_shape)."""
    seen = collections.Counter()

    def counting(function, key):
        def wrapper(*args, **kwargs):
            seen[(key, str(args[1]).removeprefix("the "))] += 1
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(app.arrays, "to_array", counting(app.arrays.to_array, "check"))
    for module in (engine.reference, engine.demos, engine.filters):
        monkeypatch.setattr(module, "_check_grid", counting(module._check_grid, "check"))
    shape = engine.shapes._checked_shape

    def counted_shape(*args, **kwargs):
        seen[("output size", "")] += 1
        return shape(*args, **kwargs)

    monkeypatch.setattr(engine.shapes, "_checked_shape", counted_shape)
    return seen


def test_a_convolution_request_checks_each_grid_and_computes_the_output_size_once(counts):
    body = ConvTraceRequest(
        input=[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]] * 2,
        kernel=[[[[1, 0], [0, 1]]] * 2] * 3,
        bias=[1, 2, 3],
        stride=1,
        padding=1,
        activation="relu",
    )
    assert b'"output_shape":[3,4,4]' in conv.trace_json(body)
    assert counts == {("check", "input"): 1, ("check", "kernel"): 1, ("check", "bias"): 1, ("output size", ""): 1}


def test_a_pooling_request_with_the_shift_demo_checks_its_grid_and_computes_the_output_size_once(counts):
    body = PoolTraceRequest(
        input=[[1, 2, 3, 4, 5]] * 5,
        mode="avg",
        size=2,
        padding=1,
        ceil_mode=True,
        count_include_pad=False,
        shift="right",
    )
    assert b'"translation":{' in pool.trace_json(body)
    assert counts == {("check", "input"): 1, ("output size", ""): 1}


def test_a_filter_request_with_a_trace_checks_its_grids_and_computes_the_output_size_once(counts):
    body = FilterRequest(
        image=[[float(i * j) for j in range(9)] for i in range(7)],
        kernel=[[-1, 1]],
        stride=2,
        trace={"row": 1, "col": 1, "size": 2},
    )
    answer = filters.apply_filter(body)
    assert answer["output_shape"] == [4, 4] and answer["trace"]["rows"] == 2
    assert counts == {("check", "image"): 1, ("check", "kernel"): 1, ("output size", ""): 1}


def test_a_filter_trace_still_agrees_with_the_reference_loops():
    """The traced block (loops on the crop, with a geometry worked out once) against the whole map."""
    image = [[float((3 * i + 5 * j) % 7) for j in range(11)] for i in range(9)]
    body = FilterRequest(
        image=image,
        kernel=[[1, 2, 0], [0, -1, 1]],
        bias=0.5,
        stride=[2, 1],
        padding=1,
        dilation=[1, 2],
        trace={"row": 1, "col": 2, "size": 3},
    )
    answer = filters.apply_filter(body)
    whole = engine.reference.conv2d_trace([image], [[[[1, 2, 0], [0, -1, 1]]]], 0.5, (2, 1), 1, (1, 2))[0][0]
    for r, row in enumerate(answer["trace"]["output"]):
        for c, value in enumerate(row):
            assert value == pytest.approx(whole[1 + r, 2 + c])
