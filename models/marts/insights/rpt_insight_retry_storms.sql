{#-
    Retry storms: traces (one logical request) with more attempts than the var
    `retry_storm_min_attempts` (default 3), one row per tenant and trace. attempts counts the
    trace's events; the first attempt is the one with the lowest attempt number (a missing one
    counts as 1; earliest occurred_at, then event_id, on a tie), and it names the trace's
    owners, model and occurred_date. retry_cost_usd is the cost of every attempt after the
    first, so retry_cost_usd = trace_cost_usd - the first attempt's cost_usd.
    Events without a trace_id cannot be grouped into a trace and are left out.
-#}

{%- set min_attempts = p402_monitor.insight_threshold('retry_storm_min_attempts', 'count') %}

with

events as (

    select * from {{ ref('fct_ai_events') }}

),

attempts_ordered as (

    select
        *,
        row_number() over (
            partition by tenant_id, trace_id
            order by coalesce(attempt, 1), occurred_at, event_id
        ) as attempt_order
    from events
    where trace_id is not null

),

traces as (

    select
        tenant_id,
        trace_id,
        cast(count(*) as {{ dbt.type_bigint() }}) as attempts,
        cast(sum(cost_usd) as {{ p402_monitor.type_money() }}) as trace_cost_usd,
        cast(
            sum(case when attempt_order > 1 then cost_usd else 0 end)
            as {{ p402_monitor.type_money() }}
        ) as retry_cost_usd,
        max(occurred_at) as last_attempt_at
    from attempts_ordered
    group by 1, 2

),

first_attempts as (

    select * from attempts_ordered
    where attempt_order = 1

),

final as (

    select
        traces.tenant_id,
        traces.trace_id,
        first_attempts.employee_id,
        first_attempts.customer_id,
        first_attempts.department,
        first_attempts.workflow,
        first_attempts.vendor,
        first_attempts.model_used,
        traces.attempts,
        traces.retry_cost_usd,
        traces.trace_cost_usd,
        first_attempts.occurred_date,
        first_attempts.occurred_at as first_attempt_at,
        traces.last_attempt_at
    from traces
    inner join first_attempts
        on
            traces.tenant_id = first_attempts.tenant_id
            and traces.trace_id = first_attempts.trace_id
    where traces.attempts > {{ min_attempts }}

)

select * from final
