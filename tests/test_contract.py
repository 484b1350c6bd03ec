"""The contract is written down in three places (Python, dbt macros, dbt tests): they agree."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from reporter import contract
from reporter.cli_reference import render

ROOT = Path(__file__).resolve().parents[1]


def test_dbt_enumerations_match_the_contract():
    macro = (ROOT / "macros" / "ledger" / "ledger_enums.sql").read_text(encoding="utf-8")
    for field, values in {
        "outcome": contract.OUTCOMES,
        "policy_result": contract.POLICY_RESULTS,
        "receipt_status": contract.RECEIPT_STATUSES,
        "evidence_status": contract.EVIDENCE_STATUSES,
        "privacy_mode": contract.PRIVACY_MODES,
    }.items():
        listed = re.search(rf"'{field}': \[([^\]]*)\]", macro).group(1)
        assert tuple(re.findall(r"'([a-z_]+)'", listed)) == values


def test_dbt_quarantine_reasons_match_the_contract():
    staging = yaml.safe_load((ROOT / "models/staging/ledger/_ledger__models.yml").read_text(encoding="utf-8"))
    columns = {column["name"]: column for column in staging["models"][0]["columns"]}
    accepted = columns["quarantine_reason"]["data_tests"][0]["accepted_values"]["arguments"]["values"]
    assert tuple(accepted) == contract.QUARANTINE_REASONS
    sql = (ROOT / "models/staging/ledger/stg_ledger__records.sql").read_text(encoding="utf-8")
    assert tuple(re.findall(r"then '([a-z_]+)'", sql)) == contract.QUARANTINE_REASONS


def test_no_model_selects_content_fields():
    for path in (ROOT / "models").rglob("*.sql"):
        words = re.findall(r"\b(prompt|response)\b", path.read_text(encoding="utf-8"), flags=re.IGNORECASE)
        assert words == [], path
    assert "prompt" not in contract.METADATA_FIELDS and "response" not in contract.METADATA_FIELDS


def test_the_cli_reference_is_current():
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == render()


def test_dbt_reads_exactly_the_contract_metadata_fields():
    macro = (ROOT / "macros" / "ledger" / "ledger_files_select.sql").read_text(encoding="utf-8")
    listed = re.search(r"return\(\[(.*?)\]\)", macro, flags=re.DOTALL).group(1)
    assert tuple(re.findall(r"'([a-z_]+)'", listed)) == contract.METADATA_FIELDS
