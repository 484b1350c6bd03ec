"""Writing a result as CSV, JSON or an aligned table for people."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

from tabulate import SEPARATING_LINE, tabulate

# A spreadsheet evaluates a cell that starts with one of these as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MONEY_COLUMNS_SUFFIX = "_usd"


def text_value(value) -> str:
    """A value as exact text: decimals in plain notation, never exponent form or rounded."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def spreadsheet_safe(value) -> str:
    """The cell text, with a leading quote on strings a spreadsheet would run as a formula."""
    text = text_value(value)
    if isinstance(value, str) and text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def to_csv(columns, rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    # The writer quotes a cell holding its line terminator ("\n") but not a lone carriage return,
    # which readers take for a line break: a row with one is written with every cell quoted.
    quoting_writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(columns)
    for row in rows:
        cells = [spreadsheet_safe(value) for value in row]
        (quoting_writer if any("\r" in cell for cell in cells) else writer).writerow(cells)
    return buffer.getvalue()


def to_json(columns, rows) -> str:
    """Objects in row order. Money and shares are strings so that no parser rounds them."""
    records = []
    for row in rows:
        record = {}
        for column, value in zip(columns, row):
            record[column] = text_value(value) if isinstance(value, (Decimal, date)) else value
        records.append(record)
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"


def money(value) -> str:
    if value is None:
        return ""
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def to_table(columns, rows, dimensions) -> str:
    """Aligned, money as money, shares as percentages, and a total line."""
    shown = []
    for row in rows:
        shown.append([_for_people(column, value) for column, value in zip(columns, row)])
    if rows:
        totals = []
        for index, column in enumerate(columns):
            if column in dimensions:
                totals.append("Total" if index == 0 else "")
            elif column.endswith(MONEY_COLUMNS_SUFFIX) or column == "events" or _is_count(rows, index):
                totals.append(_for_people(column, sum((row[index] or 0) for row in rows)))
            elif column == "cost_share":
                totals.append("100.0%")
            else:
                totals.append("")
        shown.extend([SEPARATING_LINE, totals])
    return tabulate(shown, headers=columns, disable_numparse=True, colalign=[
        "left" if column in dimensions else "right" for column in columns
    ])


def _is_count(rows, index) -> bool:
    return all(isinstance(row[index], int) and not isinstance(row[index], bool) for row in rows)


def _for_people(column, value) -> str:
    if value is None:
        return ""
    if column.endswith(MONEY_COLUMNS_SUFFIX):
        return money(value)
    if column == "cost_share" or column.endswith(("_rate", "_share")):
        return f"{value * 100:.1f}%"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, Decimal):
        return f"{value:,.4f}"
    return text_value(value)
