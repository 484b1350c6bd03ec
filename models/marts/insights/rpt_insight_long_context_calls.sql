{#-
    Long-context calls: events whose input_tokens exceed the `long_context_percentile` (var,
    default 0.99) of their baseline, the tenant's events of the same workflow and model used
    over the whole ledger. A baseline is only trusted with at least `long_context_min_events`
    (var, default 50) events; smaller groups flag nothing. Per group:
        threshold_input_tokens = percentile_cont(p) of input_tokens
        median_input_tokens    = percentile_cont(0.5) of input_tokens
        median_call_cost_usd   = percentile_cont(0.5) of cost_usd, rounded to nine places
    and per call excess_cost_usd = cost_usd - median_call_cost_usd: what the call cost beyond a
    typical call of its workflow and model. '(unattributed)' workflows form a group of their own.
-#}

{%- set fraction = p402_monitor.insight_threshold('long_context_percentile', 'share') %}
{%- set min_events = p402_monitor.insight_threshold('long_context_min_events', 'count') %}
{%- set money = p402_monitor.type_money() %}
{%- set ratio = p402_monitor.type_ratio() %}
{%- set token_fractions = [fraction, 0.5] %}

with

events as (

    select * from {{ ref('fct_ai_events') }}

),

baseline_events as (

    {#- The same events, only what a baseline needs. A second import, not a second read of
        `events`: DuckDB would otherwise copy every column of every event for the two readers. #}
    select
        tenant_id,
        workflow,
        model_used,
        input_tokens,
        cost_usd
    from {{ ref('fct_ai_events') }}

),

baselines as (

    select
        tenant_id,
        workflow,
        model_used,
        cast(count(*) as {{ dbt.type_bigint() }}) as baseline_events,
        cast({{ p402_monitor.percentile_cont('input_tokens', fraction, token_fractions) }} as {{ ratio }})
            as threshold_input_tokens,
        cast({{ p402_monitor.percentile_cont('input_tokens', 0.5, token_fractions) }} as {{ ratio }})
            as median_input_tokens,
        cast({{ p402_monitor.percentile_cont('cost_usd', 0.5) }} as {{ money }}) as median_call_cost_usd
    from baseline_events
    group by 1, 2, 3

),

events_joined_to_baselines as (

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
        events.cost_usd,
        events.occurred_date,
        events.occurred_at,
        baselines.baseline_events,
        baselines.threshold_input_tokens,
        baselines.median_input_tokens,
        baselines.median_call_cost_usd
    from events
    inner join baselines
        on
            events.tenant_id = baselines.tenant_id
            and events.workflow = baselines.workflow
            and events.model_used = baselines.model_used
    where
        baselines.baseline_events >= {{ min_events }}
        and events.input_tokens > baselines.threshold_input_tokens

),

final as (

    select
        event_id,
        tenant_id,
        trace_id,
        employee_id,
        customer_id,
        department,
        workflow,
        vendor,
        model_used,
        input_tokens,
        threshold_input_tokens,
        median_input_tokens,
        cast(input_tokens as {{ ratio }}) / nullif(median_input_tokens, 0) as input_tokens_to_median,
        baseline_events,
        cost_usd,
        median_call_cost_usd,
        cast(cost_usd - median_call_cost_usd as {{ money }}) as excess_cost_usd,
        occurred_date,
        occurred_at
    from events_joined_to_baselines

)

select * from final
