"""Drift: hand-computed measures, exact decomposition, PSI, windows, and the CLI end to end."""

from __future__ import annotations

import csv
import io
import math
from datetime import date
from decimal import Decimal

import pytest

from conftest import query, run_cli
from reporter.drift import (
    DriftError, Window, check_windows, decompose, default_baseline, member_drift,
    population_stability_index, two_proportion_z,
)


def window_rows(members):
    return [{"events": n, "cost_usd": Decimal(c), "accepted": 0, "failed": 0, "known_outcomes": 0}
            for n, c in members.values()]


BASELINE = {"A": (10, "10.00"), "B": (10, "30.00"), "D": (5, "10.00")}
CURRENT = {"A": (30, "36.00"), "B": (10, "30.00"), "C": (10, "5.00")}


def drift_of(member, baseline_days=10, current_days=10):
    def row(members):
        if member not in members:
            return None
        n, c = members[member]
        return {"events": n, "cost_usd": Decimal(c), "accepted": 0, "failed": 0, "known_outcomes": 0}
    return member_drift(row(BASELINE), row(CURRENT), window_rows(BASELINE), window_rows(CURRENT),
                        baseline_days, current_days, min_events=30)


def test_decomposition_by_hand():
    # N0 = 25 events, N1 = 50. A: volume = (50 - 25) * 10 / 25 = 10, mix = 30 * 10/10 - 50 * 10/25 = 10,
    # delta = 26, rate = n1 * (c1/n1 - c0/n0) = 30 * (1.20 - 1.00) = 6.
    a = drift_of("A")
    assert (a["volume_effect_usd"], a["mix_effect_usd"], a["rate_effect_usd"]) == (Decimal(10), Decimal(10), Decimal(6))
    # B keeps its events and cost per event: its volume gain is taken back by mix; no rate effect.
    b = drift_of("B")
    assert (b["volume_effect_usd"], b["mix_effect_usd"], b["rate_effect_usd"]) == (Decimal(30), Decimal(-30), Decimal(0))


def test_new_and_vanished_members_have_zeros_on_the_other_side():
    new, gone = drift_of("C"), drift_of("D")
    assert (new["baseline_events"], new["baseline_cost_usd"], new["baseline_share"]) == (0, Decimal(0), Decimal(0))
    assert new["cost_delta_pct"] is None  # no baseline cost: no percentage, no division by zero
    assert (new["volume_effect_usd"], new["mix_effect_usd"], new["rate_effect_usd"]) == (0, Decimal(5), Decimal(0))
    assert (gone["current_events"], gone["current_cost_usd"], gone["current_share"]) == (0, Decimal(0), Decimal(0))
    assert gone["cost_delta_usd"] == Decimal(-10) and gone["cost_delta_pct"] == Decimal(-100)
    # D: volume = 25 * 10 / 25 = 10, mix = 0 - 50 * 10 / 25 = -20, rate = -10 - 10 + 20 = 0.
    assert (gone["volume_effect_usd"], gone["mix_effect_usd"], gone["rate_effect_usd"]) == (Decimal(10), Decimal(-20), Decimal(0))


def test_the_effects_add_up_exactly_to_the_change():
    members = [drift_of(m) for m in "ABCD"]
    for m in members:
        assert m["volume_effect_usd"] + m["mix_effect_usd"] + m["rate_effect_usd"] == m["cost_delta_usd"]
    assert sum(m["cost_delta_usd"] for m in members) == Decimal("71.00") - Decimal("50.00")


def test_decomposition_stays_exact_when_division_does_not_terminate():
    volume, mix = decompose(Decimal("1.000000001"), Decimal("2.5"), 3, 7, 7, 11)
    rate = Decimal("2.5") - Decimal("1.000000001") - volume - mix
    assert volume == Decimal("0.571428572")          # 4 * 1.000000001 / 7, to nine places
    assert volume + mix + rate == Decimal("1.499999999")


def test_unequal_windows_compare_cost_per_day():
    a = drift_of("A", baseline_days=7, current_days=28)
    assert a["baseline_cost_per_day_usd"] == Decimal("1.428571429")   # 10.00 / 7
    assert a["current_cost_per_day_usd"] == Decimal("1.285714286")    # 36.00 / 28


def test_shares_and_percentage_points():
    a = drift_of("A")
    assert a["baseline_share"] == Decimal("0.2")          # 10 / 50
    assert a["current_share"] == Decimal("0.507042254")   # 36 / 71
    assert a["share_delta_pp"] == Decimal("30.70422540")


def test_two_proportion_z_by_hand():
    # 90/100 then 50/100: pooled p = 0.7, se = sqrt(0.7 * 0.3 * (1/100 + 1/100)) = 0.0648074
    assert two_proportion_z(90, 100, 50, 100) == pytest.approx(-0.4 / math.sqrt(0.0042), abs=1e-6)
    assert two_proportion_z(0, 0, 5, 10) is None
    assert two_proportion_z(10, 10, 10, 10) is None      # no variance at all


def test_a_significant_shift_alarms_and_a_small_member_is_only_flagged():
    def outcome_row(accepted, known):
        return {"events": known, "cost_usd": Decimal(1), "accepted": accepted, "failed": 0, "known_outcomes": known}
    big = member_drift(outcome_row(90, 100), outcome_row(50, 100), [outcome_row(90, 100)], [outcome_row(50, 100)], 7, 7, 30)
    assert big["outcome_shift_significant"] is True and big["is_low_volume"] is False
    small = member_drift(outcome_row(9, 10), outcome_row(1, 10), [outcome_row(9, 10)], [outcome_row(1, 10)], 7, 7, 30)
    assert small["is_low_volume"] is True and small["outcome_shift_significant"] is False
    assert abs(small["accept_rate_z"]) > 1.96


def test_psi_by_hand():
    # 0.3 * ln(0.8 / 0.5) + (-0.3) * ln(0.2 / 0.5)
    assert population_stability_index([(0.5, 0.8), (0.5, 0.2)]) == pytest.approx(0.415888, abs=1e-6)
    # A member absent from the baseline counts as a 0.0001 share there.
    expected = -0.1 * math.log(0.9) + (0.1 - 0.0001) * math.log(0.1 / 0.0001)
    assert population_stability_index([(1.0, 0.9), (0, 0.1)]) == pytest.approx(expected, abs=1e-9)


def test_windows():
    current = Window(date(2026, 10, 1), date(2026, 10, 31))
    assert default_baseline(current) == Window(date(2026, 8, 31), date(2026, 9, 30))
    assert current.days == 31
    with pytest.raises(DriftError, match="overlaps"):
        check_windows(current, Window(date(2026, 9, 1), date(2026, 10, 1)))
    with pytest.raises(DriftError, match="comes after"):
        check_windows(current, Window(date(2026, 11, 1), date(2026, 11, 30)))
    with pytest.raises(DriftError, match="starts"):
        check_windows(Window(date(2026, 10, 31), date(2026, 10, 1)), Window(date(2026, 9, 1), date(2026, 9, 2)))


def drift_csv(database, *arguments):
    result = run_cli("drift", "--duckdb", database, "--format", "csv", *arguments)
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.output)))


def test_drift_end_to_end_adds_up(small_ledger):
    summary, _, database = small_ledger
    rows = drift_csv(database, "--by", "model_used", "--from", "2026-10-17", "--to", "2026-10-31",
                     "--tenant", summary.tenants[0])
    assert rows
    for row in rows:
        effects = sum(Decimal(row[c]) for c in ("volume_effect_usd", "mix_effect_usd", "rate_effect_usd"))
        assert effects == Decimal(row["cost_delta_usd"])
        assert Decimal(row["current_cost_usd"]) - Decimal(row["baseline_cost_usd"]) == Decimal(row["cost_delta_usd"])
    deltas = [abs(Decimal(row["cost_delta_usd"])) for row in rows]
    assert deltas == sorted(deltas, reverse=True)
    assert sum(Decimal(row["current_share"] or 0) for row in rows) == pytest.approx(Decimal(1), abs=Decimal("1e-6"))


@pytest.mark.parametrize("arguments, fragment", [
    (["--from", "2026-10-10", "--to", "2026-10-20", "--baseline-from", "2026-10-01", "--baseline-to", "2026-10-10"], "overlaps"),
    (["--from", "2026-10-10", "--to", "2026-10-20", "--baseline-from", "2026-10-21", "--baseline-to", "2026-10-25"], "comes after"),
    (["--from", "2026-12-01", "--to", "2026-12-31"], "no events for tenant tnt_acme in the current window"),
    (["--from", "2026-10-05", "--to", "2026-10-10", "--baseline-from", "2026-09-01", "--baseline-to", "2026-09-10"],
     "no events for tenant tnt_acme in the baseline window"),
    (["--from", "2026-10-10", "--to", "2026-10-20", "--baseline-from", "2026-10-01"], "--baseline-to"),
    (["--from", "2026-10-32", "--to", "2026-10-20"], "--from '2026-10-32' is not a date"),
])
def test_drift_bad_windows_are_clear_errors(small_ledger, arguments, fragment):
    summary, _, database = small_ledger
    result = run_cli("drift", "--duckdb", database, "--by", "vendor", "--tenant", summary.tenants[0], *arguments)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert fragment in result.output


@pytest.mark.parametrize("dimension", ["workflow", "vendor", "model_used"])
def test_the_command_and_the_dbt_drift_models_agree(small_ledger, dimension):
    summary, _, database = small_ledger
    tenant = summary.tenants[0]
    (baseline_from, baseline_to, current_from, current_to), = query(database, """
        select baseline_from, baseline_to, current_from, current_to from main.int_drift_windows
    """)
    rows = drift_csv(database, "--by", dimension, "--tenant", tenant,
                     "--from", current_from.isoformat(), "--to", current_to.isoformat(),
                     "--baseline-from", baseline_from.isoformat(), "--baseline-to", baseline_to.isoformat())
    models = query(database, """
        select member, baseline_events, current_events, baseline_cost_usd, current_cost_usd,
               cost_delta_usd, cost_delta_pct, baseline_share, current_share, share_delta_pp,
               baseline_accept_rate, current_accept_rate, accept_rate_z, fail_rate_z,
               is_low_volume, outcome_shift_significant, volume_effect_usd, mix_effect_usd, rate_effect_usd
        from main.rpt_drift_members where tenant_id = ? and dimension_name = ?
    """, [tenant, dimension])
    by_member = {row[0]: row for row in models}
    assert len(rows) == len(by_member) > 1
    close = Decimal("0.000000002")
    for row in rows:
        model = by_member[row[dimension]]
        assert (int(row["baseline_events"]), int(row["current_events"])) == (model[1], model[2])
        for index, column in ((3, "baseline_cost_usd"), (4, "current_cost_usd"), (5, "cost_delta_usd")):
            assert Decimal(row[column]) == model[index], column
        for index, column in ((6, "cost_delta_pct"), (7, "baseline_share"), (8, "current_share"),
                              (9, "share_delta_pp"), (10, "baseline_accept_rate"), (11, "current_accept_rate")):
            if model[index] is None:
                assert row[column] == "", column
            else:
                assert abs(Decimal(row[column]) - Decimal(str(model[index]))) <= Decimal("0.00001"), column
        for index, column in ((12, "accept_rate_z"), (13, "fail_rate_z")):
            assert (row[column] == "") == (model[index] is None)
            if model[index] is not None:
                assert float(row[column]) == pytest.approx(model[index], abs=1e-5)
        assert (row["is_low_volume"], row["outcome_shift_significant"]) == (str(model[14]), str(model[15]))
        for index, column in ((16, "volume_effect_usd"), (17, "mix_effect_usd"), (18, "rate_effect_usd")):
            assert abs(Decimal(row[column]) - model[index]) <= close, column
    (psi,), = query(database, "select psi from main.rpt_drift_dimensions where tenant_id = ? and dimension_name = ?",
                    [tenant, dimension])
    result = run_cli("drift", "--duckdb", database, "--by", dimension, "--tenant", tenant,
                     "--from", current_from.isoformat(), "--to", current_to.isoformat(),
                     "--baseline-from", baseline_from.isoformat(), "--baseline-to", baseline_to.isoformat())
    assert f"PSI {psi:.4f}" in result.output
