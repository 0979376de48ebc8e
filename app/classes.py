"""Classes a teacher opens so that the students' browsers follow the teacher's page live.

A class has a short join code (:data:`CODE_LENGTH` characters of :data:`ALPHABET`, which leaves out
0/O, 1/I/L: about 28.6 million codes), a leader token (a secret given once to the browser that
opened the class; only its SHA-256 is kept, as for training runs), the last state the leader sent
(the page's path and its query string: a lab's whole configuration and the player's step live
there, see static/js/urlstate.js) and its members: the followers' websockets, each following the
teacher or exploring alone, and the leader's own websockets.

Memory is bounded by design: at most ``max_classes`` classes (``max_per_client`` from one client
address), ``max_followers`` websockets in a class, a state of at most :data:`MAX_PATH` +
:data:`MAX_QUERY` characters, and at most :data:`MAX_PENDING_STATES` unsent states per member (the
text of a state is made once and shared by the members' queues; a member further behind loses the
oldest: a follower needs where the teacher is, not every place the teacher was).
A class ends when its leader ends it, when no leader websocket has been open for ``idle_seconds``,
or ``max_seconds`` after it was opened; its members are then told and disconnected.

Everything here runs on the event loop (the routes are ``async``), so nothing needs a lock.
"""

import asyncio
import hashlib
import re
import secrets
import time
from dataclasses import dataclass, field

from engine.errors import EngineError

from .responses import dumps

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud or off a projector without doubt
CODE_LENGTH = 5
MAX_PATH = 200
MAX_QUERY = 8000  # a 3x16x16 input and four 3x7x7 kernels in the URL take about 4,000 characters
# A page path the leader may send: our own absolute paths only (no scheme, no host, no "//").
SWEEP_INTERVAL = 1.0  # seconds between two looks for classes to end
MAX_PENDING_STATES = 16  # unsent states a member may have queued (two seconds at the player's fastest)
PATH_PATTERN = re.compile(r"/(?:[A-Za-z0-9_\-]+(?:/[A-Za-z0-9_\-]+)*)?")
# Query parameters that belong to each browser, not to the class: language, presenter mode, the class.
PERSONAL_PARAMS = ("lang", "presenter", "class")


def normal_code(text: str) -> str:
    """A join code as typed (any case, spaces or dashes) in its stored form: upper case, no separators."""
    return re.sub(r"[\s\-]", "", str(text)).upper()[:20]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def unknown_class(code: str) -> EngineError:
    return EngineError(
        "unknown_class",
        f"there is no class with the code {code[:12]!r} (ask your teacher for the "
        "code: a class ends when the teacher closes it)",
        class_code=code[:12],
    )


def not_leader(code: str) -> EngineError:
    return EngineError(
        "not_class_leader",
        f"only the browser that opened class {code} leads it; this page can follow it",
        class_code=code,
    )


def check_state(path, query) -> tuple[str, str]:
    """A leader's state as (path, query) with the personal parameters taken out of the query, or an
    EngineError ``bad_class_state`` saying what is wrong."""
    if not isinstance(path, str) or len(path) > MAX_PATH or not PATH_PATTERN.fullmatch(path):
        raise EngineError(
            "bad_class_state",
            f'the page must be a path of this site such as "/conv" (at most '
            f"{MAX_PATH} characters), got {str(path)[:40]!r}",
            what="path",
            limit=MAX_QUERY,
        )
    if not isinstance(query, str) or len(query) > MAX_QUERY or any(c in query for c in "#\r\n\0"):
        raise EngineError(
            "bad_class_state",
            f"the query must be text of at most {MAX_QUERY} characters without #",
            what="query",
            limit=MAX_QUERY,
        )
    kept = [
        part for part in query.removeprefix("?").split("&") if part and part.split("=", 1)[0] not in PERSONAL_PARAMS
    ]
    return path, "&".join(kept)


class Member:
    """One websocket of a class: a follower (following or exploring alone) or a leader. ``offer(text)``
    replaces any message not yet sent; the websocket's sender awaits ``next()``."""

    def __init__(self, role: str = "follower"):
        self.role = role  # "follower", "explorer" or "leader"
        self._pending: list[tuple[str, str]] = []  # (kind, text), oldest first
        self._wake = asyncio.Event()

    def offer(self, text: str, kind: str = "state") -> None:
        """Queue ``text``: states in order (the oldest dropped past :data:`MAX_PENDING_STATES`); a message
        of another ``kind`` (a count, an error, the end) replaces an unsent one of its kind."""
        if kind == "state":
            self._pending.append((kind, text))
            states = [i for i, (k, _) in enumerate(self._pending) if k == "state"]
            if len(states) > MAX_PENDING_STATES:
                del self._pending[states[0]]
        else:
            self._pending = [(k, t) for k, t in self._pending if k != kind] + [(kind, text)]
        self._wake.set()

    async def next(self, timeout: float | None = None) -> tuple[str, str] | None:
        """The next message to send as ``(kind, text)``, or None after ``timeout`` seconds without one."""
        if not self._pending:
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                return None
        return self._pending.pop(0)


@dataclass(eq=False)
class Classroom:
    code: str
    token_hash: str
    client: str | None
    opened: float = field(default_factory=time.monotonic)
    leader_seen: float = field(default_factory=time.monotonic)  # last time a leader websocket was open
    state: dict | None = None  # {"path", "query", "seq"}
    members: set[Member] = field(default_factory=set)
    ended: str | None = None  # "closed" or "expired" once over

    def count(self, role: str) -> int:
        return sum(1 for m in self.members if m.role == role)

    def counts(self) -> dict:
        return {"following": self.count("follower"), "exploring": self.count("explorer")}

    def leading(self) -> bool:
        return any(m.role == "leader" for m in self.members)


class ClassRegistry:
    """The open classes of this server process (see the module's docstring for the bounds)."""

    def __init__(
        self,
        max_classes: int = 50,
        max_per_client: int = 3,
        max_followers: int = 200,
        idle_seconds: float = 1800.0,
        max_seconds: float = 12 * 3600.0,
        clock=time.monotonic,
    ):
        self.max_classes = max_classes
        self.max_per_client = max_per_client
        self.max_followers = max_followers
        self.idle_seconds = idle_seconds
        self.max_seconds = max_seconds
        self.clock = clock
        self._classes: dict[str, Classroom] = {}
        self._swept = float("-inf")

    # ---- the classes ----

    def sweep(self) -> None:
        """End every class whose leader has been away for ``idle_seconds``, or that is ``max_seconds`` old
        (at most once a second: every request and every idle websocket asks)."""
        now = self.clock()
        if now - self._swept < SWEEP_INTERVAL:
            return
        self._swept = now
        for room in list(self._classes.values()):
            if room.leading():
                room.leader_seen = now
            if now - room.leader_seen > self.idle_seconds or now - room.opened > self.max_seconds:
                self._end(room, "expired")

    def create(self, client: str | None) -> tuple[Classroom, str]:
        """Open a class for ``client`` (an address); returns it and its leader token (given only here)."""
        self.sweep()
        mine = [c for c in self._classes.values() if client is not None and c.client == client]
        if len(mine) >= self.max_per_client:
            # A class whose teacher's page is gone (a closed or crashed browser) cannot be ended from another
            # browser: the oldest such class of this client makes room, rather than a 30-minute lock-out.
            abandoned = [c for c in mine if not c.leading()]
            if not abandoned:
                raise EngineError(
                    "too_many_classes",
                    f"this device already has {self.max_per_client} classes open, the most allowed: close one first",
                    limit=self.max_per_client,
                )
            self._end(min(abandoned, key=lambda c: c.leader_seen), "closed")
        if len(self._classes) >= self.max_classes:
            raise EngineError(
                "classes_full",
                f"the server already has {self.max_classes} classes open, the most allowed: try again later",
                limit=self.max_classes,
            )
        while True:
            code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
            if code not in self._classes:
                break
        token = secrets.token_urlsafe(24)
        room = Classroom(
            code=code, token_hash=token_hash(token), client=client, opened=self.clock(), leader_seen=self.clock()
        )
        self._classes[code] = room
        return room, token

    def get(self, code: str) -> Classroom:
        """The open class with join code ``code`` (any case), or ``unknown_class``."""
        self.sweep()
        room = self._classes.get(normal_code(code))
        if room is None:
            raise unknown_class(normal_code(code) or str(code))
        return room

    def check_leader(self, code: str, token) -> Classroom:
        """The class, if ``token`` is its leader token; ``unknown_class`` or ``not_class_leader`` otherwise."""
        room = self.get(code)
        if not isinstance(token, str) or not secrets.compare_digest(token_hash(token), room.token_hash):
            raise not_leader(room.code)
        return room

    def end(self, code: str, token) -> Classroom:
        """The leader ends the class: every member is told and disconnected."""
        room = self.check_leader(code, token)
        self._end(room, "closed")
        return room

    def _end(self, room: Classroom, reason: str) -> None:
        room.ended = reason
        self._classes.pop(room.code, None)
        text = dumps({"type": "ended", "reason": reason})
        for member in room.members:
            member.offer(text, "ended")

    def __len__(self) -> int:
        return len(self._classes)

    # ---- members ----

    def join(self, room: Classroom) -> Member:
        """A new follower of ``room`` (``class_full`` past ``max_followers``); it gets the current state."""
        if len(room.members) >= self.max_followers:
            raise EngineError(
                "class_full",
                f"class {room.code} already has {self.max_followers} connections, the most allowed",
                class_code=room.code,
                limit=self.max_followers,
            )
        member = Member()
        room.members.add(member)
        if room.state is not None:
            member.offer(dumps({"type": "state", **room.state}))
        self._tell_leaders(room)
        return member

    def leave(self, room: Classroom, member: Member) -> None:
        room.members.discard(member)
        if member.role == "leader" and not room.leading():
            room.leader_seen = self.clock()
        if not room.ended:
            self._tell_leaders(room)

    def lead(self, room: Classroom, member: Member, token) -> None:
        """``member`` becomes a leader of ``room`` if ``token`` is its leader token."""
        self.check_leader(room.code, token)
        if room.ended:
            raise unknown_class(room.code)
        member.role = "leader"
        self._tell_leaders(room)

    def set_role(self, room: Classroom, member: Member, role: str) -> None:
        """A follower explores alone (``explorer``) or follows again (``follower``: it gets the state at once)."""
        if member.role == "leader" or member.role == role:
            return
        member.role = role
        if role == "follower" and room.state is not None:
            member.offer(dumps({"type": "state", **room.state}))
        self._tell_leaders(room)

    def publish(self, room: Classroom, member: Member, token, path, query) -> dict:
        """The leader's new state, sent to every follower (not to those exploring alone)."""
        if member.role != "leader":
            self.lead(room, member, token)
        else:
            self.check_leader(room.code, token)
        path, query = check_state(path, query)
        seq = (room.state or {}).get("seq", 0) + 1
        room.state = {"path": path, "query": query, "seq": seq}
        text = dumps({"type": "state", **room.state})
        for other in room.members:
            if other.role == "follower":
                other.offer(text)
        return room.state

    def _tell_leaders(self, room: Classroom) -> None:
        text = dumps({"type": "count", **room.counts()})
        for member in room.members:
            if member.role == "leader":
                member.offer(text, "count")
