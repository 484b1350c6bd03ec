{#
    A warning, not a gate: records an incremental build staged after its lookback
    (`ledger_lookback_days`) are quarantined as beyond_lookback, so every mart leaves them out
    until a full refresh applies them. One row per such record; `p402-monitor build` and `nightly`
    print the count and the advice below after every build that finds any, so that an operator
    learns of them the morning they arrive, not from an auditor.
#}

{{ config(
    severity='warn',
    meta={'advice': 'records that arrived beyond the lookback are quarantined (reason beyond_lookback) and '
                    'left out of every report: run `p402-monitor build --full-refresh` to apply them'},
) }}

with

quarantined_records as (

    select * from {{ ref('fct_quarantined_records') }}

)

select
    record_id,
    tenant_id,
    event_id,
    version,
    recorded_at,
    staged_at
from quarantined_records
where quarantine_reason = 'beyond_lookback'
