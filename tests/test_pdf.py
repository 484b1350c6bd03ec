"""The finance report's PDF, rendered from a hand-built ReportData and read back as text."""

from __future__ import annotations

import random
import re
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from reporter.output import money
from reporter.pdf import PRIVACY_STATEMENT, RenderTimings, decomposition, drift_table, render_pdf, top_table
from reporter.report_data import DriftSection, InsightSection, Reconciliation, ReportData, Table, ViewSection

TOP_N = 10
TOTAL = Decimal("184326.417352918")
BASELINE = Decimal("161904.880210007")
HOSTILE = ["<b>R&D</b>", "財務部", "Ελληνικά", "عربى", '=HYPERLINK("x") "quoted" & \'single\'',
           "Operations-and-Platform-Engineering-Shared-Services-EMEA-North", None]
VIEW_SIZES = {"department": 14, "employee": 40, "workflow": 8, "model": 6, "vendor": 4,
              "customer": 23, "outcome": 6, "evidence": 3}


def split(total: Decimal, count: int, rng: random.Random) -> list[Decimal]:
    """`count` positive amounts, largest first, adding up exactly to `total`."""
    weights = sorted((rng.paretovariate(1.2) for _ in range(count)), reverse=True)
    scale = sum(weights)
    parts = [(total * Decimal(weight / scale)).quantize(Decimal("0.000000001")) for weight in weights]
    parts[0] += total - sum(parts)
    return parts


def members(key: str, count: int) -> list:
    names = [f"{key}-{index:02d}" for index in range(count)]
    if key in ("department", "employee", "customer"):
        names[1:1 + len(HOSTILE)] = HOSTILE[: count - 1]
    return names[:count]


def view_table(key: str, rng: random.Random) -> Table:
    count = VIEW_SIZES[key]
    columns = [key, "events", "input_tokens", "output_tokens", "cost_usd", "cost_share", "accepted"]
    rows = []
    for name, cost in zip(members(key, count), split(TOTAL, count, rng)):
        events = int(cost * 40) + 1
        rows.append([name, events, events * 900, events * 210, cost,
                     (cost / TOTAL).quantize(Decimal("0.000000001")), events // 2])
    return Table(columns=columns, rows=rows, dimensions=(key,))


def drift_section(dimension: str, rng: random.Random) -> DriftSection:
    names = members(dimension, VIEW_SIZES[dimension])
    current = split(TOTAL, len(names), rng)
    baseline = split(BASELINE, len(names), rng)
    rows, totals = [], dict.fromkeys(
        ["baseline_cost_usd", "current_cost_usd", "cost_delta_usd",
         "volume_effect_usd", "mix_effect_usd", "rate_effect_usd"], Decimal(0))
    for name, b, c in zip(names, baseline, current):
        delta = c - b
        volume = (delta * Decimal("0.5")).quantize(Decimal("0.000000001"))
        mix = (delta * Decimal("0.3")).quantize(Decimal("0.000000001"))
        row = {"baseline_cost_usd": b, "current_cost_usd": c, "cost_delta_usd": delta,
               "cost_delta_pct": (delta * 100 / b).quantize(Decimal("0.000000001")),
               "share_delta_pp": Decimal("0.1"), "baseline_accept_rate": Decimal("0.5"),
               "current_accept_rate": Decimal("0.55"), "outcome_shift_significant": False,
               "volume_effect_usd": volume, "mix_effect_usd": mix, "rate_effect_usd": delta - volume - mix}
        for key in totals:
            totals[key] += row[key]
        rows.append([name, *row.values()])
    rows.sort(key=lambda row: -abs(row[3]))
    return DriftSection(dimension=dimension, psi=0.0734, totals=totals, table=Table(
        columns=[dimension, "baseline_cost_usd", "current_cost_usd", "cost_delta_usd", "cost_delta_pct",
                 "share_delta_pp", "baseline_accept_rate", "current_accept_rate",
                 "outcome_shift_significant", "volume_effect_usd", "mix_effect_usd", "rate_effect_usd"],
        rows=rows, dimensions=(dimension,)))


def sample_report() -> ReportData:
    rng = random.Random(402)
    titles = {"department": "Spend by department", "employee": "Spend by employee",
              "workflow": "Spend by workflow", "model": "Spend by model", "vendor": "Spend by vendor",
              "customer": "Spend by customer", "outcome": "Spend by outcome",
              "evidence": "Spend by evidence status"}
    views = [ViewSection(key=key, title=title, summary=f"Who spent what, by {key}.",
                         table=view_table(key, rng)) for key, title in titles.items()]
    views[3].extra = Table(columns=["model_requested", "model_used", "events", "cost_usd"], rows=[
        ["gpt-4o", "gpt-4o-mini", 1200, Decimal("310.123456789")],
        ["claude-sonnet", "claude-haiku", 800, Decimal("95.5")]], dimensions=("model_requested", "model_used"))
    unattributed = Decimal("2315.400000001")
    return ReportData(
        tenant="Acme <Holdings> & Co", period_start=date(2026, 11, 1), period_end=date(2026, 11, 30),
        baseline_start=date(2026, 10, 2), baseline_end=date(2026, 10, 31),
        filters=[("vendor", "openai"), ("department", "<b>R&D</b>")], as_of=None,
        ledger_high_water_mark=datetime(2026, 12, 1, 3, 14, 15, tzinfo=timezone.utc),
        generated_at=datetime(2026, 12, 1, 6, 0, tzinfo=timezone.utc), software_version="0.1.0",
        total_events=7_372_817, total_input_tokens=6_635_535_300, total_output_tokens=1_548_291_570,
        total_cost_usd=TOTAL, baseline_cost_usd=BASELINE, unattributed_cost_usd=unattributed,
        largest_movers=[("department", "<b>R&D</b>", Decimal("20110.5"), Decimal("31877.25")),
                        ("model", "gpt-4o", Decimal("50000"), Decimal("42000.125"))],
        views=views, drift=[drift_section("department", rng), drift_section("model", rng)],
        reconciliation=Reconciliation(
            records_read=7_500_000, latest_records=7_372_817, superseded_records=101_003,
            replay_records=20_180, quarantined_records=6_000,
            quarantined_by_reason=[("cost_not_a_number", 3_500, Decimal("0")),
                                   ("unknown_vendor", 2_500, Decimal("412.337"))],
            latest_cost_usd=TOTAL, unattributed_cost_usd=unattributed),
        privacy=Table(columns=["privacy_mode", "events", "cost_usd"], rows=[
            ["metadata_only", 6_000_000, Decimal("150000.000000001")],
            ["redacted", 1_372_817, TOTAL - Decimal("150000.000000001")]], dimensions=("privacy_mode",)),
        insights=[InsightSection(
            kind="retries", title="Retries",
            table=Table(["workflow", "retries", "retry_cost_usd"], [["invoice-triage", 4210, Decimal("1204.5")]],
                        ("workflow",)),
            findings=["workflow `invoice-triage` retried 4,210 times; retries cost $1,204.50, 18% of its spend"],
        )],
    )


@pytest.fixture(scope="module")
def report():
    return sample_report()


@pytest.fixture(scope="module")
def rendered(report, tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    timings = render_pdf(report, path, top_n=TOP_N)
    reader = PdfReader(path)
    pages = [page.extract_text() or "" for page in reader.pages]
    return path, timings, reader, pages


def flat(text: str) -> str:
    return " ".join(text.split())


def test_render_reports_timings(rendered):
    _, timings, reader, _ = rendered
    assert isinstance(timings, RenderTimings)
    assert timings.charts > 0 and timings.pdf > 0
    assert len(reader.pages) >= 12


def test_sections_appear_in_order(rendered, report):
    _, _, _, pages = rendered
    body = flat(" ".join(pages[1:]))   # the cover lists them too, in its contents
    headings = ["Executive summary", *[view.title for view in report.views],
                "Drift by department", "Drift by model", "Reconciliation and data quality", "Privacy"]
    positions = [body.find(heading) for heading in headings]
    assert -1 not in positions, dict(zip(headings, positions))
    assert positions == sorted(positions)


def test_cover_and_summary(rendered, report):
    _, _, _, pages = rendered
    cover = flat(pages[0])
    for text in ("AI spend report", "Acme <Holdings> & Co", "November 2026", "2 October 2026 to 31 October 2026",
                 "vendor = openai", "2026-12-01 03:14:15 UTC", "2026-12-01 06:00:00 UTC", "0.1.0"):
        assert text in cover
    summary = flat(pages[1])
    assert money(TOTAL) == "$184,326.42" and money(TOTAL) in summary
    assert "+$22,421.54" in summary and "+13.8%" in summary
    assert "$2,315.40" in summary and "1.3%" in summary


def test_every_view_table_adds_up_to_the_view_total(rendered, report):
    _, _, _, pages = rendered
    body = flat(" ".join(pages[1:]))
    for view in report.views:
        section = body[body.find(view.title):]
        total = money(sum(view.table.column("cost_usd"), Decimal(0)))
        assert re.search(r"Total [\d,]+ [\d,]+ [\d,]+ " + re.escape(total) + r" 100\.0%", section), view.key
        others = len(view.table.rows) - TOP_N
        assert (f"All others ({others})" in section.split("Total")[0]) == (others > 0), view.key


def test_every_amount_is_its_exact_figure_rounded_wherever_it_appears():
    """A column is not rounded as a whole: a member's amount prints the same in its view, its
    drift table and the decomposition, each the exact figure rounded to the cent."""
    costs = [Decimal("74.495909005"), Decimal("489.825142380"), Decimal("0.005"), Decimal("0.005"),
             Decimal("1.754057185")]
    names = ["code-review-bot", "anthropic", "tiny-1", "tiny-2", "cus_00004"]
    view = Table(columns=["member", "events", "cost_usd", "cost_share"],
                 rows=[[name, 1, cost, None] for name, cost in zip(names, costs)], dimensions=("member",))
    shown = top_table(view, 3)
    printed = [row[2].text for row in shown.rows] + [shown.others[2].text, shown.total[2].text]
    assert printed == ["$74.50", "$489.83", "$0.00", "$1.76", "$566.09"]
    assert [row[3].text for row in shown.rows] + [shown.total[3].text] == ["13.2%", "86.5%", "0.0%", "100.0%"]

    baseline = [Decimal("48.915"), Decimal("9.534700000"), Decimal("0"), Decimal("0"), Decimal("1")]
    rows = [[name, b, c, c - b, None, None, None, None, False, c - b, Decimal(0), Decimal(0)]
            for name, b, c in zip(names, baseline, costs)]
    section = DriftSection(dimension="member", psi=0.0, table=Table(
        columns=["member", "baseline_cost_usd", "current_cost_usd", "cost_delta_usd", "cost_delta_pct",
                 "share_delta_pp", "baseline_accept_rate", "current_accept_rate", "outcome_shift_significant",
                 "volume_effect_usd", "mix_effect_usd", "rate_effect_usd"], rows=rows, dimensions=("member",)),
        totals={"baseline_cost_usd": sum(baseline), "current_cost_usd": sum(costs),
                "volume_effect_usd": sum(costs) - sum(baseline), "mix_effect_usd": Decimal(0),
                "rate_effect_usd": Decimal(0)})
    drift = drift_table(section, 3)
    assert [(row[1].text, row[2].text) for row in drift.rows] == [
        ("$48.92", "$74.50"), ("$9.53", "$489.83"), ("$0.00", "$0.00")]
    assert decomposition(section)[-1] == ("Current cost", "$566.09", True)


def test_hostile_names_render_literally(rendered):
    path, _, _, pages = rendered
    text = " ".join(pages)
    for name in ("<b>R&D</b>", "財務部", "Ελληνικά", '=HYPERLINK("x") "quoted"'):
        assert name in text, name
    assert "(unattributed)" in text


def test_privacy_statement_and_page_numbers(rendered):
    _, _, _, pages = rendered
    assert flat(PRIVACY_STATEMENT) in flat(pages[-1]) or flat(PRIVACY_STATEMENT) in flat(" ".join(pages[-2:]))
    assert f"Page 1 of {len(pages)}" in pages[0]
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]


def test_reconciliation_page(rendered):
    _, _, _, pages = rendered
    text = flat(" ".join(pages))
    assert "records read = latest + superseded + replays + quarantined" in text
    assert "7,500,000" in text and "unknown_vendor" in text and "$412.34" in text


def test_charts_are_vector(rendered):
    _, _, reader, pages = rendered
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for xobject in (resources.get("/XObject") or {}).values():
            assert xobject.get_object().get("/Subtype") != "/Image"
    view_page = next(page for page in pages if "Spend by workflow" in page and "workflow-07" in page)
    assert view_page.count("workflow-07") >= 2   # once in the chart, once in the table


def test_same_data_same_pdf(rendered, report, tmp_path):
    path, _, _, pages = rendered
    again = tmp_path / "again.pdf"
    render_pdf(sample_report(), again, top_n=TOP_N)
    assert [page.extract_text() for page in PdfReader(again).pages] == pages
    from weasyprint.text.ffi import harfbuzz_subset
    if harfbuzz_subset is not None:   # fontTools, its fallback, stamps subset fonts with the time
        assert again.read_bytes() == Path(path).read_bytes()
