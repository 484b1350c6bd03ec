{#-
    Retry storms: the retried traces (int_insight_retried_traces) with more attempts than the var
    `retry_storm_min_attempts` (default 3), one row per tenant and trace.
-#}

{#- A view: a filter over int_insight_retried_traces, which holds what a build computes. -#}
{{ config(materialized='view') }}

{%- set min_attempts = p402_monitor.insight_threshold('retry_storm_min_attempts', 'count') %}

with

retried_traces as (

    select * from {{ ref('int_insight_retried_traces') }}

),

final as (

    select
        tenant_id,
        trace_id,
        employee_id,
        customer_id,
        department,
        workflow,
        vendor,
        model_used,
        attempts,
        retry_cost_usd,
        trace_cost_usd,
        occurred_date,
        first_attempt_at,
        last_attempt_at
    from retried_traces
    where attempts > {{ min_attempts }}

)

select * from final
