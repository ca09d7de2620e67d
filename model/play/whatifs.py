"""The role-play's what-if queue: what-ifs wait here for a worker, and their results are kept.

A what-if is one model run from the open round's start to the end of the run (about 0.1 s of one
core). When teams move their levers at once, what-ifs queue for the workers; this queue keeps
that short and bounded:

- the same what-if is computed once: a result is kept (the last ``cache`` of them, by their job,
  which names the round's events and every team's choices, not who asked), and a what-if asked
  while the same one waits or runs waits for that one. A new round's first what-ifs (every team's
  choices held) are one and the same: it is asked for before the pages ask (:meth:`prefetch`);
- a newer what-if from the same device replaces its older one that has not started: the page
  only shows the latest draft, so the older one is answered :class:`Superseded` and never run;
- at most ``workers + ahead`` what-ifs are handed to the workers at a time (``ahead`` of them wait
  in the pool, so that a worker that finishes starts the next at once, without waiting for the
  server's event loop), and the others wait here, where a newer one can still replace them; at
  most ``waiting`` wait here (:class:`Busy` beyond);
- a new round drops the results and the what-ifs still waiting (:meth:`new_round`).

Results are numbers only (the outcomes' columns): each page words them in its own language.
Everything runs on the server's event loop (one thread), so nothing here needs a lock.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from ..i18n import N_

#: what-ifs kept, by their job (the same draft asked again, by any device of any team, is answered
#: from memory): each is a few kilobytes of numbers
CACHE = 256
#: what-ifs waiting for a worker, at most (one per device at most: a newer one replaces it)
WAITING = 64

#: why a what-if was not run (the server answers them in the page's language)
REPLACED = N_("a newer what-if from this device replaced this one")
ROUND_OVER = N_("the round is over: this what-if was not run")
STOPPING = N_("the server is stopping")


class Superseded(Exception):
    """A what-if replaced by a newer one from the same device before it started, or dropped by a
    new round: nobody is waiting for its answer any more."""


class Busy(Exception):
    """More what-ifs are waiting than the queue holds."""


@dataclass
class _Entry:
    job: Any
    future: asyncio.Future
    owners: set[Hashable] = field(default_factory=set)
    prefetched: bool = False


class WhatIfQueue:
    """What-ifs waiting for ``workers`` workers; ``compute(job)`` runs one (awaitable); ``running``
    holds those handed to the workers (started, or next in the pool)."""

    def __init__(
        self,
        compute: Callable[[Any], Awaitable[Any]],
        workers: int = 2,
        cache: int = CACHE,
        waiting: int = WAITING,
        ahead: int = 1,
    ):
        self.compute = compute
        self.workers = max(int(workers), 1)
        self.slots = self.workers + max(int(ahead), 0)  # handed to the workers at a time
        self.cache_size, self.max_waiting = cache, waiting
        self.done: OrderedDict[Hashable, Any] = OrderedDict()  # key -> result, oldest first
        self.waiting: OrderedDict[Hashable, _Entry] = OrderedDict()  # not started, first come first
        self.running: dict[Hashable, _Entry] = {}
        self.latest: dict[Hashable, Hashable] = {}  # owner -> the key of its what-if waiting
        self.counts = {"asked": 0, "computed": 0, "cached": 0, "shared": 0, "superseded": 0, "busy": 0}
        self._tasks: set[asyncio.Task] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def ask(self, owner: Hashable, key: Hashable, job: Any) -> Any:
        """The result of ``job`` (``key`` names it) for ``owner`` (a device): from memory, from
        the same what-if waiting or running, or computed in its turn. :class:`Superseded` when a
        newer what-if of ``owner`` replaces it before it starts; :class:`Busy` when the queue is
        full."""
        self.counts["asked"] += 1
        self._this_loop()
        if key in self.done:
            self.done.move_to_end(key)
            self.counts["cached"] += 1
            return self.done[key]
        self._replace(owner, key)
        entry = self.running.get(key) or self.waiting.get(key)
        if entry is not None:
            self.counts["shared"] += 1
        else:
            if len(self.waiting) >= self.max_waiting:
                self.counts["busy"] += 1
                raise Busy(f"{len(self.waiting)} what-ifs are waiting")
            entry = self._add(key, job)
        if key in self.waiting:
            entry.owners.add(owner)
            self.latest[owner] = key
        self._dispatch()
        return await asyncio.shield(entry.future)  # a request that goes away leaves it to the others

    def prefetch(self, key: Hashable, job: Any) -> None:
        """Compute ``job`` ahead of the pages asking for it (nobody waits: it is kept), unless it
        is known, waiting or running, or the queue is full."""
        self._this_loop()
        if key in self.done or key in self.running or key in self.waiting or len(self.waiting) >= self.max_waiting:
            return
        self._add(key, job).prefetched = True
        self._dispatch()

    def new_round(self) -> None:
        """The class has moved on: results and waiting what-ifs are of a round that is over."""
        self.done.clear()
        for entry in self.waiting.values():
            entry.future.set_exception(Superseded(ROUND_OVER))
            self.counts["superseded"] += 1
        self.waiting.clear()
        self.latest.clear()

    # ------------------------------------------------------------------ inside
    def _this_loop(self) -> None:
        """What waits or runs belongs to the event loop it was asked on: a server has one, but a
        test client may start one per request, and a loop that has ended runs nothing more."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop = loop
            self.waiting.clear()
            self.running.clear()
            self.latest.clear()

    def _add(self, key: Hashable, job: Any) -> _Entry:
        future = asyncio.get_running_loop().create_future()
        future.add_done_callback(_retrieved)
        entry = self.waiting[key] = _Entry(job, future)
        return entry

    def _replace(self, owner: Hashable, key: Hashable) -> None:
        """``owner``'s what-if still waiting, if another than ``key``, is no longer its: dropped
        when nobody else asked for it."""
        older = self.latest.pop(owner, None)
        if older is None or older == key or older not in self.waiting:
            return
        entry = self.waiting[older]
        entry.owners.discard(owner)
        if not entry.owners and not entry.prefetched:
            del self.waiting[older]
            entry.future.set_exception(Superseded(REPLACED))
            self.counts["superseded"] += 1

    def _dispatch(self) -> None:
        while len(self.running) < self.slots and self.waiting:
            key, entry = self.waiting.popitem(last=False)
            for owner in entry.owners:
                if self.latest.get(owner) == key:
                    del self.latest[owner]
            self.running[key] = entry
            task = asyncio.ensure_future(self._run(key, entry))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, key: Hashable, entry: _Entry) -> None:
        try:
            result = await self.compute(entry.job)
        except asyncio.CancelledError:
            if not entry.future.done():
                entry.future.set_exception(Superseded(STOPPING))
            raise
        except Exception as exc:  # noqa: BLE001 (handed to whoever waits: the request answers it)
            if not entry.future.done():
                entry.future.set_exception(exc)
        else:
            self.counts["computed"] += 1
            self.done[key] = result
            while len(self.done) > self.cache_size:
                self.done.popitem(last=False)
            if not entry.future.done():
                entry.future.set_result(result)
        finally:
            self.running.pop(key, None)
            self._dispatch()


def _retrieved(future: asyncio.Future) -> None:
    """Mark a result's exception as seen (a what-if nobody waits for any more fails quietly)."""
    if not future.cancelled():
        future.exception()
