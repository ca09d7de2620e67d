"""The fuzz corpus, continued: discover, search and ema (issue 20).

--where texts, output folders, search files and shards, ema arguments. Cases are data, added with
the helpers of :mod:`tests.fuzz.cases` (its docstring says what each kind must satisfy)."""

from __future__ import annotations
