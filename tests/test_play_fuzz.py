"""HTTP fuzz cases for the role-play server (`decouple play`): odd methods, paths, headers and
bodies on every endpoint. Each case names its request and the status it must get; every answer
is below 500, JSON or HTML without a traceback, the server holds no more memory than a fraction
of a huge body, and the room still works afterwards (the team polls and submits, the round is
where it was). Placeholders in a case: ``{seat}`` (a seat of the United States), ``{key}`` (the
facilitator key), ``{room}`` and ``{code}`` (the room's and the United States' codes)."""

from __future__ import annotations

import copy
import json
import tracemalloc
from dataclasses import dataclass, field

import pytest

from decouple.play import server as play_server
from decouple.play.game import Game

BASE = "http://127.0.0.1:8766"
MB = 1024 * 1024


@dataclass(frozen=True)
class Case:
    id: str
    method: str
    path: str
    status: int
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    rounds: int = 0  # rounds the case runs (a valid advance)


SEAT = {"X-Seat": "{seat}"}
KEY = {"X-Key": "{key}"}
JSON = {"Content-Type": "application/json"}


def nested(depth: int) -> bytes:
    return b'{"values": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"


def one(name: str, value: str) -> bytes:
    """A body of one field, its value JSON text as given (it may be JSON that Python would not write)."""
    return ("{" + json.dumps(name) + ": " + value + "}").encode()


def lever(value: str) -> bytes:
    return one("values", one("policy.fence", value).decode())


CASES: list[Case] = []


def add(*args, **kwargs) -> None:
    CASES.append(Case(*args, **kwargs))


# nested JSON on every POST endpoint (with the seat or the key it needs, so the body is read)
for path, headers in [
    ("/api/join", {}),
    ("/api/choice", SEAT),
    ("/api/whatif", SEAT),
    ("/api/leave", {}),
    ("/api/advance", KEY),
    ("/api/timer", KEY),
    ("/api/seats", KEY),
    ("/api/newcode", KEY),
]:
    name = path.rsplit("/", 1)[1]
    add(f"nested-deep-{name}", "POST", path, 200 if name == "leave" else 400, b"[" * 16000 + b"]" * 16000, headers)
    add(f"nested-dicts-{name}", "POST", path, 200 if name == "leave" else 400, nested(40), headers)
add("nested-export-ignored", "POST", "/api/export", 403, nested(2500))  # no key: refused before the body

# lever values of every odd kind, on a choice and on a what-if
for name, text, status in [
    ("huge-int", "1" + "0" * 40, 400),
    ("huge-int-4400-digits", "9" * 4400, 400),
    ("float-overflow", "1e309", 400),
    ("nan", "NaN", 400),
    ("infinity", "Infinity", 400),
    ("minus-infinity", "-Infinity", 400),
    ("minus-zero", "-0", 200),
    ("minus-zero-float", "-0.0", 200),
    ("denormal", "1e-320", 200),
    ("out-of-range", "-1e308", 400),
    ("text", '"0.5"', 400),
    ("list", "[0.5]", 400),
    ("dict", '{"v": 0.5}', 400),
    ("bool", "true", 400),
    ("null", "null", 400),
]:
    add(f"lever-{name}", "POST", "/api/choice", status, lever(text), SEAT)
for name, text in [("huge-int", "1" + "0" * 40), ("nan", "NaN"), ("dict", '{"v": 0.5}'), ("list-of-lists", "[[1]]")]:
    add(f"whatif-lever-{name}", "POST", "/api/whatif", 400, lever(text), SEAT)
add("sectors-as-objects", "POST", "/api/choice", 400, b'{"values": {"policy.yard": [{"a": 1}]}}', SEAT)
add("sectors-unknown", "POST", "/api/choice", 400, b'{"values": {"policy.yard": ["no_such_sector"]}}', SEAT)
add("values-a-list", "POST", "/api/choice", 400, b'{"values": [1, 2]}', SEAT)
add("values-text", "POST", "/api/choice", 400, b'{"values": "policy.fence=1"}', SEAT)
add("lever-of-another-team", "POST", "/api/choice", 403, b'{"values": {"china.state_support": 2}}', SEAT)
add("lever-unknown", "POST", "/api/choice", 403, b'{"values": {"no.such.lever": 2}}', SEAT)

# statements
add("statement-10MB", "POST", "/api/choice", 413, b'{"statement": "' + b"x" * (10 * MB) + b'"}', SEAT)
add("statement-2000-chars", "POST", "/api/choice", 400, b'{"statement": "' + b"x" * 2000 + b'"}', SEAT)
add("statement-a-number", "POST", "/api/choice", 400, b'{"statement": 5}', SEAT)
add("statement-a-list", "POST", "/api/choice", 400, b'{"statement": ["a"]}', SEAT)
add("statement-control-chars", "POST", "/api/choice", 200, b'{"statement": "a\\u0000b\\u202e"}', SEAT)

# content types and encodings
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
MULTIPART = {"Content-Type": "multipart/form-data; boundary=x"}
add("form-encoded", "POST", "/api/join", 400, b"room=AAAAAA&code=BBBBBB", FORM)
add("multipart", "POST", "/api/join", 400, b"--x\r\nContent-Disposition: form-data\r\n\r\n1\r\n--x--", MULTIPART)
add("text-plain-json", "POST", "/api/seats", 200, b'{"policy": "share"}', {**KEY, "Content-Type": "text/plain"})
add("non-utf8-join", "POST", "/api/join", 400, b'{"room": "\xff\xfe"}', JSON)
add("non-utf8-statement", "POST", "/api/choice", 400, b'{"statement": "caf\xe9"}', SEAT)
add("utf16-body", "POST", "/api/leave", 200, '{"seat": "x"}'.encode("utf-16"))
add("bom-body", "POST", "/api/join", 400, b'\xef\xbb\xbf{"room": "A"}', JSON)
add("empty-body-join", "POST", "/api/join", 403, b"")
add("json-null", "POST", "/api/join", 400, b"null")
add("json-trailing-garbage", "POST", "/api/join", 400, b'{"room": "A"} {"x": 1}')

# seats and keys
add("no-seat", "POST", "/api/choice", 403, lever("0.5"))
add("garbage-seat", "POST", "/api/choice", 403, lever("0.5"), {"X-Seat": "' OR 1=1 --"})
add("long-seat", "POST", "/api/whatif", 403, lever("0.5"), {"X-Seat": "s" * 8000})
add("latin1-seat", "GET", "/api/state", 403, headers={"X-Seat": "caf\xe9".encode("latin-1")})
add("garbage-key", "POST", "/api/advance", 403, b'{"round": 1}', {"X-Key": "guess"})
add("empty-key", "POST", "/api/advance", 403, b'{"round": 1}', {"X-Key": ""})
add("latin1-key", "POST", "/api/timer", 403, b'{"minutes": 5}', {"X-Key": b"\xe9\xe9"})
add("garbage-cookie", "POST", "/api/advance", 403, b'{"round": 1}', {"Cookie": f"{play_server.COOKIE}=nope; x=\x01"})
add("seat-as-key", "POST", "/api/advance", 403, b'{"round": 1}', {"X-Key": "{seat}"})
add("key-in-url-advance", "POST", "/api/advance?key={key}", 403, b'{"round": 1}')
add("key-in-url-timer", "POST", "/api/timer?key={key}", 403, b'{"minutes": 5}')
add("key-in-url-export", "POST", "/api/export?key={key}", 403)
add("key-in-url-and-header", "POST", "/api/advance?key={key}", 403, b'{"round": 1}', KEY)
add("key-in-url-debrief", "GET", "/api/debrief?key={key}", 403)

# Host headers of other sites
for name, host in [
    ("evil", "evil.example"),
    ("suffix", "127.0.0.1.evil.example"),
    ("userinfo", "127.0.0.1@evil.example"),
    ("other-ip", "203.0.113.9:8766"),
    ("bad-port", "127.0.0.1:port"),
    ("space", "127.0.0.1 evil"),
]:
    add(f"host-{name}", "POST", "/api/join", 400, b'{"room": "{room}", "code": "{code}"}', {"Host": host})
add("origin-evil", "POST", "/api/advance", 403, b'{"round": 1}', {**KEY, "Origin": "http://evil.example"})
add("origin-null", "POST", "/api/advance", 403, b'{"round": 1}', {**KEY, "Origin": "null"})

# bodies beyond the limit
add("join-100KiB", "POST", "/api/join", 413, b'{"room": "' + b"A" * 100_000 + b'"}')
add("whatif-1MiB", "POST", "/api/whatif", 413, b"[" * MB, SEAT)
add("leave-10MiB", "POST", "/api/leave", 413, b" " * (10 * MB))
add("advance-10MiB", "POST", "/api/advance", 413, b'{"round": 1, "x": "' + b"x" * (10 * MB) + b'"}', KEY)
add("content-length-text", "POST", "/api/join", 400, b"{}", {"Content-Length": "abc"})

# unicode and odd room codes
for name, room in [("umlauts", "ÄÖÜ123"), ("fullwidth", "ＡＢＣＤＥＦ"), ("nul", "\u0000"), ("emoji", "😀😀😀")]:
    add(f"room-{name}", "POST", "/api/join", 403, json.dumps({"room": room, "code": "{code}"}).encode())
add("code-emoji", "POST", "/api/join", 404, json.dumps({"room": "{room}", "code": "😀"}).encode())
add("state-room-unicode", "GET", "/api/state?room=%C3%84%C3%96", 403)
add("state-room-bad-percent", "GET", "/api/state?room=%FF%FE", 403)
add("device-an-object", "POST", "/api/join", 400, b'{"room": "{room}", "code": "{code}", "device": {"a": 1}}')

# advancing: stale, future and odd rounds
for name, value, status in [
    ("stale", "0", 409),
    ("future", "99", 409),
    ("text", '"1"', 400),
    ("float", "1.5", 400),
    ("list", "[1]", 400),
    ("object", '{"a": 1}', 400),
    ("huge", "-1" + "0" * 20, 400),
    ("missing", None, 400),
]:
    body = b"{}" if value is None else one("round", value)
    add(f"advance-{name}", "POST", "/api/advance", status, body, KEY)
add("advance-the-open-round", "POST", "/api/advance", 200, b'{"round": 1}', KEY, rounds=1)

# the timer with weird minutes
for name, value, status in [
    ("negative", "-1", 400),
    ("overflow", "1e309", 400),
    ("text", '"5"', 400),
    ("list", "[5]", 400),
    ("bool", "true", 400),
    ("too-long", "121", 400),
    ("nan", "NaN", 400),
    ("fraction", "0.5", 200),
    ("zero-float", "0.0", 200),
]:
    add(f"timer-{name}", "POST", "/api/timer", status, one("minutes", value), KEY)
for name, value in [("number", "5"), ("upper", '"SHARE"'), ("empty", '""'), ("long", '"' + "s" * 100 + '"')]:
    add(f"seats-{name}", "POST", "/api/seats", 400, one("policy", value), KEY)
add("newcode-unknown-team", "POST", "/api/newcode", 404, b'{"team": "../../etc"}', KEY)

# methods, paths and query strings
add("get-a-post-endpoint", "GET", "/api/choice", 405, headers=SEAT)
add("put-join", "PUT", "/api/join", 405, b"{}")
add("delete-state", "DELETE", "/api/state", 405)
add("unknown-api", "GET", "/api/unknown", 404)
add("static-traversal", "GET", "/static/..%2F..%2Fserver.py", 404)
add("static-other-file", "GET", "/static/facilitator.html", 404)
add("qr-traversal", "GET", "/api/qr/..%2F..%2Fx.svg", 404, headers=KEY)
add("qr-unknown-team", "GET", "/api/qr/zz.svg", 404, headers=KEY)
add("since-text", "GET", "/api/state?since=abc", 200, headers=SEAT)
add("since-huge", "GET", "/api/state?since=" + "9" * 5000, 200, headers=SEAT)
add("viewer-long", "GET", "/api/state?room={room}&viewer=" + "v" * 10_000, 200)
add("facilitator-page-wrong-key", "GET", "/facilitator?key=%FF", 403)


def _fill(text: str, values: dict) -> str:
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


@pytest.fixture(scope="module")
def base_game():
    game = Game(team_spec="US,CN")
    game.public()  # the views' first build, once
    return game


def test_the_corpus_is_large_and_named_uniquely():
    assert len(CASES) >= 50 and len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_request_gets_a_clear_answer_and_leaves_the_room_working(case, base_game, tmp_path):
    from starlette.testclient import TestClient

    game = copy.deepcopy(base_game, {id(base_game.world): base_game.world})
    room = play_server.Room(game, tmp_path / "results")
    c = TestClient(play_server.create_app(room, None), base_url=BASE)
    seat = c.post("/api/join", json={"room": room.code, "code": room.team_codes["us"], "device": "d"}).json()["seat"]
    values = {"seat": seat, "key": room.key, "room": room.code, "code": room.team_codes["us"]}
    headers = {name: _fill(v, values) if isinstance(v, str) else v for name, v in case.headers.items()}
    body = case.body
    if b"{" in body and len(body) < 1000:
        body = _fill(body.decode("utf-8", "surrogateescape"), values).encode("utf-8", "surrogateescape")

    tracemalloc.start()
    try:
        answer = c.request(case.method, _fill(case.path, values), content=body or None, headers=headers)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert answer.status_code == case.status, answer.text[:300]
    kind = answer.headers.get("content-type", "")
    assert kind.startswith(("application/json", "text/html")), kind
    assert "Traceback" not in answer.text and 'File "' not in answer.text
    if kind.startswith("application/json") and answer.status_code >= 400:
        assert answer.json()["error"]
    if len(case.body) >= MB:  # the server did not hold the body (nor a copy of it)
        assert peak < len(case.body) / 4, f"{peak} bytes traced for a body of {len(case.body)}"

    # the room still works: the team polls and submits, the round is where the case left it
    assert game.round == case.rounds
    assert c.get("/api/state", headers={"X-Seat": seat}).status_code == 200
    done = c.post("/api/choice", headers={"X-Seat": seat}, json={"values": {"policy.fence": 0.55}})
    assert done.status_code == 200, done.text
    assert game.submitted["us"]["policy.fence"] == 0.55
