"""The ``p402-monitor`` command line: thin commands over the reporter library."""

from __future__ import annotations

import json
import shutil
import signal
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import click
import yaml

from . import __version__, breakdown as breakdown_lib, bundle as bundle_lib, dbt_invoke, drift as drift_lib
from . import insights as insights_lib, ledger_health, nightly as nightly_lib, output, project
from .contract import EARLIEST_DAY, LATEST_DAY
from .generate import MAX_TENANTS, generate_ledger
from .semantic import SemanticLayer, SemanticLayerMissing
from .warehouse import WarehouseUnavailable, open_warehouse


def ledger_option(function):
    return click.option(
        "--ledger",
        envvar="P402_LEDGER_PATH",
        metavar="PATH",
        help="Ledger file, folder or glob (JSONL, JSONL.gz, Parquet). Env: P402_LEDGER_PATH.",
    )(function)


# Where the marts are: the embedded DuckDB file, or another dbt profile and target.
WAREHOUSE_OPTIONS = (
    click.option("--duckdb", "duckdb_path", envvar="P402_DUCKDB_PATH", metavar="FILE",
                 help="Embedded DuckDB database file. Env: P402_DUCKDB_PATH "
                      f"(default ./{project.DEFAULT_DUCKDB_FILE})."),
    click.option("--profiles-dir", envvar="DBT_PROFILES_DIR", metavar="DIR",
                 help="Folder holding a profiles.yml with a 'p402_monitor' profile "
                      "(default: the embedded DuckDB profile). Env: DBT_PROFILES_DIR."),
    click.option("--target", metavar="NAME", help="Target of the p402_monitor profile."),
)


def warehouse_options(function):
    for option in reversed(WAREHOUSE_OPTIONS):
        function = option(function)
    return function


def as_of_option(function):
    return click.option(
        "--as-of", "as_of", metavar="TIMESTAMP", callback=_parse_as_of,
        help="Reproduce the ledger as it stood at this instant (RFC 3339, UTC if no offset).",
    )(function)


def _parse_as_of(context, parameter, value):
    if value is None:
        return None
    try:
        return dbt_invoke.parse_as_of(value)
    except ValueError as error:
        raise click.BadParameter(str(error), context, parameter) from None


def reader_options(function):
    """Options of the commands that read the built marts: filters, tenant, format, database."""
    for option in reversed([
        click.option("--where", "where", multiple=True, metavar="DIM=VALUE",
                     help="Keep rows whose DIM is VALUE. Repeats AND; a repeated DIM ORs its values."),
        click.option("--tenant", metavar="T", help="Tenant to report on; needed when the ledger has several."),
        click.option("--format", "output_format", type=click.Choice(["table", "csv", "json"]),
                     default="table", show_default=True),
        *WAREHOUSE_OPTIONS,
    ]):
        function = option(function)
    return function


def _parse_vars(context, parameter, value):
    if value is None:
        return {}
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        parsed = None
    if not isinstance(parsed, dict):
        raise click.BadParameter("give a YAML mapping, e.g. '{ledger_schema: meter}'", context, parameter)
    return parsed


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="p402-monitor")
def cli():
    """P402 Monitor: who spends what on AI, read-only over the P402 metering ledger.

    Example:

        p402-monitor demo
    """


@cli.command()
@click.option("--events", type=click.IntRange(min=1), default=100_000, show_default=True,
              help="Distinct events to write.")
@click.option("--days", type=click.IntRange(min=1), default=90, show_default=True,
              help="Days of history, ending on --end.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed: same seed, same bytes.")
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Folder to write (must be new or empty).")
@click.option("--format", "file_format", type=click.Choice(["jsonl", "jsonl.gz", "parquet"]),
              default="jsonl", show_default=True)
@click.option("--tenants", type=click.IntRange(min=1, max=MAX_TENANTS), default=1, show_default=True)
@click.option("--bad-rate", type=click.FloatRange(0, 0.5), default=0.01, show_default=True,
              help="Share of records written bad, to exercise quarantine.")
@click.option("--end", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Last day (UTC) of the ledger [default: yesterday].")
def generate(events, days, seed, out, file_format, tenants, bad_rate, end):
    """Write a realistic synthetic ledger for demos, tests and benchmarks.

    Example:

        p402-monitor generate --events 1000000 --days 90 --seed 7 --out ledger/
    """
    summary = _generate(Path(out), events=events, days=days, seed=seed, fmt=file_format, tenants=tenants,
                        bad_rate=bad_rate, end=end.date() if end else None)
    click.echo(
        f"Wrote {summary.records_written:,} records ({summary.events:,} events, "
        f"{sum(summary.bad_records_by_reason.values()):,} bad) in {len(summary.files)} files "
        f"to {out}, {summary.first_day} to {summary.last_day}."
    )


def _generate(out: Path, **options):
    """generate_ledger, its errors as messages (it leaves the folder as it was when it fails)."""
    try:
        return generate_ledger(out, **options)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    except OSError as error:
        raise click.ClickException(f"cannot write the ledger to {out}: {error}") from None
    except MemoryError:
        raise click.ClickException(f"not enough memory to generate {options['events']:,} events at once "
                                   "(10 million take about 3.5 GB): generate fewer") from None


@cli.command()
@ledger_option
@warehouse_options
@as_of_option
@click.option("--full-refresh", is_flag=True, help="Rebuild every model from the whole ledger.")
@click.option("--unit-tests", is_flag=True,
              help="Also run the models' unit tests (fixtures, not the ledger): for development and CI.")
@click.option("--vars", "dbt_vars", metavar="YAML", callback=lambda c, p, v: _parse_vars(c, p, v),
              help="dbt vars, e.g. '{ledger_schema: meter, quarantine_share_limit: 0.05}'.")
def build(ledger, duckdb_path, profiles_dir, target, as_of, full_refresh, unit_tests, dbt_vars):
    """Build the models from the ledger and run every data test.

    Exits non-zero naming each model or test that did not pass. Prints a warning, with what to
    do, for each check that warns rather than fails: records that arrived beyond the lookback.

    Example:

        p402-monitor build --ledger ledger/ --duckdb monitor.duckdb
    """
    settings = dbt_invoke.BuildSettings(
        ledger=ledger, duckdb=duckdb_path, profiles_dir=profiles_dir, target=target,
        as_of=as_of, full_refresh=full_refresh, unit_tests=unit_tests, extra_vars=dbt_vars,
    )
    _run_build(settings)
    click.echo(f"Built {project.duckdb_path(duckdb_path)}" if not target and not profiles_dir else "Built.")


@cli.command()
@click.option("--dir", "demo_dir", type=click.Path(file_okay=False), default="demo", show_default=True,
              help="Folder for the sample ledger and the database.")
@click.option("--events", type=click.IntRange(min=1), default=100_000, show_default=True)
@click.option("--days", type=click.IntRange(min=62), default=90, show_default=True,
              help="Days of history: at least 62, so that the last whole month is in the ledger to report on.")
@click.option("--seed", type=int, default=402, show_default=True)
def demo(demo_dir, events, days, seed):
    """Generate a sample ledger, build it, and show where the results are.

    Example:

        p402-monitor demo --dir demo --events 100000
    """
    demo_dir = Path(demo_dir).resolve()
    ledger_dir = demo_dir / "ledger"
    database = demo_dir / project.DEFAULT_DUCKDB_FILE
    marker = demo_dir / DEMO_MARKER
    if demo_dir.exists() and any(demo_dir.iterdir()) and not marker.is_file() and not _holds_only_a_demo(demo_dir):
        raise click.UsageError(f"--dir {demo_dir} is not empty and was not made by `p402-monitor demo`: "
                               "choose a new folder")
    # A folder an earlier demo made: its ledger and database are replaced, not added to.
    try:
        shutil.rmtree(ledger_dir, ignore_errors=True)
        database.unlink(missing_ok=True)
        demo_dir.mkdir(parents=True, exist_ok=True)
        marker.write_text("Made by `p402-monitor demo`, which may replace what it wrote here.\n", encoding="utf-8")
    except OSError as error:
        raise click.ClickException(f"cannot use {demo_dir} for the demo: {error}") from None
    summary = _generate(ledger_dir, events=events, days=days, seed=seed, tenants=2)
    click.echo(f"Sample ledger: {summary.records_written:,} records in {ledger_dir}")
    _run_build(dbt_invoke.BuildSettings(ledger=str(ledger_dir), duckdb=str(database)))
    click.echo("")
    click.echo(ledger_health.format_summary(ledger_health.reconciliation_summary(database)))
    month_start, month_end = last_full_month(summary.last_day)
    bundles = []
    try:
        for tenant in summary.tenants:
            out = demo_dir / "reports" / f"{tenant}_{month_start:%Y-%m}.zip"
            bundles.append(_write_report(open_warehouse(str(database)), month_start, month_end, None, (), tenant,
                                         None, out))
    except (breakdown_lib.BreakdownError, WarehouseUnavailable, bundle_lib.BundleError, OSError) as error:
        raise click.ClickException(f"no report written: {error}") from None
    click.echo("")
    click.echo(f"Database:  {database}")
    click.echo(f"Explore:   p402-monitor breakdown --duckdb {database} --tenant {summary.tenants[0]} "
               f"--by department,model_used --period {month_start:%Y-%m}")
    for bundle in bundles:
        click.echo(f"Report:    {bundle.path}  (report.pdf, csv/, manifest.json; check it with "
                   f"p402-monitor verify {bundle.path} --fingerprint {bundle.fingerprint})")


DEMO_MARKER = ".p402-monitor-demo"


def _holds_only_a_demo(folder: Path) -> bool:
    """What a demo made before demos left a marker: a generated ledger, its database, its bundles."""
    expected = {"ledger", "reports", project.DEFAULT_DUCKDB_FILE, project.DEFAULT_DUCKDB_FILE + ".wal"}
    if not {path.name for path in folder.iterdir()} <= expected:
        return False
    ledger_files = [path for path in (folder / "ledger").rglob("*") if path.is_file()]
    bundles = [path for path in (folder / "reports").rglob("*") if path.is_file()]
    return (all(path.name.endswith(project.LEDGER_SUFFIXES) for path in ledger_files)
            and all(path.suffix == ".zip" for path in bundles))


def last_full_month(last_day):
    """First and last day of the latest calendar month that `last_day` completes or follows."""
    following = last_day + timedelta(days=1)
    month_end = last_day if following.day == 1 else following.replace(day=1) - timedelta(days=1)
    return month_end.replace(day=1), month_end


@cli.command()
@click.option("--by", "by", required=True, metavar="DIM[,DIM…]",
              help="Dimensions to group by, in column order (listed above).")
@click.option("--from", "start", metavar="DATE", help="First UTC day, inclusive (YYYY-MM-DD).")
@click.option("--to", "end", metavar="DATE", help="Last UTC day, inclusive (YYYY-MM-DD).")
@click.option("--period", metavar="YYYY-MM", help="A calendar month (instead of --from/--to).")
@click.option("--metrics", "extra_metrics", metavar="METRIC[,METRIC…]", default="",
              help="Further metrics of the semantic layer to add as columns (e.g. acceptance_rate).")
@reader_options
def breakdown(by, where, start, end, period, tenant, extra_metrics, output_format, duckdb_path, profiles_dir,
              target):
    """Spend, tokens and outcomes grouped by any owner dimensions.

    Dimensions: department, cost_center, division, employee, workflow, customer, vendor,
    model_requested, model_used, outcome, receipt_status, evidence_status, privacy_mode,
    policy_result, budget (and any other declared in the semantic layer), and the time
    grains day, week, month. Rows are sorted by cost, largest first; cost_usd is exact.

    Example:

        p402-monitor breakdown --by department,model_used --where vendor=openai --period 2026-10
    """
    try:
        first_day, last_day = breakdown_lib.parse_period(period, start, end)
        with open_warehouse(duckdb_path, profiles_dir, target) as warehouse:
            layer = SemanticLayer(warehouse.engine)
            dimensions = layer.dimensions()
            request = breakdown_lib.BreakdownRequest(
                by=breakdown_lib.parse_by(by, dimensions),
                where=breakdown_lib.parse_where(where, dimensions),
                start=first_day,
                end=last_day,
                tenant=tenant,
                extra_metrics=breakdown_lib.check_metrics(
                    [name.strip() for name in extra_metrics.split(",") if name.strip()], layer.metrics()
                ),
            )
            result = breakdown_lib.run_breakdown(layer, warehouse, request)
    except (breakdown_lib.BreakdownError, SemanticLayerMissing, WarehouseUnavailable) as error:
        raise click.UsageError(str(error)) from None
    if output_format == "table":
        click.echo(f"Tenant {result.tenant}, " + (f"{first_day or 'start'} to {last_day or 'end'}"
                                                  if first_day or last_day else "all time"))
        click.echo(output.to_table(result.columns, result.rows, result.dimensions) if result.rows
                   else "No events match.")
    else:
        _echo_rows(output_format, result.columns, result.rows)


@cli.command()
@click.option("--by", "by", required=True, metavar="DIM", help="The owner dimension to compare members of.")
@click.option("--from", "start", required=True, metavar="DATE", help="First UTC day of the current window.")
@click.option("--to", "end", required=True, metavar="DATE", help="Last UTC day of the current window.")
@click.option("--baseline-from", metavar="DATE",
              help="First UTC day of the baseline [default: the same length just before --from].")
@click.option("--baseline-to", metavar="DATE", help="Last UTC day of the baseline.")
@click.option("--min-events", type=click.IntRange(min=1), default=30, show_default=True,
              help="Known outcomes a member needs in each window before its outcome shift can alarm.")
@reader_options
def drift(by, start, end, baseline_from, baseline_to, min_events, where, tenant, output_format, duckdb_path,
          profiles_dir, target):
    """Change in cost, mix and outcome against a baseline window, explained.

    For each member of the dimension: cost in both windows (and per day), share of spend,
    acceptance and failure rates with a two-proportion z-test, and the cost change split into
    volume, mix and rate effects that add up to it exactly. Sorted by absolute cost change.

    Example:

        p402-monitor drift --by workflow --from 2026-10-01 --to 2026-10-31 --tenant tnt_acme
    """
    try:
        current = drift_lib.Window(breakdown_lib.parse_day(start, "--from"), breakdown_lib.parse_day(end, "--to"))
        baseline = _baseline_window(baseline_from, baseline_to) or drift_lib.default_baseline(current)
        with open_warehouse(duckdb_path, profiles_dir, target) as warehouse:
            layer = SemanticLayer(warehouse.engine)
            dimensions = layer.dimensions()
            breakdown_lib.check_dimension(by, dimensions)
            request = drift_lib.DriftRequest(
                by=by, current=current, baseline=baseline, tenant=tenant, min_events=min_events,
                where=breakdown_lib.parse_where(where, dimensions),
            )
            result = drift_lib.run_drift(layer, warehouse, request)
    except (breakdown_lib.BreakdownError, SemanticLayerMissing, WarehouseUnavailable) as error:
        raise click.UsageError(str(error)) from None
    if output_format == "table":
        click.echo(f"Tenant {result.tenant}: {by}, current {result.current} against baseline {result.baseline}")
        shown = [by, *drift_lib.TABLE_COLUMNS]
        indexes = [result.columns.index(column) for column in shown]
        click.echo(output.to_table(shown, [[row[i] for i in indexes] for row in result.rows], (by,)))
        totals = result.totals
        click.echo(
            f"Cost {output.money(totals['baseline_cost_usd'])} -> {output.money(totals['current_cost_usd'])} "
            f"({output.money(totals['cost_delta_usd'])}): volume {output.money(totals['volume_effect_usd'])}, "
            f"mix {output.money(totals['mix_effect_usd'])}, rate {output.money(totals['rate_effect_usd'])}. "
            f"PSI {result.psi:.4f}."
        )
    else:
        _echo_rows(output_format, result.columns, result.rows)


@cli.command()
@click.option("--kind", "kinds", multiple=True, type=click.Choice(list(insights_lib.KINDS)),
              help="Which insight (repeatable) [default: all; csv needs exactly one].")
@click.option("--from", "start", metavar="DATE", help="First UTC day, inclusive (YYYY-MM-DD).")
@click.option("--to", "end", metavar="DATE", help="Last UTC day, inclusive (YYYY-MM-DD).")
@click.option("--period", metavar="YYYY-MM", help="A calendar month (instead of --from/--to).")
@click.option("--top", type=click.IntRange(min=1), default=5, show_default=True,
              help="Findings of each kind in the table format.")
@reader_options
def insights(kinds, start, end, period, top, where, tenant, output_format, duckdb_path, profiles_dir, target):
    """Retry storms, long-context calls, failing workflows, fallbacks, budgets, customer margin.

    Each finding comes with its cost and a plain-language line, largest first. Thresholds are
    dbt vars (see docs/insights.md).

    Example:

        p402-monitor insights --kind retries --period 2026-10 --where department=legal
    """
    selected = [insights_lib.KINDS[name] for name in (kinds or insights_lib.KINDS)]
    try:
        if output_format == "csv" and len(selected) != 1:
            raise breakdown_lib.BreakdownError("--format csv writes one kind: choose it with --kind")
        first_day, last_day = breakdown_lib.parse_period(period, start, end)
        with open_warehouse(duckdb_path, profiles_dir, target) as warehouse:
            layer = SemanticLayer(warehouse.engine)
            where = breakdown_lib.parse_where(where, layer.dimensions())
            if kinds:
                for kind in selected:
                    insights_lib.check_filters(kind, where)
            request = insights_lib.InsightsRequest(
                tenant=breakdown_lib.resolve_tenant(tenant, breakdown_lib.tenants(layer, warehouse)),
                start=first_day, end=last_day, where=where)
            results = [insights_lib.run_insight(warehouse, layer.relation_schema("ai_events"), kind, request)
                       for kind in selected]
    except (breakdown_lib.BreakdownError, SemanticLayerMissing, WarehouseUnavailable) as error:
        raise click.UsageError(str(error)) from None
    if output_format == "csv":
        result = results[0]
        click.echo(output.to_csv([*result.table.columns, "finding"],
                                 [[*row, finding] for row, finding in zip(result.table.rows, result.findings)]), nl=False)
    elif output_format == "json":
        for result in results:
            if result.skipped_filters:
                click.echo(f"{result.kind.name}: left out, not filtered by {', '.join(result.skipped_filters)} "
                           "(does not apply)", err=True)
        click.echo(json.dumps({
            result.kind.name: json.loads(output.to_json(
                [*result.table.columns, "finding"],
                [[*row, finding] for row, finding in zip(result.table.rows, result.findings)]))
            for result in results if not result.skipped_filters
        }, indent=2, ensure_ascii=False))
    else:
        click.echo(f"Tenant {request.tenant}, " + (f"{first_day or 'start'} to {last_day or 'end'}"
                                                   if first_day or last_day else "all time"))
        for result in results:
            click.echo(f"\n{result.kind.title}")
            if result.skipped_filters:
                click.echo(f"  (not filtered by {', '.join(result.skipped_filters)}: does not apply; skipped)")
                continue
            for finding in result.findings[:top] or ["nothing found"]:
                click.echo(f"  - {finding}")
            if len(result.findings) > top:
                click.echo(f"  … {len(result.findings) - top} more (--top, or --format csv --kind {result.kind.name})")


@cli.command()
@click.option("--period", metavar="YYYY-MM", help="The calendar month to report on.")
@click.option("--from", "start", metavar="DATE", help="First UTC day (instead of --period).")
@click.option("--to", "end", metavar="DATE", help="Last UTC day (instead of --period).")
@click.option("--baseline-from", metavar="DATE",
              help="First UTC day of the baseline [default: the same length just before the period].")
@click.option("--baseline-to", metavar="DATE", help="Last UTC day of the baseline.")
@click.option("--where", "where", multiple=True, metavar="DIM=VALUE",
              help="Keep rows whose DIM is VALUE. Repeats AND; a repeated DIM ORs its values.")
@click.option("--tenant", metavar="T", help="Tenant to report on; needed when the ledger has several.")
@as_of_option
@ledger_option
@warehouse_options
@click.option("--out", required=True, type=click.Path(), metavar="PATH",
              help="Where to write the bundle: a folder, or a file ending in .zip.")
def report(period, start, end, baseline_from, baseline_to, where, tenant, as_of, ledger, duckdb_path, profiles_dir,
           target, out):
    """Write a finance report bundle: report.pdf, csv/*.csv and manifest.json.

    With --as-of, the ledger files (--ledger) are first rebuilt as they stood then, into a
    temporary DuckDB database, so that a past report is reproduced exactly. The bundle appears complete or
    not at all.

    Example:

        p402-monitor report --period 2026-10 --tenant tnt_acme --out reports/acme-2026-10.zip
    """
    try:
        first_day, last_day = breakdown_lib.parse_period(period, start, end, required=True)
        baseline = _baseline_window(baseline_from, baseline_to)
        if as_of is not None:
            if not ledger:
                raise click.UsageError("--as-of rebuilds the ledger as it stood: give --ledger too")
            with tempfile.TemporaryDirectory(prefix="p402-as-of-") as scratch:
                database = str(Path(scratch) / project.DEFAULT_DUCKDB_FILE)
                _run_build(dbt_invoke.BuildSettings(ledger=ledger, duckdb=database, as_of=as_of, quiet=True))
                result = _write_report(open_warehouse(database), first_day, last_day, baseline, where, tenant,
                                       as_of, out)
        else:
            result = _write_report(open_warehouse(duckdb_path, profiles_dir, target), first_day, last_day,
                                   baseline, where, tenant, None, out)
    except (breakdown_lib.BreakdownError, SemanticLayerMissing, WarehouseUnavailable) as error:
        raise click.UsageError(str(error)) from None
    except (bundle_lib.BundleError, OSError) as error:
        raise click.ClickException(f"no bundle written: {error}") from None
    click.echo(f"Wrote {result.path} ({result.manifest['parameters']['tenant']}, "
               f"{first_day} to {last_day}, ${Decimal(result.manifest['totals']['cost_usd']):,.2f})")
    click.echo(f"Fingerprint {result.fingerprint} (keep it apart from the bundle; "
               f"p402-monitor verify --fingerprint checks it)")


def _baseline_window(baseline_from, baseline_to):
    if bool(baseline_from) != bool(baseline_to):
        raise drift_lib.DriftError("give both --baseline-from and --baseline-to, or neither")
    if not baseline_from:
        return None
    return drift_lib.Window(breakdown_lib.parse_day(baseline_from, "--baseline-from"),
                            breakdown_lib.parse_day(baseline_to, "--baseline-to"))


def _write_report(warehouse, first_day, last_day, baseline, where, tenant, as_of, out):
    """Gather the report from an open warehouse (closed afterwards) and write its bundle."""
    from .pdf import render_pdf  # WeasyPrint's import is slow: only reports pay for it

    with warehouse:
        layer = SemanticLayer(warehouse.engine)
        request = bundle_lib.ReportRequest(
            start=first_day, end=last_day, baseline=baseline, tenant=tenant, as_of=as_of,
            where=breakdown_lib.parse_where(where, layer.dimensions()),
        )
        data = bundle_lib.gather(layer, warehouse, request)
    return bundle_lib.write_bundle(data, Path(out), render_pdf)


@cli.command()
@click.option("--out-dir", required=True, type=click.Path(file_okay=False), metavar="DIR",
              help="Folder receiving DIR/<tenant>/<tenant>_<period>.zip (see docs/reports.md for tenant ids "
                   "with other characters than letters, digits, - and _).")
@ledger_option
@warehouse_options
@click.option("--date", "today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Run as if today were this UTC date [default: today].")
def nightly(out_dir, ledger, duckdb_path, profiles_dir, target, today):
    """Build, then write the bundles finance expects each morning, for every tenant.

    Yesterday, month to date, and on the first day of a month the month just closed.
    Safe to rerun: the same names are written with the same CSVs.

    Example:

        p402-monitor nightly --out-dir /srv/finance/ai-spend --ledger /data/ledger
    """
    from .pdf import render_pdf

    today = today.date() if today else datetime.now(timezone.utc).date()
    if not EARLIEST_DAY < today <= LATEST_DAY + timedelta(days=1):
        raise click.BadParameter(f"{today}: its reports would fall outside the days Monitor reports on "
                                 f"({EARLIEST_DAY} to {LATEST_DAY})", param_hint="'--date'")
    click.echo(f"nightly {today}: building")
    _run_build(dbt_invoke.BuildSettings(ledger=ledger, duckdb=duckdb_path, profiles_dir=profiles_dir,
                                        target=target, quiet=True))
    written = 0
    try:
        with open_warehouse(duckdb_path, profiles_dir, target) as warehouse:
            layer = SemanticLayer(warehouse.engine)
            for tenant in breakdown_lib.tenants(layer, warehouse):
                for period in nightly_lib.periods_due(today):
                    target = Path(out_dir) / nightly_lib.bundle_name(tenant, period)
                    request = bundle_lib.ReportRequest(start=period.start, end=period.end, tenant=tenant)
                    try:
                        data = bundle_lib.gather(layer, warehouse, request)
                    except drift_lib.DriftError as error:
                        click.echo(f"nightly {today}: {tenant} {period.label}: skipped, {error}")
                        continue
                    result = bundle_lib.write_bundle(data, target, render_pdf)
                    written += 1
                    click.echo(f"nightly {today}: {tenant} {period.label}: wrote {target}, "
                               f"fingerprint {result.fingerprint}")
    except (breakdown_lib.BreakdownError, SemanticLayerMissing, WarehouseUnavailable,
            bundle_lib.BundleError, OSError) as error:
        raise click.ClickException(f"nightly {today} failed after {written} bundle(s): {error}") from None
    click.echo(f"nightly {today}: done, {written} bundle(s) in {out_dir}")


@cli.command()
@click.argument("path", type=click.Path())
@click.option("--fingerprint", metavar="SHA256",
              help="The fingerprint printed when the bundle was written (the SHA-256 of its manifest), "
                   "kept apart from it: proves the manifest itself is the one written.")
def verify(path, fingerprint):
    """Check a report bundle against its manifest: every hash, size and CSV total, and the
    manifest's counts and totals against the CSVs.

    Exits 0 only if everything matches; otherwise names each file that does not. Without
    --fingerprint this catches a change to any file, or to the manifest's counts and totals;
    with it, also a change to the manifest's other fields (tenant, period, filters) and a
    bundle rewritten whole, manifest included.

    Example:

        p402-monitor verify reports/acme-2026-10.zip --fingerprint 3f5a…
    """
    try:
        problems, found = bundle_lib.verify(Path(path), fingerprint)
    except bundle_lib.BundleError as error:
        raise click.ClickException(str(error)) from None
    if problems:
        for problem in problems:
            click.echo(f"FAILED {problem}", err=True)
        raise click.ClickException(f"{path} does not match its manifest ({len(problems)} problem(s))")
    click.echo(f"OK {path}: every file matches the manifest"
               + (", and the manifest matches the fingerprint" if fingerprint else
                  f"; fingerprint {found} (compare it with the one published with the bundle)"))


def _echo_rows(output_format, columns, rows):
    render = output.to_csv if output_format == "csv" else output.to_json
    click.echo(render(columns, rows), nl=False)


def _run_build(settings: dbt_invoke.BuildSettings) -> None:
    try:
        result = dbt_invoke.build(settings)
    except project.LedgerNotFound as error:
        raise click.ClickException(str(error)) from None
    except dbt_invoke.BuildFailed as error:
        _echo_build_warnings(error.warnings)
        raise click.ClickException(str(error)) from None
    _echo_build_warnings(dbt_invoke.describe_warnings(result))


def _echo_build_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        click.echo(f"Warning: {warning}", err=True)


def main():
    # A service manager stops a job with SIGTERM: unwind like Ctrl-C, so that nothing is left
    # half-written (a bundle's temporary folder is removed on the way out).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    cli(prog_name="p402-monitor")
