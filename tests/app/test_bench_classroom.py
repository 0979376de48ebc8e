"""benchmarks/bench_classroom.py's pure helpers: percentiles, the viewers' seq check, the page's drawings."""

import importlib.util
import base64
import json
from pathlib import Path

import numpy as np
import pytest

PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_classroom.py"
_spec = importlib.util.spec_from_file_location("bench_classroom", PATH)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


@pytest.mark.parametrize("n", [1, 2, 7, 100])
@pytest.mark.parametrize("q", [0, 25, 50, 95, 99, 100])
def test_percentile_is_numpys_linear_percentile(n, q):
    values = list(np.random.default_rng(n).exponential(10, n))
    assert bench.percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_percentile_by_hand_and_of_nothing():
    assert bench.percentile([4, 1, 3, 2], 50) == 2.5
    assert bench.percentile([10, 20], 95) == pytest.approx(19.5)
    assert bench.percentile([], 95) is None


def stream(*events):
    """(seq, type) pairs from "1 status", "2 snapshot", ..."""
    return [(int(seq), kind) for seq, kind in (e.split() for e in events)]


RUN = ["1 status", "2 snapshot", "3 progress", "4 snapshot", "5 progress", "6 epoch", "7 done"]
KEPT = {1, 3, 5, 6, 7, 4}  # what a replay after the run holds: every event but the older snapshots


def test_a_viewer_from_the_start_has_no_problem():
    assert bench.stream_problems(stream(*RUN), KEPT) == []


def test_a_late_viewer_may_miss_the_snapshots_its_replay_compacted():
    late = stream("1 status", "3 progress", "4 snapshot", "5 progress", "6 epoch", "7 done")
    assert bench.stream_problems(late, KEPT) == []
    assert bench.same_events([stream(*RUN), late])


@pytest.mark.parametrize("lost", ["3 progress", "4 snapshot", "5 progress", "6 epoch"])
def test_a_lost_event_is_a_gap(lost):
    events = stream(*(e for e in RUN if e != lost))
    problems = bench.stream_problems(events, KEPT)
    assert problems == [f"missing seq {lost.split()[0]}"]
    assert not bench.same_events([stream(*RUN), events])


def test_a_lost_live_snapshot_is_a_gap_though_no_replay_keeps_it():
    events = stream(*RUN[:3], "4 progress", "5 snapshot", "7 snapshot", "8 done")  # 6 lost
    assert bench.stream_problems(events, {1, 3, 4, 7, 8}) == ["missing seq 6"]


def test_order_repeats_and_the_end():
    assert "seq out of order or repeated" in bench.stream_problems(stream(*RUN[:3], "3 progress", *RUN[3:]), KEPT)
    assert "seq out of order or repeated" in bench.stream_problems(stream(*RUN[:2], RUN[3], RUN[2], *RUN[4:]), KEPT)
    cut = bench.stream_problems(stream(*RUN[:5]), KEPT)
    assert "the last event is 'progress', not 'done'" in cut and "missing seq 6, 7" in cut
    assert bench.stream_problems([], KEPT) == ["no events"]


def test_viewers_must_receive_the_same_texts():
    a = [(seq, kind, 100 + seq) for seq, kind in stream(*RUN)]
    b = [*a[:4], (5, "progress", 0), *a[5:]]  # seq 5 with another text
    assert bench.same_events([a, list(a), list(a)])
    assert not bench.same_events([a, b])


def test_the_drawing_grows_as_the_pen_moves_and_is_sent_as_the_page_sends_it():
    strokes = bench.stroke_frames(bench.DIGITS["4"])
    assert len(strokes) == 2
    frames = [f for fs in strokes for f in fs]
    # the first stroke is 0.570 + 0.530 pad sides: at one side a second, an event every 1/60 s, 1.1 s
    assert len(strokes[0]) == 1 + 67 and len(strokes[1]) == 1 + 32
    for before, after in zip(frames, frames[1:]):
        assert after.shape == (128, 128) and np.all(after >= before) and after.max() == 1.0
    assert frames[0].sum() < frames[-1].sum() / 20  # the first dot is small
    body = json.loads(bench.page_body(frames[-1], True))
    assert body["layers"] is True and body["explain"] == "occlusion"
    sent = np.frombuffer(base64.b64decode(body["pixels"]), np.uint8).reshape(body["shape"])
    assert body["shape"] == [128, 128] and np.array_equal(sent, np.rint(frames[-1] * 255))
    text = bench.page_body(frames[-1], False)
    assert '"layers":false,"explain":null' in text  # as JSON.stringify writes it
