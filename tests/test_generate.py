"""Tests of the synthetic ledger generator: the files it writes are read back and checked
independently against its summary and against the ledger contract."""

import csv
import datetime as dt
import gzip
import json
from collections import Counter
from decimal import Decimal, ROUND_HALF_UP
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from reporter.contract import (EVIDENCE_STATUSES, METADATA_FIELDS, OUTCOMES, POLICY_RESULTS, PRIVACY_MODES,
                               QUARANTINE_REASONS, RECEIPT_STATUSES)
from reporter.generate import GenerationSummary, generate_ledger

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
END = dt.date(2026, 11, 26)
MARKER = "ZQX-CONTENT-MARKER-7731"
EXPECTED_BAD = {"malformed_json", "missing_event_id", "bad_version", "missing_tenant_id", "bad_timestamp",
                "missing_model", "bad_tokens", "bad_cost", "negative_cost", "unknown_outcome",
                "unknown_privacy_mode", "unknown_receipt_status"}


# ---------------------------------------------------------------------------------------------
# independent readers and checks


def read_records(files):
    """[(path, raw_line_bytes, parsed dict or None)] for jsonl / jsonl.gz files."""
    out = []
    for f in files:
        f = Path(f)
        data = gzip.decompress(f.read_bytes()) if f.name.endswith(".gz") else f.read_bytes()
        assert data.endswith(b"\n")
        for line in data.split(b"\n")[:-1]:
            try:
                obj = json.loads(line, parse_float=Decimal)
            except ValueError:
                obj = None
            out.append((f, line, obj if isinstance(obj, dict) else None))
    return out


def parse_ts(value):
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        ts = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return ts.astimezone(dt.timezone.utc) if ts.tzinfo else None


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def to_decimal(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, Decimal)):
        return Decimal(v)
    if isinstance(v, str):
        try:
            d = Decimal(v)
        except ArithmeticError:
            return None
        return d if d.is_finite() else None
    return None


def reason_of(r):
    """The quarantine reason of a parsed record per the contract (None when valid)."""
    if r is None:
        return "malformed_json"
    labels = r.get("labels")
    if any(isinstance(v, (dict, list)) for k, v in r.items() if k in METADATA_FIELDS and k != "labels") or (
            labels is not None and not (isinstance(labels, dict)
                                        and not any(isinstance(v, (dict, list)) for v in labels.values()))):
        return "nested_value"
    if not r.get("event_id"):
        return "missing_event_id"
    if not is_int(r.get("version")) or r["version"] < 1:
        return "bad_version"
    if not r.get("tenant_id"):
        return "missing_tenant_id"
    if parse_ts(r.get("recorded_at")) is None or parse_ts(r.get("occurred_at")) is None:
        return "bad_timestamp"
    if not r.get("vendor"):
        return "missing_vendor"
    if not r.get("model_requested") or not r.get("model_used"):
        return "missing_model"
    cached = r.get("cached_input_tokens", 0)
    toks = (r.get("input_tokens"), r.get("output_tokens"), cached)
    if not all(is_int(t) and t >= 0 for t in toks) or cached > r["input_tokens"]:
        return "bad_tokens"
    cost = to_decimal(r.get("cost_usd"))
    if cost is None or cost.as_tuple().exponent < -9:
        return "bad_cost"
    if cost < 0:
        return "negative_cost"
    if "outcome" in r and r["outcome"] not in OUTCOMES:
        return "unknown_outcome"
    if r.get("policy_result", "allowed") not in POLICY_RESULTS:
        return "unknown_policy_result"
    if r.get("receipt_status") not in RECEIPT_STATUSES:
        return "unknown_receipt_status"
    if r.get("evidence_status") not in EVIDENCE_STATUSES:
        return "unknown_evidence_status"
    if r.get("privacy_mode") not in PRIVACY_MODES:
        return "unknown_privacy_mode"
    if "attempt" in r and (not is_int(r["attempt"]) or r["attempt"] < 1):
        return "bad_attempt"
    if "latency_ms" in r and (not is_int(r["latency_ms"]) or r["latency_ms"] < 0):
        return "bad_latency"
    return None


def load_price_book():
    rows = []
    with open(SEEDS / "model_price_book.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            rows.append((r["vendor"], r["model"], dt.date.fromisoformat(r["effective_from"]),
                         dt.date.fromisoformat(r["effective_to"]) if r["effective_to"] else None,
                         Decimal(r["input_usd_per_mtok"]), Decimal(r["cached_input_usd_per_mtok"]),
                         Decimal(r["output_usd_per_mtok"])))
    return rows


def recompute_cost(book, r):
    day = parse_ts(r["occurred_at"]).date()
    hits = [b for b in book if b[0] == r["vendor"] and b[1] == r["model_used"]
            and b[2] <= day and (b[3] is None or day <= b[3])]
    assert len(hits) == 1, (r["vendor"], r["model_used"], day)
    _, _, _, _, pi, pc, po = hits[0]
    cached = r.get("cached_input_tokens", 0)
    raw = ((r["input_tokens"] - cached) * pi + cached * pc + r["output_tokens"] * po) / Decimal(1_000_000)
    return raw.quantize(Decimal("0.000000001"), rounding=ROUND_HALF_UP), hits[0]


def tally(records):
    """Independent truth from records: (valid list, counts dict, latest-cost total)."""
    valid, reasons, seen = [], Counter(), Counter()
    for _, line, r in records:
        reason = reason_of(r)
        if reason:
            reasons[reason] += 1
        else:
            valid.append(r)
            seen[(r["event_id"], r["version"])] += 1
    latest = {}
    for r in valid:
        if r["event_id"] not in latest or r["version"] > latest[r["event_id"]]["version"]:
            latest[r["event_id"]] = r
    total = sum((to_decimal(r["cost_usd"]) for r in latest.values()), Decimal(0))
    return valid, dict(events=len(latest), replays=sum(seen.values()) - len(seen),
                       superseded=len(seen) - len(latest), reasons=dict(reasons), total=total)


# ---------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen") / "ledger"
    summary = generate_ledger(out, events=4000, days=7, seed=3, fmt="jsonl", tenants=4, bad_rate=0.05,
                              end=END, content_marker=MARKER)
    return summary, read_records(summary.files)


# ---------------------------------------------------------------------------------------------
# tests


def test_summary_shape_and_layout(ledger):
    s, records = ledger
    assert isinstance(s, GenerationSummary)
    with pytest.raises(Exception):
        s.events = 1  # frozen
    assert s.first_day == END - dt.timedelta(days=6) and s.last_day == END
    assert s.tenants[:3] == ("tnt_acme", "tnt_globex", "tnt_initech") and len(s.tenants) == 4
    assert isinstance(s.total_cost_usd_latest, Decimal)
    assert len(records) == s.records_written
    for f in s.files:
        f = Path(f)
        assert f.parent.name.startswith("date=") and f.name == "part-0000.jsonl"
        dt.date.fromisoformat(f.parent.name[5:])
    assert sorted(s.files) == list(s.files)


def test_counts_match_files(ledger):
    s, records = ledger
    _, truth = tally(records)
    assert truth["events"] == s.events == s.latest_versions
    assert truth["replays"] == s.replays > 0
    assert truth["superseded"] == s.superseded_versions > 0
    assert truth["reasons"] == s.bad_records_by_reason
    assert truth["total"] == s.total_cost_usd_latest
    assert s.records_written == s.latest_versions + s.superseded_versions + s.replays + sum(
        s.bad_records_by_reason.values())
    assert set(s.bad_records_by_reason) <= set(QUARANTINE_REASONS)


def test_every_bad_kind_present(ledger):
    s, records = ledger
    assert set(s.bad_records_by_reason) == EXPECTED_BAD
    ids = [r.get("event_id") for _, _, r in records if r is not None and reason_of(r) is None]
    bad_ids = {r.get("event_id") for _, _, r in records if r is not None and reason_of(r)}
    assert not (bad_ids - {None}) & set(ids)  # bad records are not versions of valid events
    rate = sum(s.bad_records_by_reason.values()) / s.records_written
    assert 0.045 < rate < 0.055


def test_replays_are_exact_copies(ledger):
    _, records = ledger
    by_key = {}
    for _, line, r in records:
        if r is not None and reason_of(r) is None:
            key = (r["event_id"], r["version"])
            if key in by_key:
                assert by_key[key] == line
            by_key[key] = line


def test_versions_and_outcomes(ledger):
    _, records = ledger
    valid, truth = tally(records)
    by_event = {}
    for r in valid:
        by_event.setdefault(r["event_id"], {})[r["version"]] = r
    versions = Counter(max(v) for v in by_event.values())
    assert versions[1] and versions[2] and versions[3]
    for vs in by_event.values():
        assert sorted(vs) == list(range(1, len(vs) + 1))
        first = vs[1]
        assert "outcome" not in first and first["evidence_status"] == "pending"
        for v, r in vs.items():
            for k in ("occurred_at", "cost_usd", "input_tokens", "model_used", "tenant_id"):
                assert parse_ts(r["occurred_at"]) == parse_ts(first["occurred_at"])
                assert to_decimal(r["cost_usd"]) == to_decimal(first["cost_usd"])
                assert r.get(k) == first.get(k) or k in ("occurred_at", "cost_usd")
            if v > 1:
                assert r["outcome"] in OUTCOMES
                assert parse_ts(r["recorded_at"]) > parse_ts(vs[v - 1]["recorded_at"])
    outcomes = Counter(vs[max(vs)].get("outcome") for vs in by_event.values())
    assert outcomes["accepted"] > outcomes["rejected"] > 0 and set(OUTCOMES) <= set(outcomes)


def test_timestamps(ledger):
    s, records = ledger
    valid, _ = tally(records)
    end_of_window = dt.datetime.combine(END + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
    start = dt.datetime.combine(s.first_day, dt.time(), dt.timezone.utc)
    suffixes, fractional, local_day_differs = Counter(), Counter(), 0
    for r in valid:
        occ, rec = parse_ts(r["occurred_at"]), parse_ts(r["recorded_at"])
        assert start <= occ <= rec < end_of_window
        for v in (r["occurred_at"], r["recorded_at"]):
            suffixes[v[-6:] if v[-6] in "+-" else v[-1]] += 1
            fractional["." in v] += 1
        local = dt.datetime.fromisoformat(r["occurred_at"].replace("Z", "+00:00"))
        local_day_differs += local.date() != occ.date()
    assert {"Z", "+00:00", "+01:00", "-05:00", "+05:30"} <= set(suffixes)
    assert fractional[True] and fractional[False]
    assert local_day_differs > 0


def test_file_order_and_partitioning(ledger):
    s, records = ledger
    seen = set()
    last = {}
    for f, _, r in records:
        if r is None or reason_of(r):
            continue
        key = (r["event_id"], r["version"])
        rec = parse_ts(r["recorded_at"])
        day = dt.date.fromisoformat(Path(f).parent.name[5:])
        if key in seen:  # a replay: same or later file
            assert day >= rec.date()
            continue
        seen.add(key)
        assert rec.date() == day
        assert rec >= last.get(f, rec)
        last[f] = rec


def test_privacy_and_content(ledger):
    _, records = ledger
    valid, _ = tally(records)
    modes = Counter(r["privacy_mode"] for r in valid)
    assert set(modes) == set(PRIVACY_MODES)
    assert modes.most_common(1)[0][0] == "metadata_only"
    for r in valid:
        has_content = r["privacy_mode"] in ("redacted_trace", "full_trace")
        assert ("prompt" in r) == has_content and ("response" in r) == has_content
        if has_content:
            assert MARKER in r["prompt"] and MARKER in r["response"]
        if r["privacy_mode"] == "redacted_trace":
            assert "[REDACTED]" in r["prompt"]
        fp = r["privacy_mode"] != "metadata_only"
        assert ("prompt_fingerprint" in r) == fp and ("response_fingerprint" in r) == fp
        if fp:
            assert len(r["prompt_fingerprint"]) == 64 and int(r["prompt_fingerprint"], 16) >= 0
    # the marker appears nowhere else than in content fields
    for _, line, r in records:
        if r is not None and MARKER in line.decode():
            assert r.get("privacy_mode") in ("redacted_trace", "full_trace", "everything")


def test_realistic_mix(ledger):
    _, records = ledger
    valid, _ = tally(records)
    n = len(valid)
    frac = lambda pred: sum(1 for r in valid if pred(r)) / n  # noqa: E731
    assert 0.01 < frac(lambda r: r["model_used"] != r["model_requested"]) < 0.06
    assert 0.02 < frac(lambda r: "department" not in r) < 0.09
    assert 0.2 < frac(lambda r: "customer_id" in r) < 0.7
    assert frac(lambda r: r.get("attempt", 1) > 1) > 0.01
    assert frac(lambda r: r.get("policy_result") == "warned") > 0.01
    assert frac(lambda r: isinstance(r["cost_usd"], str)) > 0.05
    assert frac(lambda r: "labels" in r) > 0.1
    assert frac(lambda r: "meter_build" in r or "x_route" in r) > 0.01
    assert all(r.get("cached_input_tokens", 0) <= r["input_tokens"] for r in valid)
    blocked = [r for r in valid if r.get("policy_result") == "blocked"]
    assert all(r["output_tokens"] == 0 for r in blocked)
    traces = Counter(r["trace_id"] for r in valid if r["version"] == 1)
    assert max(traces.values()) >= 2
    weekday = Counter(parse_ts(r["occurred_at"]).weekday() >= 5 for r in valid)
    assert weekday[True] / 2 < weekday[False] / 5  # weekends are quieter


def test_cost_matches_price_book(ledger):
    _, records = ledger
    valid, _ = tally(records)
    book = load_price_book()
    for r in valid[::7]:
        assert recompute_cost(book, r)[0] == to_decimal(r["cost_usd"]), r


def test_date_effective_price_change(tmp_path):
    s = generate_ledger(tmp_path / "l", events=3000, days=30, seed=5, end=dt.date(2025, 6, 30), bad_rate=0)
    valid, _ = tally(read_records(s.files))
    book = load_price_book()
    rows_used = Counter()
    for r in valid:
        cost, row = recompute_cost(book, r)
        assert cost == to_decimal(r["cost_usd"])
        rows_used[row[:3]] += 1
    assert rows_used[("google", "gemini-2.5-flash", dt.date(2025, 1, 1))]
    assert rows_used[("google", "gemini-2.5-flash", dt.date(2025, 6, 17))]


def test_deterministic(tmp_path):
    kw = dict(events=800, days=3, tenants=2, bad_rate=0.05, end=END)
    a = generate_ledger(tmp_path / "a", seed=11, **kw)
    b = generate_ledger(tmp_path / "b", seed=11, **kw)
    c = generate_ledger(tmp_path / "c", seed=12, **kw)
    rel = lambda s, root: [Path(f).relative_to(root) for f in s.files]  # noqa: E731
    assert rel(a, tmp_path / "a") == rel(b, tmp_path / "b")
    for fa, fb in zip(a.files, b.files):
        assert Path(fa).read_bytes() == Path(fb).read_bytes()
    assert a.total_cost_usd_latest == b.total_cost_usd_latest
    assert b"".join(Path(f).read_bytes() for f in a.files) != b"".join(Path(f).read_bytes() for f in c.files)


def test_gzip_and_parquet_agree_with_jsonl(tmp_path):
    kw = dict(events=1500, days=4, seed=9, tenants=2, bad_rate=0.1, end=END, content_marker=MARKER)
    j = generate_ledger(tmp_path / "j", fmt="jsonl", **kw)
    g = generate_ledger(tmp_path / "g", fmt="jsonl.gz", **kw)
    p = generate_ledger(tmp_path / "p", fmt="parquet", **kw)
    assert all(str(f).endswith(".jsonl.gz") for f in g.files)
    assert [r[1] for r in read_records(g.files)] == [r[1] for r in read_records(j.files)]
    assert all(str(f).endswith(".parquet") for f in p.files)
    assert p.records_written == j.records_written and p.replays == j.replays
    assert p.total_cost_usd_latest == j.total_cost_usd_latest
    jr = j.bad_records_by_reason
    assert p.bad_records_by_reason["bad_version"] + p.bad_records_by_reason["bad_timestamp"] + \
        p.bad_records_by_reason.get("malformed_json", 0) == \
        jr["bad_version"] + jr["bad_timestamp"] + jr["malformed_json"]
    assert "malformed_json" not in p.bad_records_by_reason

    rows = []
    for f in p.files:
        t = pq.read_table(f)
        labels_type = t.schema.field("labels").type
        assert pa.types.is_map(labels_type) and labels_type.key_type == labels_type.item_type == pa.string()
        assert str(t.schema.field("input_tokens").type) == "int64"
        assert str(t.schema.field("cost_usd").type) == "string"
        for row in t.to_pylist():
            row = {k: v for k, v in row.items() if v is not None}
            if "labels" in row:
                row["labels"] = dict(row["labels"])
            rows.append((f, b"", row))
    assert len(rows) == p.records_written
    _, truth = tally(rows)
    assert truth["events"] == p.events and truth["replays"] == p.replays
    assert truth["reasons"] == p.bad_records_by_reason and truth["total"] == p.total_cost_usd_latest
    for _, _, r in rows:
        if ("prompt" in r) or ("response" in r):
            assert r["privacy_mode"] in ("redacted_trace", "full_trace", "everything") and MARKER in r["prompt"]
    glob = str(tmp_path / "p" / "**" / "*.parquet")
    assert duckdb.sql(f"select count(*) from read_parquet('{glob}')").fetchall()[0][0] == p.records_written
    # deterministic Parquet bytes
    p2 = generate_ledger(tmp_path / "p2", fmt="parquet", **kw)
    assert [Path(f).read_bytes() for f in p.files] == [Path(f).read_bytes() for f in p2.files]


def test_bad_rate_zero(tmp_path):
    s = generate_ledger(tmp_path / "z", events=300, days=2, bad_rate=0, end=END)
    assert s.bad_records_by_reason == {}
    _, truth = tally(read_records(s.files))
    assert truth["reasons"] == {} and truth["events"] == 300


def test_default_end_is_yesterday(tmp_path):
    s = generate_ledger(tmp_path / "d", events=50, days=1)
    assert s.last_day == dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1)


@pytest.mark.parametrize("kwargs", [
    dict(events=0, days=1), dict(events=10, days=0), dict(events=10, days=1, bad_rate=0.6),
    dict(events=10, days=1, bad_rate=-0.1), dict(events=10, days=1, tenants=0),
    dict(events=10, days=1, fmt="csv"), dict(events=10, days=1, end="2026-11-26"),
    dict(events=10, days=1, seed=-1), dict(events=10, days=5, end=dt.date(2024, 12, 31)),
])
def test_bad_arguments(tmp_path, kwargs):
    with pytest.raises(ValueError):
        generate_ledger(tmp_path / "x", **kwargs)
    assert not (tmp_path / "x").exists()


def test_refuses_to_overwrite(tmp_path):
    out = tmp_path / "full"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(ValueError, match="overwrite"):
        generate_ledger(out, events=10, days=1, end=END)
    assert (out / "keep.txt").read_text() == "x"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert generate_ledger(empty, events=10, days=1, end=END).events == 10


def test_parts_and_chunks_do_not_change_content(tmp_path, monkeypatch):
    import reporter.generate as gen
    kw = dict(events=1200, days=2, seed=4, bad_rate=0.05, end=END)
    whole = generate_ledger(tmp_path / "whole", **kw)
    monkeypatch.setattr(gen, "PART_ROWS", 500)
    monkeypatch.setattr(gen, "CHUNK_ROWS", 170)
    monkeypatch.setattr(gen, "BATCH_ROWS", 50)
    split = generate_ledger(tmp_path / "split", **kw)
    assert len(split.files) > len(whole.files)
    assert any(Path(f).name == "part-0001.jsonl" for f in split.files)
    joined = lambda s: b"".join(Path(f).read_bytes() for f in s.files)  # noqa: E731
    assert joined(split) == joined(whole)
    assert split.records_written == whole.records_written
