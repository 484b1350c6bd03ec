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
    where trace_id is not null

),

trace_attempts as (

    {#- The same events, only what counting a trace needs. A second import, not a second read of
        `events`: DuckDB would otherwise copy every column of every event for the two readers. #}
    select
        tenant_id,
        trace_id,
        cost_usd,
        occurred_at
    from {{ ref('fct_ai_events') }}
    where trace_id is not null

),

traces as (

    select
        tenant_id,
        trace_id,
        cast(count(*) as {{ dbt.type_bigint() }}) as attempts,
        cast(sum(cost_usd) as {{ p402_monitor.type_money() }}) as trace_cost_usd,
        max(occurred_at) as last_attempt_at
    from trace_attempts
    group by 1, 2

),

storm_traces as (

    select * from traces
    where attempts > {{ min_attempts }}

),

storm_attempts_ordered as (

    {#- Only the storms' events are ordered: a handful among millions, and ordering is costly. #}
    select
        events.*,
        row_number() over (
            partition by events.tenant_id, events.trace_id
            order by coalesce(events.attempt, 1), events.occurred_at, events.event_id
        ) as attempt_order
    from events
    inner join storm_traces
        on
            events.tenant_id = storm_traces.tenant_id
            and events.trace_id = storm_traces.trace_id

),

first_attempts as (

    select * from storm_attempts_ordered
    where attempt_order = 1

),

final as (

    select
        storm_traces.tenant_id,
        storm_traces.trace_id,
        first_attempts.employee_id,
        first_attempts.customer_id,
        first_attempts.department,
        first_attempts.workflow,
        first_attempts.vendor,
        first_attempts.model_used,
        storm_traces.attempts,
        cast(storm_traces.trace_cost_usd - first_attempts.cost_usd as {{ p402_monitor.type_money() }})
            as retry_cost_usd,
        storm_traces.trace_cost_usd,
        first_attempts.occurred_date,
        first_attempts.occurred_at as first_attempt_at,
        storm_traces.last_attempt_at
    from storm_traces
    inner join first_attempts
        on
            storm_traces.tenant_id = first_attempts.tenant_id
            and storm_traces.trace_id = first_attempts.trace_id

)

select * from final
