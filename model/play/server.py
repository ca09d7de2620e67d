"""The role-play's web server: a facilitator page, a page per team, a page for spectators.

Plain HTTP and JSON (Starlette, served by uvicorn; both come with Mesa's SolaraViz). Pages poll
``/api/state`` every second, which is also how the server knows who is still there; charts
are drawn in the browser from the numbers, so a what-if costs one model run (about 0.05 s), done
in a pool of worker processes so that several teams can ask at once.

Security, all checked on the server:
- joining needs the room code and a team's code; a join gives the device a seat token, and
  every team request carries it: the team is the token's, never one the request names, and a
  lever that is not the team's is refused (403);
- facilitator actions need the facilitator key (printed at start, in the facilitator's link);
- a second device joining a seat is refused or shares it, as the facilitator chooses;
- a seat not heard from for ``RELEASE_AFTER`` seconds is released (a closed tab also says goodbye
  with ``navigator.sendBeacon``), and a reload keeps the seat (the token lives in the tab's storage);
- the only file the server writes is the export, under the results folder it was given.
"""

from __future__ import annotations

import asyncio
import io
import json
import secrets
import threading
import time
from collections import OrderedDict
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DecoupleError
from ..plots import SCENARIO_COLOURS, SCENARIO_LABELS
from .game import Game, run_projection

#: a seat or a spectator not heard from for this long is released (pages poll every second)
RELEASE_AFTER = 45.0
#: letters that cannot be mistaken for one another on a projector
CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
#: what-ifs kept, by their inputs (the same draft asked twice is answered from memory)
WHATIF_CACHE = 256


def code(n: int) -> str:
    return "".join(secrets.choice(CODE_LETTERS) for _ in range(n))


@dataclass
class Seat:
    team: str
    device: str
    last_seen: float = field(default_factory=time.monotonic)


class Room:
    """A game, its codes and who is connected. Every method takes the room's lock."""

    def __init__(self, game: Game, out: Path, share_seats: bool = True):
        self.game = game
        self.out = Path(out)
        self.code = code(6)
        self.key = secrets.token_urlsafe(18)  # the facilitator's
        self.team_codes = {t.id: code(4) for t in game.teams}
        self.share_seats = share_seats
        self.seats: dict[str, Seat] = {}  # seat token -> seat
        self.viewers: dict[str, float] = {}  # spectator id -> last seen
        self.deadline: float | None = None  # epoch seconds when the round's timer ends
        self.lock = threading.RLock()
        self.whatifs: OrderedDict[str, dict] = OrderedDict()
        self.timings: list[float] = []  # seconds per what-if, for the facilitator's page
        self.exported: str = ""
        self._views: dict[str, tuple[int, Any]] = {}
        #: the address students reach (the LAN address when listening on every address): the QR
        #: codes carry it even when the facilitator's own browser opened the page as localhost
        self.public_base = ""

    # ------------------------------------------------------------------ seats
    def release_idle(self) -> None:
        now = time.monotonic()
        with self.lock:
            for token in [t for t, s in self.seats.items() if now - s.last_seen > RELEASE_AFTER]:
                del self.seats[token]
            for viewer in [v for v, seen in self.viewers.items() if now - seen > RELEASE_AFTER]:
                del self.viewers[viewer]

    def join(self, room: str, team_code: str, device: str) -> tuple[str, str]:
        """(seat token, team id); PermissionError for a wrong room or a refused second device,
        LookupError for an unknown team code."""
        if not secrets.compare_digest(str(room).strip().upper(), self.code):
            raise PermissionError("wrong room code")
        team_code = str(team_code).strip().upper()
        team = next((t for t, c in self.team_codes.items() if secrets.compare_digest(c, team_code)), None)
        if team is None:
            raise LookupError("unknown team code: ask the facilitator for your team's code")
        self.release_idle()
        with self.lock:
            for token, seat in self.seats.items():
                if seat.team == team and seat.device == device:
                    seat.last_seen = time.monotonic()
                    return token, team  # the same device again: its seat
            if not self.share_seats and any(s.team == team for s in self.seats.values()):
                raise PermissionError(
                    f"{self.game.by_id[team].label} is already played from another device; the facilitator "
                    "lets one device per team join"
                )
            token = secrets.token_urlsafe(18)
            self.seats[token] = Seat(team, device)
            return token, team

    def seat(self, token: str | None) -> Seat:
        with self.lock:
            seat = self.seats.get(str(token or ""))
            if seat is None:
                raise PermissionError("no seat: join with the room code and your team's code")
            seat.last_seen = time.monotonic()
            return seat

    def leave(self, token: str) -> None:
        with self.lock:
            self.seats.pop(str(token), None)

    def is_facilitator(self, key: str | None) -> bool:
        return bool(key) and secrets.compare_digest(str(key), self.key)

    def occupancy(self) -> dict[str, int]:
        self.release_idle()
        with self.lock:
            counts = {t.id: 0 for t in self.game.teams}
            for seat in self.seats.values():
                counts[seat.team] += 1
            return counts

    # ------------------------------------------------------------------ views
    def _cached(self, key: str, make):
        """A view of the game, made once per game version (every page polls every second)."""
        version = self.game.version
        hit = self._views.get(key)
        if hit is None or hit[0] != version:
            hit = self._views[key] = (version, make())
        return hit[1]

    def state(self, team: str | None = None, since: int | None = None) -> dict:
        """What a page shows. ``since``: the version the page already has; if the game has not
        changed since, only what changes without it (timer, clock, who is there)."""
        with self.lock:
            live = {
                "version": self.game.version,
                "deadline": self.deadline,
                "now": time.time(),
                "room": self.code,
                "occupancy": self.occupancy(),
                "viewers": len(self.viewers),
            }
            if since == self.game.version:
                return {**live, "unchanged": True}
            out = {**self._cached("public", self.game.public), **live}
            out["colours"] = SCENARIO_COLOURS | {"class": "#111111"}
            out["labels"] = SCENARIO_LABELS | {"class": "The class"}
            if team is not None:
                out["team"] = self._cached(f"team:{team}", lambda: self._team(team))
            return out

    def _team(self, team: str) -> dict:
        page = self.game.team_page(team)
        page["view"] = self.game.team_view(team, self.game.obs)
        return page

    def facilitator_state(self) -> dict:
        out = self.state()
        with self.lock:
            out["team_codes"] = self.team_codes
            out["public_base"] = self.public_base
            out["share_seats"] = self.share_seats
            out["exported"] = self.exported
            times = sorted(self.timings[-200:])
            out["whatif_p95"] = times[int(0.95 * (len(times) - 1))] if times else None
        return out

    def open_for_choices(self) -> None:
        if self.game.over:
            raise ConfigError("the game is over")
        if self.deadline is not None and time.time() > self.deadline:
            raise TimeoutError("time is up for this round: wait for the facilitator to advance")


def _json(data: Any, status: int = 200):
    from starlette.responses import JSONResponse

    return JSONResponse(data, status_code=status, headers={"Cache-Control": "no-store"})


def _error(exc: Exception):
    if isinstance(exc, PermissionError):
        status = 403
    elif isinstance(exc, LookupError):
        status = 404
    elif isinstance(exc, TimeoutError) or str(exc).startswith("the game is over"):
        status = 409
    else:
        status = 400
    return _json({"error": str(exc)}, status)


def _page(name: str) -> str:
    return resources.files("decouple.play").joinpath("pages", name).read_text(encoding="utf-8")


def create_app(room: Room, pool: Executor | None = None):
    """The Starlette application of ``room``; what-ifs run in ``pool`` (in the server's process
    when None)."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, Response
    from starlette.routing import Route

    game = room.game

    async def body(request: Request) -> dict:
        try:
            data = json.loads(await request.body() or b"{}")
        except ValueError:
            raise ConfigError("the request is not JSON") from None
        if not isinstance(data, dict):
            raise ConfigError("the request must be a JSON object")
        return data

    def html(name: str):
        async def endpoint(request: Request):
            return HTMLResponse(_page(name), headers={"Cache-Control": "no-store"})

        return endpoint

    async def asset(request: Request):
        name = request.path_params["name"]
        if name not in ("play.js", "play.css"):
            return Response("not found", status_code=404)
        media = "text/javascript" if name.endswith(".js") else "text/css"
        return Response(_page(name), media_type=media)

    async def join(request: Request):
        try:
            data = await body(request)
            token, team = room.join(data.get("room", ""), data.get("code", ""), str(data.get("device", ""))[:64])
            return _json({"seat": token, "team": team})
        except (PermissionError, LookupError, ConfigError) as exc:
            return _error(exc)

    async def state(request: Request):
        seat_token = request.headers.get("x-seat")
        try:
            try:
                since: int | None = int(request.query_params.get("since", ""))
            except ValueError:
                since = None
            if seat_token:
                seat = room.seat(seat_token)
                return _json(await run_in_threadpool(room.state, seat.team, since))
            if room.is_facilitator(request.headers.get("x-key")):
                return _json(await run_in_threadpool(room.facilitator_state))
            if not secrets.compare_digest(str(request.query_params.get("room", "")).upper(), room.code):
                raise PermissionError("wrong room code")
            viewer = str(request.query_params.get("viewer", ""))[:64]
            if viewer:
                with room.lock:
                    room.viewers[viewer] = time.monotonic()
            return _json(await run_in_threadpool(room.state, None, since))
        except PermissionError as exc:
            return _error(exc)

    async def choice(request: Request):
        try:
            seat = room.seat(request.headers.get("x-seat"))
            data = await body(request)
            room.open_for_choices()
            with room.lock:
                chosen = game.submit(seat.team, data.get("values", {}), str(data.get("statement", "")))
            return _json({"choice": chosen})
        except (PermissionError, ConfigError, TimeoutError) as exc:
            return _error(exc)

    async def whatif(request: Request):
        started = time.perf_counter()
        try:
            seat = room.seat(request.headers.get("x-seat"))
            data = await body(request)
            with room.lock:
                job = game.projection_job(seat.team, data.get("values", {}))
            key = json.dumps([seat.team, job], sort_keys=True, default=str)
            with room.lock:
                view = room.whatifs.get(key)
            if view is None:
                if pool is None:
                    columns = await run_in_threadpool(run_projection, job)
                else:
                    columns = await asyncio.get_running_loop().run_in_executor(pool, run_projection, job)
                with room.lock:
                    view = game.team_view(seat.team, columns)
                    room.whatifs[key] = view
                    while len(room.whatifs) > WHATIF_CACHE:
                        room.whatifs.popitem(last=False)
            seconds = time.perf_counter() - started
            with room.lock:
                room.timings.append(seconds)
            return _json({"view": view, "seconds": round(seconds, 4)})
        except (PermissionError, ConfigError) as exc:
            return _error(exc)

    async def leave(request: Request):
        try:
            data = await body(request)
        except ConfigError:
            data = {}
        room.leave(str(data.get("seat", "")))
        return _json({"ok": True})

    def facilitator(handler):
        async def endpoint(request: Request):
            if not room.is_facilitator(request.headers.get("x-key") or request.query_params.get("key")):
                return _json({"error": "facilitator key required"}, 403)
            try:
                return await handler(request)
            except (ConfigError, DecoupleError, TimeoutError, ValueError) as exc:
                return _error(exc)

        return endpoint

    async def advance(request: Request):
        def run() -> dict:
            with room.lock:
                result = game.advance()
                room.deadline = None
                room.whatifs.clear()
                return result

        return _json(await run_in_threadpool(run))

    async def timer(request: Request):
        data = await body(request)
        minutes = data.get("minutes")
        if minutes in (None, 0):
            room.deadline = None
        elif isinstance(minutes, (int, float)) and not isinstance(minutes, bool) and 0 < minutes <= 120:
            room.deadline = time.time() + 60.0 * float(minutes)
        else:
            raise ConfigError(f"timer: minutes = {minutes!r}; allowed: a number from 0 (no timer) to 120")
        with room.lock:
            game.version += 1
        return _json({"deadline": room.deadline})

    async def seats(request: Request):
        data = await body(request)
        policy = data.get("policy")
        if policy not in ("share", "refuse"):
            raise ConfigError(f"seats: policy = {policy!r}; allowed: share, refuse")
        room.share_seats = policy == "share"
        return _json({"share_seats": room.share_seats})

    async def debrief(request: Request):
        return _json(await run_in_threadpool(lambda: _locked(room, game.debrief)))

    async def export(request: Request):
        from .debrief import export as write_export

        def run() -> str:
            with room.lock:
                folder = write_export(game, room.out, room.code)
                room.exported = str(folder)
                return room.exported

        return _json({"folder": await run_in_threadpool(run)})

    async def debrief_png(request: Request):
        from .debrief import figure_png

        data = await run_in_threadpool(lambda: _locked(room, lambda: figure_png(game)))
        return Response(data, media_type="image/png", headers={"Cache-Control": "no-store"})

    async def qr(request: Request):
        team = request.path_params["team"]
        if team not in room.team_codes:
            return Response("not found", status_code=404)
        base = room.public_base or str(request.base_url).rstrip("/")
        return Response(qr_svg(join_url(base, room, team)), media_type="image/svg+xml")

    routes = [
        Route("/", html("join.html")),
        Route("/join", html("join.html")),
        Route("/team", html("team.html")),
        Route("/watch", html("watch.html")),
        Route("/facilitator", html("facilitator.html")),
        Route("/static/{name}", asset),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Route("/api/join", join, methods=["POST"]),
        Route("/api/state", state),
        Route("/api/choice", choice, methods=["POST"]),
        Route("/api/whatif", whatif, methods=["POST"]),
        Route("/api/leave", leave, methods=["POST"]),
        Route("/api/advance", facilitator(advance), methods=["POST"]),
        Route("/api/timer", facilitator(timer), methods=["POST"]),
        Route("/api/seats", facilitator(seats), methods=["POST"]),
        Route("/api/debrief", facilitator(debrief)),
        Route("/api/debrief.png", facilitator(debrief_png)),
        Route("/api/export", facilitator(export), methods=["POST"]),
        Route("/api/qr/{team}.svg", facilitator(qr)),
    ]
    return Starlette(routes=routes)


def _locked(room: Room, call):
    with room.lock:
        return call()


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
) -> int:
    """Start a game and serve it until Ctrl-C, SIGTERM or SIGHUP; print the links the facilitator
    needs. ``base`` is the address students reach (``http://192.168.1.20:8766``).

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
    try:
        check_results(out)
        game = Game(preset=preset, seed=seed, team_spec=teams, round_years=round_years, start_year=start_year)
        room = Room(game, out, share_seats=share_seats)
        game.debrief()  # the reference runs, computed once before the class arrives
        pool = make_pool(workers)
        room.public_base = base
        print(f"role-play: {game.scenario.title}, seed {seed}, {len(game.round_starts)} rounds of "
              f"{game.round_years:g} years from {game.start_year:g}")  # fmt: skip
        print(f"  room code:        {room.code}")
        print(f"  facilitator page: {base}/facilitator?key={room.key}   (keep this link to yourself)")
        print(f"  spectators:       {base}/watch?room={room.code}")
        for team in game.teams:
            print(f"  {team.label + ':':32s} team code {room.team_codes[team.id]}   {join_url(base, room, team.id)}")
        print(
            "  QR codes for every team are on the facilitator page; exports go to " + str(out) + "/. Ctrl-C stops.",
            flush=True,
        )
        if open_browser:
            import webbrowser

            opener = threading.Timer(1.0, lambda: webbrowser.open(f"{base}/facilitator?key={room.key}"))
            opener.daemon = True  # a stop within the second does not wait for it
            opener.start()
        # limits against a class that pokes at the server: idle connections closed after 5 s,
        # request headers at most 16 KiB, at most 200 connections and requests at once (503 beyond),
        # and at most 5 s for open requests to finish once stopping
        config = uvicorn.Config(
            create_app(room, pool),
            host=host,
            port=port,
            log_level="warning",
            timeout_keep_alive=5,
            h11_max_incomplete_event_size=16 * 1024,
            limit_concurrency=200,
            timeout_graceful_shutdown=5,
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
    print("role-play: stopped", flush=True)
    return 0
