"""app.runs.channel: one run's history and viewers, without the web app: ordering across threads,
history compaction, late subscribers, and a viewer that falls too far behind."""

import asyncio
import threading

import pytest

from app.runs import channel as channel_module
from app.runs.base import SlowViewer
from app.runs.channel import Channel


def progress(step):
    return {"type": "progress", "step": step}


def test_a_subscriber_gets_the_history_then_live_events_once_each():
    async def main():
        ch = Channel()
        for step in range(1, 4):
            ch.publish(progress(step))
        sub = ch.subscribe(after=1)
        worker = threading.Thread(
            target=lambda: (
                [ch.publish(progress(s)) for s in range(4, 200)] + [ch.publish({"type": "done", "reason": "finished"})]
            )
        )
        worker.start()
        seen = [e async for e in sub]
        worker.join()
        return ch, seen

    ch, seen = asyncio.run(main())
    assert [e.seq for e in seen] == list(range(2, 201))
    assert [e.data.get("step") for e in seen[:-1]] == list(range(2, 200)) and seen[-1].type == "done"
    assert ch.publish(progress(999)) is None  # nothing after done
    assert ch.viewers == 0


def test_only_the_latest_snapshot_is_kept():
    ch = Channel()
    ch.publish({"type": "snapshot", "step": 0})
    ch.publish(progress(1))
    ch.publish({"type": "snapshot", "step": 1})
    ch.publish({"type": "epoch", "epoch": 1})
    assert [(e.type, e.seq) for e in ch.history()] == [("progress", 2), ("snapshot", 3), ("epoch", 4)]


def test_after_the_end_a_subscriber_gets_the_history_and_stops():
    async def main():
        ch = Channel()
        ch.publish(progress(1))
        ch.publish({"type": "done", "reason": "stopped"})
        return [e.type async for e in ch.subscribe()], [e async for e in ch.subscribe(after=2)]

    assert asyncio.run(main()) == (["progress", "done"], [])


def test_a_viewer_that_falls_behind_is_cut_off(monkeypatch):
    monkeypatch.setattr(channel_module, "MAX_PENDING", 10)

    async def main():
        ch = Channel()
        sub = ch.subscribe()
        for step in range(1, 30):  # published while the viewer reads nothing
            ch.publish(progress(step))
        await asyncio.sleep(0)
        seen = []
        with pytest.raises(SlowViewer):
            async for e in sub:
                seen.append(e.seq)
        return ch, seen

    ch, seen = asyncio.run(main())
    assert seen == list(range(1, 11)) and ch.viewers == 0  # it reconnects with after=10 and misses nothing
