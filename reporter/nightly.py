"""The nightly run: build, then the bundles a finance team expects each morning, per tenant.

Yesterday, month to date, and on the first day of a month the month just closed. Bundle names
are fixed by tenant and period, so a rerun writes the same files with the same CSVs.
"""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class DuePeriod:
    label: str     # used in the file name
    start: date
    end: date


def periods_due(today: date) -> list[DuePeriod]:
    yesterday = today - timedelta(days=1)
    due = [DuePeriod(yesterday.isoformat(), yesterday, yesterday)]
    if today.day == 1:
        first = yesterday.replace(day=1)
        last = yesterday.replace(day=calendar.monthrange(yesterday.year, yesterday.month)[1])
        due.append(DuePeriod(first.strftime("%Y-%m"), first, last))
    else:
        due.append(DuePeriod(f"{today:%Y-%m}-to-date", today.replace(day=1), yesterday))
    return due


def bundle_name(tenant: str, period: DuePeriod) -> str:
    safe_tenant = "".join(char if char.isalnum() or char in "-_" else "_" for char in tenant)
    if safe_tenant != tenant:
        # Two tenant ids that differ only where characters were replaced must not share a file.
        safe_tenant += "-" + hashlib.sha256(tenant.encode("utf-8")).hexdigest()[:8]
    return f"{safe_tenant}/{safe_tenant}_{period.label}.zip"
