"""The role-play's web server: a facilitator page, a page per team, a page for spectators.

Plain HTTP and JSON (Starlette, served by uvicorn; both come with Mesa's SolaraViz). Pages poll
``/api/state`` every second, which is also how the server knows who is still there; charts
are drawn in the browser from the numbers, so a what-if costs one model run from the open round's
start (about 0.1 s of one core), done in a pool of worker processes (one per core by default) so
that several teams can ask at once. What-ifs wait for the workers in a bounded queue
(:mod:`decouple.play.whatifs`): the same draft is computed once whoever asks, a device's newer
draft replaces its older one still waiting, and a new round's first what-if is computed before
the pages ask for it.

Security, all checked on the server (docs/roleplay.md, "Security", says what it does not cover):
- joining needs the room code and a team's code; a join gives the device a seat token, and
  every team request carries it: the team is the token's, never one the request names, and a
  lever that is not the team's is refused (403);
- wrong join attempts are rate limited per client address and per room (429), so that guessing a
  team code takes years; team codes are never on the projected facilitator page, only behind its
  "hand out codes" view (one team at a time) and the printable slips;
- a second device joining a seat is refused or shares it, as the facilitator chooses; either way
  the team's page and the facilitator's see it, and the facilitator can give a team a new code;
- facilitator actions need the facilitator key: the printed link's ``?key=`` is exchanged at once
  for an HttpOnly, SameSite=Strict cookie and taken out of the address bar; the API accepts the
  cookie or an ``X-Key`` header, never a key in a URL;
- every request: a Host of this machine only (against DNS rebinding), a body of at most
  ``MAX_BODY`` bytes read within ``BODY_TIMEOUT`` seconds, JSON parsed with limits (depth, numbers,
  text lengths), and a JSON error (4xx) for anything else; connections that never finish their
  headers are closed (:class:`GuardedH11Protocol`, in :data:`UVICORN_LIMITS`);
- a seat not heard from for ``RELEASE_AFTER`` seconds is released (a closed tab also says goodbye
  with ``navigator.sendBeacon``), and a reload keeps the seat (the token lives in the tab's storage);
- the only file the server writes is the export, under the results folder it was given.

Threads: the game's lock (``Room.lock``) is only ever taken in worker threads, never on the event
loop, and only briefly: the export and the debrief work on a copy of the game taken under it.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import io
import json
import logging
import math
import secrets
import socket
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from .. import fonts, i18n, passages
from ..errors import ConfigError, DecoupleError
from ..i18n import N_, current, language
from ..i18n import gettext as _
from ..plots import SCENARIO_COLOURS, SCENARIO_LABELS
from . import words
from .controls import mechanisms_html
from .game import Game, GameOver, RoundAlreadyAdvanced, run_whatif, warm_round
from .teams import debrief_passages
from .whatifs import Busy, Superseded, WhatIfQueue

log = logging.getLogger("decouple.play")

#: a seat or a spectator not heard from for this long is released (pages poll every second)
RELEASE_AFTER = 45.0
#: letters that cannot be mistaken for one another on a projector
CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
#: characters of a team's code: 32**6, about a billion codes (see :func:`guessing_days`)
TEAM_CODE_LENGTH = 6
#: what-ifs kept, by their inputs (the same draft asked twice, by any device of any team, is
#: answered from memory; see decouple.play.whatifs)
WHATIF_CACHE = 256
#: what-ifs waiting for a worker, at most (503 beyond; a device's newer what-if replaces its older)
WHATIF_WAITING = 64

#: a request's body: at most this many bytes (413 beyond), arriving within this many seconds (408)
MAX_BODY = 32 * 1024
BODY_TIMEOUT = 10.0
#: a request's headers must be complete this many seconds after its first byte (or after the
#: connection opens); the connection is closed otherwise
HEADER_TIMEOUT = 10.0
#: JSON bodies: nesting (a sector list in a choice is 3 deep), digits of a whole number, characters of a text
MAX_DEPTH = 6
MAX_DIGITS = 15
MAX_TEXT = {"room": 32, "code": 32, "device": 64, "seat": 64, "policy": 16, "team": 32, "statement": 1000}

#: wrong join attempts allowed as a token bucket: a burst, then a steady rate (per second).
#: Per client address, and for the room as a whole (whatever the number of addresses).
JOIN_BURST_PER_CLIENT, JOIN_RATE_PER_CLIENT = 10, 1 / 6
JOIN_BURST_PER_ROOM, JOIN_RATE_PER_ROOM = 60, 2.0
#: client addresses whose buckets are remembered (idle, full buckets are forgotten first)
JOIN_CLIENTS_KEPT = 4096

#: devices that may join one team (each is remembered until the team gets a new code)
MAX_DEVICES = 64

#: the facilitator key's cookie
COOKIE = "decouple_facilitator"


def guessing_days(teams: int = 6, rate: float = JOIN_RATE_PER_ROOM) -> float:
    """Expected days for an attacker sending wrong join attempts at ``rate`` per second (the room's
    limit: the most any number of addresses together get) to hit one of ``teams`` team codes:
    guessing without repeats, the first of ``teams`` codes among ``N`` falls after ``(N+1)/(teams+1)``
    attempts on average."""
    codes = len(CODE_LETTERS) ** TEAM_CODE_LENGTH
    return (codes + 1) / (teams + 1) / rate / 86400


def code(n: int) -> str:
    return "".join(secrets.choice(CODE_LETTERS) for _ in range(n))


def same_text(given: str, expected: str) -> bool:
    """A constant-time comparison that also takes text that is not ASCII (a wrong code, then)."""
    return secrets.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


class Refused(Exception):
    """A request the server answers with ``status`` and a JSON error (``retry_after``: seconds)."""

    def __init__(self, status: int, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class Bucket:
    """A token bucket: ``burst`` tokens, refilled at ``rate`` per second."""

    #: the clock the tokens refill by (a test holds it still, so a slow machine refills nothing)
    clock = staticmethod(time.monotonic)

    def __init__(self, burst: float, rate: float):
        self.burst, self.rate = burst, rate
        self.tokens = float(burst)
        self.stamp = self.clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait(self) -> float:
        """0 when a token is there; else the seconds until one is."""
        self._refill()
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self._refill()
        self.tokens = max(self.tokens - 1, 0.0)

    def full(self) -> bool:
        self._refill()
        return self.tokens >= self.burst


@dataclass
class Seat:
    team: str
    device: str
    #: this device's place among the devices that have joined the team (1 for the first)
    order: int = 1
    last_seen: float = field(default_factory=time.monotonic)


class Room:
    """A game, its codes and who is connected.

    ``lock`` guards the game (every call into it); ``seats_lock`` guards seats, spectators and join
    attempts, and is never held while the game is busy, so polling never waits for a round, a
    what-if or an export."""

    def __init__(self, game: Game, out: Path, share_seats: bool = True, lang: str = i18n.DEFAULT):
        self.game = game
        #: the room's language: what a device shows until it chooses its own (``decouple play --lang``)
        self.lang = i18n.normalise(lang)
        self.out = Path(out)
        self.code = code(6)
        self.key = secrets.token_urlsafe(18)  # the facilitator's
        self.team_codes = {t.id: code(TEAM_CODE_LENGTH) for t in game.teams}
        self.share_seats = share_seats
        self.seats: dict[str, Seat] = {}  # seat token -> seat
        self.viewers: dict[str, float] = {}  # spectator id -> last seen
        #: the devices that have joined each team since its code was issued, in the order they
        #: came (a reload, or the same device joining again after leaving, is not a new one)
        self.devices: dict[str, dict[str, int]] = {t.id: {} for t in game.teams}
        self.refused_joins = 0  # attempts refused for being too many
        self.wrong_joins = 0  # attempts with a wrong room or team code
        self.deadline: float | None = None  # epoch seconds when the round's timer ends
        self.lock = threading.RLock()
        self.seats_lock = threading.RLock()
        self.export_lock = threading.Lock()  # the copy of the game the debrief and the export use
        self.timings: list[float] = []  # seconds per what-if, for the facilitator's page
        self.whatif_queue: WhatIfQueue | None = None  # the application's (create_app)
        self.exported: str = ""
        self._views: dict[tuple[str, str], tuple[int, Any]] = {}
        self._frozen: tuple[int, Game] | None = None
        self._room_bucket = Bucket(JOIN_BURST_PER_ROOM, JOIN_RATE_PER_ROOM)
        self._client_buckets: dict[str, Bucket] = {}
        #: the address students reach (the LAN address when listening on every address): the QR
        #: codes carry it even when the facilitator's own browser opened the page as localhost
        self.public_base = ""

    # ------------------------------------------------------------------ seats
    def release_idle(self) -> None:
        now = time.monotonic()
        with self.seats_lock:
            for token in [t for t, s in self.seats.items() if now - s.last_seen > RELEASE_AFTER]:
                del self.seats[token]
            for viewer in [v for v, seen in self.viewers.items() if now - seen > RELEASE_AFTER]:
                del self.viewers[viewer]

    def _client_bucket(self, client: str) -> Bucket:
        bucket = self._client_buckets.get(client)
        if bucket is None:
            if len(self._client_buckets) >= JOIN_CLIENTS_KEPT:
                for idle in [c for c, b in self._client_buckets.items() if b.full()]:
                    del self._client_buckets[idle]
            if len(self._client_buckets) >= JOIN_CLIENTS_KEPT:  # all busy: the oldest goes
                del self._client_buckets[next(iter(self._client_buckets))]
            bucket = self._client_buckets[client] = Bucket(JOIN_BURST_PER_CLIENT, JOIN_RATE_PER_CLIENT)
        return bucket

    def join_refused(self, client: str) -> float:
        """Seconds until ``client`` may try a code again (0 if it may now); a refusal is counted.
        Asked before a join's body is read, so that a guesser held back costs the server little."""
        with self.seats_lock:
            bucket = self._client_buckets.get(client)  # none yet: a full one, which never refuses
            wait = max(self._room_bucket.wait(), bucket.wait() if bucket is not None else 0.0)
            if wait > 0:
                self.refused_joins += 1
            return wait

    def join(self, room: str, team_code: str, device: str, client: str = "") -> tuple[str, str]:
        """(seat token, team id); PermissionError for a wrong room or a refused second device,
        LookupError for an unknown team code, :class:`Refused` (429) while this client or the room
        has used up its wrong attempts. A right attempt costs nothing."""
        with self.seats_lock:
            wait = self.join_refused(client)
            if wait > 0:
                raise too_many_wrong_codes(wait)
            buckets = (self._client_bucket(client), self._room_bucket)
            team = None
            if same_text(str(room).strip().upper(), self.code):
                given = str(team_code).strip().upper()
                team = next((t for t, c in self.team_codes.items() if same_text(given, c)), None)
            if team is None:
                for bucket in buckets:
                    bucket.take()
                self.wrong_joins += 1
                if not same_text(str(room).strip().upper(), self.code):
                    raise PermissionError(_("wrong room code"))
                raise LookupError(_("unknown team code: ask the facilitator for your team's code"))
        self.release_idle()
        with self.seats_lock:
            for token, seat in self.seats.items():
                if seat.team == team and seat.device == device:
                    seat.last_seen = time.monotonic()
                    return token, team  # the same device again: its seat
            if not self.share_seats and any(s.team == team for s in self.seats.values()):
                raise PermissionError(
                    _(
                        "{team} is already played from another device; the facilitator lets one device per team join"
                    ).format(team=words.team_label(self.game.by_id[team], self.game.world))
                )
            if device not in self.devices[team] and len(self.devices[team]) >= MAX_DEVICES:
                raise Refused(
                    429,
                    _("{n} devices have joined this team: the facilitator can give it a new code").format(
                        n=MAX_DEVICES
                    ),
                )
            token = secrets.token_urlsafe(18)
            order = self.devices[team].setdefault(device, len(self.devices[team]) + 1)
            self.seats[token] = Seat(team, device, order=order)
            return token, team

    def seat(self, token: str | None) -> Seat:
        with self.seats_lock:
            seat = self.seats.get(str(token or ""))
            if seat is None:
                raise PermissionError(_("no seat: join with the room code and your team's code"))
            seat.last_seen = time.monotonic()
            return seat

    def leave(self, token: str) -> None:
        with self.seats_lock:
            self.seats.pop(str(token), None)

    def new_code(self, team: str) -> str:
        """Give ``team`` a new code: its devices lose their seats and join again with the new code."""
        if team not in self.team_codes:
            raise LookupError(
                _("new code: team {team} unknown; allowed: {allowed}").format(
                    team=repr(team), allowed=", ".join(self.team_codes)
                )
            )
        with self.seats_lock:
            self.team_codes[team] = code(TEAM_CODE_LENGTH)
            for token in [t for t, s in self.seats.items() if s.team == team]:
                del self.seats[token]
            self.devices[team] = {}
            return self.team_codes[team]

    def is_facilitator(self, key: str | None) -> bool:
        return bool(key) and same_text(str(key), self.key)

    def occupancy(self) -> dict[str, int]:
        self.release_idle()
        with self.seats_lock:
            counts = {t.id: 0 for t in self.game.teams}
            for seat in self.seats.values():
                counts[seat.team] += 1
            return counts

    # ------------------------------------------------------------------ views
    def _cached(self, name: str, make):
        """A view of the game, made once per game version and language (every page polls every
        second, each in its own language): read without the game's lock when it is there, made
        under it when the game has moved on."""
        key = (name, current())
        hit = self._views.get(key)
        if hit is not None and hit[0] == self.game.version:
            return hit[1]
        with self.lock:
            version = self.game.version
            hit = self._views.get(key)
            if hit is None or hit[0] != version:
                hit = self._views[key] = (version, make())
            return hit[1]

    def state(self, team: str | None = None, since: int | None = None, seat: Seat | None = None) -> dict:
        """What a page shows. ``since``: the version the page already has; if the game has not
        changed since, only what changes without it (timer, clock, who is there)."""
        occupancy = self.occupancy()
        with self.seats_lock:
            live: dict[str, Any] = {
                "version": self.game.version,
                "deadline": self.deadline,
                "now": time.time(),
                "room": self.code,
                "occupancy": occupancy,
                "viewers": len(self.viewers),
            }
            if team is not None:
                live["devices"] = occupancy[team]
                # devices that joined this team after the one asking: a stranger among them?
                joined = len(self.devices[team])
                live["joined_after_you"] = max(joined - (seat.order if seat else joined), 0)
        if since == live["version"]:
            return {**live, "unchanged": True}
        public = self._cached("public", self.game.public)
        out = {**public, **live, "version": public["version"]}
        out["colours"] = SCENARIO_COLOURS | {"class": "#111111"}
        out["labels"] = scenario_labels()
        out["lang"] = current()
        if team is not None:
            out["team"] = self._cached(f"team:{team}", lambda: self._team(team))
        return out

    def _team(self, team: str) -> dict:
        page = self.game.team_page(team)
        page["view"] = self.game.localised(team, self.game.team_view(team, self.game.obs))
        return page

    def facilitator_state(self) -> dict:
        """The facilitator's page: no team code in it (it is projected); who joined, and alerts."""
        out = self.state()
        with self.seats_lock:
            out["public_base"] = self.public_base
            out["share_seats"] = self.share_seats
            out["exported"] = self.exported
            out["joined"] = {team: len(devices) for team, devices in self.devices.items()}
            out["refused_joins"] = self.refused_joins
            out["wrong_joins"] = self.wrong_joins
            times = sorted(self.timings[-200:])
            out["whatif_p95"] = times[int(0.95 * (len(times) - 1))] if times else None
        return out

    def codes(self, base: str) -> dict:
        """Every team's code and join link (the hand-out view and the printable slips)."""
        with self.seats_lock:
            return {
                "room": self.code,
                "base": base,
                "teams": [
                    {
                        "id": t.id,
                        "label": words.team_label(t, self.game.world),
                        "code": self.team_codes[t.id],
                        "link": join_url(base, self, t.id),
                    }
                    for t in self.game.teams
                ],
            }

    def open_for_choices(self) -> None:
        if self.game.over:
            raise GameOver(_("the game is over"))
        if self.deadline is not None and time.time() > self.deadline:
            raise TimeoutError(_("time is up for this round: wait for the facilitator to advance"))

    def frozen(self) -> Game:
        """A copy of the game as it is now (one per version), for the debrief and the export to
        work on without holding the game's lock; use it under ``export_lock``. The world is shared
        (it is read-only)."""
        with self.lock:
            if self._frozen is None or self._frozen[0] != self.game.version:
                self._frozen = (self.game.version, copy.deepcopy(self.game, {id(self.game.world): self.game.world}))
            return self._frozen[1]


# ---------------------------------------------------------------------- requests


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None):
    from starlette.responses import JSONResponse

    return JSONResponse(data, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})})


def too_many_wrong_codes(wait: float) -> Refused:
    """The 429 of a join while its client or the room has used up its wrong attempts."""
    return Refused(429, _("too many wrong codes: try again in {s} s").format(s=math.ceil(wait)), retry_after=wait)


def _error(exc: Exception):
    if isinstance(exc, Refused):
        headers = {"Retry-After": str(math.ceil(exc.retry_after))} if exc.retry_after else None
        return _json({"error": str(exc)}, exc.status, headers)
    if isinstance(exc, PermissionError):
        status = 403
    elif isinstance(exc, LookupError):
        status = 404
    elif isinstance(exc, (TimeoutError, GameOver)) or str(exc).startswith("the game is over"):
        status = 409
    else:
        status = 400
    return _json({"error": str(exc)}, status)


def _page(name: str) -> str:
    return resources.files("decouple.play").joinpath("pages", name).read_text(encoding="utf-8")


def page_html(name: str, lang: str) -> str:
    """A page as served: ``<html lang>`` the room's language, which the page's script changes to
    the device's own choice; the room's language and each catalogue's version in data attributes
    (``play.js`` fetches ``/i18n/<lang>.json?v=<version>``, kept by the browser while it holds)."""
    versions = {tag: catalogue_bytes(tag)[1] for tag in i18n.LANGUAGES}
    attributes = f'lang="{lang}" data-lang="{lang}" data-catalogues="{escape(json.dumps(versions))}"'
    return _page(name).replace('<html lang="en">', f"<html {attributes}>", 1)


@lru_cache(maxsize=len(i18n.LANGUAGES))
def catalogue_bytes(lang: str) -> tuple[bytes, str]:
    """A language's catalogue as the pages' script reads it (JSON of English → translation), and
    its version (a hash of those bytes); read once per process."""
    body = json.dumps(i18n.catalogue(lang), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    return body, hashlib.sha256(body).hexdigest()[:16]


def scenario_labels() -> dict[str, str]:
    """The scenarios' short names (the figures'), and the class's, in the current language."""
    return {name: _(label) for name, label in SCENARIO_LABELS.items()} | {"class": _("The class")}


def _whole_number(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise ValueError(f"a number of {len(text)} digits; allowed: up to {MAX_DIGITS}")
    return int(text)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} is not a finite number")
    return value


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a number JSON allows")


def _depth(data: Any) -> int:
    deepest, todo = 0, [(data, 1)]
    while todo:
        node, depth = todo.pop()
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            todo.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            todo.extend((v, depth + 1) for v in node)
    return deepest


def parse_body(raw: bytes, what: str) -> dict:
    """A request's JSON object (``{}`` for an empty body), or :class:`Refused` (400) saying what is
    wrong: not UTF-8, not JSON, nested deeper than ``MAX_DEPTH``, a number that is not finite or has
    more than ``MAX_DIGITS`` digits, or not an object."""
    if not raw.strip():
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, _("{what}: the body is not UTF-8 text").format(what=what)) from None
    try:
        data = json.loads(text, parse_int=_whole_number, parse_float=_finite, parse_constant=_no_constant)
    except RecursionError:
        raise Refused(400, _(TOO_DEEP).format(what=what, most=MAX_DEPTH)) from None
    except ValueError as exc:
        raise Refused(
            400, _("{what}: the body is not JSON this server takes ({reason})").format(what=what, reason=exc)
        ) from None
    if not isinstance(data, dict):
        raise Refused(
            400, _("{what}: the body must be a JSON object, not {kind}").format(what=what, kind=type(data).__name__)
        )
    if _depth(data) > MAX_DEPTH:
        raise Refused(400, _(TOO_DEEP).format(what=what, most=MAX_DEPTH))
    return data


TOO_DEEP = N_("{what}: the JSON nests too deep; allowed: up to {most} levels")


def text_field(data: dict, name: str, what: str, default: str = "") -> str:
    value = data.get(name, default)
    if value is None:
        value = default
    if not isinstance(value, str):
        raise Refused(400, _("{what}: {name} must be text, not {kind}").format(what=what, name=name, kind=_kind(value)))
    if len(value) > MAX_TEXT[name]:
        raise Refused(
            400,
            _("{what}: {name} has {n} characters; allowed: up to {most}").format(
                what=what, name=name, n=len(value), most=MAX_TEXT[name]
            ),
        )
    return value


def values_field(data: dict, what: str) -> dict:
    """A choice's lever values: each a number, true/false or a list of sector ids (the game checks
    each against its lever)."""
    values = data.get("values", {})
    if not isinstance(values, dict):
        raise Refused(
            400,
            _("{what}: values must be an object of lever paths and values, not {kind}").format(
                what=what, kind=_kind(values)
            ),
        )
    for path, value in values.items():
        if isinstance(value, list):
            ok = all(isinstance(s, str) and len(s) <= 64 for s in value)
        else:
            ok = isinstance(value, (bool, int, float))
        if not ok or len(path) > 128:
            raise Refused(
                400,
                _("{what}: values.{path} = {kind}; allowed: a number, true/false or a list of sector ids").format(
                    what=what, path=path[:64], kind=_kind(value)
                ),
            )
    return values


#: what a JSON value is, in an error
KINDS = {dict: N_("an object"), list: N_("a list"), str: N_("text"), bool: N_("true/false"), type(None): "null"}
A_NUMBER = N_("a number")


def _kind(value: Any) -> str:
    return _(KINDS.get(type(value), A_NUMBER))


def _hosts(room: Room, bound: str, extra: tuple[str, ...]) -> set[str]:
    """The Host names this server answers to: loopback, this machine's name and LAN address, the
    address students reach and the one it listens on (never another site's name: DNS rebinding)."""
    names = {"localhost", "127.0.0.1", "::1", *extra}
    try:
        names.add(lan_address())
        hostname = socket.gethostname()
        names.update({hostname, f"{hostname}.local"})
    except OSError:
        pass
    for address in (room.public_base, f"http://{bound}" if bound else ""):
        host = urlsplit(address).hostname if address else None
        if host:
            names.add(host)
    names.discard("0.0.0.0")
    names.discard("::")
    return {n.lower() for n in names}


def _host_of(value: str) -> str | None:
    """The name in a Host header (``name``, ``name:port``, ``[v6]:port``); None if malformed."""
    try:
        parts = urlsplit(f"//{value}")
        parts.port  # noqa: B018 (raises on a malformed port)
        return (parts.hostname or "").lower() or None
    except ValueError:
        return None


#: the header a page's requests carry its language in (or ``?lang=`` in the address)
LANG_HEADER = "x-lang"
FAILED = N_("the server failed on this request")


def request_language(header: str | None, query: bytes, default: str) -> tuple[str, str | None]:
    """A request's language, from its ``X-Lang`` header or its ``lang`` query parameter (the
    page's choice), else the room's ``default``; and, for a value that is no language, the error
    to answer with (in the room's language), naming the value and the languages allowed."""
    given = header
    if given is None and b"lang=" in query:
        from urllib.parse import parse_qs

        values = parse_qs(query.decode("latin-1")).get("lang")
        given = values[0] if values else None
    if given is None or not given.strip():
        return default, None
    try:
        return i18n.normalise(given), None
    except i18n.UnknownLanguage:
        with language(default):
            allowed = ", ".join(i18n.LANGUAGES)
            return default, _("lang = {value}; allowed: {allowed}").format(value=repr(given[:40]), allowed=allowed)


class Guard:
    """The ASGI layer in front of the application: a Host of this machine (400 otherwise), a POST's
    Origin of this machine (403), a declared body within ``MAX_BODY`` (413), and the last resort:
    an exception that escapes the application is logged as one line and answered 500 in JSON."""

    def __init__(self, app, room: Room, bound: str, extra: tuple[str, ...]):
        self.app, self.room, self.bound, self.extra = app, room, bound, extra
        self._allowed: tuple[str, set[str]] | None = None

    def allowed(self) -> set[str]:
        if self._allowed is None or self._allowed[0] != self.room.public_base:  # public_base is set after start
            self._allowed = (self.room.public_base, _hosts(self.room, self.bound, self.extra))
        return self._allowed[1]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        # the request's language (the page's choice, or the room's): every answer, errors included, speaks it
        lang, wrong = request_language(headers.get(LANG_HEADER), scope.get("query_string", b""), self.room.lang)
        with language(lang):
            if wrong is not None and scope["path"].startswith("/api/"):  # a page's own script decides for pages
                return await _send_json(send, 400, {"error": wrong})
            return await self._guarded(scope, receive, send, headers)

    async def _guarded(self, scope, receive, send, headers: dict[str, str]):
        host = _host_of(headers.get("host", ""))
        if host is None or host not in self.allowed():
            return await _send_json(send, 400, {"error": _("this server answers only to its own address (Host)")})
        origin = headers.get("origin")
        if (
            origin
            and scope["method"] not in ("GET", "HEAD")
            and _host_of(urlsplit(origin).netloc) not in self.allowed()
        ):
            return await _send_json(send, 403, {"error": _("a request from another site")})
        length = headers.get("content-length", "0").strip()
        if not length.isdigit() or len(length) > 12:
            return await _send_json(send, 400, {"error": _("Content-Length must be a whole number of bytes")})
        if int(length) > MAX_BODY:
            return await _send_json(
                send, 413, {"error": _("the body has {n} bytes; allowed: up to {most}").format(n=length, most=MAX_BODY)}
            )
        if scope["method"] == "POST" and scope["path"] == "/api/join":
            wait = self.room.join_refused(scope["client"][0] if scope.get("client") else "")
            if wait > 0:  # held back before its body is read: the cheapest answer a guesser can get
                retry_after = [(b"retry-after", str(math.ceil(wait)).encode())]  # kept alive: no close
                return await _send_json(send, 429, {"error": str(too_many_wrong_codes(wait))}, retry_after)
        started = False

        async def tracked(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:  # noqa: BLE001 (the last resort: one line in the log, no traceback)
            log.error("decouple play: %s %s failed: %s: %s", scope["method"], scope["path"], type(exc).__name__, exc)
            if not started:
                await _send_json(send, 500, {"error": _(FAILED)})


async def _send_json(send, status: int, data: dict, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """A JSON answer from the guard, sent directly (a Starlette response costs more); the
    connection is closed unless ``headers`` are given instead."""
    body = json.dumps(data).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                *(headers or [(b"connection", b"close")]),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_app(room: Room, pool: Executor | None = None, bound: str = "", hosts: tuple[str, ...] = ()):
    """The application of ``room`` (Starlette behind :class:`Guard`); what-ifs run in ``pool`` (in
    the server's process when None). ``bound``: the address the server listens on; ``hosts``: more
    Host names to answer to."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import ClientDisconnect, Request
    from starlette.responses import HTMLResponse, RedirectResponse, Response
    from starlette.routing import Route

    game = room.game
    workers = getattr(pool, "_max_workers", 1) if pool is not None else 1
    with room.lock:
        charted = game.charted_names()

    async def compute(job: tuple) -> dict:
        if pool is None:
            return await run_in_threadpool(run_whatif, job, charted)
        return await asyncio.get_running_loop().run_in_executor(pool, run_whatif, job, charted)

    whatifs = room.whatif_queue = WhatIfQueue(compute, workers, cache=WHATIF_CACHE, waiting=WHATIF_WAITING)

    background: set[asyncio.Future] = set()  # tasks the server keeps until they are done

    async def prepare_round() -> None:
        """With workers: each builds the open round's start at once, and the what-if every page
        asks first (every team's choices held: one for all) is computed before they ask."""
        if pool is None:
            return

        def held() -> tuple[tuple, str] | None:
            with room.lock:
                if game.over:
                    return None
                job = game.projection_job(game.teams[0].id, {})
            return job, json.dumps(job, sort_keys=True, default=str)

        prepared = await run_in_threadpool(held)
        if prepared is None:
            return
        job, key = prepared
        for _worker in range(workers):
            pool.submit(warm_round, job)
        whatifs.prefetch(key, job)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await prepare_round()
        yield

    async def body(request: Request, what: str) -> dict:
        """The request's JSON object, read as a stream and stopped at ``MAX_BODY`` bytes."""
        chunks, size = [], 0

        async def read() -> None:
            nonlocal size
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_BODY:
                    raise Refused(413, _("{what}: the body is over {most} bytes").format(what=what, most=MAX_BODY))
                chunks.append(chunk)

        try:
            await asyncio.wait_for(read(), BODY_TIMEOUT)
        except TimeoutError:
            raise Refused(
                408, _("{what}: the body did not arrive within {s} s").format(what=what, s=f"{BODY_TIMEOUT:g}")
            ) from None
        except ClientDisconnect:
            raise Refused(400, _("{what}: the client went away").format(what=what)) from None
        return parse_body(b"".join(chunks), what)

    def guarded(handler):
        """Every endpoint's errors as JSON: refusals, the game's clear errors, wrong seats and codes."""

        async def endpoint(request: Request):
            try:
                return await handler(request)
            except (Refused, DecoupleError, PermissionError, LookupError, TimeoutError) as exc:
                return _error(exc)

        return endpoint

    def facilitator(handler):
        """Facilitator actions: the key from the cookie or the ``X-Key`` header, never from the URL."""

        async def endpoint(request: Request):
            if "key" in request.query_params:
                raise Refused(403, _("the facilitator key is never taken from a URL: the page sends it in a cookie"))
            if not room.is_facilitator(request.headers.get("x-key") or request.cookies.get(COOKIE)):
                raise PermissionError(_("facilitator key required: open the facilitator link printed at start"))
            return await handler(request)

        return guarded(endpoint)

    def html(name: str):
        async def endpoint(request: Request):
            return HTMLResponse(page_html(name, room.lang), headers=PAGE_HEADERS)

        return endpoint

    async def facilitator_page(request: Request):
        """The printed link's key becomes a cookie, and the address bar loses it."""
        key = request.query_params.get("key")
        if key is not None:
            if not room.is_facilitator(key):
                lang = current()
                message = escape(_("Wrong facilitator key: open the link printed at start."))
                return HTMLResponse(f'<html lang="{lang}"><p>{message}</p></html>', 403, PAGE_HEADERS)
            response = RedirectResponse("/facilitator", status_code=303, headers=PAGE_HEADERS)
            response.set_cookie(COOKIE, key, httponly=True, samesite="strict", path="/")
            return response
        return HTMLResponse(page_html("facilitator.html", room.lang), headers=PAGE_HEADERS)

    async def asset(request: Request):
        name = request.path_params["name"]
        if name not in ASSETS:
            return _json({"error": "not found"}, 404)
        media = "text/javascript" if name.endswith(".js") else "text/css"
        text = _page(name)
        if name == "play.css":  # the font's address carries its version: a rebuilt font is fetched anew
            text = text.replace(FONT_URL, f"{FONT_URL}?v={fonts.woff2_version()}")
        return Response(text, media_type=media, headers={"Cache-Control": "no-store"})

    async def catalogue_json(request: Request):
        """A language's catalogue for the pages' script (``play.js``: ``t()`` and the pages' own
        text), kept by browsers for a year when asked for by its current version (the pages ask so)."""
        name = request.path_params["lang"]
        try:
            tag = i18n.normalise(name)
        except i18n.UnknownLanguage:
            raise LookupError(
                _("no catalogue {name}; allowed: {allowed}").format(
                    name=repr(name[:40]), allowed=", ".join(i18n.LANGUAGES)
                )
            ) from None
        body, version = catalogue_bytes(tag)
        cached = request.query_params.get("v") == version
        headers = {"Cache-Control": FONT_CACHE if cached else "no-cache"}
        return Response(body, media_type="application/json", headers=headers)

    async def font(request: Request):
        """The Chinese font (``decouple.fonts``), kept by browsers for a year when asked for by its
        current version (``play.css`` asks so); any other version is answered but not kept."""
        current = request.query_params.get("v") == fonts.woff2_version()
        headers = {"Cache-Control": FONT_CACHE if current else "no-cache"}
        return Response(fonts.woff2_bytes(), media_type="font/woff2", headers=headers)

    async def join(request: Request):
        data = await body(request, "join")
        room_code, team_code = text_field(data, "room", "join"), text_field(data, "code", "join")
        device = text_field(data, "device", "join")
        client = request.client.host if request.client else ""
        token, team = room.join(room_code, team_code, device, client)
        return _json({"seat": token, "team": team})

    async def state(request: Request):
        seat_token = request.headers.get("x-seat")
        since_text = request.query_params.get("since", "")
        since = int(since_text) if since_text.lstrip("-").isdigit() and len(since_text) < 12 else None
        if seat_token:
            seat = room.seat(seat_token)
            return _json(await run_in_threadpool(room.state, seat.team, since, seat))
        if room.is_facilitator(request.headers.get("x-key") or request.cookies.get(COOKIE)):
            return _json(await run_in_threadpool(room.facilitator_state))
        if not same_text(request.query_params.get("room", "")[:32].strip().upper(), room.code):
            raise PermissionError(_("wrong room code"))
        viewer = request.query_params.get("viewer", "")[:64]
        if viewer:
            with room.seats_lock:
                room.viewers[viewer] = time.monotonic()
        return _json(await run_in_threadpool(room.state, None, since))

    async def choice(request: Request):
        seat = room.seat(request.headers.get("x-seat"))
        data = await body(request, "choice")
        values, statement = values_field(data, "choice"), text_field(data, "statement", "choice")

        def run() -> dict:
            with room.lock:
                room.open_for_choices()
                return game.submit(seat.team, values, statement)

        return _json({"choice": await run_in_threadpool(run)})

    async def whatif(request: Request):
        """A team's draft projected to the end of the run. The job names the round's events and
        every team's choices, not the team: the same draft from any device of any team is one
        what-if (:class:`~decouple.play.whatifs.WhatIfQueue`); its numbers are worded here, for the
        team that asked."""
        started = time.perf_counter()
        token = request.headers.get("x-seat")
        seat = room.seat(token)
        values = values_field(await body(request, "what-if"), "what-if")

        def prepare() -> tuple[tuple, str]:
            with room.lock:
                job = game.projection_job(seat.team, values)
            return job, json.dumps(job, sort_keys=True, default=str)

        job, key = await run_in_threadpool(prepare)
        try:
            result = await whatifs.ask(token, key, job)
        except Superseded as exc:
            raise Refused(409, _("what-if: {reason}").format(reason=_(str(exc)))) from None
        except Busy:
            raise Refused(
                503, _("what-if: the server has too many what-ifs waiting; try again"), retry_after=1
            ) from None
        # read-only parts of the game (its years, the teams' objectives, the references): no lock;
        # the numbers are the same in every language, the labels are the page's (a few look-ups)
        view = game.localised(seat.team, game.whatif_view(seat.team, result))
        seconds = time.perf_counter() - started
        with room.seats_lock:
            room.timings.append(seconds)
            del room.timings[:-1000]
        return _json({"view": view, "seconds": round(seconds, 4)})

    async def leave(request: Request):
        try:
            data = await body(request, "leave")
            room.leave(text_field(data, "seat", "leave"))
        except Refused as exc:
            if exc.status != 400:
                raise
        return _json({"ok": True})

    async def advance(request: Request):
        """Runs the round the page names: a retried or repeated request finds the round already run
        (409) instead of running the next one."""
        data = await body(request, "advance")
        named = data.get("round")
        if isinstance(named, bool) or not isinstance(named, int):
            raise Refused(
                400,
                _("advance: round = {value}; allowed: the number of the open round, as the page shows it").format(
                    value=repr(named)
                ),
            )

        def run() -> dict:
            with room.lock:
                if game.over:
                    raise Refused(409, _("the game is over: nothing to advance"))
                try:
                    result = game.advance(expected_round=named)
                except RoundAlreadyAdvanced as exc:
                    raise Refused(409, str(exc)) from None
                room.deadline = None
                return result

        result = await run_in_threadpool(run)
        whatifs.new_round()
        preparing = asyncio.ensure_future(prepare_round())  # the facilitator's answer does not wait for it
        background.add(preparing)
        preparing.add_done_callback(background.discard)
        return _json(result)

    async def timer(request: Request):
        minutes = (await body(request, "timer")).get("minutes")
        if minutes in (None, 0):
            deadline = None
        elif isinstance(minutes, (int, float)) and not isinstance(minutes, bool) and 0 < minutes <= 120:
            deadline = time.time() + 60.0 * float(minutes)
        else:
            raise ConfigError(
                _("timer: minutes = {value}; allowed: a number from 0 (no timer) to 120").format(value=repr(minutes))
            )

        def run() -> None:
            with room.lock:
                room.deadline = deadline
                game.version += 1

        await run_in_threadpool(run)
        return _json({"deadline": deadline})

    async def seats(request: Request):
        policy = text_field(await body(request, "seats"), "policy", "seats")
        if policy not in ("share", "refuse"):
            raise ConfigError(_("seats: policy = {value}; allowed: share, refuse").format(value=repr(policy)))
        with room.seats_lock:
            room.share_seats = policy == "share"
        return _json({"share_seats": room.share_seats})

    async def new_code(request: Request):
        team = text_field(await body(request, "new code"), "team", "new code")
        return _json({"team": team, "code": room.new_code(team)})

    def _debrief() -> dict:
        copied = room.frozen()
        with room.export_lock:
            return copied.debrief()

    async def debrief(request: Request):
        return _json(await run_in_threadpool(_debrief))

    async def export(request: Request):
        from . import debrief as debrief_module

        def run() -> str:
            copied = room.frozen()  # the game's lock, only while copying
            with room.export_lock:
                folder = str(debrief_module.export(copied, room.out, room.code))
            with room.seats_lock:
                room.exported = folder
            return folder

        return _json({"folder": await run_in_threadpool(run)})

    async def debrief_png(request: Request):
        from .debrief import figure_png

        def run() -> bytes:
            copied = room.frozen()
            with room.export_lock:
                return figure_png(copied)

        return Response(await run_in_threadpool(run), media_type="image/png", headers={"Cache-Control": "no-store"})

    def _base(request: Request) -> str:
        return room.public_base or str(request.base_url).rstrip("/")

    async def passages_of(request: Request):
        """The passages of the source documents a text cites (``?cite=S1 一(一); S2 三(二)``, or a
        mechanism, ``M13``), each in Chinese and in English with its document and section, and the
        "Source 原文" disclosure that shows them, its words in the request's language. Public: the
        passages are published text, and no game state is in the answer."""
        cite = request.query_params.get("cite", "")
        if not cite.strip() or len(cite) > MAX_CITE:
            raise Refused(
                400,
                _("cite = {value}; allowed: citations of the source documents such as {example}, "
                  "at most {most} characters").format(value=repr(cite[:40]), example="'S1 一(一)'", most=MAX_CITE),
            )  # fmt: skip
        known = passages.passages()
        missing = [key for key in passages.citations(cite) if key not in known]
        if missing:
            raise LookupError(
                _("cite = {value}: no passage for {missing} in seeds/passages.toml").format(
                    value=repr(cite[:80]), missing=", ".join(missing)
                )
            )
        found = passages.passages_for(cite, strict=False)
        if not found:
            raise LookupError(
                _("cite = {value}: names no section of the source documents (such as {example})").format(
                    value=repr(cite[:80]), example="'S1 一(一)', 'M13'"
                )
            )
        return _json({"cite": cite, "passages": [p.public() for p in found], "html": passages.html(found, cite)})

    async def mechanisms(request: Request):
        """What the debrief explains: each indicator, the mechanism that moves it and the passages it
        rests on (``[[debrief]]`` of seeds/roleplay.toml), as data and as the team page's list, in the
        request's language."""

        def run() -> dict:
            world = game.world
            rows = [  # the measures' labels and units in the request's language
                row | {"label": words.measure_text(m, world), "unit": words.measure_unit(m, world)}
                for row in debrief_passages(world)
                for m in [row["measure"]]
            ]
            out = [
                {k: row[k] for k in ("key", "label", "unit", "passage")}
                | {"mechanism": _(row["mechanism"]) if row["mechanism"] else "",
                   "passages": [p.public() for p in passages.passages_for(row["passage"], strict=False)]}
                for row in rows
            ]  # fmt: skip
            return {"mechanisms": out, "html": mechanisms_html(rows)}

        return _json(await run_in_threadpool(run))

    async def codes(request: Request):
        return _json(room.codes(_base(request)))

    async def qr(request: Request):
        team = request.path_params["team"]
        if team not in room.team_codes:
            raise LookupError(_("no team {team}").format(team=repr(team[:32])))
        return Response(
            qr_svg(join_url(_base(request), room, team)),
            media_type="image/svg+xml",
            headers={"Cache-Control": "no-store"},
        )

    async def not_found(request: Request, exc: Exception):
        status = getattr(exc, "status_code", 404)
        where = {"method": request.method, "path": request.url.path[:80]}
        return _json({"error": _("{method} {path}: not here").format(**where)}, status)

    async def failed(request: Request, exc: Exception):
        return _json({"error": _(FAILED)}, 500)

    routes = [
        Route("/", html("join.html")),
        Route("/join", html("join.html")),
        Route("/team", html("team.html")),
        Route("/watch", html("watch.html")),
        Route("/facilitator", facilitator_page),
        Route("/facilitator/slips", html("slips.html")),
        Route("/static/{name}", asset),
        Route(FONT_URL, font),
        Route("/i18n/{lang}.json", guarded(catalogue_json)),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Route("/api/join", guarded(join), methods=["POST"]),
        Route("/api/state", guarded(state)),
        Route("/api/passages", guarded(passages_of)),
        Route("/api/mechanisms", guarded(mechanisms)),
        Route("/api/choice", guarded(choice), methods=["POST"]),
        Route("/api/whatif", guarded(whatif), methods=["POST"]),
        Route("/api/leave", guarded(leave), methods=["POST"]),
        Route("/api/advance", facilitator(advance), methods=["POST"]),
        Route("/api/timer", facilitator(timer), methods=["POST"]),
        Route("/api/seats", facilitator(seats), methods=["POST"]),
        Route("/api/newcode", facilitator(new_code), methods=["POST"]),
        Route("/api/codes", facilitator(codes)),
        Route("/api/debrief", facilitator(debrief)),
        Route("/api/debrief.png", facilitator(debrief_png)),
        Route("/api/export", facilitator(export), methods=["POST"]),
        Route("/api/qr/{team}.svg", facilitator(qr)),
    ]
    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found, 500: failed}, lifespan=lifespan)
    return Guard(app, room, bound, tuple(hosts))


#: the pages' scripts and style sheets (``pages/``): the role-play's, and the source passages'
ASSETS = ("play.js", "play.css", "sources.js", "sources.css")
#: the longest text ``/api/passages?cite=`` reads
MAX_CITE = 400

#: the Chinese font's address (``play.css`` names it in its ``@font-face``) and how long browsers keep it
FONT_URL = f"/fonts/{fonts.WOFF2_NAME}"
FONT_CACHE = "public, max-age=31536000, immutable"

#: every page: no caching, no address sent on to other sites, no framing by other sites
PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}


class GuardedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, closing a connection whose request headers are not complete
    ``HEADER_TIMEOUT`` seconds after they started (or after it opened): uvicorn itself times out
    only idle keep-alive connections, so a client that sends its headers a byte at a time, or
    nothing at all, would hold a connection for ever."""

    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self._arm()  # a request has begun (or is awaited) and its headers are not complete
        else:
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # uvicorn's keep-alive timeout now runs until the next byte
        self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(HEADER_TIMEOUT, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()


#: uvicorn's settings for the role-play (``uvicorn.run(app, host=..., port=..., **UVICORN_LIMITS)``):
#: headers complete within ``HEADER_TIMEOUT`` and at most 16 KiB, idle keep-alive connections closed
#: after 5 s, at most 512 connections and requests at once (503 beyond), and no client address
#: taken from X-Forwarded-For (the per-client join limit uses the connection's own).
UVICORN_LIMITS: dict[str, Any] = {
    "http": GuardedH11Protocol,
    "timeout_keep_alive": 5,
    "h11_max_incomplete_event_size": 16 * 1024,
    "limit_concurrency": 512,
    "proxy_headers": False,
    "server_header": False,
}


def join_url(base: str, room: Room, team: str) -> str:
    return f"{base}/join?room={room.code}&team={room.team_codes[team]}"


def qr_svg(text: str) -> bytes:
    import segno

    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", scale=6, border=2)
    return buffer.getvalue()


def make_pool(workers: int = 2) -> Executor | None:
    """Worker processes for what-ifs, started now (forked with the world read and the modules
    imported, before the server starts any thread); None with 0 workers.

    The workers leave stopping to the server: they ignore Ctrl-C (which the terminal sends to
    every process of the group), and they die with the server whatever kills it. SIGINT and
    SIGTERM are held back while they are forked, so that none arrives before a worker has set
    this up (a signal held back reaches the server once the pool is started)."""
    if workers <= 0:
        return None
    import os
    import signal

    from ..runner import local_context

    held = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=local_context(), initializer=_worker_start, initargs=(os.getpid(),)
        )
        warm = [pool.submit(_warm) for _ in range(workers)]  # the first submit forks every worker
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    for future in warm:
        future.result()
    return pool


def _worker_start(server_pid: int) -> None:
    """A what-if worker's set-up: Ctrl-C ignored, SIGTERM and SIGHUP end it quietly, and (on
    Linux) the kernel sends it SIGTERM when the server dies, even by SIGKILL, so no worker
    outlives it."""
    import os
    import signal
    import sys

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != server_pid:  # the server died before the line above took effect
        os._exit(0)


def _warm() -> int:
    from ..world import shared_world

    return len(shared_world().sectors)


def lan_address() -> str:
    """This machine's address on the local network (for links when listening on every address)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("10.255.255.255", 1))  # no packet is sent: this only picks the route
            return sock.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def serve(
    preset: str,
    seed: int,
    teams: str | None,
    round_years: float,
    start_year: float,
    host: str,
    port: int,
    base: str,
    out: Path,
    open_browser: bool = True,
    share_seats: bool = True,
    workers: int = 2,
    lang: str = i18n.DEFAULT,
) -> int:
    """Start a game and serve it until Ctrl-C, SIGTERM or SIGHUP; print the links the facilitator
    needs. ``base`` is the address students reach (``http://192.168.1.20:8766``); ``lang`` the
    room's language (each device may choose its own), in which the links are printed too.

    Every setting is checked before the server starts, the results folder ``out`` included (the
    export comes at the end of the lesson: too late to find it cannot be written). Stopping
    closes the server, then the what-if workers, and prints no traceback."""
    import signal

    import uvicorn

    from .debrief import check_results

    server: uvicorn.Server | None = None

    def stop(signum, frame) -> None:
        """SIGTERM or SIGHUP: stop as Ctrl-C does. While uvicorn serves, it takes SIGTERM itself;
        a SIGHUP asks it to stop the same way. Once it has closed its connections it raises
        SIGTERM again, here: then, as before it serves, the stop unwinds to the pool's shutdown."""
        if server is None or server.should_exit:
            raise KeyboardInterrupt
        server.handle_exit(signal.SIGTERM, frame)

    handled = (signal.SIGTERM, signal.SIGHUP)
    main_thread = threading.current_thread() is threading.main_thread()  # only it may set handlers
    previous = {signum: signal.signal(signum, stop) for signum in handled} if main_thread else {}
    pool: Executor | None = None
    lang = i18n.normalise(lang)
    try:
        check_results(out)
        game = Game(preset=preset, seed=seed, team_spec=teams, round_years=round_years, start_year=start_year)
        room = Room(game, out, share_seats=share_seats, lang=lang)
        game.debrief()  # the reference runs, computed once before the class arrives
        pool = make_pool(workers)
        room.public_base = base
        with language(lang):
            print_links(room, base, out)
        if open_browser:
            import webbrowser

            opener = threading.Timer(1.0, lambda: webbrowser.open(f"{base}/facilitator?key={room.key}"))
            opener.daemon = True  # a stop within the second does not wait for it
            opener.start()
        # the limits against a class that pokes at the server are UVICORN_LIMITS' (header and idle
        # timeouts, header size, connections at once); at most 5 s for open requests once stopping
        config = uvicorn.Config(
            create_app(room, pool, bound=host),
            host=host,
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=5,
            **UVICORN_LIMITS,
        )
        server = uvicorn.Server(config)
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    with language(lang):
        print(_("role-play: stopped"), flush=True)
    return 0


def padded(text: str, width: int) -> str:
    """``text`` padded with spaces to ``width`` columns of a terminal (a Chinese character takes two)."""
    import unicodedata

    columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - columns, 0)


def print_links(room: Room, base: str, out: Path) -> None:
    """What the facilitator needs, in the terminal, in the current language: the room code, the
    facilitator's link (with its key), the spectators' link, and each team's code and join link."""
    game = room.game
    print(
        _("role-play: {title}, seed {seed}, {rounds} rounds of {years} years from {start}").format(
            title=words.scenario_title(game.scenario.title),
            seed=game.seed,
            rounds=len(game.round_starts),
            years=f"{game.round_years:g}",
            start=f"{game.start_year:g}",
        )
    )
    print("  " + _("room code:        {code}").format(code=room.code))
    link = f"{base}/facilitator?key={room.key}"
    print("  " + _("facilitator page: {link}   (keep this link to yourself)").format(link=link))
    print("  " + _("spectators:       {link}").format(link=f"{base}/watch?room={room.code}"))
    for team in game.teams:
        name = _("{team}:").format(team=words.team_label(team, game.world))
        code, join = room.team_codes[team.id], join_url(base, room, team.id)
        print(f"  {padded(name, 32)} " + _("team code {code}   {link}").format(code=code, link=join))
    print(
        "  "
        + _("QR codes for every team are on the facilitator page; exports go to {out}/. Ctrl-C stops.").format(out=out),
        flush=True,
    )
