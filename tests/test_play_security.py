"""The role-play server against a curious class: team codes out of sight and not guessable in a
lesson, the facilitator key out of URLs, every request bounded (Host, body, JSON, time), rounds
advanced once, and polling that never waits for an export. One test runs a real uvicorn server
(in a thread) to check that connections which never finish their headers are closed."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time

import pytest

from decouple.play import server as play_server
from decouple.play.game import Game

BASE = "http://127.0.0.1:8766"


def _client(room, **kwargs):
    from starlette.testclient import TestClient

    return TestClient(play_server.create_app(room, None, **kwargs), base_url=BASE)


@pytest.fixture()
def client(tmp_path):
    room = play_server.Room(Game(team_spec="US,CN,EU"), tmp_path / "results")
    return room, _client(room)


def _join(c, room, team: str, device: str = "d"):
    return c.post("/api/join", json={"room": room.code, "code": room.team_codes[team], "device": device})


# ------------------------------------------------------------------ team codes


def test_the_projected_facilitator_page_shows_no_team_code(client):
    room, c = client
    page = c.get("/facilitator")
    state = c.get("/api/state", headers={"X-Key": room.key})
    assert page.status_code == 200 and state.status_code == 200
    for code in room.team_codes.values():
        assert code not in page.text and code not in state.text
    assert room.code in state.text  # the room code is there to be projected
    # the hand-out view and the slips get the codes from an endpoint of their own, for the facilitator only
    assert c.get("/api/codes").status_code == 403
    codes = c.get("/api/codes", headers={"X-Key": room.key}).json()
    assert {t["id"]: t["code"] for t in codes["teams"]} == room.team_codes
    assert all(f"team={t['code']}" in t["link"] for t in codes["teams"])
    assert c.get("/facilitator/slips").status_code == 200


def test_team_codes_are_long_enough_and_guessing_one_takes_years():
    room = play_server.Room(Game(team_spec="US,CN"), "unused")
    assert all(len(c) == play_server.TEAM_CODE_LENGTH >= 6 for c in room.team_codes.values())
    assert set("".join(room.team_codes.values())) <= set(play_server.CODE_LETTERS)
    # at the room's limit (whatever the number of addresses), one of six codes falls after years
    assert play_server.guessing_days(6) > 365
    assert play_server.guessing_days(6, play_server.JOIN_RATE_PER_CLIENT) > 10 * 365


def test_wrong_join_attempts_are_limited_per_client_and_refused_before_the_code_is_checked(client, monkeypatch):
    held = play_server.Bucket.clock()
    monkeypatch.setattr(play_server.Bucket, "clock", staticmethod(lambda: held))  # no refill, however slow
    room, c = client
    for _ in range(play_server.JOIN_BURST_PER_CLIENT):
        assert c.post("/api/join", json={"room": room.code, "code": "WRONG1"}).status_code == 404
    refused = _join(c, room, "us")  # the right code too: a guesser learns nothing while refused
    assert refused.status_code == 429 and "too many wrong codes" in refused.json()["error"]
    assert int(refused.headers["Retry-After"]) >= 1
    assert room.occupancy()["us"] == 0
    # another address is not held up by this one
    token, team = room.join(room.code, room.team_codes["us"], "other", client="10.0.0.7")
    assert team == "us" and token
    state = c.get("/api/state", headers={"X-Key": room.key}).json()
    assert state["refused_joins"] == 1 and state["wrong_joins"] == play_server.JOIN_BURST_PER_CLIENT


def test_a_guesser_held_back_is_refused_before_its_body_is_read(client, monkeypatch):
    """The cheapest answer: while refused, a join is answered 429 by the guard in front of the
    application, whatever its body (here not even JSON), and counted."""
    held = play_server.Bucket.clock()
    monkeypatch.setattr(play_server.Bucket, "clock", staticmethod(lambda: held))
    room, c = client
    for _ in range(play_server.JOIN_BURST_PER_CLIENT):
        c.post("/api/join", json={"room": room.code, "code": "WRONG1"})
    for body in (b"not json at all", b'{"room": ' * 40, b""):
        answer = c.post("/api/join", content=body, headers={"Content-Type": "application/json"})
        assert answer.status_code == 429 and "too many wrong codes" in answer.json()["error"]
        assert int(answer.headers["Retry-After"]) >= 1
    assert room.refused_joins == 3 and room.wrong_joins == play_server.JOIN_BURST_PER_CLIENT
    # other endpoints and other addresses are not held back
    assert c.get(f"/api/state?room={room.code}").status_code == 200
    assert room.join(room.code, room.team_codes["cn"], "other", client="10.0.0.8")[1] == "cn"


def test_the_room_limit_holds_across_addresses_and_right_joins_cost_nothing(tmp_path, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(play_server.Bucket, "clock", staticmethod(lambda: clock[0]))
    room = play_server.Room(Game(team_spec="US,CN"), tmp_path)
    for i in range(40):  # a class joining with the right codes: never refused
        room.join(room.code, room.team_codes["us" if i % 2 else "cn"], f"device{i}", client=f"10.0.1.{i}")
    accepted, hour = 0, 3600
    for second in range(hour):  # an attacker with a fresh address for every attempt, 5 attempts a second
        clock[0] += 1.0
        for k in range(5):
            try:
                room.join(room.code, "AAAAAA", "x", client=f"10.9.{second % 250}.{k}")
            except LookupError:
                accepted += 1
            except play_server.Refused as exc:
                assert exc.status == 429
    # the room's bucket: its burst, then its rate
    assert accepted <= play_server.JOIN_BURST_PER_ROOM + play_server.JOIN_RATE_PER_ROOM * hour + 1
    assert accepted >= play_server.JOIN_RATE_PER_ROOM * hour * 0.9
    assert room.refused_joins == 5 * hour - accepted


def test_a_second_device_is_seen_by_the_team_and_the_facilitator_who_can_renew_the_code(client):
    room, c = client
    first = _join(c, room, "cn", "phone").json()["seat"]
    mine = c.get("/api/state", headers={"X-Seat": first}).json()
    assert mine["devices"] == 1 and mine["joined_after_you"] == 0
    # the same device joining again (a reload after its seat was given back) is no stranger
    c.post("/api/leave", json={"seat": first})
    first = _join(c, room, "cn", "phone").json()["seat"]
    assert c.get("/api/state", headers={"X-Key": room.key}).json()["joined"]["cn"] == 1
    second = _join(c, room, "cn", "laptop").json()["seat"]
    mine = c.get("/api/state", headers={"X-Seat": first}).json()
    assert mine["devices"] == 2 and mine["joined_after_you"] == 1
    theirs = c.get("/api/state", headers={"X-Seat": second}).json()
    assert theirs["joined_after_you"] == 0
    unchanged = c.get(f"/api/state?since={mine['version']}", headers={"X-Seat": first}).json()
    assert unchanged["unchanged"] and unchanged["joined_after_you"] == 1  # polled every second
    facilitator = c.get("/api/state", headers={"X-Key": room.key}).json()
    assert facilitator["joined"] == {"us": 0, "cn": 2, "eu": 0} and facilitator["occupancy"]["cn"] == 2
    # a new code: both devices lose the seat, the old code is refused, the new one works
    old = room.team_codes["cn"]
    assert c.post("/api/newcode", json={"team": "cn"}).status_code == 403
    renewed = c.post("/api/newcode", headers={"X-Key": room.key}, json={"team": "cn"}).json()["code"]
    assert renewed != old and room.team_codes["cn"] == renewed
    assert c.get("/api/state", headers={"X-Seat": first}).status_code == 403
    assert c.post("/api/join", json={"room": room.code, "code": old}).status_code == 404
    assert _join(c, room, "cn", "phone").status_code == 200
    assert c.post("/api/newcode", headers={"X-Key": room.key}, json={"team": "xx"}).status_code == 404


# ------------------------------------------------------------------ the facilitator key


def test_the_key_link_becomes_a_cookie_and_the_api_never_takes_a_key_in_a_url(client):
    room, c = client
    landed = c.get(f"/facilitator?key={room.key}", follow_redirects=False)
    assert landed.status_code == 303 and landed.headers["location"] == "/facilitator"
    cookie = landed.headers["set-cookie"]
    assert f"{play_server.COOKIE}={room.key}" in cookie
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Path=/" in cookie
    assert landed.headers["referrer-policy"] == "no-referrer"
    assert c.get("/facilitator?key=wrong", follow_redirects=False).status_code == 403
    # the cookie (which the TestClient now holds) authenticates the API, QR codes and POSTs
    assert "joined" in c.get("/api/state").json()
    assert c.get("/api/qr/us.svg").headers["content-type"].startswith("image/svg+xml")
    assert c.post("/api/timer", json={"minutes": 5}).status_code == 200
    # a key in a URL is refused even when it is the right one (and even with the cookie)
    assert c.post(f"/api/advance?key={room.key}", json={"round": 1}).status_code == 403
    assert room.game.round == 0
    stranger = _client(room)
    assert stranger.post(f"/api/advance?key={room.key}", json={"round": 1}).status_code == 403
    assert stranger.get(f"/api/qr/us.svg?key={room.key}").status_code == 403
    assert stranger.post("/api/advance", json={"round": 1}).status_code == 403
    assert room.game.round == 0
    page = c.get("/static/play.js").text
    assert "key=" not in page and "host.key" not in page


# ------------------------------------------------------------------ requests


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("127.0.0.1:8766", 200),
        ("localhost", 200),
        ("[::1]:8766", 200),
        ("192.168.1.20:8766", 200),  # the address students reach (public_base)
        ("10.1.2.3", 200),  # the address it is bound to
        ("evil.example:8766", 400),
        ("127.0.0.1.evil.example", 400),
        ("", 400),
        ("[::1", 400),
    ],
)
def test_only_this_machines_host_names_are_answered(client, host, status):
    room, _ = client
    room.public_base = "http://192.168.1.20:8766"
    c = _client(room, bound="10.1.2.3")
    answer = c.get(f"/api/state?room={room.code}", headers={"Host": host})
    assert answer.status_code == status, answer.text
    if status == 400:
        assert "Host" in answer.json()["error"]


def test_a_post_from_another_site_is_refused(client):
    room, c = client
    other = c.post(
        "/api/join", json={"room": room.code, "code": room.team_codes["us"]}, headers={"Origin": "http://evil.example"}
    )
    assert other.status_code == 403 and room.occupancy()["us"] == 0
    same = _join(c, room, "us")
    assert same.status_code == 200


def test_bodies_over_the_limit_are_refused_whether_declared_or_streamed(client):
    room, c = client
    big = b'{"room": "' + b"A" * (play_server.MAX_BODY + 10) + b'"}'
    assert c.post("/api/join", content=big).status_code == 413

    def chunks():  # no Content-Length: the server reads the stream and stops at the limit
        yield b'{"statement": "'
        for _ in range(20):
            yield b"x" * 4096

    seat = _join(c, room, "us").json()["seat"]
    streamed = c.post("/api/choice", content=chunks(), headers={"X-Seat": seat})
    assert streamed.status_code == 413 and str(play_server.MAX_BODY) in streamed.json()["error"]
    assert "us" not in room.game.submitted


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[" * 5000 + b"]" * 5000, "nests too deep"),
        (b'{"room":' + b'{"a":' * 10 + b"1" + b"}" * 10 + b"}", "nests too deep"),
        (b"[1, 2]", "must be a JSON object"),
        (b'"text"', "must be a JSON object"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"room": NaN}', "not a number JSON allows"),
        (b'{"room": 1e309}', "not a finite number"),
        (b'{"room": 1' + b"0" * 400 + b"}", "digits"),
        (b'{"room": 12}', "room must be text"),
        (b'{"room": "' + b"A" * 100 + b'"}', "allowed: up to 32"),
        (b"{not json", "not JSON"),
    ],
)
def test_a_bad_body_on_the_open_join_is_a_400_that_says_why(client, body, message):
    _, c = client
    answer = c.post("/api/join", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and message in answer.json()["error"], answer.text


@pytest.mark.parametrize(
    "value",
    [10**40, "1e309", float("inf"), float("nan"), "0.5", [0.5], {"v": 1}, None, True],
    ids=["huge", "big-text", "inf", "nan", "text", "list", "object", "null", "bool"],
)
def test_lever_values_of_every_wrong_kind_are_400(client, value):
    room, c = client
    seat = _join(c, room, "us").json()["seat"]
    body = json.dumps({"values": {"policy.fence": value}}).encode()  # Python writes inf and nan as JSON extensions
    for path in ("/api/choice", "/api/whatif"):
        answer = c.post(path, content=body, headers={"X-Seat": seat})
        assert answer.status_code == 400, (path, answer.text)
    assert "us" not in room.game.submitted


def test_an_unexpected_failure_is_one_log_line_and_a_json_500(client, monkeypatch, caplog):
    room, c = client

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(room.game, "public", broken)
    with caplog.at_level(logging.ERROR, logger="decouple.play"):
        answer = c.get(f"/api/state?room={room.code}")
    assert answer.status_code == 500 and answer.json() == {"error": "the server failed on this request"}
    lines = [r.getMessage() for r in caplog.records if r.name == "decouple.play"]
    assert len(lines) == 1 and "RuntimeError: boom" in lines[0] and "\n" not in lines[0]


# ------------------------------------------------------------------ rounds


def test_an_advance_names_its_round_so_a_retry_does_not_run_two(client):
    room, c = client
    key = {"X-Key": room.key}
    assert c.post("/api/advance", headers=key, json={"round": 1}).status_code == 200
    again = c.post("/api/advance", headers=key, json={"round": 1})  # a retried request
    assert again.status_code == 409 and "round 2 is open" in again.json()["error"]
    assert room.game.round == 1
    for wrong, status in ((3, 409), (0, 409), (-1, 409), ("2", 400), (2.0, 400), (True, 400), (None, 400)):
        answer = c.post("/api/advance", headers=key, json={"round": wrong})
        assert answer.status_code == status, (wrong, answer.text)
    assert c.post("/api/advance", headers=key).status_code == 400  # no round named
    assert room.game.round == 1
    assert c.post("/api/advance", headers=key, json={"round": 2}).status_code == 200 and room.game.round == 2


# ------------------------------------------------------------------ an export does not stop the class


def test_polling_and_choices_answer_while_an_export_runs(tmp_path, monkeypatch):
    """The export writes (made slow here) while pages poll and a team submits: both answer before
    the export ends (an order of events, not a time)."""
    from starlette.testclient import TestClient

    from decouple.play import debrief

    room = play_server.Room(Game(team_spec="US,CN"), tmp_path / "results")
    writing, release, finished = threading.Event(), threading.Event(), threading.Event()

    def slow_export(game, results, code):
        writing.set()
        release.wait(timeout=2.0)  # a slow disk: 2 s unless the test is done sooner
        finished.set()
        return results / "slow"

    monkeypatch.setattr(debrief, "export", slow_export)
    with TestClient(play_server.create_app(room, None), base_url=BASE) as c:  # one event loop for all requests
        seat = _join(c, room, "us").json()["seat"]
        exported: list = []
        thread = threading.Thread(target=lambda: exported.append(c.post("/api/export", headers={"X-Key": room.key})))
        thread.start()
        assert writing.wait(timeout=60)
        polled = c.get("/api/state", headers={"X-Seat": seat})
        chose = c.post("/api/choice", headers={"X-Seat": seat}, json={"values": {"policy.fence": 0.7}})
        facilitator = c.get("/api/state", headers={"X-Key": room.key})
        answered_during_export = not finished.is_set()
        release.set()
        thread.join(timeout=60)
    assert polled.status_code == 200 and chose.status_code == 200 and facilitator.status_code == 200
    assert answered_during_export, "a page's poll waited for the export"
    assert exported[0].status_code == 200 and exported[0].json()["folder"].endswith("slow")
    assert room.game.submitted["us"]["policy.fence"] == 0.7


# ------------------------------------------------------------------ a real server: timeouts


@pytest.fixture()
def real_server(tmp_path, monkeypatch):
    """uvicorn with the role-play's limits, in a thread, headers due within 0.5 s."""
    import uvicorn

    from .browser import free_port

    monkeypatch.setattr(play_server, "HEADER_TIMEOUT", 0.5)
    room = play_server.Room(Game(team_spec="US,CN"), tmp_path / "results")
    port = free_port()
    app = play_server.create_app(room, None)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **play_server.UVICORN_LIMITS)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield room, port
    server.should_exit = True
    thread.join(timeout=30)


def _closed(sock: socket.socket, dribble: bytes = b"", guard: float = 60.0) -> bytes:
    """Wait (at most ``guard`` seconds: a hang guard) until the server closes ``sock``, sending a
    byte of ``dribble`` every 0.2 s meanwhile; what the server sent."""
    received = b""
    sock.settimeout(0.2)
    deadline = time.monotonic() + guard
    for byte in dribble or iter(lambda: b"", None):
        if time.monotonic() > deadline:
            break
        try:
            sock.sendall(bytes([byte]) if isinstance(byte, int) else byte)
        except OSError:
            return received
        try:
            chunk = sock.recv(65536)
            if not chunk:
                return received
            received += chunk
        except TimeoutError:
            continue
        except OSError:
            return received
    raise AssertionError(f"the server kept the connection open for {guard:g} s")


def test_connections_that_never_finish_their_headers_are_closed(real_server):
    room, port = real_server
    silent = socket.create_connection(("127.0.0.1", port))
    dribbling = socket.create_connection(("127.0.0.1", port))
    try:
        _closed(silent)  # says nothing at all
        # a slowloris: a header byte every 0.2 s, never the blank line (the deadline does not move)
        _closed(dribbling, b"GET /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Slow: " + b"a" * 10_000)
    finally:
        silent.close()
        dribbling.close()
    # headers beyond the size limit are refused at once
    with socket.create_connection(("127.0.0.1", port)) as huge:
        huge.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * (64 * 1024))
        answer = _closed(huge)
        assert answer.startswith(b"HTTP/1.1 4")
    # and a legitimate request is served as before
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/state?room={room.code}", timeout=30) as answer:
        assert json.loads(answer.read())["room"] == room.code


def test_the_uvicorn_limits_are_settings_uvicorn_takes():
    import uvicorn

    config = uvicorn.Config(lambda *a: None, **play_server.UVICORN_LIMITS)
    config.load()
    assert config.http_protocol_class is play_server.GuardedH11Protocol
    assert config.timeout_keep_alive <= 10 and config.h11_max_incomplete_event_size <= 64 * 1024
    assert config.limit_concurrency and not config.proxy_headers
