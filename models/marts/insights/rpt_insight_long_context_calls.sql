{#-
    Long-context calls: events whose input_tokens exceed the threshold of their baseline
    (int_insight_long_context_baselines: the `long_context_percentile` of the tenant's events of
    the same workflow and model used), when the baseline holds at least `long_context_min_events`
    (var, default 50) events; smaller groups flag nothing. Per call,
    excess_cost_usd = cost_usd - median_call_cost_usd: what the call cost beyond a typical call
    of its workflow and model.
-#}

{#- A view: each build moves every baseline, so a table would be rewritten whole every night;
    read for a period and a tenant, the view joins only those events to their baselines. #}
{{ config(materialized='view') }}

{%- set min_events = p402_monitor.insight_threshold('long_context_min_events', 'count') %}
{%- set ratio = p402_monitor.type_ratio() %}

with

events as (

    select * from {{ ref('fct_ai_events') }}

),

baselines as (

    select * from {{ ref('int_insight_long_context_baselines') }}
    where baseline_events >= {{ min_events }}

),

long_context_calls as (

    select
        events.event_id,
        events.tenant_id,
        events.trace_id,
        events.employee_id,
        events.customer_id,
        events.department,
        events.workflow,
        events.vendor,
        events.model_used,
        events.input_tokens,
        baselines.threshold_input_tokens,
        baselines.median_input_tokens,
        cast(events.input_tokens as {{ ratio }}) / nullif(baselines.median_input_tokens, 0)
            as input_tokens_to_median,
        baselines.baseline_events,
        events.cost_usd,
        baselines.median_call_cost_usd,
        cast(events.cost_usd - baselines.median_call_cost_usd as {{ p402_monitor.type_money() }})
            as excess_cost_usd,
        events.occurred_date,
        events.occurred_at
    from events
    inner join baselines
        on
            events.tenant_id = baselines.tenant_id
            and events.workflow = baselines.workflow
            and events.model_used = baselines.model_used
    where events.input_tokens > baselines.threshold_input_tokens

)

select * from long_context_calls
