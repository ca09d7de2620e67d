"""One class played through, scripted: the moves a class might make, round by round, with the
six default teams (the example of docs/roleplay.md).

    .venv/bin/python docs/roleplay_class.py      # prints the rounds; writes results/play/example_class/

The moves follow the briefings: the US raises the fence and presses allies, then widens the yard
and finally eases the fence under its firms' pressure; China funds substitution, hits back and
courts partners; the Netherlands hesitates and then follows; Korea keeps its China market; the EU
stays apart; India leans to the US bloc while Vietnam stays close to China.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from decouple.play.debrief import export
from decouple.play.game import Game

MOVES = {
    1: {
        "us": {"policy.fence": 0.8, "policy.ally_pressure": 1.0, "policy.reshoring_subsidy": 10.0},
        "cn": {"china.state_support": 2.0, "china.countermeasure_responsiveness": 1.5},
        "nl-jp": {"allies.willingness.NL": -2.0, "allies.willingness.JP": 1.0},
        "eu": {"allies.willingness.EU": -2.0},
        "in-vn": {"third.declared_lean.IN": 0.5, "third.declared_lean.VN": -0.25},
    },
    2: {
        "us": {"policy.yard": ["logic_chips", "chip_tools", "ai_compute", "telecom", "quantum", "aerospace"]},
        "cn": {"china.partner_drive": 3.0},
        "nl-jp": {"allies.willingness.NL": 2.0},
    },
    3: {
        "us": {"policy.licence_approval": 0.05},
        "cn": {"china.countermeasure_responsiveness": 2.5},
        "kr-tw": {"allies.willingness.KR": -2.0},
    },
    4: {"us": {"policy.fence": 0.6}, "eu": {"allies.willingness.EU": 0.0}},
}


def main() -> int:
    game = Game(preset="adaptive_rivalry", seed=0)
    print(f"{game.scenario.title}, seed {game.seed}: {len(game.round_starts)} rounds from {game.start_year:g}")
    while not game.over:
        for team, values in MOVES.get(game.round + 1, {}).items():
            game.submit(team, values)
        done = game.advance()
        scores = "  ".join(f"{team.upper()} {s['total']:+.1f}" for team, s in game.scores().items())
        print(f"round {done['round']} to {done['year']:g} ({done['seconds']:.2f} s): {scores}")
    print("what moved most against the open world (in units of the reference scenarios' spread):")
    for item in game.debrief()["moved"][:4]:
        print(f"  {item['label']}: {item['change']:+.3g} ({item['unit']}) — {item['mechanism']}; {item['passage']}")
    folder = export(game, Path("results/play"), "example")
    final = game.scores()
    for s in final.values():
        detail = "; ".join(f"{o['label']} {o['value']:+.2f} {o['unit']}" for o in s["objectives"])
        print(f"  {s['label']}: {s['total']:+.1f} ({detail})")
    figure = Path(__file__).parent / "figures" / "roleplay_debrief.png"
    shutil.copyfile(folder / "debrief.png", figure)
    print(f"results in {folder}/ (replay: decouple run {folder}/class.toml --seed 0); figure {figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
