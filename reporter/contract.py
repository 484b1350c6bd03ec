"""The ledger contract as Python constants, shared by the generator, the CLI and the tests.

The dbt project holds its own copy of the enumerations (``macros/ledger/ledger_enums.sql``) and of
the quarantine reasons (the staging model and its tests), because the SQL must run without Python;
``tests/test_contract.py`` keeps them in step.
"""

from datetime import date

OUTCOMES = ("accepted", "rejected", "revised", "escalated", "failed")
POLICY_RESULTS = ("allowed", "warned", "blocked")
RECEIPT_STATUSES = ("verified", "unverified", "missing")
EVIDENCE_STATUSES = ("complete", "partial", "missing", "pending")
PRIVACY_MODES = ("metadata_only", "fingerprint_only", "redacted_trace", "private_gateway", "full_trace")

# Every field Monitor reads. Content fields (prompt, response) and unknown fields are never read.
METADATA_FIELDS = (
    "event_id", "version", "recorded_at", "occurred_at", "tenant_id", "department", "employee_id",
    "workflow", "customer_id", "vendor", "model_requested", "model_used", "input_tokens",
    "output_tokens", "cached_input_tokens", "cost_usd", "latency_ms", "budget_id", "policy_result",
    "outcome", "receipt_status", "evidence_status", "privacy_mode", "prompt_fingerprint",
    "response_fingerprint", "trace_id", "attempt", "labels",
)

# Machine-readable quarantine reasons, in the order they are checked: a record gets the first
# that applies.
QUARANTINE_REASONS = (
    "malformed_json",          # not a JSON object (truncated, not JSON at all, not UTF-8, over 64 MiB)
    "nested_value",            # an object or array where the contract has text or a number (or in labels)
    "missing_event_id",
    "bad_version",             # missing, not an integer, or below 1
    "missing_tenant_id",
    "bad_timestamp",           # recorded_at or occurred_at missing or not RFC 3339
    "missing_vendor",
    "missing_model",           # model_requested or model_used missing
    "bad_tokens",              # a token count missing/not an integer/negative, or cached > input
    "bad_cost",                # cost_usd missing, not a decimal, or more than 9 decimal places
    "negative_cost",
    "unknown_outcome",
    "unknown_policy_result",
    "unknown_receipt_status",  # missing or outside the list
    "unknown_evidence_status",  # missing or outside the list
    "unknown_privacy_mode",    # missing or outside the list
    "bad_attempt",             # not an integer >= 1
    "bad_latency",             # not an integer >= 0
    "beyond_lookback",         # valid, but arrived after an incremental build's lookback: needs --full-refresh
)

# The tenant the reconciliation files a record under when its tenant_id cannot be read.
UNKNOWN_TENANT = "(unknown)"

# The days Monitor reports on and generates: MetricFlow's time constraints stop at the end of 2040,
# and baseline windows are counted back from a period, which must stay far from year 1.
EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2040, 12, 31)
