"""One run's events in this process: a compacted history and the live viewers.

``publish`` may be called from any thread (a run's relay thread); it numbers the message, encodes
it to JSON once, appends it to the history and hands it to every viewer's asyncio queue with one
``loop.call_soon_threadsafe`` per event loop, all under one lock, so a viewer who subscribes at any
moment gets every event exactly once and in order: the history first, then the live ones.

The history keeps every status, progress, epoch, error and done message (small), but only the
latest ``snapshot`` (filters and feature maps are large, and only the newest matters to a viewer
who arrives late).
"""

import asyncio
import threading

from ..responses import dumps
from .base import Event, SlowViewer, Subscription

MAX_PENDING = 5000  # events waiting for one viewer; beyond this it is cut off (and catches up on reconnecting)
_CUT_OFF = object()


def _deliver(deliveries: list) -> None:
    """On an event loop: put each item in its viewer's queue."""
    for queue, item in deliveries:
        queue.put_nowait(item)


class LocalSubscription(Subscription):
    """A viewer's queue of events, fed from any thread, read on the viewer's event loop."""

    def __init__(self, channel: "Channel", loop: asyncio.AbstractEventLoop, backlog: list[Event], closed: bool):
        self.channel = channel
        self.loop = loop
        self.queue: asyncio.Queue[Event] = asyncio.Queue()
        for event in backlog:
            self.queue.put_nowait(event)
        self.closed = closed  # the run had ended when this viewer arrived: the backlog is all there is
        self.dead = False
        self.pending = len(backlog)  # handed over and not yet read (queued or still in the loop's callbacks)
        self._count = threading.Lock()

    def push(self, event: Event) -> None:
        """Called by the channel (any thread, under its lock): what to put in the queue (on the loop)."""
        with self._count:
            self.pending += 1
            late = self.pending > MAX_PENDING  # a viewer that cannot keep up must not hold the history twice
        if late:
            self.dead = True
            return _CUT_OFF
        return event

    async def __aiter__(self):
        while not (self.closed and self.queue.empty()):
            event = await self.queue.get()
            if event is _CUT_OFF:
                raise SlowViewer()
            with self._count:
                self.pending -= 1
            yield event
            if event.type == "done":
                return

    def close(self) -> None:
        self.channel.unsubscribe(self)


class Channel:
    def __init__(self):
        self._lock = threading.Lock()
        self._history: list[Event] = []
        self._subscribers: list[LocalSubscription] = []
        self._seq = 0
        self.closed = False

    @classmethod
    def replay(cls, history: list[Event]) -> "Channel":
        """A channel holding a stored history (closed if it ends with ``done``): a finished run read back
        from disk, or a run a previous server left unfinished."""
        channel = cls()
        channel._history = list(history)
        channel._seq = history[-1].seq if history else 0
        channel.closed = any(e.type == "done" for e in history)
        return channel

    def publish(self, message: dict) -> Event | None:
        """Number, encode, keep and fan out ``message``; nothing is published after ``done``."""
        with self._lock:
            if self.closed:
                return None
            self._seq += 1
            data = {**message, "seq": self._seq}
            event = Event(self._seq, message["type"], dumps(data), data)
            if event.type == "snapshot":
                self._history = [e for e in self._history if e.type != "snapshot"]
            self._history.append(event)
            # One hand-over per event loop, not per viewer: a class of fifty would wake the loop fifty times.
            by_loop: dict[asyncio.AbstractEventLoop, list] = {}
            for sub in self._subscribers:
                by_loop.setdefault(sub.loop, []).append((sub.queue, sub.push(event)))
            for loop, deliveries in by_loop.items():
                try:
                    loop.call_soon_threadsafe(_deliver, deliveries)
                except RuntimeError:  # that event loop has closed: its viewers have gone
                    for sub in self._subscribers:
                        if sub.loop is loop:
                            sub.dead = True
            self._subscribers = [s for s in self._subscribers if not s.dead]
            if event.type == "done":
                self.closed = True
                self._subscribers = []
            return event

    def subscribe(self, after: int = 0) -> LocalSubscription:
        """Call on the viewer's event loop: the history after ``after``, then the live events."""
        loop = asyncio.get_running_loop()
        with self._lock:
            sub = LocalSubscription(self, loop, [e for e in self._history if e.seq > after], self.closed)
            if not self.closed:
                self._subscribers.append(sub)
            return sub

    def unsubscribe(self, sub: LocalSubscription) -> None:
        with self._lock:
            if sub in self._subscribers:
                self._subscribers.remove(sub)

    @property
    def viewers(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def history(self) -> list[Event]:
        with self._lock:
            return list(self._history)

    @property
    def last_seq(self) -> int:
        return self._seq
