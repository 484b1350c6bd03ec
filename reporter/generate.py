"""Deterministic, fast synthetic P402 ledger generator.

``generate_ledger`` draws every column with numpy (``Generator(PCG64(seed))``), then builds the
output per file with DuckDB: JSON lines by SQL string concatenation (written straight from the
Arrow data buffer), or Parquet through pyarrow. Same arguments give byte-identical files.

Layout: ``out_dir/date=YYYY-MM-DD/part-NNNN.<ext>``, partitioned by the UTC date on which a record
was delivered to the ledger (its ``recorded_at``; an exact replay may be delivered again in the same
or a later file). Within a file records are in delivery order.

``inject`` plants known findings in the first tenant's events (``INJECT_PATTERNS``: a model shift, a
retry storm, long-context outliers, a failing workflow, a budget overrun) so that tests can look for
them; ``GenerationSummary.injected`` records what was planted, with exact costs. The planting draws
from generators of its own, so the base events are those of the same run without ``inject``.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import shutil
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .contract import (EARLIEST_DAY, EVIDENCE_STATUSES, LATEST_DAY, OUTCOMES, POLICY_RESULTS, PRIVACY_MODES,
                       QUARANTINE_REASONS, RECEIPT_STATUSES)

SEEDS_DIR = Path(__file__).resolve().parents[1] / "seeds"
FORMATS = ("jsonl", "jsonl.gz", "parquet")
INJECT_PATTERNS = ("model-shift", "retry-storm", "long-context", "failing-workflow", "budget-overrun")
PART_ROWS = 2_000_000
BATCH_ROWS = 32_768
CHUNK_ROWS = 262_144
DAY_MS = 86_400_000
_U64 = np.uint64

TENANT_NAMES = (
    "tnt_acme", "tnt_globex", "tnt_initech", "tnt_umbrella", "tnt_hooli", "tnt_stark", "tnt_wayne",
    "tnt_wonka", "tnt_cyberdyne", "tnt_soylent", "tnt_tyrell", "tnt_vandelay", "tnt_massive",
    "tnt_oceanic", "tnt_gringotts", "tnt_monarch",
)

# workflow -> (usual vendor, usual model, serves end customers, median input tokens, median output tokens)
WORKFLOW_PROFILES = {
    "support-reply-draft": ("openai", "gpt-4.1-mini", True, 1800, 350),
    "ticket-summarization": ("anthropic", "claude-3-5-haiku", True, 6000, 400),
    "chat-assistant": ("openai", "gpt-4o-mini", True, 2500, 300),
    "code-review-bot": ("anthropic", "claude-sonnet-4", False, 12000, 1200),
    "invoice-triage": ("google", "gemini-2.5-flash", False, 3000, 250),
    "contract-review": ("anthropic", "claude-opus-4", False, 20000, 1500),
    "lead-enrichment": ("openai", "gpt-4.1-mini", True, 1500, 400),
    "sales-email-draft": ("openai", "gpt-4o", True, 1200, 450),
    "campaign-copy": ("mistral", "mistral-medium", False, 900, 700),
    "test-generation": ("openai", "o4-mini", False, 8000, 2500),
    "incident-summary": ("azure_openai", "gpt-4.1", False, 15000, 900),
    "expense-audit": ("google", "gemini-2.5-flash-lite", False, 2000, 150),
    "month-end-close-notes": ("openai", "o3", False, 10000, 2000),
    "nda-drafting": ("aws_bedrock", "claude-sonnet-4", False, 4000, 2000),
    "policy-qa": ("mistral", "mistral-small", False, 2500, 300),
    "resume-screening": ("openai", "gpt-4.1-nano", False, 3500, 200),
    "onboarding-assistant": ("google", "gemini-2.0-flash", False, 1500, 300),
    "supplier-risk-scan": ("google", "gemini-2.5-pro", False, 30000, 1000),
    "rfp-response": ("anthropic", "claude-3-7-sonnet", False, 9000, 1800),
    "order-status-bot": ("azure_openai", "gpt-4o-mini", True, 1000, 150),
    "shipment-exception-triage": ("aws_bedrock", "claude-3-5-haiku", True, 2200, 250),
    "churn-risk-notes": ("openai", "gpt-4.1", True, 7000, 600),
    "sql-assistant": ("mistral", "codestral", False, 3000, 400),
    "proposal-drafting": ("anthropic", "claude-sonnet-4", True, 8000, 2500),
    "seo-brief": ("mistral", "mistral-large", True, 1200, 900),
}

# (suffix, minutes east of UTC), weights
OFFSETS = (("Z", 0), ("+00:00", 0), ("+01:00", 60), ("-05:00", -300), ("+05:30", 330),
           ("-08:00", -480), ("+09:00", 540), ("+02:00", 120))
OFFSET_P = (0.45, 0.15, 0.12, 0.10, 0.06, 0.05, 0.04, 0.03)

LABELS = (None, {"env": "prod"}, {"env": "prod", "team": "platform"}, {"env": "staging"},
          {"env": "prod", "region": "eu-west-1", "cost_owner": "shared"})
LABELS_P = (0.60, 0.20, 0.10, 0.05, 0.05)
EXTRAS_JSON = (None, ',"meter_build":"1.4.2"', ',"x_route":{"gateway":"gw-eu-1","hops":2}',
               ',"meter_build":"1.4.3","x_route":{"gateway":"gw-us-2","hops":1}')
EXTRAS_BUILD = (None, "1.4.2", None, "1.4.3")
EXTRAS_P = (0.95, 0.03, 0.015, 0.005)

PROMPTS = (
    "Summarise the attached ticket thread and propose a reply for customer {n}.",
    "Review this contract clause for unusual indemnity terms: \"{n} shall indemnify...\"",
    "Extract supplier, amount and due date from invoice INV-{n}.",
    "Write unit tests for the function parse_order(payload) in module orders_{n}.",
    "Draft a short outreach email to the head of finance at account {n}.",
    "Translate the analyst question into SQL: revenue by region for Q{n}.",
)
RESPONSES = (
    "Thanks for reaching out. We have refunded order {n} and updated your plan.",
    "Clause 7.{n} shifts uncapped liability to the buyer; recommend a cap at fees paid.",
    "{{\"supplier\": \"Northwind\", \"amount\": \"{n}.00\", \"due\": \"2026-12-01\"}}",
    "def test_parse_order_{n}():\n    assert parse_order({{}}) is None",
    "Hi Dana, following up on our call about consolidating your AI spend ({n} seats).",
    "SELECT region, sum(revenue) FROM sales WHERE quarter = {n} GROUP BY region;",
)
REDACTED_PROMPTS = (
    "Summarise the ticket from [REDACTED] (email [REDACTED]) and propose a reply.",
    "Review this clause between [REDACTED] and [REDACTED] for indemnity terms.",
    "Extract supplier, amount and due date from invoice [REDACTED].",
    "Write unit tests for module [REDACTED].",
    "Draft an outreach email to [REDACTED] at [REDACTED].",
    "Translate into SQL: revenue for customer [REDACTED] by region.",
)
REDACTED_RESPONSES = (
    "Hi [REDACTED], we have refunded order [REDACTED].",
    "Clause 7 shifts liability to [REDACTED]; recommend a cap.",
    "{\"supplier\": \"[REDACTED]\", \"amount\": \"[REDACTED]\"}",
    "def test_[REDACTED]():\n    assert True",
    "Hi [REDACTED], following up on our call.",
    "SELECT region, sum(revenue) FROM sales WHERE customer = '[REDACTED]' GROUP BY region;",
)

OUTCOME_P = (0.72, 0.08, 0.09, 0.05, 0.06)
EVIDENCE_V2_P = (0.75, 0.15, 0.10)  # complete, partial, missing
RECEIPT_P = (0.92, 0.06, 0.02)
PRIVACY_P = {"metadata_only": 0.55, "fingerprint_only": 0.20, "private_gateway": 0.12,
             "redacted_trace": 0.08, "full_trace": 0.05}

# Bad-record kinds: (reason, variant). Codes are 1-based positions in this tuple.
BAD_KINDS = (
    ("malformed_json", "truncated"),
    ("missing_event_id", None),
    ("bad_version", "zero"),
    ("bad_version", "string"),
    ("missing_tenant_id", None),
    ("bad_timestamp", "impossible"),
    ("bad_timestamp", "word"),
    ("missing_model", None),
    ("bad_tokens", None),
    ("bad_cost", None),
    ("negative_cost", None),
    ("unknown_outcome", None),
    ("unknown_privacy_mode", None),
    ("unknown_receipt_status", None),
)
assert all(reason in QUARANTINE_REASONS for reason, _ in BAD_KINDS)
_B_MALFORMED, _B_NO_ID, _B_VER0, _B_VERSTR, _B_NO_TENANT, _B_TS1, _B_TS2, _B_NO_MODEL, _B_TOKENS, \
    _B_COST, _B_NEG, _B_OUTCOME, _B_PRIVACY, _B_RECEIPT = range(1, 15)


@dataclass(frozen=True)
class GenerationSummary:
    events: int                      # distinct valid events (each has its latest version written)
    records_written: int             # all lines / rows in all files
    latest_versions: int             # == events
    superseded_versions: int         # earlier versions of valid events (excluding replays)
    replays: int                     # exact re-deliveries of a valid record
    bad_records_by_reason: dict      # quarantine reason -> count (reasons from contract)
    total_cost_usd_latest: Decimal   # sum of cost_usd over the latest version of each valid event
    tenants: tuple                   # tenant ids
    files: tuple                     # Paths written, in order
    first_day: dt.date               # first UTC day of occurred_at
    last_day: dt.date                # last UTC day of occurred_at (== end)
    fmt: str = "jsonl"
    injected: dict = field(default_factory=dict)  # pattern name -> what was planted (see INJECT_PATTERNS)

    @property
    def bad_records(self) -> int:
        return sum(self.bad_records_by_reason.values())


# --------------------------------------------------------------------------------------------
# seeds

def _read_csv(name):
    with open(SEEDS_DIR / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _price_micro(text: str) -> int:
    value = Decimal(text) * 1_000_000
    if value != value.to_integral_value() or value < 0:
        raise ValueError(f"price book: price {text!r} has more than 6 decimal places or is negative")
    return int(value)


def load_price_book():
    """Rows of the price book: (vendor, model, from, to-or-None, in, cached, out) in micro-USD per Mtok."""
    rows = []
    for r in _read_csv("model_price_book.csv"):
        rows.append((r["vendor"], r["model"], dt.date.fromisoformat(r["effective_from"]),
                     dt.date.fromisoformat(r["effective_to"]) if r["effective_to"] else None,
                     _price_micro(r["input_usd_per_mtok"]), _price_micro(r["cached_input_usd_per_mtok"]),
                     _price_micro(r["output_usd_per_mtok"])))
    return rows


def price_for(book, vendor: str, model: str, day: dt.date):
    """(input, cached, output) USD per Mtok as Decimals for the row effective on ``day``."""
    for v, m, f, t, pi, pc, po in book:
        if v == vendor and m == model and f <= day and (t is None or day <= t):
            return tuple(Decimal(x) / 1_000_000 for x in (pi, pc, po))
    raise KeyError((vendor, model, day))


def expected_cost(book, vendor, model, day, input_tokens, output_tokens, cached_input_tokens=0) -> Decimal:
    """The metered cost as the generator computes it, rounded half-up to 9 places."""
    pi, pc, po = price_for(book, vendor, model, day)
    raw = (Decimal(input_tokens - cached_input_tokens) * pi + Decimal(cached_input_tokens) * pc
           + Decimal(output_tokens) * po) / 1_000_000
    return raw.quantize(Decimal("0.000000001"), rounding="ROUND_HALF_UP")


# --------------------------------------------------------------------------------------------
# helpers

def _mix(x):
    """splitmix64 finaliser: a bijection on uint64 (distinct inputs -> distinct outputs)."""
    z = x.astype(_U64, copy=True)
    z ^= z >> _U64(30)
    z *= _U64(0xBF58476D1CE4E5B9)
    z ^= z >> _U64(27)
    z *= _U64(0x94D049BB133111EB)
    z ^= z >> _U64(31)
    return z


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


_HEX2 = np.array([[_HEX[i >> 4], _HEX[i & 15]] for i in range(256)], dtype=np.uint8).view("<u2").reshape(256)


def _hexmat(words):
    """uint64 (n, k) -> uint8 (n, 16k) of lowercase hex digits (big-endian)."""
    words = np.ascontiguousarray(words, dtype=">u8")
    n, k = words.shape
    return _HEX2[words.view(np.uint8).reshape(n, 8 * k)].view(np.uint8)


_FP_KEYS = [(0x9E3779B97F4A7C15 * (k + 1)) % 2**64 for k in range(8)]
_FP_ODD = [(0xD6E8FEB86659FD93 + 2 * 0x2545F4914F6CDD1D * k) % 2**64 | 1 for k in range(8)]


def _fp_words(e, salt):
    """Eight deterministic pseudo-random words per event index: two 64-hex-digit fingerprints."""
    h = _mix(e.astype(_U64) + salt + _U64(0x5DEECE66D))
    out = np.empty((len(h), 8), dtype=_U64)
    for k in range(8):
        w = (h ^ _U64(_FP_KEYS[k])) * _U64(_FP_ODD[k])
        out[:, k] = w ^ (w >> _U64(29))
    return out


def _digits(nums, width):
    """non-negative int64 (n,) -> uint8 (n, width) of zero-padded decimal digits."""
    p = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((np.asarray(nums, dtype=np.int64)[:, None] // p) % 10 + 48).astype(np.uint8)


def _fixed(pieces, n, present=None, null_absent=False, selected=False) -> pa.Array:
    """Concatenate constant byte strings and (n, w) uint8 matrices row-wise into an Arrow string array.
    Rows where ``present`` is False are empty strings (or nulls with ``null_absent``); with ``selected``
    the matrices hold only the present rows."""
    rows = int(np.count_nonzero(present)) if selected else n
    mats = [np.broadcast_to(np.frombuffer(x.encode(), dtype=np.uint8), (rows, len(x.encode())))
            if isinstance(x, str) else x for x in pieces]
    mat = np.concatenate(mats, axis=1) if len(mats) > 1 else np.ascontiguousarray(mats[0])
    width = mat.shape[1]
    validity = None
    if present is None:
        data = mat.reshape(-1)
        offsets = np.arange(0, width * (n + 1), width, dtype=np.int64)
    else:
        data = mat.reshape(-1) if selected else mat[present].reshape(-1)
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(present.astype(np.int64) * width, out=offsets[1:])
        if null_absent:
            validity = pa.py_buffer(np.packbits(present, bitorder="little"))
    return pa.Array.from_buffers(pa.large_string(), n, [validity, pa.py_buffer(offsets), pa.py_buffer(data)])


def _pack(columns):
    """Columns -> one packed structured array, so a row's fields are gathered together."""
    n = len(next(iter(columns.values())))
    out = np.empty(n, dtype=np.dtype([(k, np.asarray(v).dtype) for k, v in columns.items()]))
    for k, v in columns.items():
        out[k] = v
    return out


def _unpack(rows):
    return {k: np.ascontiguousarray(rows[k]) for k in rows.dtype.names}


def _dict(codes, values) -> pa.DictionaryArray:
    codes = np.asarray(codes)
    idx = pa.array(codes.astype(np.int32), mask=codes < 0)
    return pa.DictionaryArray.from_arrays(idx, pa.array(list(values), type=pa.string()))


def _js(v):
    return json.dumps(v, ensure_ascii=True, separators=(",", ":"))


def _zipf(n, a):
    w = 1.0 / np.arange(1, n + 1) ** a
    return w / w.sum()


# Tenants are numbered in 16-bit integers.
MAX_TENANTS = 32_767


def default_end() -> dt.date:
    """The last day of a ledger generated without `end`: yesterday, UTC."""
    return dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1)


def _check_args(out_dir, events, days, seed, fmt, tenants, bad_rate, end):
    for name, v in (("events", events), ("days", days), ("tenants", tenants)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
    if isinstance(bad_rate, bool) or not isinstance(bad_rate, (int, float)) or not 0 <= bad_rate <= 0.5:
        raise ValueError(f"bad_rate must be a number in [0, 0.5], got {bad_rate!r}")
    if tenants > MAX_TENANTS:
        raise ValueError(f"tenants must be at most {MAX_TENANTS:,}, got {tenants:,}")
    if end is not None and (not isinstance(end, dt.date) or isinstance(end, dt.datetime)):
        raise ValueError(f"end must be a datetime.date, got {end!r}")
    last_day = end if end is not None else default_end()
    if not (days <= (LATEST_DAY - EARLIEST_DAY).days and EARLIEST_DAY + dt.timedelta(days=days) <= last_day <= LATEST_DAY):
        raise ValueError(f"{days:,} day(s) of history ending {last_day} must stay within {EARLIEST_DAY} to {LATEST_DAY}")
    out = Path(out_dir)
    if out.exists():
        if not out.is_dir():
            raise ValueError(f"output path {out} exists and is not a directory")
        if any(out.iterdir()):
            raise ValueError(f"output directory {out} is not empty: refusing to overwrite it")
    return out


def _check_inject(inject):
    if isinstance(inject, str) or not isinstance(inject, (tuple, list)):
        raise ValueError(f"inject must be a tuple of pattern names, got {inject!r}")
    unknown = [p for p in inject if p not in INJECT_PATTERNS]
    if unknown:
        raise ValueError(f"unknown pattern {unknown[0]!r} to inject: choose from {', '.join(INJECT_PATTERNS)}")
    return tuple(p for p in INJECT_PATTERNS if p in inject)


# --------------------------------------------------------------------------------------------
# drawing events and versions (for the base ledger and for the events patterns add)

@dataclass(frozen=True)
class _World:
    """Reference data the draws need: prices (micro-USD per Mtok per model and day), taxonomy, window."""
    prices: np.ndarray
    fallback: np.ndarray
    wf_in: np.ndarray
    wf_out: np.ndarray
    wf_model: np.ndarray
    wf_dept: np.ndarray
    wf_cust: np.ndarray
    models: list
    workflows: list
    departments: list
    day_list: list
    start_ms: int
    end_ms: int
    tenant_ids: tuple


# the per-event columns the renderer reads
_EVENT_COLUMNS = ("tenant", "wf", "dept", "emp", "cust", "model_req", "model_used", "occ", "occ_ofs", "occ_frac",
                  "inp", "outt", "cached", "cached_present", "policy", "policy_present", "latency", "cost",
                  "cost_as_str", "receipt", "privacy", "content", "budget", "labels", "extras", "attempt",
                  "attempt_present", "grp", "out2", "out3", "ev2")


def _cost(prices, model_used, occ_day, inp, cached, outt):
    """Metered cost in nano-USD (half-up) from the price of the model used on the day of the call."""
    p = prices[model_used, occ_day]  # (n, 3)
    num = (inp - cached) * p[:, 0] + cached * p[:, 1] + outt * p[:, 2]  # 1e-12 USD
    return (num + 500) // 1000


def _draw_events(rng, grp, attempt, g, w: _World):
    """The columns of every attempt (event) of the logical requests ``g`` (per-request arrays, indexed
    by ``grp``), and whether the runtime policy blocked it."""
    N = len(grp)
    tenant = g["tenant"][grp]
    wf_any = g["wf"][grp]
    dept = g["dept_out"][grp]
    emp = g["emp"][grp]
    cust = g["cust"][grp]
    model_req = g["model"][grp]
    backoff = rng.integers(1500, 30000, size=N)
    occ = np.minimum(g["occ"][grp] + (attempt.astype(np.int64) - 1) * backoff, w.end_ms - 1)
    wf = g["wf_out"][grp]
    del backoff
    occ_ofs = rng.choice(len(OFFSETS), size=N, p=OFFSET_P).astype(np.int8)
    occ_frac = rng.choice(3, size=N, p=[0.35, 0.5, 0.15]).astype(np.int8)
    occ = np.where(occ_frac == 0, occ - occ % 1000, occ)
    occ_day = ((occ - w.start_ms) // DAY_MS).astype(np.int32)

    model_used = np.where(rng.random(N) < 0.03, w.fallback[model_req], model_req).astype(np.int16)
    inp = np.exp(np.log(w.wf_in[wf_any]) + rng.normal(0, 0.9, N))
    inp = np.where(rng.random(N) < 0.02, inp * 15, inp)
    inp = np.clip(inp, 1, 1_000_000).astype(np.int64)
    outt = np.clip(np.exp(np.log(w.wf_out[wf_any]) + rng.normal(0, 0.8, N)), 1, 32_000).astype(np.int64)
    has_cache = rng.random(N) < 0.35
    cached = np.where(has_cache, (inp * rng.uniform(0.1, 0.9, N)).astype(np.int64), 0)
    cached_present = has_cache | (rng.random(N) < 0.1)
    pr = rng.random(N)
    policy = np.where(pr < 0.005, 2, np.where(pr < 0.035, 1, 0)).astype(np.int8)
    blocked = policy == 2
    policy_present = (policy != 0) | (rng.random(N) >= 0.3)
    outt = np.where(blocked, 0, outt)
    cached = np.where(blocked, 0, cached)
    inp = np.where(blocked, np.where(rng.random(N) < 0.5, 0, np.minimum(inp, 200)), inp)
    latency = np.where(blocked, rng.integers(5, 60, N),
                       250 + outt * rng.uniform(8, 25, N) + rng.lognormal(5, 1, N)).astype(np.int64)
    cost = _cost(w.prices, model_used, occ_day, inp, cached, outt)
    del pr, has_cache, occ_day
    cost_as_str = rng.random(N) < 0.15
    receipt = rng.choice(3, size=N, p=RECEIPT_P).astype(np.int8)
    privacy = rng.choice(len(PRIVACY_MODES), size=N, p=[PRIVACY_P[m] for m in PRIVACY_MODES]).astype(np.int8)
    pm = {m: i for i, m in enumerate(PRIVACY_MODES)}
    content = np.where(privacy == pm["redacted_trace"], 0, np.where(privacy == pm["full_trace"], len(PROMPTS), -1))
    content = np.where(content >= 0, content + rng.integers(0, len(PROMPTS), N), -1).astype(np.int16)
    budget = (dept >= 0) & (rng.random(N) < 0.88)
    labels = rng.choice(len(LABELS), size=N, p=LABELS_P).astype(np.int8)
    extras = rng.choice(len(EXTRAS_JSON), size=N, p=EXTRAS_P).astype(np.int8)
    attempt_present = (attempt > 1) | (rng.random(N) < 0.5)
    ev = dict(tenant=tenant, wf=wf, dept=dept, emp=emp, cust=cust, model_req=model_req, model_used=model_used,
              occ=occ, occ_ofs=occ_ofs, occ_frac=occ_frac, inp=inp, outt=outt, cached=cached,
              cached_present=cached_present, policy=policy, policy_present=policy_present, latency=latency,
              cost=cost, cost_as_str=cost_as_str, receipt=receipt, privacy=privacy, content=content, budget=budget,
              labels=labels, extras=extras, attempt=attempt, attempt_present=attempt_present, grp=grp)
    return ev, blocked


def _draw_versions(rng, occ, latency, retried_early, blocked, end_ms):
    """Outcomes per event ({out2, ev2, out3}) and the records (versions) written within the window:
    {event, ver, ms, ofs, frac}. ``retried_early`` marks attempts that were retried (mostly failed)."""
    N = len(occ)
    nv = rng.choice(np.array([1, 2, 3], dtype=np.int8), size=N, p=[0.15, 0.80, 0.05])
    rec1 = np.minimum(occ + latency + rng.integers(50, 3000, N), end_ms - 1)
    rec2 = rec1 + np.clip(np.exp(rng.normal(np.log(45 * 60_000), 1.6, N)), 120_000, 14 * DAY_MS).astype(np.int64)
    rec3 = rec2 + np.clip(np.exp(rng.normal(np.log(2 * 3600_000), 1.5, N)), 300_000, 14 * DAY_MS).astype(np.int64)
    w2 = (nv >= 2) & (rec2 < end_ms)
    w3 = w2 & (nv >= 3) & (rec3 < end_ms)
    out2 = rng.choice(len(OUTCOMES), size=N, p=OUTCOME_P).astype(np.int8)
    oi = {o: i for i, o in enumerate(OUTCOMES)}
    out2 = np.where((retried_early & (rng.random(N) < 0.9)) | blocked, oi["failed"], out2).astype(np.int8)
    ev2 = rng.choice(3, size=N, p=EVIDENCE_V2_P).astype(np.int8)
    reopen = (out2 == oi["revised"]) | (out2 == oi["escalated"])
    out3 = np.where(reopen, np.where(rng.random(N) < 0.7, oi["accepted"], oi["rejected"]), out2).astype(np.int8)
    del reopen, nv

    idx2 = np.flatnonzero(w2)
    idx3 = np.flatnonzero(w3)
    rec_event = np.concatenate([np.arange(N), idx2, idx3]).astype(np.int64)
    rec_ver = np.concatenate([np.full(N, 1, np.int8), np.full(len(idx2), 2, np.int8), np.full(len(idx3), 3, np.int8)])
    rec_ms = np.concatenate([rec1, rec2[idx2], rec3[idx3]])
    del rec1, rec2, rec3, w2, w3, idx2, idx3
    V = len(rec_event)
    rec_ofs = rng.choice(len(OFFSETS), size=V, p=OFFSET_P).astype(np.int8)
    rec_frac = rng.choice(3, size=V, p=[0.35, 0.5, 0.15]).astype(np.int8)
    floor = rec_ms - rec_ms % 1000
    nofrac = (rec_frac == 0) & (floor >= occ[rec_event])
    rec_frac = np.where((rec_frac == 0) & ~nofrac, 1, rec_frac).astype(np.int8)
    rec_ms = np.where(nofrac, floor, rec_ms)
    return (dict(out2=out2, ev2=ev2, out3=out3),
            dict(event=rec_event, ver=rec_ver, ms=rec_ms, ofs=rec_ofs, frac=rec_frac))


# --------------------------------------------------------------------------------------------
# the generator

def generate_ledger(out_dir, *, events, days, seed=0, fmt="jsonl", tenants=1, bad_rate=0.01,
                    end=None, content_marker=None, inject: tuple[str, ...] = ()) -> GenerationSummary:
    """Write a synthetic ledger of ``events`` valid events over ``days`` UTC days ending ``end``.

    ``inject`` plants known findings (names from ``INJECT_PATTERNS``) in the first tenant's events;
    ``summary.injected`` says what each one did. The retry storm and the budget overrun add events, so
    ``summary.events`` is then ``events`` plus those. Without ``inject`` the files are byte-identical
    to a run without the argument; with it every base event no pattern touched is written as in that
    run (only bad records' made-up event ids move, numbered after the added events).

    The folder must be new or empty; if writing fails midway, it is left as it was."""
    out = Path(out_dir)
    existed = out.exists()
    was_empty = not existed or (out.is_dir() and not any(out.iterdir()))
    try:
        return _write_ledger(out, events=events, days=days, seed=seed, fmt=fmt, tenants=tenants,
                             bad_rate=bad_rate, end=end, content_marker=content_marker, inject=inject)
    except BaseException:
        if was_empty and out.is_dir():
            for path in out.iterdir():
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink()
            if not existed:
                out.rmdir()
        raise


def _write_ledger(out_dir, *, events, days, seed, fmt, tenants, bad_rate, end, content_marker,
                  inject) -> GenerationSummary:
    out = _check_args(out_dir, events, days, seed, fmt, tenants, bad_rate, end)
    inject = _check_inject(inject)
    if content_marker is not None and not isinstance(content_marker, str):
        raise ValueError("content_marker must be a string")
    if end is None:
        end = default_end()
    first_day = end - dt.timedelta(days=days - 1)
    N = int(events)
    rng = np.random.Generator(np.random.PCG64(seed))

    # ---- reference data
    book = load_price_book()
    models = []  # (vendor, model) in price-book order
    for v, m, *_ in book:
        if (v, m) not in models:
            models.append((v, m))
    M = len(models)
    day_list = [first_day + dt.timedelta(days=i) for i in range(days)]
    prices = np.zeros((M, days, 3), dtype=np.int64)
    for mi, (v, m) in enumerate(models):
        for di, d in enumerate(day_list):
            hits = [r for r in book if r[0] == v and r[1] == m and r[2] <= d and (r[3] is None or d <= r[3])]
            if len(hits) != 1:
                raise ValueError(f"price book has {len(hits)} rows for {v}/{m} effective on {d}; "
                                 f"choose a window the price book covers")
            prices[mi, di] = hits[0][4:7]
    out_price = prices[:, 0, 2]
    fallback = np.zeros(M, dtype=np.int64)
    for mi, (v, m) in enumerate(models):  # next cheaper model of the same vendor, else next dearer
        same = [j for j, (vj, _) in enumerate(models) if vj == v and j != mi]
        cheaper = [j for j in same if out_price[j] < out_price[mi]]
        if cheaper:
            fallback[mi] = max(cheaper, key=lambda j: (out_price[j], -j))
        elif same:
            fallback[mi] = min(same, key=lambda j: (out_price[j], j))
        else:
            fallback[mi] = mi
    departments = [r["department"] for r in _read_csv("owner_departments.csv")]
    wf_rows = _read_csv("owner_workflows.csv")
    workflows = [r["workflow"] for r in wf_rows]
    W = len(workflows)
    wf_dept = np.array([departments.index(r["owning_department"]) for r in wf_rows])
    wf_model = np.zeros(W, dtype=np.int64)
    wf_cust = np.zeros(W, dtype=bool)
    wf_in = np.zeros(W)
    wf_out = np.zeros(W)
    for i, name in enumerate(workflows):
        v, m, cust, tin, tout = WORKFLOW_PROFILES.get(name, (*models[i % M], i % 5 < 2, 2000, 400))
        wf_model[i] = models.index((v, m)) if (v, m) in models else i % M
        wf_cust[i], wf_in[i], wf_out[i] = cust, tin, tout
    tenant_ids = tuple(TENANT_NAMES[i] if i < len(TENANT_NAMES) else f"tnt_org{i:04d}" for i in range(tenants))

    # ---- logical requests (a trace: one or more attempts)
    retried = rng.random(N) < 0.04
    gsize = 1 + retried * rng.choice(np.array([1, 2, 3]), size=N, p=[0.6, 0.3, 0.1])
    cs = np.cumsum(gsize)
    L = int(np.searchsorted(cs, N)) + 1
    gsize = gsize[:L].copy()
    gsize[-1] -= int(cs[L - 1]) - N
    del cs, retried
    grp = np.repeat(np.arange(L, dtype=np.int64), gsize)
    gstart = np.cumsum(gsize) - gsize
    attempt = (np.arange(N, dtype=np.int64) - gstart[grp] + 1).astype(np.int8)
    first_of_retried = (attempt == 1) & (gsize[grp] > 1)
    del gstart

    g_tenant = rng.choice(tenants, size=L, p=_zipf(tenants, 0.9)).astype(np.int16)
    g_wf = ((rng.choice(W, size=L, p=_zipf(W, 1.1)) + 3 * g_tenant) % W).astype(np.int16)
    g_dept = wf_dept[g_wf].astype(np.int16)
    u = rng.random(L)
    unattr = u < 0.05
    drop_all = unattr & (rng.random(L) < 0.8)
    no_emp = drop_all | ((u >= 0.05) & (u < 0.08))
    emp_num = (g_tenant.astype(np.int64) * 1000 + g_dept * 60 + (60 * rng.random(L) ** 2).astype(np.int64))
    cust_num = g_tenant.astype(np.int64) * 1000 + (400 * rng.random(L) ** 3).astype(np.int64)
    g_cust = np.where(wf_cust[g_wf], cust_num, -1)
    g_emp = np.where(no_emp, -1, emp_num)
    g_dept_out = np.where(unattr, -1, g_dept).astype(np.int16)
    g_wf_out = np.where(drop_all, -1, g_wf).astype(np.int16)
    usual = rng.random(L) < 0.85
    g_model = np.where(usual, wf_model[g_wf], rng.choice(M, size=L, p=_zipf(M, 0.8))).astype(np.int16)
    del u, emp_num, cust_num, usual

    dow = np.array([d.weekday() for d in day_list])
    day_w = np.where(dow >= 5, 0.3, 1.0) * (1 + 0.3 * np.arange(days) / max(days, 1))
    g_day = rng.choice(days, size=L, p=day_w / day_w.sum()).astype(np.int32)
    business = rng.random(L) < 0.8
    tod = np.where(business, rng.normal(14.5 * 3600_000, 3.2 * 3600_000, size=L), rng.random(L) * DAY_MS)
    tod = np.mod(tod, DAY_MS).astype(np.int64)
    start_ms = int(dt.datetime(first_day.year, first_day.month, first_day.day, tzinfo=dt.timezone.utc).timestamp()) * 1000
    end_ms = start_ms + days * DAY_MS  # exclusive end of the window
    g_occ = start_ms + g_day.astype(np.int64) * DAY_MS + tod
    del business, tod
    # number logical requests in time order, so that a day's records gather from nearby memory
    by_time = np.argsort(g_occ, kind="stable")
    g_occ, g_tenant, g_wf, g_dept, g_cust, g_emp = (a[by_time] for a in (g_occ, g_tenant, g_wf, g_dept, g_cust, g_emp))
    g_dept_out, g_wf_out, g_model = (a[by_time] for a in (g_dept_out, g_wf_out, g_model))
    del by_time

    # ---- events (attempts) and their versions
    world = _World(prices=prices, fallback=fallback, wf_in=wf_in, wf_out=wf_out, wf_model=wf_model, wf_dept=wf_dept,
                   wf_cust=wf_cust, models=models, workflows=workflows, departments=departments, day_list=day_list,
                   start_ms=start_ms, end_ms=end_ms, tenant_ids=tenant_ids)
    groups = dict(tenant=g_tenant, wf=g_wf, dept_out=g_dept_out, emp=g_emp, cust=g_cust, model=g_model, occ=g_occ,
                  wf_out=g_wf_out)
    del g_tenant, g_wf, g_dept, g_dept_out, g_emp, g_cust, g_model, g_occ, g_wf_out
    ev, blocked = _draw_events(rng, grp, attempt, groups, world)
    del groups
    outcomes, rec = _draw_versions(rng, ev["occ"], ev["latency"], first_of_retried, blocked, end_ms)
    ev.update(outcomes)
    del outcomes, first_of_retried
    V = len(rec["event"])
    rec_ms = rec["ms"]

    # ---- replays and bad records
    R = int(round(0.01 * V))
    rep_src = rng.integers(0, V, R)
    rep_delay = np.where(rng.random(R) < 0.5, rng.integers(0, 600_000, R), rng.integers(0, 2 * DAY_MS, R))
    rep_key = np.maximum(np.minimum(rec_ms[rep_src] + rep_delay, end_ms - 1), rec_ms[rep_src])
    B = int(round(bad_rate * (V + R) / (1 - bad_rate))) if bad_rate > 0 else 0
    bad_src = rng.integers(0, V, B)
    bad_kind = (np.arange(B) % len(BAD_KINDS) + 1)[rng.permutation(B)].astype(np.int8)
    if fmt == "parquet":  # a Parquet row cannot be truncated nor hold version "two"
        bad_kind = np.where(bad_kind == _B_MALFORMED, _B_TS2, bad_kind)
        bad_kind = np.where(bad_kind == _B_VERSTR, _B_VER0, bad_kind).astype(np.int8)
    del rep_delay

    # ---- planted patterns: extra events and records are appended after the base ones (whose draws
    # above are untouched); their randomness comes from generators of their own
    salt = _U64((int(seed) * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) % 2**64)
    injected = {}
    extra_rep_src, extra_rep_key = np.zeros(0, np.int64), np.zeros(0, np.int64)
    if inject:
        ev, rec, extra_rep_src, extra_rep_key, injected = _Planter(seed, ev, blocked, rec, world, salt,
                                                                   n_groups=L).plant(inject)
    del blocked
    K = len(ev["occ"]) - N  # events added by the patterns
    rec_event, rec_ms = rec["event"], rec["ms"]
    VX = len(rec_event)  # V base records, then the added events' records
    row_src = np.concatenate([np.arange(VX, dtype=np.int64), rep_src, extra_rep_src, bad_src])
    row_bad = np.concatenate([np.zeros(VX + R + len(extra_rep_src), np.int8), bad_kind])
    row_eid = np.concatenate([rec_event, rec_event[rep_src], rec_event[extra_rep_src],
                              N + K + np.arange(B, dtype=np.int64)])
    row_key = np.concatenate([rec_ms, rep_key, extra_rep_key, rec_ms[bad_src]])
    del rep_src, rep_key, bad_src
    order = np.argsort(row_key, kind="stable")
    row_src, row_bad, row_eid, row_key = row_src[order], row_bad[order], row_eid[order], row_key[order]
    del order

    reasons = {}
    for code, (reason, _) in enumerate(BAD_KINDS, start=1):
        c = int(np.count_nonzero(bad_kind == code))
        if c:
            reasons[reason] = reasons.get(reason, 0) + c
    bad_by_reason = {r: reasons[r] for r in QUARANTINE_REASONS if r in reasons}
    total_cost = Decimal(int(ev["cost"].sum(dtype=np.int64))) / Decimal(10**9)

    # ---- per-file rendering
    ctx = dict(
        fmt=fmt, tenant_ids=tenant_ids, departments=departments, workflows=workflows, models=models,
        marker=content_marker,
        ev=_pack({k: ev[k] for k in _EVENT_COLUMNS}),
        rec=_pack(dict(event=rec_event, ver=rec["ver"], ms=rec_ms, ofs=rec["ofs"], frac=rec["frac"])),
        salt=salt,
    )
    # the packed copies in ctx are all the renderer needs
    del ev, rec, rec_event, rec_ms
    out.mkdir(parents=True, exist_ok=True)
    ext = {"jsonl": "jsonl", "jsonl.gz": "jsonl.gz", "parquet": "parquet"}[fmt]
    files = []
    con = duckdb.connect(config={"preserve_insertion_order": True})
    pool = ThreadPoolExecutor(max_workers=1)  # writes file k while file k+1 is rendered
    renderer = _Renderer(ctx, con, pool)
    file_day = (row_key - start_ms) // DAY_MS
    bounds = np.flatnonzero(np.diff(file_day)) + 1
    starts = np.concatenate([[0], bounds])
    stops = np.concatenate([bounds, [len(file_day)]])
    try:
        for a, b in zip(starts.tolist(), stops.tolist()):
            day = first_day + dt.timedelta(days=int(file_day[a]))
            folder = out / f"date={day.isoformat()}"
            folder.mkdir()
            nparts = max(1, -(-(b - a) // PART_ROWS))
            cuts = np.linspace(a, b, nparts + 1).astype(np.int64)
            for part in range(nparts):
                path = folder / f"part-{part:04d}.{ext}"
                sl = slice(int(cuts[part]), int(cuts[part + 1]))
                renderer.write(path, row_src[sl], row_bad[sl], row_eid[sl])
                files.append(path)
        renderer.wait()
    finally:
        pool.shutdown(wait=True)
        con.close()

    return GenerationSummary(
        events=N + K, records_written=len(row_src), latest_versions=N + K, superseded_versions=VX - N - K,
        replays=R + len(extra_rep_src), bad_records_by_reason=bad_by_reason, total_cost_usd_latest=total_cost,
        tenants=tenant_ids, files=tuple(files), first_day=first_day, last_day=end, fmt=fmt, injected=injected)


# --------------------------------------------------------------------------------------------
# planted patterns (``inject``)

# Planted long-context calls are this many times their group's median input: beyond the natural
# tail of the generated token counts, so that they clear its 99th percentile.
LONG_CONTEXT_FACTORS = (60, 100)
_FAILING_P = (0.20, 0.22, 0.04, 0.04, 0.50)  # outcome mix of the failing workflow, in OUTCOMES order
_WASTED = ("failed", "rejected", "escalated")  # outcomes whose spend produced no usable result


def _usd(nano) -> Decimal:
    """nano-USD (an integer) as exact dollars."""
    return Decimal(int(nano)).scaleb(-9)


def _hex_ids(prefix, words):
    return tuple(prefix + bytes(row).decode() for row in _hexmat(np.asarray(words, dtype=_U64)[:, None]))


def _read_budgets():
    """{(tenant_id, budget_id, month): amount in nano-USD} from seeds/budgets.csv ({} without the file)."""
    if not (SEEDS_DIR / "budgets.csv").exists():
        return {}
    return {(r["tenant_id"], r["budget_id"], dt.date.fromisoformat(r["month"])): int(Decimal(r["amount_usd"]) * 10**9)
            for r in _read_csv("budgets.csv")}


class _Planter:
    """Plants known findings among the first tenant's events and says what it did.

    Every choice comes from a generator of its own per pattern, seeded from the ledger's seed, so the base
    draws are untouched and a pattern's target does not depend on which other patterns are planted:
    all targets are chosen up front (distinct workflows; the budget overrun's department owns none of
    them) and only the requested ones applied. Events the patterns add are drawn like base events (same
    mixes of models, tokens, statuses, versions and replays), appended after them, with trace numbers
    after the base ones. What ``summary.injected`` reports is computed from the final arrays, so it is
    exact whatever the patterns did to each other.
    """

    def __init__(self, seed, ev, blocked, rec, world: _World, salt, n_groups):
        self.seed, self.ev, self.blocked, self.rec, self.w, self.salt = int(seed), ev, blocked, rec, world, salt
        self.N = len(ev["occ"])
        self.next_grp = int(n_groups)
        self.occ_day = ((ev["occ"] - world.start_ms) // DAY_MS).astype(np.int32)
        self.extra = []  # (event columns, blocked, retried_early) of added events, in order
        self.storm = None  # the retry storm's added events

    def _rng(self, name):
        k = INJECT_PATTERNS.index(name) + 1 if name in INJECT_PATTERNS else 99
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence([self.seed, 0x9402, k])))

    # ---- choosing targets

    def _choose(self):
        ev, w = self.ev, self.w
        W, days = len(w.workflows), len(w.day_list)
        self.t0 = t0 = ev["tenant"] == 0
        wf = ev["wf"]
        counts = np.bincount(wf[t0 & (wf >= 0)].astype(np.int64), minlength=W)
        active = [int(i) for i in np.argsort(-counts, kind="stable") if counts[i] > 0]
        t, why, taken = {}, {}, []

        def pick(rng, cands):
            return cands[int(rng.integers(len(cands)))]

        # model-shift: a mid-sized workflow whose usual model has a clearly dearer sibling at the same vendor
        rng = self._rng("model-shift")
        n = len(active)
        band = active[n // 4:max(n // 4 + 1, -(-3 * n // 4))]
        dearer = {i: self._dearer_model(i) for i in active}
        cands = ([i for i in band if counts[i] >= 40 and dearer[i] is not None]
                 or [i for i in active if counts[i] >= 20 and dearer[i] is not None])
        if days < 2:
            why["model-shift"] = "it needs a window of at least 2 days"
        elif not cands:
            why["model-shift"] = "no workflow of the first tenant has enough events and a dearer model"
        else:
            i = pick(rng, cands)
            taken.append(i)
            t["model-shift"] = dict(wf=i, old=int(w.wf_model[i]), new=dearer[i], day=days // 2)

        # retry-storm: any other workflow of the first tenant, on an inner weekday
        rng = self._rng("retry-storm")
        cands = [i for i in active if i not in taken]
        if not cands:
            why["retry-storm"] = "the first tenant has no workflow left"
        else:
            i = pick(rng, cands)
            taken.append(i)
            inner = list(range(1, days - 1)) if days >= 3 else list(range(days))
            day = pick(rng, [d for d in inner if w.day_list[d].weekday() < 5] or inner)
            t["retry-storm"] = dict(wf=i, day=day, traces=int(np.clip(self.N // 2500, 20, 300)), rng=rng)

        # long-context: a (workflow, model used) with plenty of events
        rng = self._rng("long-context")
        mu = ev["model_used"].astype(np.int64)
        M = len(w.models)
        sel = t0 & (wf >= 0) & ~np.isin(wf, taken)
        gcount = np.bincount(wf[sel].astype(np.int64) * M + mu[sel], minlength=W * M)
        chosen = None
        for floor in (300, 75):
            cands = [int(k) for k in np.flatnonzero(gcount >= floor)]
            for k in (cands[j] for j in rng.permutation(len(cands))):
                members = np.flatnonzero(sel & (wf == k // M) & (mu == k % M))
                if np.median(ev["inp"][members]) * LONG_CONTEXT_FACTORS[1] <= 1_000_000:
                    chosen = (k, members)
                    break
            if chosen:
                break
        if chosen is None:
            why["long-context"] = "no workflow and model of the first tenant has 75 events or more"
        else:
            k, members = chosen
            taken.append(k // M)
            pool = members[~self.blocked[members]]
            n_out = min(20, len(members) // 15)
            picks = np.sort(rng.choice(pool, size=n_out, replace=False))
            t["long-context"] = dict(wf=k // M, model=k % M, events=picks, factors=rng.uniform(*LONG_CONTEXT_FACTORS, n_out))

        # failing-workflow: another workflow with a good number of events
        rng = self._rng("failing-workflow")
        cands = ([i for i in active if i not in taken and counts[i] >= 100]
                 or [i for i in active if i not in taken and counts[i] >= 20])
        if not cands:
            why["failing-workflow"] = "the first tenant has no workflow left with 20 events or more"
        else:
            i = pick(rng, cands)
            taken.append(i)
            t["failing-workflow"] = dict(wf=i, rng=rng)

        # budget-overrun: a department owning none of the workflows above
        t["budget-overrun"] = self._choose_budget(set(int(w.wf_dept[i]) for i in taken), why)
        self.why = why
        return t

    def _dearer_model(self, i):
        """The cheapest model of the workflow's usual vendor costing at least 2.5x its usual model for
        a typical call of the workflow (first-day prices), or None."""
        w = self.w
        old = int(w.wf_model[i])

        def call(m):
            return w.wf_in[i] * w.prices[m, 0, 0] + w.wf_out[i] * w.prices[m, 0, 2]

        options = [(call(j), j) for j, (v, _) in enumerate(w.models)
                   if v == w.models[old][0] and j != old and call(j) >= 2.5 * call(old)]
        return min(options)[1] if options else None

    def _month_days(self):
        """The calendar month with the most days in the window (preferring one the budgets seed covers
        for the first tenant; the later on a tie): (first day of month, day indices in the window)."""
        w = self.w
        budgets = _read_budgets()
        seeded = {m for (tn, _, m) in budgets if tn == w.tenant_ids[0]}
        months = {}
        for d, day in enumerate(w.day_list):
            months.setdefault(day.replace(day=1), []).append(d)
        month = max(months, key=lambda m: (m in seeded, len(months[m]), m))
        return month, np.array(months[month]), budgets

    def _charged(self, dept):
        ev = self.ev
        return self.t0 & (ev["dept"] == dept) & ev["budget"]

    def _choose_budget(self, excluded, why):
        rng = self._rng("budget-overrun")
        w, ev = self.w, self.ev
        month, mdays, budgets = self._month_days()
        in_month = (self.occ_day >= mdays[0]) & (self.occ_day <= mdays[-1])
        c = int(0.65 * (len(mdays) - 1))  # aim to exhaust the budget on this day of the month's window
        options = []
        for d, name in enumerate(w.departments):
            m = self._charged(d) & in_month
            if d in excluded or np.count_nonzero(m) < 5:
                continue
            by_day = np.zeros(len(w.day_list), np.int64)
            np.add.at(by_day, self.occ_day[m], ev["cost"][m])
            by_day = by_day[mdays]
            amount = budgets.get((w.tenant_ids[0], f"bud_{name}_monthly", month))
            mean = max(1, int(ev["cost"][self._charged(d)].mean()))
            options.append((d, amount, by_day, mean))
        if not options:
            why["budget-overrun"] = "no department of the first tenant has events charged to its budget"
            return None
        holding = [o for o in options if o[1] is not None and o[2].sum() < o[1]]
        if holding:  # the budget that holds today and needs the fewest added calls to run out
            d, amount, by_day, mean = min(holding, key=lambda o: ((1.05 * o[1] - o[2][:c + 1].sum()) / o[3], o[0]))
        elif any(o[1] is not None for o in options):  # all exhausted already: the least exhausted
            budgeted = [o for o in options if o[1] is not None]
            d, amount, by_day, mean = max(budgeted, key=lambda o: (o[1] / o[2].sum(), -o[0]))
        else:
            d, amount, by_day, mean = options[int(rng.integers(len(options)))]
        return dict(dept=d, month=month, mdays=mdays, amount=amount, target_day=c, mean=mean, rng=rng)

    # ---- adding events

    def _add_events(self, rng, g, gsize):
        """Draw logical requests ``g`` (per-request columns) of ``gsize`` attempts like base events."""
        gsize = np.asarray(gsize, dtype=np.int64)
        grp = np.repeat(np.arange(len(gsize), dtype=np.int64), gsize)
        gstart = np.cumsum(gsize) - gsize
        attempt = (np.arange(len(grp), dtype=np.int64) - gstart[grp] + 1).astype(np.int8)
        g = dict(g, tenant=np.zeros(len(gsize), np.int16))
        for k in ("wf", "dept_out", "model", "wf_out"):
            g[k] = np.asarray(g[k]).astype(np.int16)
        for k in ("emp", "cust", "occ"):
            g[k] = np.asarray(g[k]).astype(np.int64)
        ev, blocked = _draw_events(rng, grp, attempt, g, self.w)
        ev["grp"] = grp + self.next_grp
        self.next_grp += len(gsize)
        self.extra.append((ev, blocked, attempt < gsize[grp]))
        return ev

    def _people(self, rng, wf, n):
        """Employee and customer numbers of ``n`` requests of workflow ``wf``, drawn as the base ones are."""
        w = self.w
        emp = int(w.wf_dept[wf]) * 60 + (60 * rng.random(n) ** 2).astype(np.int64)
        cust = np.where(w.wf_cust[wf], (400 * rng.random(n) ** 3).astype(np.int64), -1)
        return emp, cust

    # ---- the patterns

    def _model_shift(self, t):
        ev, w = self.ev, self.w
        idx = np.flatnonzero(self.t0 & (ev["wf"] == t["wf"]) & (self.occ_day >= t["day"])
                             & (ev["model_req"] == t["old"]))
        before = ev["cost"][idx].copy()
        ev["model_req"][idx] = t["new"]
        ev["model_used"][idx] = np.where(ev["model_used"][idx] == t["old"], t["new"], w.fallback[t["new"]])
        ev["cost"][idx] = _cost(w.prices, ev["model_used"][idx], self.occ_day[idx], ev["inp"][idx], ev["cached"][idx],
                                ev["outt"][idx])
        t.update(moved=idx, cost_before=int(before.sum()))

    def _long_context(self, t):
        ev, w = self.ev, self.w
        idx = t["events"]
        members = self.t0 & (ev["wf"] == t["wf"]) & (ev["model_used"] == t["model"])
        ev["inp"][idx] = 1_000_000  # above the median, which then no longer depends on the outliers' sizes
        median = float(np.median(ev["inp"][members]))
        ev["inp"][idx] = np.minimum(np.ceil(median * t["factors"]).astype(np.int64), 1_000_000)
        ev["cost"][idx] = _cost(w.prices, ev["model_used"][idx], self.occ_day[idx], ev["inp"][idx], ev["cached"][idx],
                                ev["outt"][idx])

    def _retry_storm(self, t):
        w, rng, T, i = self.w, t["rng"], t["traces"], t["wf"]
        gsize = rng.integers(5, 9, T)
        day_ms = w.start_ms + t["day"] * DAY_MS
        occ = day_ms + 10 * 3600_000 + np.sort(rng.integers(0, 2 * 3600_000, T))  # a two-hour burst
        emp, cust = self._people(rng, i, T)
        g = dict(wf=np.full(T, i), dept_out=np.full(T, w.wf_dept[i]), emp=emp, cust=cust,
                 model=np.full(T, w.wf_model[i]), occ=occ, wf_out=np.full(T, i))
        self.storm = self._add_events(rng, g, gsize)

    def _budget_overrun(self, t):
        """Added calls charged to the budget ramp up linearly (day 1 to 2x) over the month's days in the
        window, enough for the cumulative spend to pass the amount on the target day, about two thirds into
        them (and at least +30 % of the month's spend when the budget is unknown or already exhausted)."""
        ev, rng = self.ev, t["rng"]
        d, mdays, c, mean = t["dept"], t["mdays"], t["target_day"], t["mean"]
        pool = np.flatnonzero(self._charged(d) & (ev["wf"] >= 0))
        weights = 1 + np.arange(len(mdays), dtype=np.float64) / max(1, len(mdays) - 1)
        base = self._spend_by_day(d, mdays)
        t["base"] = int(base.sum())
        a = 0.3 * base.sum() / weights.sum()
        if t["amount"] is not None:
            a = max(a, (1.05 * t["amount"] - base[:c + 1].sum()) / weights[:c + 1].sum())
        per_day = np.round(a * weights / mean).astype(np.int64)
        added = []
        for _ in range(100):
            if per_day.sum():
                added.append(self._budget_calls(rng, pool, d, mdays, per_day))
            spend = self._spend_by_day(d, mdays, added)
            if t["amount"] is None or spend[:c + 1].sum() >= t["amount"]:
                break
            # short of the amount on the target day (cheap draws): top up the days up to it
            more = int((1.05 * t["amount"] - spend[:c + 1].sum()) // mean) + 1
            per_day = np.zeros(len(mdays), np.int64)
            per_day[:c + 1] = rng.multinomial(more, weights[:c + 1] / weights[:c + 1].sum())
        t["added"] = sum(len(calls["occ"]) for calls in added)

    def _budget_calls(self, rng, pool, d, mdays, per_day):
        ev, w = self.ev, self.w
        n = int(per_day.sum())
        tmpl = pool[rng.integers(0, len(pool), n)]  # calls like the department's own
        day = np.repeat(mdays, per_day)
        business = rng.random(n) < 0.8
        tod = np.where(business, rng.normal(14.5 * 3600_000, 3.2 * 3600_000, size=n), rng.random(n) * DAY_MS)
        occ = w.start_ms + day.astype(np.int64) * DAY_MS + np.mod(tod, DAY_MS).astype(np.int64)
        g = dict(wf=ev["wf"][tmpl], dept_out=np.full(n, d), emp=ev["emp"][tmpl], cust=ev["cust"][tmpl],
                 model=ev["model_req"][tmpl], occ=occ, wf_out=ev["wf"][tmpl])
        added = self._add_events(rng, g, np.ones(n, np.int64))
        added["budget"][:] = True
        return added

    def _spend_by_day(self, d, mdays, added=()):
        """Exact spend (nano-USD) charged to department ``d``'s budget per day of ``mdays``."""
        by_day = np.zeros(len(self.w.day_list), np.int64)
        m = self._charged(d)
        np.add.at(by_day, self.occ_day[m], self.ev["cost"][m])
        for a in added:
            np.add.at(by_day, ((a["occ"] - self.w.start_ms) // DAY_MS).astype(np.int64), a["cost"])
        return by_day[mdays]

    def _failing(self, t, ev, blocked):
        idx = np.flatnonzero((ev["tenant"] == 0) & (ev["wf"] == t["wf"]))
        rng, oi = t["rng"], {o: i for i, o in enumerate(OUTCOMES)}
        out2 = rng.choice(len(OUTCOMES), size=len(idx), p=_FAILING_P).astype(np.int8)
        out2 = np.where(blocked[idx], oi["failed"], out2).astype(np.int8)
        reopen = (out2 == oi["revised"]) | (out2 == oi["escalated"])
        ev["out2"][idx] = out2
        ev["out3"][idx] = np.where(reopen, np.where(rng.random(len(idx)) < 0.7, oi["rejected"], oi["accepted"]), out2)

    # ---- putting it together

    def plant(self, inject):
        t = self._choose()
        for name in inject:
            if t.get(name) is None:
                raise ValueError(f"cannot inject {name!r}: {self.why[name]}")
        if "model-shift" in inject:
            self._model_shift(t["model-shift"])
        if "long-context" in inject:
            self._long_context(t["long-context"])
        if "retry-storm" in inject:
            self._retry_storm(t["retry-storm"])
        if "budget-overrun" in inject:
            self._budget_overrun(t["budget-overrun"])
        ev, blocked, rec, rep_src, rep_key = self._append()
        if "failing-workflow" in inject:
            self._failing(t["failing-workflow"], ev, blocked)
        report = _Report(ev, rec, self.w, self.salt)
        describe = {"model-shift": report.model_shift, "retry-storm": lambda x: report.retry_storm(x, self.storm),
                    "long-context": report.long_context, "failing-workflow": report.failing_workflow,
                    "budget-overrun": report.budget_overrun}
        return ev, rec, rep_src, rep_key, {name: describe[name](t[name]) for name in inject}

    def _append(self):
        """Base and added events as one set of columns, with the added events' versions and replays."""
        ev, rec, N = self.ev, self.rec, self.N
        empty = np.zeros(0, np.int64)
        if not self.extra:
            return ev, self.blocked, rec, empty, empty
        rng = self._rng("versions")
        cols = {k: np.concatenate([x[0][k] for x in self.extra]) for k in self.extra[0][0]}
        blocked = np.concatenate([x[1] for x in self.extra])
        retried_early = np.concatenate([x[2] for x in self.extra])
        outcomes, xrec = _draw_versions(rng, cols["occ"], cols["latency"], retried_early, blocked, self.w.end_ms)
        cols.update(outcomes)
        xrec["event"] = xrec["event"] + N
        V, VX = len(rec["event"]), len(xrec["event"])
        all_rec = {k: np.concatenate([rec[k], xrec[k]]) for k in rec}
        R = int(round(0.01 * VX))
        rep_src = V + rng.integers(0, VX, R)
        rep_delay = np.where(rng.random(R) < 0.5, rng.integers(0, 600_000, R), rng.integers(0, 2 * DAY_MS, R))
        ms = all_rec["ms"][rep_src]
        rep_key = np.maximum(np.minimum(ms + rep_delay, self.w.end_ms - 1), ms)
        all_ev = {k: np.concatenate([ev[k], cols[k]]) for k in _EVENT_COLUMNS}
        return all_ev, np.concatenate([self.blocked, blocked]), all_rec, rep_src.astype(np.int64), rep_key


class _Report:
    """What each planted pattern did, from the final columns (``summary.injected``)."""

    def __init__(self, ev, rec, world: _World, salt):
        self.ev, self.w, self.salt = ev, world, salt
        self.t0 = ev["tenant"] == 0
        self.occ_day = ((ev["occ"] - world.start_ms) // DAY_MS).astype(np.int64)
        nver = np.bincount(rec["event"], minlength=len(ev["occ"]))
        self.latest_outcome = np.where(nver == 1, -1, np.where(nver == 2, ev["out2"], ev["out3"]))

    def _owner(self, wf):
        w = self.w
        return dict(tenant_id=w.tenant_ids[0], workflow=w.workflows[wf], department=w.departments[int(w.wf_dept[wf])])

    def _event_ids(self, idx):
        return _hex_ids("evt_", _mix(np.asarray(idx).astype(_U64) + self.salt))

    def model_shift(self, t):
        w, ev = self.w, self.ev
        moved = t["moved"]
        return dict(**self._owner(t["wf"]), vendor=w.models[t["old"]][0], old_model=w.models[t["old"]][1],
                    new_model=w.models[t["new"]][1], switch_day=w.day_list[t["day"]], events_moved=len(moved),
                    cost_before_usd=_usd(t["cost_before"]), cost_after_usd=_usd(ev["cost"][moved].sum()))

    def retry_storm(self, t, storm):
        w = self.w
        attempts = np.bincount(storm["grp"] - storm["grp"].min())
        retry = storm["attempt"] >= 2
        return dict(**self._owner(t["wf"]), vendor=w.models[int(w.wf_model[t["wf"]])][0],
                    model=w.models[int(w.wf_model[t["wf"]])][1], day=w.day_list[t["day"]], traces=len(attempts),
                    attempts=len(storm["grp"]), retry_attempts=int(retry.sum()), min_attempts=int(attempts.min()),
                    max_attempts=int(attempts.max()), retry_cost_usd=_usd(storm["cost"][retry].sum()),
                    cost_usd=_usd(storm["cost"].sum()),
                    trace_ids=_hex_ids("trc_", _mix(np.unique(storm["grp"]).astype(_U64) + self.salt
                                                    + _U64(0xD1B54A32D192ED03))))

    def long_context(self, t):
        w, ev = self.w, self.ev
        idx = t["events"]
        members = self.t0 & (ev["wf"] == t["wf"]) & (ev["model_used"] == t["model"])
        return dict(**self._owner(t["wf"]), vendor=w.models[t["model"]][0], model=w.models[t["model"]][1],
                    event_ids=self._event_ids(idx), input_tokens=tuple(int(x) for x in ev["inp"][idx]),
                    median_input_tokens=Decimal(float(np.median(ev["inp"][members]))),
                    baseline_events=int(members.sum()), cost_usd=_usd(ev["cost"][idx].sum()))

    def failing_workflow(self, t):
        ev = self.ev
        m = self.t0 & (ev["wf"] == t["wf"])
        out = self.latest_outcome[m]
        counts = {o: int(np.count_nonzero(out == i)) for i, o in enumerate(OUTCOMES)}
        known = int(np.count_nonzero(out >= 0))
        wasted = np.isin(out, [OUTCOMES.index(o) for o in _WASTED])
        return dict(**self._owner(t["wf"]), events=int(m.sum()), known_outcomes=known, outcomes=counts,
                    failed_or_rejected_share=(counts["failed"] + counts["rejected"]) / known if known else None,
                    wasted_events=int(wasted.sum()), wasted_spend_usd=_usd(ev["cost"][m][wasted].sum()),
                    cost_usd=_usd(ev["cost"][m].sum()))

    def budget_overrun(self, t):
        w, ev = self.w, self.ev
        d, mdays = t["dept"], t["mdays"]
        name = w.departments[d]
        dept = self.t0 & (ev["dept"] == d)
        charged = dept & ev["budget"]
        by_day = np.zeros(len(w.day_list), np.int64)
        np.add.at(by_day, self.occ_day[charged], ev["cost"][charged])
        spend_by_day = {w.day_list[i]: _usd(by_day[i]) for i in mdays}
        exhausted = None
        if t["amount"] is not None:
            cum = np.cumsum(by_day[mdays])
            hit = np.flatnonzero(cum >= t["amount"])
            exhausted = w.day_list[mdays[hit[0]]] if len(hit) else None
        by_month = {}
        per_day = np.zeros(len(w.day_list), np.int64)
        np.add.at(per_day, self.occ_day[dept], ev["cost"][dept])
        for i, day in enumerate(w.day_list):
            by_month[day.replace(day=1)] = by_month.get(day.replace(day=1), 0) + int(per_day[i])
        return dict(tenant_id=w.tenant_ids[0], department=name, budget_id=f"bud_{name}_monthly", month=t["month"],
                    budget_usd=None if t["amount"] is None else _usd(t["amount"]), spend_by_day=spend_by_day,
                    month_spend_usd=_usd(by_day[mdays].sum()), base_month_spend_usd=_usd(t["base"]),
                    exhausted_day=exhausted, events_added=t["added"],
                    department_spend_by_month={m: _usd(v) for m, v in by_month.items()})


class _Renderer:
    def __init__(self, ctx, con, pool):
        self.c = ctx
        self.con = con
        self.pool = pool
        self.pending = deque()
        self.json = ctx["fmt"] != "parquet"
        # employee / customer numbers are tenant * 1000 + n: one zero-padded width for the whole ledger
        self.id_width = max(5, len(str(len(ctx["tenant_ids"]) * 1000 - 1)))
        q = _js if self.json else (lambda s: s)
        marker = ctx["marker"]

        def with_marker(s):
            return f"{s} {marker}" if marker is not None else s

        self.d_tenant = [q(t) for t in ctx["tenant_ids"]]
        self.d_dept = [q(d) for d in ctx["departments"]]
        self.d_budget = [q(f"bud_{d}_monthly") for d in ctx["departments"]]
        self.d_wf = [q(w) for w in ctx["workflows"]]
        self.d_vendor = [q(v) for v, _ in ctx["models"]]
        self.d_model = [q(m) for _, m in ctx["models"]]
        self.d_policy = [q(p) for p in POLICY_RESULTS]
        self.d_outcome = [q(o) for o in OUTCOMES] + [q("approved")]
        self.d_receipt = [q(r) for r in RECEIPT_STATUSES] + [q("signed")]
        self.d_evidence = [q(e) for e in EVIDENCE_STATUSES]
        self.d_privacy = [q(p) for p in PRIVACY_MODES] + [q("everything")]
        self.d_ofs = [s for s, _ in OFFSETS]
        self.ofs_min = np.array([m * 60_000 for _, m in OFFSETS], dtype=np.int64)
        prompts = [with_marker(s) for s in REDACTED_PROMPTS] + [with_marker(s.format(n=i * 37 + 11)) for i, s in enumerate(PROMPTS)]
        resps = [with_marker(s) for s in REDACTED_RESPONSES] + [with_marker(s.format(n=i * 53 + 7)) for i, s in enumerate(RESPONSES)]
        if self.json:
            self._init_json_combos()
            self.d_content = [f',"prompt":{_js(p)},"response":{_js(r)}' for p, r in zip(prompts, resps)]
            self.d_labels = [None if lab is None else f',"labels":{_js(lab)}' for lab in LABELS]
            self.d_extras = list(EXTRAS_JSON)
        else:
            self.d_prompt, self.d_response = prompts, resps
            self.labels_arr = pa.array(list(LABELS), type=pa.map_(pa.string(), pa.string()))
            self.d_build = list(EXTRAS_BUILD)

    def _init_json_combos(self):
        """Pre-rendered JSON fragments for combinations of categorical fields (one lookup per row)."""
        c = self.c
        D, W, M = len(c["departments"]), len(c["workflows"]), len(c["models"])
        self.dims_org = (D + 1, W + 1, 2)
        org = []
        for d in range(-1, D):
            for w in range(-1, W):
                for b in (0, 1):
                    f = "" if d < 0 else f',"department":{self.d_dept[d]}'
                    f += "" if w < 0 else f',"workflow":{self.d_wf[w]}'
                    f += f',"budget_id":{self.d_budget[d]}' if (b and d >= 0) else ""
                    org.append(f)
        self.c_org = org
        model = []
        for mr in range(M):
            for mu in range(M):
                for missing in (0, 1):
                    f = f',"vendor":{self.d_vendor[mu]},"model_requested":{self.d_model[mr]}'
                    model.append(f + ("" if missing else f',"model_used":{self.d_model[mu]}'))
        self.c_model = model
        self.dims_status = (len(POLICY_RESULTS) + 1, len(OUTCOMES) + 2, len(RECEIPT_STATUSES) + 1,
                            len(EVIDENCE_STATUSES), len(PRIVACY_MODES) + 1)
        status = []
        for pol in range(-1, len(POLICY_RESULTS)):
            for out in range(-1, len(OUTCOMES) + 1):
                for rc in range(len(RECEIPT_STATUSES) + 1):
                    for evs in range(len(EVIDENCE_STATUSES)):
                        for pm in range(len(PRIVACY_MODES) + 1):
                            f = "" if pol < 0 else f',"policy_result":{self.d_policy[pol]}'
                            f += "" if out < 0 else f',"outcome":{self.d_outcome[out]}'
                            f += f',"receipt_status":{self.d_receipt[rc]},"evidence_status":{self.d_evidence[evs]}'
                            f += f',"privacy_mode":{self.d_privacy[pm]}'
                            status.append(f)
        self.c_status = status
        self.c_version = ['{"version":0', '{"version":1', '{"version":2', '{"version":3', '{"version":"two"']
        self.c_attempt = [f',"attempt":{k}' for k in range(0, 128)]
        labx = []
        for lab in LABELS:
            for ex in EXTRAS_JSON:
                labx.append(("" if lab is None else f',"labels":{_js(lab)}') + (ex or ""))
        self.c_labx = labx

    def _common(self, src, bad, eid):
        """Numpy columns of the rows of one file (bad-record overrides applied)."""
        recc = _unpack(self.c["rec"][src])  # one gather of packed rows: few cache misses
        e = recc["event"]
        evc = _unpack(self.c["ev"][e])
        ver = recc["ver"].astype(np.int64)
        x = dict(e=e, ver=ver, evc=evc, recc=recc)
        x["version"] = np.where(bad == _B_VER0, 0, ver)
        inp = evc["inp"]
        x["inp"] = np.where(bad == _B_TOKENS, -(inp + 1), inp)
        cost = evc["cost"]
        x["cost"] = np.where(bad == _B_NEG, -np.maximum(cost, 1_234_567), cost)
        x["cost_as_str"] = evc["cost_as_str"] & (bad != _B_NEG)
        outcome = np.where(ver == 1, -1, np.where(ver == 2, evc["out2"], evc["out3"]))
        x["outcome"] = np.where(bad == _B_OUTCOME, len(OUTCOMES), outcome)
        x["evidence"] = np.where(ver == 1, 3, np.where(ver == 2, evc["ev2"], 0))
        x["receipt"] = np.where(bad == _B_RECEIPT, len(RECEIPT_STATUSES), evc["receipt"])
        x["privacy"] = np.where(bad == _B_PRIVACY, len(PRIVACY_MODES), evc["privacy"])
        x["fp_present"] = evc["privacy"] != 0
        x["policy"] = np.where(evc["policy_present"], evc["policy"], -1)
        return x

    def _ts_cols(self, x):
        evc, recc = x["evc"], x["recc"]
        occ, occ_ofs, rms, rofs = evc["occ"], evc["occ_ofs"], recc["ms"], recc["ofs"]
        return {
            "rec_local": pa.array(rms + self.ofs_min[rofs]).cast(pa.timestamp("ms")),
            "rec_msf": pa.array((rms % 1000).astype(np.int16)),
            "rec_frac": pa.array(recc["frac"]),
            "rec_sfx": _dict(rofs, self.d_ofs),
            "occ_local": pa.array(occ + self.ofs_min[occ_ofs]).cast(pa.timestamp("ms")),
            "occ_msf": pa.array((occ % 1000).astype(np.int16)),
            "occ_frac": pa.array(evc["occ_frac"]),
            "occ_sfx": _dict(occ_ofs, self.d_ofs),
        }

    def _table_json(self, src, bad, eid):
        salt = self.c["salt"]
        x = self._common(src, bad, eid)
        evc = x["evc"]
        e = x["e"]
        n = len(src)
        eid_hex = _hexmat(_mix(eid.astype(_U64) + salt)[:, None])
        fp_hex = _hexmat(_fp_words(e[x["fp_present"]], salt))
        trace_hex = _hexmat(_mix(evc["grp"].astype(_U64) + salt + _U64(0xD1B54A32D192ED03))[:, None])
        emp, cust = evc["emp"], evc["cust"]
        wemp = wcus = self.id_width
        dept, wf = evc["dept"].astype(np.int64), evc["wf"].astype(np.int64)
        D1, W1, _ = self.dims_org
        org = ((dept + 1) * W1 + (wf + 1)) * 2 + evc["budget"]
        M = len(self.c["models"])
        model = (evc["model_req"].astype(np.int64) * M + evc["model_used"]) * 2 + (bad == _B_NO_MODEL)
        P1, O2, R1, E, PM1 = self.dims_status
        x = {k: (v.astype(np.int64) if k in ("policy", "outcome", "receipt", "evidence", "privacy") else v)
             for k, v in x.items()}
        status = ((((x["policy"] + 1) * O2 + (x["outcome"] + 1)) * R1 + x["receipt"]) * E + x["evidence"]) * PM1 \
            + x["privacy"]
        version = np.where(bad == _B_VERSTR, 4, x["version"])
        attempt = np.where(evc["attempt_present"], evc["attempt"], -1)
        labx = evc["labels"].astype(np.int64) * len(EXTRAS_JSON) + evc["extras"]
        cols = {
            "bad": pa.array(bad.astype(np.int8)),
            "event_id": _fixed([',"event_id":"evt_', eid_hex, '"'], n, present=bad != _B_NO_ID),
            "version": _dict(version, self.c_version),
            **self._ts_cols(x),
            "tenant_id": _dict(np.where(bad == _B_NO_TENANT, -1, evc["tenant"]), self.d_tenant),
            "org": _dict(org, self.c_org),
            "emp": _fixed([',"employee_id":"emp_', _digits(np.maximum(emp, 0), wemp), '"'], n, present=emp >= 0),
            "cust": _fixed([',"customer_id":"cus_', _digits(np.maximum(cust, 0), wcus), '"'], n, present=cust >= 0),
            "model": _dict(model, self.c_model),
            "input_tokens": pa.array(x["inp"]),
            "output_tokens": pa.array(evc["outt"]),
            "cached_input_tokens": pa.array(evc["cached"], mask=~evc["cached_present"]),
            "cost": pa.array(x["cost"]),
            "cost_as_str": pa.array(x["cost_as_str"]),
            "latency_ms": pa.array(evc["latency"]),
            "status": _dict(status, self.c_status),
            "fps": _fixed([',"prompt_fingerprint":"', fp_hex[:, :64], '","response_fingerprint":"', fp_hex[:, 64:], '"'],
                          n, present=x["fp_present"], selected=True),
            "content": _dict(evc["content"], self.d_content),
            "trace": _fixed([',"trace_id":"trc_', trace_hex, '"'], n),
            "attempt": _dict(attempt, self.c_attempt),
            "labx": _dict(labx, self.c_labx),
        }
        return pa.table(cols), None

    def _table(self, src, bad, eid):
        """Arrow columns for Parquet: raw values, nulls for absent fields."""
        salt = self.c["salt"]
        x = self._common(src, bad, eid)
        evc = x["evc"]
        e = x["e"]
        n = len(src)
        eid_hex = _hexmat(_mix(eid.astype(_U64) + salt)[:, None])
        fp_hex = _hexmat(_fp_words(e[x["fp_present"]], salt))
        trace_hex = _hexmat(_mix(evc["grp"].astype(_U64) + salt + _U64(0xD1B54A32D192ED03))[:, None])
        emp, cust = evc["emp"], evc["cust"]
        wemp = wcus = self.id_width
        dept = evc["dept"]
        mu = evc["model_used"]
        content = evc["content"]
        fp = x["fp_present"]
        cols = {
            "bad": pa.array(bad.astype(np.int8)),
            "event_id": _fixed(["evt_", eid_hex], n, present=bad != _B_NO_ID, null_absent=True),
            "version": pa.array(x["version"]),
            **self._ts_cols(x),
            "tenant_id": _dict(np.where(bad == _B_NO_TENANT, -1, evc["tenant"]), self.d_tenant),
            "department": _dict(dept, self.d_dept),
            "employee_id": _fixed(["emp_", _digits(np.maximum(emp, 0), wemp)], n, present=emp >= 0, null_absent=True),
            "workflow": _dict(evc["wf"], self.d_wf),
            "customer_id": _fixed(["cus_", _digits(np.maximum(cust, 0), wcus)], n, present=cust >= 0,
                                  null_absent=True),
            "vendor": _dict(mu, self.d_vendor),
            "model_requested": _dict(evc["model_req"], self.d_model),
            "model_used": _dict(np.where(bad == _B_NO_MODEL, -1, mu), self.d_model),
            "input_tokens": pa.array(x["inp"]),
            "output_tokens": pa.array(evc["outt"]),
            "cached_input_tokens": pa.array(evc["cached"], mask=~evc["cached_present"]),
            "cost": pa.array(x["cost"]),
            "latency_ms": pa.array(evc["latency"]),
            "budget_id": _dict(np.where(evc["budget"], dept, -1), self.d_budget),
            "policy_result": _dict(x["policy"], self.d_policy),
            "outcome": _dict(x["outcome"], self.d_outcome),
            "receipt_status": _dict(x["receipt"], self.d_receipt),
            "evidence_status": _dict(x["evidence"], self.d_evidence),
            "privacy_mode": _dict(x["privacy"], self.d_privacy),
            "prompt_fingerprint": _fixed([fp_hex[:, :64]], n, present=fp, null_absent=True, selected=True),
            "response_fingerprint": _fixed([fp_hex[:, 64:]], n, present=fp, null_absent=True, selected=True),
            "prompt": _dict(content, self.d_prompt),
            "response": _dict(content, self.d_response),
            "trace_id": _fixed(["trc_", trace_hex], n),
            "attempt": pa.array(evc["attempt"].astype(np.int64), mask=~evc["attempt_present"]),
            "meter_build": _dict(np.where(np.isin(evc["extras"], (1, 3)), evc["extras"], -1), self.d_build),
        }
        labels = self.labels_arr.take(pa.array(evc["labels"].astype(np.int32)))
        return pa.table(cols), labels

    _TS = ("strftime({p}_local, '%Y-%m-%dT%H:%M:%S') || CASE {p}_frac WHEN 0 THEN '' WHEN 1 THEN "
           "'.' || lpad({p}_msf::VARCHAR, 3, '0') ELSE '.' || lpad({p}_msf::VARCHAR, 3, '0') || '000' END || {p}_sfx")
    _COST = ("CASE WHEN cost < 0 THEN '-' ELSE '' END || (abs(cost) // 1000000000)::VARCHAR || '.' || "
             "lpad((abs(cost) % 1000000000)::VARCHAR, 9, '0')")

    def _sql_json(self):
        cost = self._COST
        f = [
            "version", "event_id",
            f"""',"recorded_at":"' || {self._TS.format(p="rec")} || '"'""",
            f"""',"occurred_at":' || CASE WHEN bad = {_B_TS1} THEN '"2026-13-45T99:00:00Z"' """
            f"""WHEN bad = {_B_TS2} THEN '"yesterday"' ELSE '"' || {self._TS.format(p="occ")} || '"' END""",
            """',"tenant_id":' || tenant_id""",
            "org", "emp", "cust", "model",
            """',"input_tokens":' || input_tokens::VARCHAR""",
            """',"output_tokens":' || output_tokens::VARCHAR""",
            """',"cached_input_tokens":' || cached_input_tokens::VARCHAR""",
            f"""',"cost_usd":' || CASE WHEN bad = {_B_COST} THEN '"12,50"' WHEN cost_as_str THEN '"' || {cost} || '"' """
            f"""ELSE rtrim(rtrim({cost}, '0'), '.') END""",
            """',"latency_ms":' || latency_ms::VARCHAR""",
            "status", "fps", "content", "trace", "attempt", "labx", "'}' || chr(10)",
        ]
        body = "concat(" + ",\n".join(f) + ")"
        return (f"SELECT CASE WHEN bad = {_B_MALFORMED} THEN left(body, length(body) // 2) || chr(10) ELSE body END AS line "
                f"FROM (SELECT bad, {body} AS body FROM t)")

    def _sql_parquet(self):
        cost = self._COST
        return f"""SELECT
            event_id,
            version,
            {self._TS.format(p="rec")} AS recorded_at,
            CASE WHEN bad = {_B_TS1} THEN '2026-13-45T99:00:00Z' WHEN bad = {_B_TS2} THEN 'yesterday'
                 ELSE {self._TS.format(p="occ")} END AS occurred_at,
            tenant_id::VARCHAR AS tenant_id, department::VARCHAR AS department,
            employee_id, workflow::VARCHAR AS workflow, customer_id, vendor::VARCHAR AS vendor,
            model_requested::VARCHAR AS model_requested, model_used::VARCHAR AS model_used,
            input_tokens, output_tokens, cached_input_tokens,
            CASE WHEN bad = {_B_COST} THEN '12,50' ELSE {cost} END AS cost_usd,
            latency_ms, budget_id::VARCHAR AS budget_id, policy_result::VARCHAR AS policy_result,
            outcome::VARCHAR AS outcome, receipt_status::VARCHAR AS receipt_status,
            evidence_status::VARCHAR AS evidence_status, privacy_mode::VARCHAR AS privacy_mode,
            prompt_fingerprint::VARCHAR AS prompt_fingerprint, response_fingerprint::VARCHAR AS response_fingerprint,
            prompt::VARCHAR AS prompt, response::VARCHAR AS response, trace_id::VARCHAR AS trace_id,
            attempt, meter_build::VARCHAR AS meter_build
            FROM t"""

    def write(self, path, src, bad, eid):
        """Render one file in chunks; the writer thread appends chunk k while chunk k+1 is rendered."""
        if self.json:
            if self.c["fmt"] == "jsonl.gz":
                raw = open(path, "wb")
                sink = gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0)
            else:
                raw, sink = None, open(path, "wb")
        else:
            raw, sink = None, pq.ParquetWriter(path, PARQUET_SCHEMA, compression="zstd")
        try:
            for a in range(0, len(src), CHUNK_ROWS):
                sl = slice(a, a + CHUNK_ROWS)
                t, labels = (self._table_json if self.json else self._table)(src[sl], bad[sl], eid[sl])
                # several record batches let DuckDB format on all threads; it keeps their order
                t = pa.Table.from_batches(t.to_batches(max_chunksize=BATCH_ROWS))
                self.con.register("t", t)
                try:
                    if self.json:
                        res = self.con.sql(self._sql_json()).to_arrow_table()
                        self._submit(_write_lines, sink, res.column("line"))
                    else:
                        res = self.con.sql(self._sql_parquet()).to_arrow_table()
                        res = res.append_column("labels", labels)
                        names = list(res.column_names)
                        names.remove("labels")
                        names.insert(names.index("attempt") + 1, "labels")
                        self._submit(sink.write_table, res.select(names).cast(PARQUET_SCHEMA))
                finally:
                    self.con.unregister("t")
        finally:
            self._submit(sink.close)
            if raw is not None:
                self._submit(raw.close)

    def _submit(self, fn, *args):
        while len(self.pending) >= 2:
            self.pending.popleft().result()
        self.pending.append(self.pool.submit(fn, *args))

    def wait(self):
        while self.pending:
            self.pending.popleft().result()


def _write_lines(fh, column):
    """Write an Arrow string column whose values end in newlines: its data buffer is the file content."""
    for chunk in column.chunks:
        if chunk.null_count:
            raise AssertionError("null line")
        if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
            chunk = chunk.cast(pa.large_string())
        width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        bufs = chunk.buffers()
        offs = np.frombuffer(bufs[1], dtype=width)[chunk.offset:chunk.offset + len(chunk) + 1]
        if len(chunk):
            fh.write(memoryview(bufs[2])[int(offs[0]):int(offs[-1])])


PARQUET_SCHEMA = pa.schema([
    ("event_id", pa.string()), ("version", pa.int64()), ("recorded_at", pa.string()), ("occurred_at", pa.string()),
    ("tenant_id", pa.string()), ("department", pa.string()), ("employee_id", pa.string()), ("workflow", pa.string()),
    ("customer_id", pa.string()), ("vendor", pa.string()), ("model_requested", pa.string()),
    ("model_used", pa.string()), ("input_tokens", pa.int64()), ("output_tokens", pa.int64()),
    ("cached_input_tokens", pa.int64()), ("cost_usd", pa.string()), ("latency_ms", pa.int64()),
    ("budget_id", pa.string()), ("policy_result", pa.string()), ("outcome", pa.string()),
    ("receipt_status", pa.string()), ("evidence_status", pa.string()), ("privacy_mode", pa.string()),
    ("prompt_fingerprint", pa.string()), ("response_fingerprint", pa.string()), ("prompt", pa.string()),
    ("response", pa.string()), ("trace_id", pa.string()), ("attempt", pa.int64()),
    ("labels", pa.map_(pa.string(), pa.string())), ("meter_build", pa.string()),
])
