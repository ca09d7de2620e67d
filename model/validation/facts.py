"""The evidence base's facts (``seeds/facts.toml``) and the references to them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import EvidenceError
from ..paths import evidence_dir

ROLES = ("parameter", "calibration target", "validation target")
REQUIRED = ("id", "quantity", "value", "unit", "year", "source", "mechanism", "role")
REFERENCE = re.compile(r"\[fact:([a-z0-9_]+)\]")


@dataclass(frozen=True)
class Fact:
    id: str
    quantity: str
    value: Any
    unit: str
    year: Any
    source: str
    mechanism: str
    role: str
    cites: str = ""
    note: str = ""


@lru_cache(maxsize=2)
def load_facts(file: Path | None = None) -> dict[str, Fact]:
    file = Path(file) if file is not None else evidence_dir() / "facts.toml"
    from ..config import read_toml

    table = read_toml(file, EvidenceError)
    facts: dict[str, Fact] = {}
    for i, entry in enumerate(table.get("fact", [])):
        missing = [k for k in REQUIRED if k not in entry]
        unknown = set(entry) - set(REQUIRED) - {"cites", "note"}
        where = f"{file}: fact #{i + 1} ({entry.get('id', '?')})"
        if missing or unknown:
            raise EvidenceError(f"{where}: missing {missing or 'nothing'}; unknown keys {sorted(unknown) or 'none'}")
        if entry["role"] not in ROLES:
            raise EvidenceError(f"{where}: role '{entry['role']}'; allowed: {', '.join(ROLES)}")
        if not REFERENCE.fullmatch(f"[fact:{entry['id']}]"):
            raise EvidenceError(f"{where}: id '{entry['id']}' must be lower-case letters, digits and '_'")
        if entry["id"] in facts:
            raise EvidenceError(f"{where}: duplicate id '{entry['id']}'")
        facts[entry["id"]] = Fact(**entry)
    return facts


def fact(fact_id: str) -> Fact:
    facts = load_facts()
    if fact_id not in facts:
        raise EvidenceError(f"{evidence_dir() / 'facts.toml'}: no fact with id '{fact_id}'")
    return facts[fact_id]


def references(text: str) -> list[str]:
    """Fact ids cited as [fact:id] in a text."""
    return REFERENCE.findall(text)
