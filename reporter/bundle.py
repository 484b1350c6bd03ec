"""The finance report bundle: gather every view, write CSVs, the PDF and a manifest, atomically.

A bundle is a folder (or a zip) holding report.pdf, csv/*.csv and manifest.json. The manifest
records every parameter, the ledger's high-water mark, record counts, the software version, and
the SHA-256, size and column totals of every other file. `verify` checks every file against the
manifest and the manifest's counts and totals against the CSVs, which catches a change made to
any file. A bundle cannot vouch for its manifest's other fields (the parameters), nor for itself
against someone who rewrites every file and the manifest too: for that, the bundle's fingerprint
(the SHA-256 of its manifest, printed when it is written) is kept apart from it, and
`verify --fingerprint` compares the two.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import tempfile
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path

from . import __version__
from .breakdown import BreakdownRequest, resolve_tenant, run_breakdown, tenants
from .contract import UNKNOWN_TENANT
from .drift import DriftRequest, Window, default_baseline, run_drift
from .insights import KINDS, InsightsRequest, run_insight
from .output import text_value, to_csv
from .report_data import DriftSection, InsightSection, Reconciliation, ReportData, Table, ViewSection
from .semantic import SemanticLayer
from .warehouse import Warehouse

# Each view: file stem, title, and the breakdown dimensions its table is grouped by.
VIEWS = (
    ("department", "Spend by department", ("department", "cost_center", "division")),
    ("employee", "Spend by employee", ("employee", "department")),
    ("workflow", "Spend by workflow", ("workflow", "workflow_owning_department")),
    ("model", "Spend by model: requested and used", ("vendor", "model_requested", "model_used")),
    ("vendor", "Spend by vendor", ("vendor",)),
    ("customer", "Spend by customer", ("customer",)),
    ("outcome", "Outcomes", ("outcome",)),
    ("evidence", "Receipts and evidence", ("receipt_status", "evidence_status")),
)
DRIFT_DIMENSIONS = ("department", "workflow", "model_used", "vendor", "customer")
MOVERS = 5
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)   # fixed, so that the same files make the same archive
# Every bundle holds these (the insights a filter cannot narrow are left out, so they are not):
# removing one together with its manifest entry must not pass for an intact bundle.
REQUIRED_FILES = (
    "report.pdf", "csv/reconciliation.csv", "csv/model_substitutions.csv", "csv/by_privacy_mode.csv",
    *(f"csv/by_{key}.csv" for key, _, _ in VIEWS),
    *(f"csv/drift_{dimension}.csv" for dimension in DRIFT_DIMENSIONS),
)


class BundleError(Exception):
    """The bundle could not be written or verified; the message says why."""


@dataclass(frozen=True)
class ReportRequest:
    start: date
    end: date
    baseline: Window | None = None
    where: tuple[tuple[str, str], ...] = ()
    tenant: str | None = None
    as_of: datetime | None = None


@dataclass
class Timings:
    queries: float = 0.0
    charts: float = 0.0
    pdf: float = 0.0
    files: float = 0.0


@dataclass
class BundleResult:
    path: Path
    manifest: dict
    fingerprint: str
    timings: Timings = field(default_factory=Timings)


def gather(layer: SemanticLayer, warehouse: Warehouse, request: ReportRequest) -> ReportData:
    """Every figure of the report, read from the built marts."""
    tenant = resolve_tenant(request.tenant, tenants(layer, warehouse))
    current = Window(request.start, request.end)
    baseline = request.baseline or default_baseline(current)

    def breakdown(by, where=request.where, **extra):
        result = run_breakdown(layer, warehouse, BreakdownRequest(
            by=by, where=where, start=request.start, end=request.end, tenant=tenant, **extra))
        return Table(result.columns, result.rows, tuple(by))

    views = []
    for key, title, by in VIEWS:
        table = breakdown(by, extra_metrics=("requested_model_list_cost_usd",) if key == "model" else ())
        extra = substitutions(table) if key == "model" else None
        views.append(ViewSection(key, title, view_summary(table), table, extra))
    department = views[0].table
    # The reconciliation accounts for every record of the tenant and period, which filters cannot
    # narrow (a quarantined record may have no owner to filter on): its spend is unfiltered too.
    ledger_department = breakdown(("department",), where=()) if request.where else department
    drift = []
    for dimension in DRIFT_DIMENSIONS:
        result = run_drift(layer, warehouse, DriftRequest(
            by=dimension, current=current, baseline=baseline, where=request.where, tenant=tenant,
            require_baseline=False))
        drift.append(DriftSection(dimension, Table(result.columns, result.rows, (dimension,)),
                                  result.psi, result.totals))
    privacy = breakdown(("privacy_mode",))
    insights = []
    for kind in KINDS.values():
        found = run_insight(warehouse, marts_schema(layer), kind, InsightsRequest(
            tenant=tenant, start=request.start, end=request.end, where=request.where))
        if not found.skipped_filters:  # a kind the filters cannot narrow would show unfiltered figures
            insights.append(InsightSection(kind.name, kind.title, found.table, found.findings))
    return ReportData(
        tenant=tenant,
        period_start=request.start,
        period_end=request.end,
        baseline_start=baseline.start,
        baseline_end=baseline.end,
        filters=list(request.where),
        as_of=request.as_of,
        ledger_high_water_mark=high_water_mark(layer, warehouse, tenant),
        generated_at=datetime.now(timezone.utc).replace(microsecond=0),
        software_version=__version__,
        total_events=sum(department.column("events")),
        total_input_tokens=sum(department.column("input_tokens")),
        total_output_tokens=sum(department.column("output_tokens")),
        total_cost_usd=sum(department.column("cost_usd"), Decimal(0)),
        baseline_cost_usd=drift[0].totals["baseline_cost_usd"] if drift else Decimal(0),
        unattributed_cost_usd=unattributed_cost(department),
        largest_movers=largest_movers(drift),
        views=views,
        drift=drift,
        reconciliation=reconciliation(layer, warehouse, tenant, request.start, request.end,
                                      unattributed_cost(ledger_department)),
        privacy=Table(["privacy_mode", "events", "cost_usd"],
                      [list(values) for values in zip(privacy.column("privacy_mode"), privacy.column("events"),
                                                      privacy.column("cost_usd"))],
                      ("privacy_mode",)),
        insights=insights,
    )


def substitutions(model_table: Table) -> Table:
    """Fallbacks: requested -> used, events, actual cost, and the requested model's list cost."""
    columns = ["vendor", "model_requested", "model_used", "events", "cost_usd", "requested_model_list_cost_usd"]
    indexes = [model_table.columns.index(column) for column in columns]
    rows = [[row[i] for i in indexes] for row in model_table.rows if row[1] != row[2]]
    return Table(columns, rows, ("vendor", "model_requested", "model_used"))


def view_summary(table: Table) -> str:
    if not table.rows:
        return "No events in this period."
    top, total = table.rows[0], sum(table.column("cost_usd"), Decimal(0))
    share = (top[table.columns.index("cost_share")] or 0) * 100
    name = " / ".join(text_value(value) for value in top[: len(table.dimensions)])
    return (f"{len(table.rows)} rows; the largest, {name}, accounts for {share:.1f}% "
            f"of ${total:,.2f}.")


def unattributed_cost(department: Table) -> Decimal:
    costs = department.column("cost_usd")
    return sum((cost for name, cost in zip(department.column("department"), costs)
                if name == "(unattributed)"), Decimal(0))


def largest_movers(drift: list[DriftSection]) -> list[tuple[str, str, Decimal, Decimal]]:
    movers = []
    for section in drift:
        for member, baseline, current in zip(section.table.column(section.dimension),
                                             section.table.column("baseline_cost_usd"),
                                             section.table.column("current_cost_usd")):
            movers.append((section.dimension, member, baseline, current))
    movers.sort(key=lambda mover: (-abs(mover[3] - mover[2]), mover[0], str(mover[1])))
    return movers[:MOVERS]


def marts_schema(layer: SemanticLayer) -> str:
    return layer.relation_schema("ai_events")


def high_water_mark(layer: SemanticLayer, warehouse: Warehouse, tenant: str):
    _, rows = warehouse.query(
        f"select max(ledger_high_water_mark_at) from {marts_schema(layer)}.rpt_ledger_reconciliation "
        "where tenant_id = ?", [tenant])
    return rows[0][0]


def reconciliation(layer, warehouse, tenant, start, end, unattributed_cost_usd: Decimal) -> Reconciliation:
    schema = marts_schema(layer)
    _, rows = warehouse.query(
        f"select coalesce(sum(records_read), 0), coalesce(sum(latest_records), 0), "
        f"coalesce(sum(superseded_records), 0), coalesce(sum(replay_records), 0), "
        f"coalesce(sum(quarantined_records), 0), coalesce(sum(latest_cost_usd), 0) "
        f"from {schema}.rpt_ledger_reconciliation where tenant_id = ? and ledger_date between ? and ?",
        [tenant, start, end])
    read, latest, superseded, replays, quarantined, latest_cost = rows[0]
    _, unassignable = warehouse.query(
        f"select coalesce(sum(records_read), 0) from {schema}.rpt_ledger_reconciliation "
        f"where tenant_id = ? or ledger_date is null", [UNKNOWN_TENANT])
    _, reasons = warehouse.query(
        f"select quarantine_reason, sum(quarantined_records), sum(quarantined_cost_usd) "
        f"from {schema}.rpt_quarantine_reasons where tenant_id = ? and ledger_date between ? and ? "
        f"group by quarantine_reason order by 2 desc, 1", [tenant, start, end])
    return Reconciliation(
        records_read=int(read), latest_records=int(latest), superseded_records=int(superseded),
        replay_records=int(replays), quarantined_records=int(quarantined),
        quarantined_by_reason=[(reason, int(count), Decimal(cost)) for reason, count, cost in reasons],
        latest_cost_usd=Decimal(latest_cost), unattributed_cost_usd=unattributed_cost_usd,
        unassignable_records=int(unassignable[0][0]),
    )


def csv_files(data: ReportData) -> dict[str, str]:
    """Relative path -> CSV text: every view complete, every drift, the reconciliation."""
    files = {f"csv/by_{view.key}.csv": to_csv(view.table.columns, view.table.rows) for view in data.views}
    model = next(view for view in data.views if view.key == "model")
    files["csv/model_substitutions.csv"] = to_csv(model.extra.columns, model.extra.rows)
    files["csv/by_privacy_mode.csv"] = to_csv(data.privacy.columns, data.privacy.rows)
    for section in data.drift:
        files[f"csv/drift_{section.dimension}.csv"] = to_csv(section.table.columns, section.table.rows)
    for section in data.insights:
        files[f"csv/insights_{section.kind}.csv"] = to_csv(
            [*section.table.columns, "finding"],
            [[*row, finding] for row, finding in zip(section.table.rows, section.findings)])
    rec = data.reconciliation
    files["csv/reconciliation.csv"] = to_csv(
        ["measure", "records", "cost_usd"],
        [["records_read", rec.records_read, ""],
         ["latest_versions", rec.latest_records, rec.latest_cost_usd],
         ["superseded_versions", rec.superseded_records, ""],
         ["replays", rec.replay_records, ""],
         ["quarantined", rec.quarantined_records, sum((c for _, _, c in rec.quarantined_by_reason), Decimal(0))],
         *[[f"quarantined:{reason}", count, cost] for reason, count, cost in rec.quarantined_by_reason],
         ["unattributed_spend", "", rec.unattributed_cost_usd],
         ["unassignable_records_ledger_wide", rec.unassignable_records, ""]],
    )
    return files


def csv_totals(text: str) -> dict:
    """Row count and the sum of every numeric money or count column of a CSV we wrote."""
    reader = csv.DictReader(io.StringIO(text))
    totals = {"rows": 0}
    sums: dict[str, Decimal] = {}
    for row in reader:
        totals["rows"] += 1
        for column, value in row.items():
            if column.endswith("_usd") or column in ("events", "records"):
                try:
                    sums[column] = sums.get(column, Decimal(0)) + Decimal(value or 0)
                except InvalidOperation:
                    raise BundleError(f"column {column} holds '{value}', not a number") from None
    totals.update({column: format(total, "f") for column, total in sorted(sums.items())})
    return totals


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def manifest_for(data: ReportData, files: dict[str, bytes], csv_texts: dict[str, str]) -> dict:
    return {
        "bundle": "p402-monitor finance report",
        "software": {"name": "p402-monitor", "version": data.software_version},
        "generated_at": data.generated_at.isoformat(),
        "parameters": {
            "tenant": data.tenant,
            "period": {"from": data.period_start.isoformat(), "to": data.period_end.isoformat()},
            "baseline": {"from": data.baseline_start.isoformat(), "to": data.baseline_end.isoformat()},
            "filters": [{"dimension": name, "value": value} for name, value in data.filters],
            "as_of": data.as_of.isoformat() + "Z" if data.as_of else None,
        },
        "ledger": {
            "high_water_mark": data.ledger_high_water_mark.isoformat() + "Z" if data.ledger_high_water_mark else None,
        },
        "records": {
            "read": data.reconciliation.records_read,
            "latest_versions": data.reconciliation.latest_records,
            "superseded_versions": data.reconciliation.superseded_records,
            "replays": data.reconciliation.replay_records,
            "quarantined": data.reconciliation.quarantined_records,
            "unassignable_ledger_wide": data.reconciliation.unassignable_records,
            "latest_cost_usd": format(data.reconciliation.latest_cost_usd, "f"),
            "unattributed_cost_usd": format(data.reconciliation.unattributed_cost_usd, "f"),
        },
        "totals": {
            "events": data.total_events,
            "cost_usd": format(data.total_cost_usd, "f"),
            "unattributed_cost_usd": format(data.unattributed_cost_usd, "f"),
        },
        "files": {
            name: {"sha256": sha256(content), "bytes": len(content),
                   **({"totals": csv_totals(csv_texts[name])} if name in csv_texts else {})}
            for name, content in sorted(files.items())
        },
    }


def write_bundle(data: ReportData, out: Path, render_pdf) -> BundleResult:
    """Write the bundle to `out` (a .zip file or a folder), complete or not at all.

    Everything is written to a temporary place beside `out` and moved into place last; on any
    failure the temporary place is removed, with the folders made for it, and `out` is left as
    it was.
    """
    out = Path(out).resolve()
    check_replaceable(out)
    made_folders = [folder for folder in out.parents if not folder.exists()]  # innermost first
    timings = Timings()
    staging = None
    written = False
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        started = time.perf_counter()
        csv_texts = csv_files(data)
        files = {name: text.encode("utf-8") for name, text in csv_texts.items()}
        timings.files = time.perf_counter() - started
        pdf_path = staging / "report.pdf"
        rendered = render_pdf(data, pdf_path)
        timings.charts, timings.pdf = rendered.charts, rendered.pdf
        files["report.pdf"] = pdf_path.read_bytes()
        manifest = manifest_for(data, files, csv_texts)
        files["manifest.json"] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")
        if out.suffix.lower() == ".zip":
            archive = staging / "bundle.zip"
            with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
                for name, content in sorted(files.items()):
                    bundle.writestr(zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP), content,
                                    compress_type=zipfile.ZIP_DEFLATED)
            os.replace(archive, out)
        else:
            folder = staging / "bundle"
            for name, content in files.items():
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                (folder / name).write_bytes(content)
            replace_folder(folder, out)
        written = True
        return BundleResult(out, manifest, sha256(files["manifest.json"]), timings)
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        for folder in made_folders if not written else ():
            try:
                folder.rmdir()
            except OSError:  # something else was written there meanwhile: leave it
                break


def check_replaceable(out: Path) -> None:
    """Writing a bundle may replace an earlier bundle at `out`, never anything else."""
    if not out.exists() and not out.is_symlink():
        return
    if out.suffix.lower() == ".zip" and out.is_file():
        try:
            with zipfile.ZipFile(out) as existing:
                if "manifest.json" in existing.namelist():
                    return
        except zipfile.BadZipFile:
            pass
    elif out.suffix.lower() != ".zip" and out.is_dir():
        # Hidden files (a file manager's .DS_Store) do not make a bundle folder something else.
        held = {str(path.relative_to(out)) for path in out.rglob("*") if path.is_file() and not path.name.startswith(".")}
        if "manifest.json" in held and all(name in ("manifest.json", "report.pdf")
                                           or (name.startswith("csv/") and name.endswith(".csv")) for name in held):
            return
    raise BundleError(f"{out} exists and is not a report bundle: not replacing it")


def replace_folder(new: Path, out: Path) -> None:
    """Move `new` to `out`; an existing bundle there is swapped out only once `new` is in place."""
    if not out.exists():
        os.rename(new, out)
        return
    retired = out.with_name(f".{out.name}.retired")
    shutil.rmtree(retired, ignore_errors=True)
    os.rename(out, retired)
    os.rename(new, out)
    shutil.rmtree(retired, ignore_errors=True)


def read_bundle(path: Path) -> dict[str, bytes]:
    path = Path(path)
    if path.is_dir():
        try:
            return {str(file.relative_to(path)): file.read_bytes()
                    for file in sorted(path.rglob("*")) if file.is_file()}
        except OSError as error:
            raise BundleError(f"cannot read the bundle folder {path}: {error}") from None
    if path.is_file():
        try:
            bundle = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            raise BundleError(f"{path} is neither a bundle folder nor a zip file") from None
        except OSError as error:
            raise BundleError(f"cannot read {path}: {error}") from None
        with bundle:
            names = [name for name in bundle.namelist() if not name.endswith("/")]
            repeated = sorted({name for name in names if names.count(name) > 1})
            if repeated:
                raise BundleError(f"{path} holds {', '.join(repeated)} more than once: a bundle holds each file once")
            try:
                return {name: bundle.read(name) for name in names}
            except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as error:
                raise BundleError(f"{path} is a damaged zip file ({error})") from None
    raise BundleError(f"no bundle at {path}")


def verify(path: Path, fingerprint: str | None = None) -> tuple[list[str], str | None]:
    """Every way the bundle differs from its manifest (and from `fingerprint`, the SHA-256 of the
    manifest as written, when given), empty when it is intact; and the bundle's own fingerprint."""
    files = read_bundle(path)
    if "manifest.json" not in files:
        return ["manifest.json: missing"], None
    found = sha256(files["manifest.json"])
    return verify_files(files, found, fingerprint), found


def verify_files(files: dict[str, bytes], found: str, fingerprint: str | None) -> list[str]:
    """The problems of a bundle's files, whose manifest's SHA-256 is `found`."""
    if fingerprint is not None and found != fingerprint.strip().lower():
        return [f"manifest.json: its SHA-256 is {found}, not the fingerprint {fingerprint.strip()} "
                "the bundle was written with"]
    try:
        manifest = json.loads(files["manifest.json"])
        listed = manifest["files"]
        if not isinstance(listed, dict) \
                or not all(isinstance(entry, dict) and isinstance(entry.get("totals", {}), dict)
                           for entry in listed.values()) \
                or not isinstance(manifest.get("totals", {}), dict) or not isinstance(manifest.get("records", {}), dict):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return ["manifest.json: not a bundle manifest"]
    problems = [f"{name}: missing from the manifest (every bundle has one)"
                for name in REQUIRED_FILES if name not in listed]
    for name, expected in sorted(listed.items()):
        content = files.get(name)
        if content is None:
            problems.append(f"{name}: missing")
            continue
        if len(content) != expected.get("bytes") or sha256(content) != expected.get("sha256"):
            problems.append(f"{name}: content differs from the manifest (SHA-256 or size)")
        if "totals" in expected:
            try:
                if csv_totals(content.decode("utf-8")) != expected["totals"]:
                    problems.append(f"{name}: column totals differ from the manifest")
            except (UnicodeDecodeError, BundleError, csv.Error):
                problems.append(f"{name}: not a readable CSV")
    for name in sorted(set(files) - set(listed) - {"manifest.json"}):
        problems.append(f"{name}: not listed in the manifest")
    try:
        problems += manifest_disagreements(manifest, files)
    except (InvalidOperation, TypeError, IndexError):
        problems.append("manifest.json: a count or total is not a number")
    return problems


def manifest_disagreements(manifest: dict, files: dict[str, bytes]) -> list[str]:
    """Where the manifest's own counts and totals disagree with the CSVs it lists."""
    problems = []
    totals = manifest.get("totals", {})
    for name, listed in sorted(manifest["files"].items()):
        if not name.startswith("csv/by_"):
            continue
        for column, report_total in (("cost_usd", totals.get("cost_usd")), ("events", totals.get("events"))):
            view_total = listed.get("totals", {}).get(column)
            if view_total is not None and Decimal(view_total) != Decimal(report_total or 0):
                problems.append(f"{name}: {column} adds up to {view_total}, the manifest's total is {report_total}")
    try:
        rows = list(csv.reader(io.StringIO(files.get("csv/reconciliation.csv", b"").decode("utf-8"))))
    except UnicodeDecodeError:
        return problems
    reconciled = {row[0]: row[1:] for row in rows[1:] if row}
    counts = manifest.get("records", {})
    for measure, key in (("records_read", "read"), ("latest_versions", "latest_versions"),
                         ("superseded_versions", "superseded_versions"), ("replays", "replays"),
                         ("quarantined", "quarantined"), ("unassignable_records_ledger_wide", "unassignable_ledger_wide")):
        if measure in reconciled and str(counts.get(key)) != reconciled[measure][0]:
            problems.append(f"manifest.json: records {key} is {counts.get(key)}, "
                            f"csv/reconciliation.csv says {reconciled[measure][0]}")
    # A bundle written before the manifest held the reconciliation's spend under "records" states
    # only the report's unattributed total, the same figure in a report without filters.
    spend = {"latest_versions": counts.get("latest_cost_usd"),
             "unattributed_spend": counts.get("unattributed_cost_usd", totals.get("unattributed_cost_usd"))}
    for measure, stated in spend.items():
        if measure in reconciled and stated is not None and Decimal(stated) != Decimal(reconciled[measure][1] or 0):
            problems.append(f"manifest.json: records {measure} cost is {stated}, "
                            f"csv/reconciliation.csv says {reconciled[measure][1]}")
    return problems
