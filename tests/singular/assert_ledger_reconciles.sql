{#
    The contract's rule: every record read is counted in exactly one class, and spend does not
    disappear: the cost read equals the cost in the four classes, per tenant and day.
#}

select *
from {{ ref('rpt_ledger_reconciliation') }}
where
    records_read <> latest_records + superseded_records + replay_records + quarantined_records
    or cost_usd_read <> latest_cost_usd + superseded_cost_usd + replay_cost_usd + quarantined_cost_usd
