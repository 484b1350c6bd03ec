"""`report`, `verify` and `nightly`: bundles an auditor can trust, read back for real."""

from __future__ import annotations

import csv
import io
import json
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import build, ledger_record, query, run_cli, write_ledger
from reporter import bundle as bundle_lib, nightly as nightly_lib
from reporter.generate import generate_ledger

MARKER = "CANARY-REPORT-51e0c2"


def bundle_files(path: Path) -> dict[str, bytes]:
    return bundle_lib.read_bundle(path)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture(scope="module")
def report_bundle(small_ledger, tmp_path_factory):
    summary, _, database = small_ledger
    out = tmp_path_factory.mktemp("report") / "acme-2026-10.zip"
    result = run_cli("report", "--duckdb", database, "--period", "2026-10", "--tenant", summary.tenants[0],
                     "--out", out)
    assert result.exit_code == 0, result.output
    return summary, database, out


def test_an_upper_case_zip_suffix_writes_a_zip(small_ledger, tmp_path):
    summary, _, database = small_ledger
    out = tmp_path / "ACME-2026-10.ZIP"
    result = run_cli("report", "--duckdb", database, "--period", "2026-10", "--tenant", summary.tenants[0],
                     "--out", out)
    assert result.exit_code == 0, result.output
    assert zipfile.is_zipfile(out) and run_cli("verify", out).exit_code == 0


def test_the_bundle_holds_the_pdf_every_csv_and_a_manifest(report_bundle):
    _, _, out = report_bundle
    files = bundle_files(out)
    for view in ("department", "employee", "workflow", "model", "vendor", "customer", "outcome", "evidence"):
        assert f"csv/by_{view}.csv" in files
    for name in ("report.pdf", "manifest.json", "csv/reconciliation.csv", "csv/drift_department.csv"):
        assert name in files
    manifest = json.loads(files["manifest.json"])
    assert manifest["parameters"]["period"] == {"from": "2026-10-01", "to": "2026-10-31"}
    assert manifest["software"]["version"]
    assert manifest["ledger"]["high_water_mark"]
    assert set(manifest["files"]) == set(files) - {"manifest.json"}


def test_every_view_csv_adds_up_to_the_report_total(report_bundle):
    summary, database, out = report_bundle
    files = bundle_files(out)
    manifest = json.loads(files["manifest.json"])
    total = Decimal(manifest["totals"]["cost_usd"])
    result = run_cli("breakdown", "--duckdb", database, "--format", "csv", "--by", "vendor",
                     "--tenant", summary.tenants[0], "--period", "2026-10")
    assert total == sum(Decimal(row["cost_usd"]) for row in csv.DictReader(io.StringIO(result.output)))
    for name, content in files.items():
        if name.startswith("csv/by_"):
            rows = list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
            assert sum(Decimal(row["cost_usd"]) for row in rows) == total, name


def test_the_pdf_reads_back_with_totals_periods_and_sections(report_bundle):
    _, _, out = report_bundle
    files = bundle_files(out)
    text = pdf_text(files["report.pdf"])
    manifest = json.loads(files["manifest.json"])
    total = Decimal(manifest["totals"]["cost_usd"])
    assert f"${total:,.2f}" in text
    assert "October 2026" in text and "Baseline window" in text
    for heading in ("Executive summary", "Spend by department", "Spend by workflow", "Spend by vendor",
                    "Spend by customer", "Outcomes", "Receipts and evidence", "Drift", "Reconciliation",
                    "Privacy"):
        assert heading.lower() in text.lower(), heading
    assert "Page 1 of" in text
    assert "no prompt or response" in text.lower()


def test_verify_passes_on_a_fresh_bundle(report_bundle):
    _, _, out = report_bundle
    result = run_cli("verify", out)
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def tampered_copy(out: Path, folder: Path, change) -> Path:
    files = bundle_files(out)
    change(files)
    copy = folder / "tampered"
    for name, content in files.items():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_bytes(content)
    return copy


def flip_a_byte(name):
    def change(files):
        content = bytearray(files[name])
        content[len(content) // 2] ^= 0x01
        files[name] = bytes(content)
    return change


def remove_with_its_manifest_entry(name):
    def change(files):
        files.pop(name)
        manifest = json.loads(files["manifest.json"])
        del manifest["files"][name]
        files["manifest.json"] = json.dumps(manifest).encode("utf-8")
    return change


@pytest.mark.parametrize("change, named", [
    (flip_a_byte("csv/by_department.csv"), "csv/by_department.csv"),
    (flip_a_byte("report.pdf"), "report.pdf"),
    (lambda files: files.pop("csv/by_vendor.csv"), "csv/by_vendor.csv: missing"),
    (lambda files: files.update({"csv/extra.csv": b"a,b\n"}), "csv/extra.csv: not listed"),
    (remove_with_its_manifest_entry("csv/by_outcome.csv"), "csv/by_outcome.csv: missing from the manifest"),
    (remove_with_its_manifest_entry("csv/drift_vendor.csv"), "csv/drift_vendor.csv: missing from the manifest"),
])
def test_verify_names_each_kind_of_tampering(report_bundle, tmp_path, change, named):
    _, _, out = report_bundle
    result = run_cli("verify", tampered_copy(out, tmp_path, change))
    assert result.exit_code == 1
    assert named in result.output


def test_verify_catches_an_edited_total_even_with_a_matching_hash(report_bundle, tmp_path):
    """Editing a CSV and the manifest's hash for it still breaks the recorded column totals."""
    _, _, out = report_bundle

    def change(files):
        name = "csv/by_vendor.csv"
        rows = list(csv.reader(io.StringIO(files[name].decode("utf-8"))))
        cost = rows[0].index("cost_usd")
        rows[1][cost] = format(Decimal(rows[1][cost]) + 1, "f")
        edited = io.StringIO()
        csv.writer(edited, lineterminator="\n").writerows(rows)
        files[name] = edited.getvalue().encode("utf-8")
        manifest = json.loads(files["manifest.json"])
        manifest["files"][name]["sha256"] = bundle_lib.sha256(files[name])
        manifest["files"][name]["bytes"] = len(files[name])
        files["manifest.json"] = json.dumps(manifest).encode("utf-8")
    result = run_cli("verify", tampered_copy(out, tmp_path, change))
    assert result.exit_code == 1 and "csv/by_vendor.csv: column totals differ" in result.output


def test_verify_checks_the_manifest_against_the_csvs(report_bundle, tmp_path):
    """The manifest's own counts and totals are checked too, not only the files it lists."""
    _, _, out = report_bundle

    def change(files):
        manifest = json.loads(files["manifest.json"])
        manifest["records"]["read"] += 1
        manifest["records"]["latest_cost_usd"] = "0.5"
        manifest["totals"]["events"] += 1
        files["manifest.json"] = json.dumps(manifest).encode("utf-8")
    result = run_cli("verify", tampered_copy(out, tmp_path, change))
    assert result.exit_code == 1
    assert "manifest.json: records read is" in result.output
    assert "manifest.json: records latest_versions cost is 0.5" in result.output
    assert "csv/by_department.csv: events adds up to" in result.output


def test_a_filtered_report_reconciles_the_whole_ledger_and_says_how_much_it_holds(report_bundle, tmp_path):
    """Filters narrow the report's views, not the accounting of the tenant's records, which a
    filter cannot narrow (a quarantined record may name no owner): the reconciliation, spend
    included, is the unfiltered report's, and the PDF says what share of it the report holds."""
    summary, database, unfiltered = report_bundle
    unfiltered_files = bundle_files(unfiltered)
    departments = list(csv.DictReader(io.StringIO(unfiltered_files["csv/by_department.csv"].decode("utf-8"))))
    department = next(row for row in departments if row["department"] != "(unattributed)")
    out = tmp_path / "filtered.zip"
    result = run_cli("report", "--duckdb", database, "--period", "2026-10", "--tenant", summary.tenants[0],
                     "--where", f"department={department['department']}", "--out", out)
    assert result.exit_code == 0, result.output
    files = bundle_files(out)
    assert files["csv/reconciliation.csv"] == unfiltered_files["csv/reconciliation.csv"]
    manifest, unfiltered_manifest = json.loads(files["manifest.json"]), json.loads(unfiltered_files["manifest.json"])
    assert manifest["records"] == unfiltered_manifest["records"]
    assert manifest["totals"]["events"] == int(department["events"]) < unfiltered_manifest["totals"]["events"]
    assert Decimal(manifest["totals"]["unattributed_cost_usd"]) == 0
    assert Decimal(manifest["records"]["unattributed_cost_usd"]) > 0
    text = " ".join(pdf_text(files["report.pdf"]).split())
    assert "before the report's filters" in text
    assert f"The report's {int(department['events']):,} events" in text
    assert run_cli("verify", out).exit_code == 0


def test_the_fingerprint_kept_apart_catches_a_bundle_rewritten_whole(small_ledger, tmp_path):
    summary, _, database = small_ledger
    out = tmp_path / "bundle.zip"
    written = run_cli("report", "--duckdb", database, "--period", "2026-10", "--tenant", summary.tenants[0],
                      "--out", out)
    assert written.exit_code == 0, written.output
    fingerprint = bundle_lib.sha256(bundle_files(out)["manifest.json"])
    assert f"Fingerprint {fingerprint}" in written.output
    assert run_cli("verify", out, "--fingerprint", fingerprint).exit_code == 0

    def reseal(files):
        """A consistent forgery: the manifest rewritten to match (here, only its timestamp)."""
        manifest = json.loads(files["manifest.json"])
        manifest["generated_at"] = "2026-11-01T00:00:00+00:00"
        files["manifest.json"] = json.dumps(manifest).encode("utf-8")
    forged = tampered_copy(out, tmp_path, reseal)
    assert run_cli("verify", forged).exit_code == 0
    result = run_cli("verify", forged, "--fingerprint", fingerprint)
    assert result.exit_code == 1 and "not the fingerprint" in result.output


def test_a_zip_holding_a_file_twice_is_rejected(report_bundle, tmp_path):
    _, _, out = report_bundle
    doubled = tmp_path / "doubled.zip"
    shutil.copy(out, doubled)
    with zipfile.ZipFile(doubled, "a") as bundle, pytest.warns(UserWarning, match="Duplicate name"):
        bundle.writestr("csv/by_department.csv", b"department,cost_usd\nFinance,0\n")
    result = run_cli("verify", doubled)
    assert result.exit_code == 1 and "csv/by_department.csv more than once" in result.output


def test_records_no_tenant_can_hold_are_stated_in_every_bundle(report_bundle):
    """Records whose tenant or both timestamps cannot be read belong to no tenant's report: each
    bundle says how many the ledger holds."""
    _, database, out = report_bundle
    files = bundle_files(out)
    (expected,) = query(database, """
        select count(*) from main_staging.stg_ledger__records
        where tenant_id is null or (occurred_at is null and recorded_at is null)
    """)[0]
    assert expected > 0
    rows = {row[0]: row[1] for row in csv.reader(io.StringIO(files["csv/reconciliation.csv"].decode("utf-8")))}
    assert rows["unassignable_records_ledger_wide"] == str(expected)
    assert json.loads(files["manifest.json"])["records"]["unassignable_ledger_wide"] == expected
    assert "no tenant's report can hold them" in " ".join(pdf_text(files["report.pdf"]).split())


def test_same_ledger_and_parameters_give_byte_identical_csvs(report_bundle, tmp_path):
    summary, database, out = report_bundle
    again = tmp_path / "again"
    assert run_cli("report", "--duckdb", database, "--period", "2026-10", "--tenant", summary.tenants[0],
                   "--out", again).exit_code == 0
    first, second = bundle_files(out), bundle_files(again)
    csvs = [name for name in first if name.startswith("csv/")]
    assert csvs and all(first[name] == second[name] for name in csvs)


def test_one_tenant_per_bundle(small_ledger, tmp_path):
    _, _, database = small_ledger
    result = run_cli("report", "--duckdb", database, "--period", "2026-10", "--out", tmp_path / "b.zip")
    assert result.exit_code == 2 and "several tenants" in result.output
    assert not (tmp_path / "b.zip").exists()


def test_a_failure_midway_leaves_no_bundle(report_bundle, tmp_path, monkeypatch):
    summary, database, _ = report_bundle
    import reporter.pdf

    def broken_renderer(data, path, **_):
        path.write_bytes(b"%PDF-half")
        raise OSError("disk full (injected)")
    monkeypatch.setattr(reporter.pdf, "render_pdf", broken_renderer)
    for out in (tmp_path / "bundle.zip", tmp_path / "bundle", tmp_path / "new" / "month" / "bundle.zip"):
        result = run_cli("report", "--duckdb", database, "--period", "2026-10", "--tenant", summary.tenants[0],
                         "--out", out)
        assert result.exit_code == 1
        assert "no bundle written" in result.output and "disk full" in result.output
        assert not out.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def hostile_bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-report")
    names = ["=HYPERLINK(\"http://evil\")", "+SUM(1,2)", "-2+3", "@cmd", "\tTabbed", "\rReturn", "R\rD",
             "<b>R&D</b>", "財務部"]
    records = [ledger_record(f"e{index}", "2026-10-15T10:00:00Z", department=name, cost_usd=f"{index + 1}.5",
                             privacy_mode="full_trace", prompt=f"secret {MARKER}", response=f"answer {MARKER}")
               for index, name in enumerate(names)]
    database = folder / "monitor.duckdb"
    build(write_ledger(folder / "ledger", records), database)
    out = folder / "bundle.zip"
    result = run_cli("report", "--duckdb", database, "--period", "2026-10", "--out", out)
    assert result.exit_code == 0, result.output
    return names, out


def test_csv_cells_that_spreadsheets_would_evaluate_are_neutralised(hostile_bundle):
    names, out = hostile_bundle
    rows = list(csv.DictReader(io.StringIO(bundle_files(out)["csv/by_department.csv"].decode("utf-8"))))
    shown = {row["department"] for row in rows}
    for name in names:
        dangerous = name[0] in "=+-@\t\r"
        assert (("'" + name) if dangerous else name) in shown
    for row in rows:
        assert Decimal(row["cost_usd"]) > 0            # numbers stay numbers
        assert not row["cost_usd"].startswith("'")


def test_hostile_names_render_literally_in_the_pdf(hostile_bundle):
    _, out = hostile_bundle
    text = pdf_text(bundle_files(out)["report.pdf"])
    assert "<b>R&D</b>" in text
    assert "財務部" in text


def test_no_content_reaches_any_file_of_the_bundle(hostile_bundle):
    _, out = hostile_bundle
    for name, content in bundle_files(out).items():
        assert MARKER.encode() not in content, name
    assert MARKER.encode() not in out.read_bytes()


def test_as_of_reproduces_a_past_report_exactly(tmp_path):
    ledger = tmp_path / "ledger"
    generate_ledger(ledger, events=1500, days=20, seed=21, bad_rate=0.01, end=date(2026, 10, 20))
    arguments = ["report", "--ledger", ledger, "--period", "2026-10", "--as-of", "2026-10-18T00:00:00Z"]
    assert run_cli(*arguments, "--out", tmp_path / "first").exit_code == 0
    # The ledger grows: later versions and new events, recorded after the as-of instant.
    generate_ledger(tmp_path / "later", events=500, days=5, seed=22, bad_rate=0.01, end=date(2026, 10, 25))
    for file in (tmp_path / "later").rglob("*.jsonl"):
        target = ledger / "later" / file.relative_to(tmp_path / "later")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(file.read_bytes())
    assert run_cli(*arguments, "--out", tmp_path / "second").exit_code == 0
    first, second = bundle_files(tmp_path / "first"), bundle_files(tmp_path / "second")
    assert [n for n in first if n.startswith("csv/")] == [n for n in second if n.startswith("csv/")]
    for name in first:
        if name.startswith("csv/"):
            assert first[name] == second[name], name


def test_nightly_writes_yesterday_month_to_date_and_the_closed_month(tmp_path):
    ledger = tmp_path / "ledger"
    generate_ledger(ledger, events=2000, days=40, seed=8, tenants=2, bad_rate=0.01, end=date(2026, 10, 31))
    out_dir = tmp_path / "bundles"
    database = tmp_path / "monitor.duckdb"
    result = run_cli("nightly", "--out-dir", out_dir, "--ledger", ledger, "--duckdb", database, "--date", "2026-11-01")
    assert result.exit_code == 0, result.output
    written = sorted(str(path.relative_to(out_dir)) for path in out_dir.rglob("*.zip"))
    assert written == ["tnt_acme/tnt_acme_2026-10-31.zip", "tnt_acme/tnt_acme_2026-10.zip",
                       "tnt_globex/tnt_globex_2026-10-31.zip", "tnt_globex/tnt_globex_2026-10.zip"]
    first = {name: bundle_files(out_dir / name) for name in written}
    assert run_cli("nightly", "--out-dir", out_dir, "--ledger", ledger, "--duckdb", database,
                   "--date", "2026-11-01").exit_code == 0
    for name in written:
        again = bundle_files(out_dir / name)
        assert {k: v for k, v in again.items() if k.startswith("csv/")} == \
               {k: v for k, v in first[name].items() if k.startswith("csv/")}
        assert run_cli("verify", out_dir / name).exit_code == 0
    result = run_cli("nightly", "--out-dir", out_dir, "--ledger", ledger, "--duckdb", database, "--date", "2026-10-15")
    assert result.exit_code == 0
    assert (out_dir / "tnt_acme" / "tnt_acme_2026-10-to-date.zip").exists()


def test_nightly_fails_clearly_without_a_ledger(tmp_path):
    result = run_cli("nightly", "--out-dir", tmp_path / "b", "--ledger", tmp_path / "none",
                     "--duckdb", tmp_path / "m.duckdb")
    assert result.exit_code == 1 and "does not exist" in result.output


def test_report_never_replaces_what_is_not_a_bundle(report_bundle, tmp_path):
    summary, database, _ = report_bundle
    precious = tmp_path / "precious.zip"
    precious.write_bytes(b"not a bundle")
    site = tmp_path / "site"
    (site / "csv").mkdir(parents=True)
    (site / "manifest.json").write_text("{}")
    (site / "index.html").write_text("<p>mine</p>")
    for out in (precious, site):
        result = run_cli("report", "--duckdb", database, "--period", "2026-10", "--tenant", summary.tenants[0],
                         "--out", out)
        assert result.exit_code == 1 and "is not a report bundle: not replacing it" in result.output
    assert precious.read_bytes() == b"not a bundle"
    assert (site / "index.html").read_text() == "<p>mine</p>"


@pytest.mark.parametrize("damage, named", [
    (lambda files: files.update({"manifest.json": json.dumps({"files": 5}).encode()}), "not a bundle manifest"),
    (lambda files: files.update({"manifest.json": json.dumps({"files": {}}).encode()}),
     "report.pdf: missing from the manifest"),
    (lambda files: files.update({"manifest.json": json.dumps(
        {**json.loads(files["manifest.json"]), "totals": {"cost_usd": "abc"}}).encode()}),
     "not a number"),
    (lambda files: files.update({"manifest.json": json.dumps({**json.loads(files["manifest.json"]), "files": {
        **json.loads(files["manifest.json"])["files"], "csv/by_vendor.csv": {"totals": "many"}}}).encode()}),
     "not a bundle manifest"),
])
def test_verify_reports_a_malformed_manifest_without_a_traceback(report_bundle, tmp_path, damage, named):
    _, _, out = report_bundle
    result = run_cli("verify", tampered_copy(out, tmp_path, damage))
    assert result.exit_code == 1 and named in result.output and "Traceback" not in result.output


def test_verify_reports_a_damaged_zip(report_bundle, tmp_path):
    _, _, out = report_bundle
    damaged = bytearray(out.read_bytes())
    for offset in (200, 201, 202, 203):
        damaged[offset] ^= 0xFF
    (tmp_path / "damaged.zip").write_bytes(bytes(damaged))
    result = run_cli("verify", tmp_path / "damaged.zip")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "is a damaged zip file" in result.output


def test_tenants_whose_names_differ_only_in_punctuation_get_their_own_bundles():
    period = nightly_lib.periods_due(date(2026, 11, 28))[0]
    names = {nightly_lib.bundle_name(tenant, period) for tenant in ("acme.co", "acme_co", "acme/co")}
    assert len(names) == 3
    assert nightly_lib.bundle_name("tnt_acme", period) == f"tnt_acme/tnt_acme_{period.label}.zip"


def test_a_stopped_report_leaves_nothing_behind(small_ledger, tmp_path):
    """systemd stops a service with SIGTERM: the bundle's temporary folder goes with it."""
    summary, _, database = small_ledger
    out = tmp_path / "bundles" / "stopped.zip"
    slow_pdf = ("import time, reporter.pdf as pdf; render = pdf.render_pdf; "
                "pdf.render_pdf = lambda *arguments: (time.sleep(600), render(*arguments))[1]; "
                "from reporter.cli import main; main()")
    process = subprocess.Popen(
        [sys.executable, "-c", slow_pdf, "report", "--duckdb", str(database), "--period", "2026-10",
         "--tenant", summary.tenants[0], "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(out.parent.glob(".stopped.zip.*")) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(out.parent.glob(".stopped.zip.*")), "the report should be writing its bundle by now"
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM
    assert "Traceback" not in stderr
    assert list(tmp_path.iterdir()) == []  # nor the folder made for it
