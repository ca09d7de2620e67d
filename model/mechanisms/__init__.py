"""One module per mechanism of the design digest (M1–M16) plus innovation, costs, the accounts
and the economy around the sectors.

| module | mechanism |
|---|---|
| export_controls | M1 Export controls, and the controller's policy for the quarter (M11 yard and fence) |
| capital | M2 Capital and investment restrictions |
| market_barriers | M3 Market barriers |
| reshoring | M4 Supply-chain isolation |
| ally_compliance | M5 Ally compliance |
| market | M6 Market substitution and de-Americanisation |
| import_replacement | M7 Import replacement |
| standards | M8 Standards competition |
| knowledge | M9 Academic isolation, talent and knowledge flows |
| coopetition | M10 Co-opetition |
| countermeasures | M12 China's counter-measures |
| us_resolve | M13 The US decides |
| china_strategy | M14 China decides |
| joint_rd | M15 Allies' joint R&D and technology sharing inside the technology alliance |
| hedging | M16 Third countries hedge |
| accounts | Welfare in money and GDP |
| costs | Unit costs |
| economy | The rest of the economy |
| innovation | Revenue → R&D → capability |
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

_HERE = Path(__file__).parent


def title(docstring: str) -> str:
    """A module's mechanism as its docstring names it: the first paragraph up to its first " — "
    or ": " (what follows explains it), without a closing full stop."""
    first = " ".join(docstring.split("\n\n")[0].split())
    return re.split(r" — |: ", first, maxsplit=1)[0].rstrip(".")


def _number(name_and_title: tuple[str, str]) -> tuple[int, str]:
    """Numbered mechanisms (M1–M16) in their order, then the others by module name."""
    tag = re.match(r"M(\d+) ", name_and_title[1])
    return (int(tag.group(1)) if tag else 1000, name_and_title[0])


def table() -> str:
    """The table of this package's modules and the mechanism each implements, generated from
    the modules' docstrings (read, not imported) and kept in step with the one above."""
    rows = []
    for path in sorted(_HERE.glob("*.py")):
        if path.name == "__init__.py":
            continue
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        if not docstring:
            raise ValueError(f"{path.name}: no module docstring; allowed: one naming its mechanism (M1–M16)")
        rows.append((path.stem, title(docstring)))
    lines = ["| module | mechanism |", "|---|---|"]
    lines += [f"| {name} | {text} |" for name, text in sorted(rows, key=_number)]
    return "\n".join(lines)
