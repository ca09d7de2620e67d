"""The role-play's what-ifs kept fast (issue 22, item 7): the queue in front of the workers, and
the lean what-if the server runs.

The queue (:class:`decouple.play.whatifs.WhatIfQueue`) is driven with a stand-in computation that
waits until the test lets it finish, so what runs, when and how often is checked without timing
anything. The lean what-if (:func:`decouple.play.game.run_whatif`) gives the numbers of the full
one, to the bit, and the page's view of them is the same.
"""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest

from decouple.play import server as play_server
from decouple.play.game import Game, run_projection, run_whatif
from decouple.play.whatifs import Busy, Superseded, WhatIfQueue


class Stand:
    """A stand-in for the workers: each job waits for the test's go, then answers ``job * 10``."""

    def __init__(self) -> None:
        self.started: list = []
        self.go: dict = {}

    async def compute(self, job):
        self.started.append(job)
        gate = self.go.setdefault(job, asyncio.Event())
        await gate.wait()
        if job == "fails":
            raise RuntimeError("the model failed")
        return job * 10

    def release(self, job) -> None:
        self.go.setdefault(job, asyncio.Event()).set()


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_a_newer_draft_from_a_device_replaces_its_older_one_that_has_not_started():
    async def scenario():
        stand = Stand()
        queue = WhatIfQueue(stand.compute, workers=1, ahead=0)
        first = asyncio.ensure_future(queue.ask("device-a", 1, 1))  # runs at once: the only worker
        older = asyncio.ensure_future(queue.ask("device-b", 2, 2))  # waits
        await _settle()
        newer = asyncio.ensure_future(queue.ask("device-b", 3, 3))  # device b moved its lever again
        await _settle()
        with pytest.raises(Superseded, match="newer what-if"):
            await older
        stand.release(1)
        stand.release(3)
        assert await first == 10 and await newer == 30
        return stand.started, queue.counts

    started, counts = asyncio.run(scenario())
    assert started == [1, 3]  # the replaced draft was never computed
    assert counts["superseded"] == 1 and counts["computed"] == 2


def test_a_draft_another_device_also_waits_for_is_not_dropped():
    async def scenario():
        stand = Stand()
        queue = WhatIfQueue(stand.compute, workers=1, ahead=0)
        blocker = asyncio.ensure_future(queue.ask("a", 0, 0))
        shared = [asyncio.ensure_future(queue.ask(device, 5, 5)) for device in ("b", "c")]
        await _settle()
        moved = asyncio.ensure_future(queue.ask("b", 6, 6))  # b moves on; c still waits for 5
        await _settle()
        for job in (0, 5, 6):
            stand.release(job)
        return await blocker, [await s for s in shared], await moved, stand.started

    blocker, shared, moved, started = asyncio.run(scenario())
    assert (blocker, shared, moved) == (0, [50, 50], 60)
    assert started == [0, 5, 6]


def test_identical_drafts_compute_once_whoever_asks():
    async def scenario():
        stand = Stand()
        queue = WhatIfQueue(stand.compute, workers=2, ahead=0)
        asked = [asyncio.ensure_future(queue.ask(f"device-{i}", "same", 7)) for i in range(6)]
        await _settle()
        stand.release(7)
        answers = [await a for a in asked]
        again = await queue.ask("device-9", "same", 7)  # later: from memory
        return answers, again, stand.started, queue.counts

    answers, again, started, counts = asyncio.run(scenario())
    assert answers == [70] * 6 and again == 70
    assert started == [7]
    assert counts["computed"] == 1 and counts["shared"] == 5 and counts["cached"] == 1


def test_the_queue_is_bounded_and_so_is_what_it_keeps():
    async def scenario():
        stand = Stand()
        queue = WhatIfQueue(stand.compute, workers=1, cache=3, waiting=2, ahead=0)
        running = asyncio.ensure_future(queue.ask("a", 0, 0))
        waiting = [asyncio.ensure_future(queue.ask(d, j, j)) for d, j in (("b", 1), ("c", 2))]
        await _settle()
        with pytest.raises(Busy):
            await queue.ask("d", 3, 3)  # two wait already
        for job in range(10):
            stand.release(job)
        await running
        for w in waiting:
            await w
        for job in range(3, 10):
            await queue.ask("e", job, job)
        return list(queue.done), queue.waiting, queue.running, queue.latest

    kept, waiting, running, latest = asyncio.run(scenario())
    assert kept == [7, 8, 9]  # the last three
    assert not waiting and not running and not latest


def test_a_new_round_drops_what_waits_and_what_is_kept():
    async def scenario():
        stand = Stand()
        queue = WhatIfQueue(stand.compute, workers=1, ahead=0)
        done = asyncio.ensure_future(queue.ask("a", 1, 1))
        await _settle()
        stand.release(1)
        await done
        blocker = asyncio.ensure_future(queue.ask("a", 2, 2))
        stale = asyncio.ensure_future(queue.ask("b", 3, 3))
        await _settle()
        queue.new_round()
        with pytest.raises(Superseded, match="round is over"):
            await stale
        stand.release(2)
        await blocker
        assert 1 not in queue.done
        return stand.started

    assert asyncio.run(scenario()) == [1, 2]  # the stale one never ran


def test_a_prefetched_what_if_is_there_when_pages_ask_and_a_failure_reaches_who_waits():
    async def scenario():
        stand = Stand()
        queue = WhatIfQueue(stand.compute, workers=1, ahead=0)
        queue.prefetch("held", 4)
        queue.prefetch("held", 4)  # asked for twice: computed once
        stand.release(4)
        await _settle()
        answer = await queue.ask("a", "held", 4)
        failing = asyncio.ensure_future(queue.ask("b", "bad", "fails"))
        await _settle()
        stand.release("fails")
        with pytest.raises(RuntimeError, match="the model failed"):
            await failing
        return answer, stand.started, queue.counts, queue.running

    answer, started, counts, running = asyncio.run(scenario())
    assert answer == 40 and started == [4, "fails"]
    assert counts["cached"] == 1 and not running


def test_one_what_if_waits_in_the_pool_beyond_the_workers_so_none_idles_between_two():
    async def scenario():
        stand = Stand()
        queue = WhatIfQueue(stand.compute, workers=2)  # one ahead, by default
        asked = [asyncio.ensure_future(queue.ask(f"d{job}", job, job)) for job in range(5)]
        await _settle()
        handed, waiting = sorted(stand.started), list(queue.waiting)
        for job in range(5):
            stand.release(job)
        return handed, waiting, [await a for a in asked]

    handed, waiting, answers = asyncio.run(scenario())
    assert handed == [0, 1, 2] and waiting == [3, 4]  # 2 workers, 1 next in the pool, 2 here
    assert answers == [0, 10, 20, 30, 40]


# ------------------------------------------------------------------ the lean what-if


def test_the_lean_what_if_gives_the_full_ones_numbers_and_view_to_the_bit():
    """What the server runs (only the charted outcomes each quarter, every outcome at the end)
    against the full what-if (itself tested against a run from 2018): the same columns, the same
    last quarter, the same view for every team, in the first round and after one."""
    game = Game(team_spec="US,CN,IN+VN")
    names = game.charted_names()
    assert "year" in names and len(names) < len(game.obs) / 3  # far fewer outcomes each quarter
    for round_ in range(2):
        job = game.projection_job("cn", {"china.state_support": 2.5 - round_})
        full, lean = run_projection(job), run_whatif(job, names)
        assert set(lean["columns"]) == set(names)
        for name in names:
            np.testing.assert_array_equal(lean["columns"][name], full[name], err_msg=f"{name}, round {round_ + 1}")
        assert set(lean["last"]) == set(full)
        for name, values in full.items():
            assert lean["last"][name].tolist() == [values[-1]], name
        for team in game.by_id:
            assert game.whatif_view(team, lean) == game.team_view(team, full)
        game.submit("us", {"policy.fence": 0.9})
        game.advance()


def test_the_server_computes_one_draft_once_for_every_team_and_answers_as_a_fresh_run(tmp_path):
    """A new round's first what-if (every team's choices held) is one what-if for all teams: the
    second team's is answered from memory, and both views are those of a fresh computation."""
    from starlette.testclient import TestClient

    game = Game(team_spec="US,CN")
    room = play_server.Room(game, tmp_path / "results")
    with TestClient(play_server.create_app(room, None), base_url="http://127.0.0.1:8766") as c:
        views = {}
        for team in ("us", "cn"):
            joined = c.post("/api/join", json={"room": room.code, "code": room.team_codes[team], "device": team})
            seat = joined.json()["seat"]
            answer = c.post("/api/whatif", headers={"X-Seat": seat}, json={"values": {}})
            assert answer.status_code == 200, answer.text
            views[team] = answer.json()["view"]
    counts = room.whatif_queue.counts
    assert counts["computed"] == 1 and counts["cached"] == 1
    held = game.projection_job("us", {})
    assert held == game.projection_job("cn", {})
    fresh = run_projection(held)
    for team, view in views.items():
        assert view == json.loads(json.dumps(game.team_view(team, fresh)))
