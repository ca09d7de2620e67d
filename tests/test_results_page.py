"""The documentation's results page (decouple.results_page): numbers read from a compare folder,
printed with true minus signs and readable ranges; claims that stop the page when a run no longer
bears them out; and the committed docs/results.md in step with the model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from decouple.errors import DecoupleError
from decouple.results_page import band, main, number, quarter, render, write_page

ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------------ a compare folder by hand


def fake_compare(folder: Path) -> Path:
    """A folder shaped as `decouple compare` writes it: two scenarios, two seeds, two quarters."""
    folder.mkdir(parents=True, exist_ok=True)
    seeds = [11, 22]
    trust = {
        ("baseline", 11): 0.80,
        ("baseline", 22): 0.90,
        ("full_decoupling", 11): 0.10,
        ("full_decoupling", 22): 0.30,
    }
    sales = {
        ("baseline", 11): 400.0,
        ("baseline", 22): 500.0,
        ("full_decoupling", 11): 100.0,
        ("full_decoupling", 22): 50.0,
    }
    rows = []
    for (scen, seed), value in trust.items():
        rows.append({"scenario": scen, "seed": seed, "year": 2018.0, "trust": 0.7, "us_cn_sales": 450.0})
        rows.append({"scenario": scen, "seed": seed, "year": 2018.25, "trust": value, "us_cn_sales": sales[scen, seed]})
    pd.DataFrame(rows).to_csv(folder / "indicators.csv", index=False)

    def stats(values):
        return {"mean": sum(values) / len(values), "p10": min(values), "p90": max(values)}

    summary = {
        "provenance": {
            "scenarios": ["baseline", "full_decoupling"],
            "root_seed": 0,
            "seeds": seeds,
            "overrides": [],
            "runs": [
                {"scenario": "baseline", "title": "Open baseline", "package_version": "0.1.0", "mesa": "3.3.1"},
                {
                    "scenario": "full_decoupling",
                    "title": "Full decoupling",
                    "package_version": "0.1.0",
                    "mesa": "3.3.1",
                },
            ],
        },
        "final": {
            scen: {
                "trust": stats([trust[scen, s] for s in seeds]),
                "us_cn_sales": stats([sales[scen, s] for s in seeds]),
            }
            for scen in ("baseline", "full_decoupling")
        },
        "against_baseline": {
            "reference": "baseline",
            "scenarios": {
                "full_decoupling": {
                    region: {
                        "welfare_change_usd_bn": {"mean": usd, "p10": usd - 14.0, "p90": usd + 14.0},
                        "welfare_change_pct_gdp": {"mean": pct, "p10": pct - 0.05, "p90": pct + 0.05},
                        "gdp_change_pct": {"mean": -0.4, "p10": -0.5, "p90": -0.3},
                        "acr_change_pct_gdp": {"mean": -0.001, "p10": -0.002, "p90": 0.0},
                    }
                    for region, usd, pct in (("US", -454.0, -1.5), ("CN", -737.0, -2.59), ("WORLD", -1804.0, -1.32))
                }
            },
        },
        "runs": [
            {"scenario": s, "seed": seed, "final": {"trust": trust[s, seed], "us_cn_sales": sales[s, seed]}}
            for (s, seed) in trust
        ],
    }
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    tidy = pd.DataFrame(
        [
            {
                "scenario": s,
                "seed": seed,
                "step": 1,
                "year": 2018.25,
                "metric": "revenue",
                "country": "US",
                "partner": "all",
                "sector": "logic_chips",
                "value": v,
            }
            for (s, seed), v in {
                ("baseline", 11): 100.0,
                ("baseline", 22): 200.0,
                ("full_decoupling", 11): 50.0,
                ("full_decoupling", 22): 150.0,
            }.items()
        ]
    )
    tidy.to_parquet(folder / "timeseries.parquet")
    return folder


def ascii_free(text: str) -> bool:
    """No ASCII hyphen stands for a minus sign or a range (``-745``, ``[-745--723]``) outside the
    tables' header rules."""
    lines = [line for line in text.splitlines() if not line.startswith("|---")]
    return not any(re.search(r"(^|[\s\[(])-\d|\d-{1,2}\d|--\d", line) for line in lines)


def page(tmp_path: Path, text: str) -> str:
    template = tmp_path / "template.md"
    template.write_text(text, encoding="utf-8")
    return render(fake_compare(tmp_path / "compare"), template)


# ------------------------------------------------------------------------------- formatting


def test_numbers_print_with_a_minus_sign_and_ranges_with_words():
    assert number("{:+,.0f}", -1804.3) == "\u22121,804"
    assert number("{:.0f}", 1234.0) == "1,234"  # thousands separators for any f format
    assert number("{:+.2f}", -0.001) == "0.00"  # no "−0.00": a value that rounds to zero has no sign
    assert number("{:+.2f}", 0.051) == "+0.05"
    assert band("{:+.0f}", -745, -751, -723) == "\u2212745 [\u2212751\u00a0to\u00a0\u2212723]"
    assert ascii_free(band("{:.0f}", -745, -751, -723)) and not ascii_free("[-745--723]")
    assert number("{:.3f}", float("nan")) == "n/a"
    assert quarter(2035.75) == "2035 Q4" and quarter(2018.0) == "2018 Q1"


def test_every_kind_of_token_reads_the_folder(tmp_path):
    text = page(
        tmp_path,
        "{{runs}}\n{{final baseline trust}} | {{band full_decoupling trust}} | {{at baseline trust 2018}}\n"
        "{{change full_decoupling us_cn_sales}} | {{welfare full_decoupling CN usd}} | "
        "{{welfare full_decoupling WORLD pct}} | {{tidy-change full_decoupling revenue US logic_chips}}\n"
        "{{table headlines}}\n{{table welfare}}\n{{table welfare-gdp}}\n{{table checks}}\n",
    )
    lines = text.splitlines()
    assert "2 scenarios (`baseline`, `full_decoupling`) × 2 seeds" in lines[0] and "2018 Q2" in lines[0]
    # trust: baseline mean 0.85; full decoupling 0.2 [0.1 to 0.3]; 0.7 in the first quarter of 2018
    # sales: (100/400 - 1 + 50/500 - 1) / 2 = -82.5 %; revenue: (50/100 - 1 + 150/200 - 1) / 2 = -37.5 %
    assert lines[1] == "0.850 | 0.200 [0.100\u00a0to\u00a00.300] | 0.700"
    assert lines[2] == "\u221282 % | \u2212737 bn | \u22121.32 % | \u221238 %"
    to = "\u00a0to\u00a0"
    assert f"| US–China trust (index 0–1) | 0.850 [0.800{to}0.900] | 0.200 [0.100{to}0.300] |" in text
    assert f"| United States (`US`) | \u2212454 [\u2212468{to}\u2212440] |" in text
    assert (
        "| World (`WORLD`) | \u22121,804 [\u22121,818\u00a0to\u00a0\u22121,790] |" in text
    )  # label capitalised, grouped
    assert f"| China (`CN`) | \u22122.59 [\u22122.64{to}\u22122.54] |" in text
    assert "| China (`CN`) | GDP \u22120.40 %; ACR 0.00 % |" in text
    assert ascii_free(text)


def test_a_claim_that_holds_prints_nothing_and_one_that_fails_stops_the_page(tmp_path):
    ok = page(tmp_path, "China loses more.{{claim welfare full_decoupling CN pct < welfare full_decoupling US pct}}\n")
    assert ok == "China loses more.\n"
    with pytest.raises(DecoupleError) as err:
        page(
            tmp_path,
            "line one\nThe US loses more.{{claim welfare full_decoupling US pct < welfare full_decoupling CN pct}}\n",
        )
    message = str(err.value)
    assert "template.md:2" in message and "is false for this run" in message
    assert "\u22121.50 % < \u22122.59 %" in message  # both values as the page would print them
    with pytest.raises(DecoupleError, match="claim A OP B"):
        page(tmp_path, "{{claim final baseline trust}}\n")
    assert page(tmp_path, "{{claim final baseline trust > 0.5}}ok\n") == "ok\n"  # a number on one side


@pytest.mark.parametrize(
    "token, says",
    [
        ("{{final coopetition trust}}", "scenario 'coopetition'"),
        ("{{final baseline trst}}", "did you mean 'trust'"),
        ("{{finale baseline trust}}", "did you mean 'final'"),
        ("{{final baseline}}", "takes 2 words after it, not 1"),
        ("{{at baseline trust 2050}}", "year 2050: not in the run"),
        ("{{welfare full_decoupling XX pct}}", "region 'XX'"),
        ("{{welfare full_decoupling CN percent}}", "welfare measure 'percent'"),
        ("{{table welfares}}", "did you mean 'welfare'"),
        (
            "{{tidy-change full_decoupling revenue US quantum}}",
            "no rows of metric 'revenue', country 'US', sector 'quantum'",
        ),
        ("{{}}", "an empty token"),
    ],
)
def test_a_bad_token_names_the_template_line_and_what_is_allowed(tmp_path, token, says):
    with pytest.raises(DecoupleError) as err:
        page(tmp_path, f"first line\n{token}\n")
    assert "template.md:2" in str(err.value) and says in str(err.value)


def test_an_unclosed_token_and_a_folder_without_a_summary_are_refused(tmp_path):
    with pytest.raises(DecoupleError, match="without its closing"):
        page(tmp_path, "{{final baseline trust\n")
    (tmp_path / "empty").mkdir()
    template = tmp_path / "t.md"
    template.write_text("x\n", encoding="utf-8")
    with pytest.raises(DecoupleError, match="no summary.json; give the output folder of `decouple compare`"):
        render(tmp_path / "empty", template)


def test_the_command_writes_the_page_and_exits_2_with_a_clear_error(tmp_path, capsys):
    folder = fake_compare(tmp_path / "compare")
    template = tmp_path / "t.md"
    template.write_text("trust {{final full_decoupling trust}}\n", encoding="utf-8")
    out = tmp_path / "docs" / "results.md"
    assert main([str(folder), "--out", str(out), "--template", str(template)]) == 0
    assert out.read_text(encoding="utf-8") == "trust 0.200\n"
    template.write_text("{{final nowhere trust}}\n", encoding="utf-8")
    assert main([str(folder), "--out", str(out), "--template", str(template)]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "scenario 'nowhere'" in err and "Traceback" not in err
    assert out.read_text(encoding="utf-8") == "trust 0.200\n"  # a failed page leaves the last one


# ------------------------------------------------------------------------- real comparisons


def compare_without_figures(out: Path, scenarios, replicates: int, overrides=(), monkeypatch=None) -> Path:
    """A `decouple compare` run as `make run` makes it, without drawing its figures."""
    import decouple.compare as compare

    monkeypatch.setattr(compare, "plot_figures", lambda *args, **kwargs: [])
    exp = compare.comparison(list(scenarios), replicates, 0, list(overrides))
    compare.run_comparison(exp, out, workers=2, progress=False)
    return out


def test_the_page_of_a_short_comparison_reads_its_numbers(tmp_path, monkeypatch):
    folder = compare_without_figures(
        tmp_path / "compare", ["baseline", "full_decoupling"], 2, ["time.steps=8"], monkeypatch
    )
    summary = json.loads((folder / "summary.json").read_text())
    template = tmp_path / "t.md"
    template.write_text(
        "{{runs}}\n{{table headlines}}\n{{table welfare}}\n"
        "{{welfare full_decoupling WORLD usd}}{{claim welfare full_decoupling WORLD usd < 0}}\n",
        encoding="utf-8",
    )
    text = render(folder, template)
    world = summary["against_baseline"]["scenarios"]["full_decoupling"]["WORLD"]["welfare_change_usd_bn"]["mean"]
    assert text.splitlines()[-1] == number("{:+,.0f}", world) + " bn"
    assert "2020 Q1" in text and "`--set time.steps=8`" in text  # the run's last quarter and its override
    gap = summary["final"]["full_decoupling"]["gap_small_yard"]
    assert f"| {band('{:.3f}', gap['mean'], gap['p10'], gap['p90'])} |" in text
    assert "[\u2212" in text and "\u00a0to\u00a0" in text and ascii_free(text)


def test_the_committed_results_page_is_the_page_of_make_run(tmp_path, monkeypatch):
    """docs/results.md is a build product committed for readers of the repository; this keeps it
    true. When a change moves the results, write it again with `make docs` (or `decouple compare`
    then `python -m decouple.results_page`) and commit it with the change."""
    folder = compare_without_figures(
        tmp_path / "compare",
        ["baseline", "full_decoupling", "selective_decoupling", "coopetition"],
        10,
        monkeypatch=monkeypatch,
    )
    fresh = write_page(folder, tmp_path / "results.md")
    committed = (ROOT / "docs" / "results.md").read_text(encoding="utf-8")
    assert fresh.read_text(encoding="utf-8") == committed, (
        "docs/results.md is not the page of this model's `make run`: run `make docs` and commit docs/results.md"
    )
