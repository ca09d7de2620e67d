"""Shared fixtures: the real world, a small hand-made world, and cached scenario runs; and the test
tiers, marked from one table (:data:`TIERS`, see CONTRIBUTING.md, "Test tiers")."""

from __future__ import annotations

import copy
import os
from fnmatch import fnmatchcase

import numpy as np
import pytest

from decouple import DecouplingModel, load_scenario, load_world, outcomes
from decouple.world import COUNTRIES, build_world

PATTERN_SEEDS = [0, 1, 2, 3]
SCENARIOS = ["baseline", "full_decoupling", "selective_decoupling", "coopetition"]


@pytest.fixture(scope="session")
def world():
    return load_world()


def _entry(value, source="test world"):
    return {"value": value, "source": source}


def small_world_tables(n_sectors: int = 1):
    """A hand-made world: one or two sectors where the US and its ally JP lead, China follows,
    and India and the rest of the world buy. Every other country neither buys nor sells."""
    countries = {}
    roles = {
        "US": "controller",
        "CN": "target",
        "JP": "ally",
        "NL": "ally",
        "KR": "ally",
        "TW": "ally",
        "EU": "ally",
        "IN": "third",
        "VN": "third",
        "ROW": "third",
    }
    for code in COUNTRIES:
        t = {
            "label": code,
            "role": _entry(roles[code]),
            "rd_effort_trend": _entry(0.0),
            "gdp_2018": _entry(1000.0),
            "gdp_growth": _entry(0.02),
        }
        if roles[code] == "ally":
            t.update(
                security_dependence=_entry(0.6),
                trust_in_us_continuity=_entry(0.5),
                autonomy=_entry(0.5),
                china_trade_affinity=_entry(0.0),
            )
        if roles[code] == "third":
            t.update(friendshore_weight=_entry({"IN": 1.0}.get(code, 0.0)), china_trade_affinity=_entry(0.0))
        countries[code] = t
    sectors = {}
    for k in range(n_sectors):
        name = ["gadgets", "widgets"][k]
        sectors[name] = {
            "label": name,
            "small_yard": _entry(k == 0),
            "benefit": _entry(0.5),
            "political_risk": _entry(0.5),
            "competitiveness": _entry(0.8),
            "public_good": _entry(0.5),
            "market_size": _entry(100.0),
            "demand_growth": _entry(0.0),
            "demand_share": _entry({"US": 0.3, "CN": 0.3, "JP": 0.1, "IN": 0.1, "ROW": 0.2}),
            "market_share": _entry({"US": 0.5, "JP": 0.3, "CN": 0.2}),
            "capability": _entry({"US": 1.0, "JP": 0.95, "CN": 0.6}),
            "rd_intensity": _entry(0.1),
            "innovation_rate": _entry(0.05),
            "catch_up_rate": _entry(0.1),
            "catch_up_difficulty": _entry(0.5),
            "quality_sensitivity": _entry(3.0),
            "price_sensitivity": _entry(2.0),
            "switching_rate": _entry(0.2),
            "learning_rate": _entry(0.1),
            "talent_dependence": _entry(0.2),
            "material_dependence": _entry(0.3),
            "offshore_in_cn": _entry(0.3),
            "profit_margin": _entry(0.2),
            "value_added_ratio": _entry(0.4),
            "capacity_growth": _entry(0.5),
            "china_capability_2035": _entry(0.6),
            "trade_elasticity": _entry(5.0),
            "us_content": _entry({"JP": 0.4}),
            "chokepoints": [
                {
                    "input": "tools",
                    "holders": {"US": 0.5, "JP": 0.5},
                    "weight": 0.4,
                    "difficulty": 0.5,
                    "governed_by": name,
                    "source": "test world",
                }
            ],
        }
    return sectors, countries


@pytest.fixture
def small_world():
    sectors, countries = small_world_tables()
    return build_world(sectors, countries)


def small_model(world, overrides=(), seed=0, scenario="baseline"):
    """A model of the small world with noise off, from the baseline plus overrides."""
    spec = load_scenario(
        scenario,
        tuple(
            ["innovation.noise=0.0", "coopetition.shock_probability=0.0", "policy.start_year=2018.0"] + list(overrides)
        ),
        sectors=world.sectors,
    )
    return DecouplingModel(spec, seed=seed, world=world)


def run_steps(model, n):
    for _ in range(n):
        model.step()
    return model


def world_variant(world, **changes):
    """A copy of ``world`` with some arrays replaced (for controlled experiments)."""
    w = copy.deepcopy(world)
    for name, value in changes.items():
        setattr(w, name, value)
    return w


@pytest.fixture(scope="session")
def pattern_runs(world):
    """Final headline indicators of the four scenarios (and variants) over PATTERN_SEEDS."""
    out = {}
    variants: dict[str, tuple[str, tuple[str, ...]]] = {name: (name, ()) for name in SCENARIOS}
    variants["selective_allied"] = ("selective_decoupling", ("policy.ally_pressure=1.0",))
    variants["selective_unilateral"] = ("selective_decoupling", ("policy.ally_pressure=0.0",))
    for label, (scenario, overrides) in variants.items():
        spec = load_scenario(scenario, overrides, sectors=world.sectors)
        runs = []
        for seed in PATTERN_SEEDS:
            m = DecouplingModel(spec, seed=seed, world=world).run()
            runs.append(
                {
                    "final": outcomes.values(m),
                    "revenue": m.market.revenue.copy(),
                    "rd": m.firms.by_country(m.firms.rd),
                    "share": m.market.market_share.copy(),
                    "capability": m.firms.best_by_country(m.firms.capability),
                    "bilateral": m.market.bilateral.copy(),
                    "self_sufficiency": m.market.self_sufficiency.copy(),
                    "welfare": m.market.welfare.copy(),
                    "trust": m.relations.trust,
                    "yard": m.policy.controlled.copy(),
                }
            )
        out[label] = runs
    return out


def mean_of(runs, key, fn=lambda x: x):
    return float(np.mean([fn(r[key]) for r in runs]))


os.environ.setdefault("MPLBACKEND", "Agg")


# ----------------------------------------------------------------------------- test tiers

#: Which tests carry which mark, by node id pattern (``fnmatch``; a parametrized test's cases match
#: its name followed by ``[*]``). The marks are declared in pyproject.toml; `make check` runs the
#: tests that carry none of them. ``slow``: more than about 2 s each on a busy 2-core machine, as
#: measured with ``pytest --durations=0`` (whole scenario runs, sweeps, searches, child processes);
#: a new test of that kind belongs here. tests/test_tiers.py checks that every pattern names a test.
TIERS: dict[str, tuple[str, ...]] = {
    "fuzz": ("tests/test_fuzz.py::*", "tests/test_play_fuzz.py::*"),
    "browser": (
        "tests/test_bilingual.py::test_the_classroom_page_in_chinese_and_its_keyboard_language_switch",
        "tests/test_demo.py::test_demo_in_a_real_browser",
        "tests/test_demo.py::test_the_app_fits_a_1280x800_projector_and_projects_a_moved_lever_at_once",
        "tests/test_demo.py::test_sigterm_to_demo_stops_its_server_and_a_shared_host_is_warned_about",
        "tests/test_demo.py::test_closed_tabs_stop_computing_and_free_their_memory",
        "tests/test_play.py::test_a_class_plays_a_round_in_real_browsers",
        "tests/test_play.py::test_chinese_citations_are_drawn_in_the_shipped_font",
        "tests/test_play.py::test_on_a_phone_the_what_if_stays_in_view_beside_the_levers",
        "tests/test_play.py::test_a_team_joins_and_plays_by_keyboard_alone_with_every_control_named",
        "tests/test_play.py::test_a_non_loopback_host_prints_a_warning",
        "tests/test_play_i18n.py::test_a_team_page_switched_to_chinese_stays_chinese_after_a_reload",
        "tests/test_passages.py::test_a_team_opens_a_levers_source_and_reads_the_chinese_in_the_shipped_font",
        "tests/test_passages.py::test_the_classroom_app_opens_a_levers_source_with_the_chinese_in_the_shipped_font",
    ),
    "slow": (
        "tests/test_play_whatifs.py::test_the_lean_what_if_gives_the_full_ones_numbers_and_view_to_the_bit",
        "tests/test_play_whatifs.py::test_the_server_computes_one_draft_once_for_every_team_and_answers_as_a_fresh_run",
        "tests/test_economics.py::test_outbound_limits_cost_us_investors_returns_and_slow_china",
        "tests/test_bilingual.py::test_compare_in_chinese_writes_the_same_files_and_draws_chinese_figures",
        "tests/test_bilingual.py::test_figures_in_chinese_speak_chinese_in_the_shipped_font_and_stay_clear",
        "tests/test_bilingual.py::test_figures_in_english_are_drawn_as_before",
        "tests/test_bilingual.py::test_sweep_and_search_figures_in_chinese",
        "tests/test_bilingual.py::test_tables_for_programs_stay_english_in_chinese",
        "tests/test_bilingual.py::test_the_classroom_figures_chart_and_notes_speak_chinese",
        "tests/test_bilingual.py::test_the_command_line_module_runs_in_chinese_as_a_program",
        "tests/test_demo.py::test_a_projection_foretells_the_live_run_and_leaves_its_draws_alone",
        "tests/test_demo.py::test_a_projection_asked_to_stop_gives_way_and_the_chart_shows_three_lines",
        "tests/test_cli.py::test_a_name_the_locale_cannot_hold_is_refused_before_the_work",
        "tests/test_cli.py::test_a_reader_that_goes_away_ends_the_command_quietly",
        "tests/test_cli.py::test_a_run_past_the_evidence_horizon_is_warned_of_once",
        "tests/test_cli.py::test_a_scenario_file_named_in_another_script_runs_under_a_c_locale",
        "tests/test_cli.py::test_compare_draws_scenarios_side_by_side",
        "tests/test_cli.py::test_installed_command_runs",
        "tests/test_cli.py::test_output_to_a_terminal_that_lacks_dashes_and_chinese",
        "tests/test_cli.py::test_plot_redraws_figures",
        "tests/test_cli.py::test_sweep_and_compare_warn_past_the_horizon_and_refuse_past_the_maximum",
        "tests/test_decisions.py::test_a_patient_china_retaliates_less",
        "tests/test_decisions.py::test_joint_programmes_change_coopetition_measurably",
        "tests/test_decisions.py::test_lobbying_delays_controls_in_proportion_to_the_revenue_at_stake",
        "tests/test_decisions.py::test_precise_coupling_keeps_trust_and_welfare_above_the_small_yard",
        "tests/test_discover.py::test_a_box_over_noise_says_so_and_a_real_one_does_not",
        "tests/test_documentation.py::test_the_command_writes_and_checks",
        "tests/test_discover.py::test_a_set_of_sectors_is_boxed_as_a_categorical_dimension",
        "tests/test_discover.py::test_discover_refuses_a_folder_of_someone_elses_files_before_any_work",
        "tests/test_discover.py::test_discover_rewrites_its_own_folder_and_drops_its_stale_files",
        "tests/test_docs.py::test_mkdocs_builds_the_site_strictly_and_offline",
        "tests/test_discover.py::test_discover_warns_on_standard_error_when_its_box_is_noise",
        "tests/test_ema.py::test_a_switch_refuses_anything_else",
        "tests/test_ema.py::test_every_bad_name_or_value_is_a_config_error",
        "tests/test_ema.py::test_the_multiprocessing_evaluator_gives_the_same_results",
        "tests/test_play.py::test_a_what_if_gives_the_numbers_of_a_run_from_the_start",
        "tests/test_play.py::test_nothing_is_written_outside_the_results_folder",
        "tests/test_play.py::test_the_debrief_figure_draws_chinese_with_the_shipped_font",
        "tests/test_play.py::test_the_command_rejects_bad_settings_clearly",
        "tests/test_play.py::test_the_export_replays_with_decouple_run_to_the_same_numbers",
        "tests/test_play_game.py::test_a_what_if_uses_only_choices_already_revealed",
        "tests/test_play_game.py::test_an_advance_that_names_its_round_happens_once",
        "tests/test_play_game.py::test_an_advance_without_a_round_still_advances_the_open_one",
        "tests/test_play_game.py::test_game_settings_must_be_finite_numbers",
        "tests/test_play_game.py::test_stopping_the_server_stops_its_workers_without_a_traceback",
        "tests/test_play_game.py::test_the_command_refuses_bad_numbers_and_hosts_before_serving",
        "tests/test_play_security.py::test_a_bad_body_on_the_open_join_is_a_400_that_says_why",
        "tests/test_play_security.py::test_a_second_device_is_seen_by_the_team_and_the_facilitator_who_can_renew_the_code",
        "tests/test_play_i18n.py::test_pages_carry_the_rooms_language_and_the_catalogue_is_served_with_its_version",
        "tests/test_play_security.py::test_an_advance_names_its_round_so_a_retry_does_not_run_two",
        "tests/test_play_security.py::test_connections_that_never_finish_their_headers_are_closed",
        "tests/test_play_security.py::test_lever_values_of_every_wrong_kind_are_400",
        "tests/test_play_security.py::test_only_this_machines_host_names_are_answered",
        "tests/test_play_security.py::test_polling_and_choices_answer_while_an_export_runs",
        "tests/test_plots.py::test_comparison_and_run_figures_leave_every_legend_and_label_clear",
        "tests/test_plots.py::test_every_sweep_figure_leaves_every_legend_and_label_clear",
        "tests/test_plots.py::test_the_discovery_figures_leave_every_label_clear",
        "tests/test_plots.py::test_the_layout_measure_sees_a_legend_over_the_year_labels_and_text_past_the_edge",
        "tests/test_plots.py::test_the_search_figure_labels_named_scenarios_clear_of_each_other_and_the_legend",
        "tests/test_plots.py::test_the_validation_figure_leaves_every_label_clear",
        "tests/test_reliability.py::test_a_kill_mid_write_never_mixes_old_and_new_files",
        "tests/test_reliability.py::test_a_symlinked_out_is_written_through_and_stays_a_link",
        "tests/test_reliability.py::test_an_unreachable_scheduler_is_reported_within_its_timeout",
        "tests/test_reliability.py::test_compare_caps_replicates_and_warns_about_workers",
        "tests/test_reliability.py::test_compare_resumes_an_interrupted_comparison",
        "tests/test_reliability.py::test_compare_without_csv_leaves_no_stale_csv",
        "tests/test_reliability.py::test_compare_writes_through_a_symlinked_out",
        "tests/test_reproducibility.py::test_worker_count_does_not_change_results",
        "tests/test_results_page.py::test_the_committed_results_page_is_the_page_of_make_run",
        "tests/test_results_page.py::test_the_page_of_a_short_comparison_reads_its_numbers",
        "tests/test_search.py::test_a_failed_evaluation_is_recorded_named_and_retried_on_resume",
        "tests/test_search.py::test_a_search_with_budget_flags_records_them_and_keeps_its_folder_to_them",
        "tests/test_search.py::test_a_stale_or_damaged_stamp_does_not_block_its_folder",
        "tests/test_search.py::test_an_enumerated_search_finds_the_front_and_resumes_from_its_shards",
        "tests/test_search.py::test_another_search_into_the_same_folder_is_refused",
        "tests/test_search.py::test_budget_flags_are_held_to_the_run_limit",
        "tests/test_search.py::test_damaged_evaluation_shards_are_computed_again",
        "tests/test_search.py::test_nsga2_runs_within_its_budget",
        "tests/test_search.py::test_policies_whose_objectives_are_not_numbers_are_failed_not_on_the_front",
        "tests/test_search.py::test_the_front_is_the_same_whatever_the_worker_count",
        "tests/test_sweeps.py::test_a_damaged_kept_time_series_makes_its_run_computed_again",
        "tests/test_sweeps.py::test_a_failed_driver_write_is_named_and_keeps_the_shards",
        "tests/test_sweeps.py::test_a_failed_figure_write_is_named_and_keeps_the_runs",
        "tests/test_sweeps.py::test_a_file_size_limit_during_consolidation_is_a_clear_error",
        "tests/test_sweeps.py::test_a_morris_sweep_from_the_command_line_writes_its_indices_as_a_table",
        "tests/test_sweeps.py::test_a_scenario_file_removed_during_a_sweep_is_still_read_as_it_was",
        "tests/test_sweeps.py::test_a_sweep_without_csv_writes_none_and_a_resume_keeps_an_earlier_csv_in_step",
        "tests/test_sweeps.py::test_consolidation_never_gathers_an_invalid_shard",
        "tests/test_sweeps.py::test_invalid_shards_are_computed_again_with_a_warning_naming_them",
        "tests/test_sweeps.py::test_killed_sweep_loses_no_finished_run_and_resumes",
        "tests/test_sweeps.py::test_killing_the_driver_stops_its_pool_workers",
        "tests/test_sweeps.py::test_resume_computes_only_missing_runs",
        "tests/test_sweeps.py::test_scenario_files_edited_during_a_sweep_change_none_of_its_runs",
        "tests/test_sweeps.py::test_sweep_csv_holds_the_parquet_tables",
        "tests/test_sweeps.py::test_worker_count_and_dask_give_identical_results",
        "tests/test_validation.py::test_literature_checks_compare_paired_runs_with_published_estimates",
        "tests/test_validation.py::test_switching_import_replacement_off_fails_its_checks",
        "tests/test_validation.py::test_validate_command_reports_and_exit_status",
    ),
}

#: Fixtures that take more than about 2 s to build (many scenario runs), as (test file pattern,
#: fixture name): every test there that uses one is ``slow``, since the first of them would pay
#: for it in the fast tier.
SLOW_FIXTURES: tuple[tuple[str, str], ...] = (
    ("tests/*.py", "pattern_runs"),
    ("tests/test_lesson.py", "results"),
    ("tests/test_discover.py", "explored"),
    ("tests/test_decisions.py", "adaptive_runs"),
    ("tests/test_cli.py", "run_dir"),
    ("tests/test_play_i18n.py", "played"),
    ("tests/test_bilingual.py", "short_runs"),
)


def tier_marks(nodeid: str, fixturenames: tuple[str, ...] = ()) -> list[str]:
    """The marks of :data:`TIERS` whose patterns match ``nodeid``, and ``slow`` where the test uses
    one of :data:`SLOW_FIXTURES`."""
    marks = [
        mark
        for mark, patterns in TIERS.items()
        if any(fnmatchcase(nodeid, p) or fnmatchcase(nodeid, p + "[[]*") for p in patterns)
    ]
    path = nodeid.split("::", 1)[0]
    if "slow" not in marks and any(
        fnmatchcase(path, file) and fixture in fixturenames for file, fixture in SLOW_FIXTURES
    ):
        marks.append("slow")
    return marks


def pytest_collection_modifyitems(config, items):
    for item in items:
        for mark in tier_marks(item.nodeid, tuple(getattr(item, "fixturenames", ()))):
            item.add_marker(getattr(pytest.mark, mark))
