{#-
    The baseline of every long-context judgement: per tenant, workflow and model used, over the
    whole ledger, how many events it holds and the input tokens and cost of a typical call.
        threshold_input_tokens = percentile_cont(`long_context_percentile`) of input_tokens
        median_input_tokens    = percentile_cont(0.5) of input_tokens
        median_call_cost_usd   = percentile_cont(0.5) of cost_usd, rounded to nine places
    Every group has a row; rpt_insight_long_context_calls trusts only those with at least
    `long_context_min_events` events. '(unattributed)' workflows form a group of their own.

    A table rebuilt whole on every build: a percentile is not a sum, so a new day's events move
    the baselines of the groups they fall in, and there are few groups (one row each).
-#}

{{ config(materialized='table') }}

{%- set fraction = p402_monitor.insight_threshold('long_context_percentile', 'share') %}
{%- set token_fractions = [fraction, 0.5] %}
{%- set ratio = p402_monitor.type_ratio() %}

with

events as (

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
        cast({{ p402_monitor.percentile_cont('cost_usd', 0.5) }} as {{ p402_monitor.type_money() }})
            as median_call_cost_usd
    from events
    group by 1, 2, 3

)

select * from baselines
