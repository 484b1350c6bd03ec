{#-
    Every trace (one logical request) with more than one attempt, one row per tenant and trace.
    attempts counts the trace's events; the first attempt is the one with the lowest attempt
    number (a missing one counts as 1; earliest occurred_at, then event_id, on a tie), and it
    names the trace's owners, model and occurred_date. retry_cost_usd is the cost of every
    attempt after the first, so retry_cost_usd = trace_cost_usd - the first attempt's cost_usd.
    Events without a trace_id cannot be grouped into a trace and are left out.
    rpt_insight_retry_storms keeps the traces beyond its threshold var, so a new threshold
    needs no rebuild of this model.

    Incremental per trace: the traces the build changed, where their events are and where they
    were, are deleted (pre-hook) and rebuilt whole.
-#}

{{ config(
    materialized=p402_monitor.incremental_or_table(),
    unique_key=['tenant_id', 'trace_id'],
    pre_hook="{{ p402_monitor.delete_changed_traces() }}",
) }}

with

events as (

    select * from {{ ref('fct_ai_events') }}
    where trace_id is not null
    {{ p402_monitor.only_changed_traces(ref('fct_ai_events')) }}

),

trace_attempts as (

    {#- The same events, only what counting a trace needs. A full build imports them a second
        time: DuckDB would otherwise copy every column of every event for the two readers. An
        incremental build reads its few changed traces once (each read scans every event). #}
    select
        tenant_id,
        trace_id,
        cost_usd,
        occurred_at,
        last_staged_at
    {% if is_incremental() -%}
        from events
    {%- else -%}
        from {{ ref('fct_ai_events') }}
        where trace_id is not null
    {%- endif %}

),

traces as (

    select
        tenant_id,
        trace_id,
        cast(count(*) as {{ dbt.type_bigint() }}) as attempts,
        cast(sum(cost_usd) as {{ p402_monitor.type_money() }}) as trace_cost_usd,
        max(occurred_at) as last_attempt_at,
        max(last_staged_at) as last_staged_at
    from trace_attempts
    group by 1, 2

),

retried_traces as (

    select * from traces
    where attempts > 1

),

retried_attempts_ordered as (

    {#- Only the retried traces' events are ordered: a few among millions, and ordering is costly. #}
    select
        events.*,
        row_number() over (
            partition by events.tenant_id, events.trace_id
            order by coalesce(events.attempt, 1), events.occurred_at, events.event_id
        ) as attempt_order
    from events
    inner join retried_traces
        on
            events.tenant_id = retried_traces.tenant_id
            and events.trace_id = retried_traces.trace_id

),

first_attempts as (

    select * from retried_attempts_ordered
    where attempt_order = 1

),

final as (

    select
        retried_traces.tenant_id,
        retried_traces.trace_id,
        first_attempts.employee_id,
        first_attempts.customer_id,
        first_attempts.department,
        first_attempts.workflow,
        first_attempts.vendor,
        first_attempts.model_used,
        retried_traces.attempts,
        cast(retried_traces.trace_cost_usd - first_attempts.cost_usd as {{ p402_monitor.type_money() }})
            as retry_cost_usd,
        retried_traces.trace_cost_usd,
        first_attempts.occurred_date,
        first_attempts.occurred_at as first_attempt_at,
        retried_traces.last_attempt_at,
        retried_traces.last_staged_at
    from retried_traces
    inner join first_attempts
        on
            retried_traces.tenant_id = first_attempts.tenant_id
            and retried_traces.trace_id = first_attempts.trace_id

)

select * from final
