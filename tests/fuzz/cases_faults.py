"""The fuzz corpus, continued: sweeps and faults (issue 20).

Scenario files edited mid-sweep, shards, driver errors, output checks, symlinks, encodings, the
time horizon. Cases are data, added with the helpers of :mod:`tests.fuzz.cases` (its docstring
says what each kind must satisfy)."""

from __future__ import annotations
