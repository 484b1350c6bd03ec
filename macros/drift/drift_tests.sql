{#-
    The cost change of a drift report row splits exactly: volume + mix + rate effects equal
    cost_delta_usd, to the last of the nine decimal places. Returns each row that does not.
-#}
{% test drift_effects_add_up(model) %}

select *
from {{ model }}
where volume_effect_usd + mix_effect_usd + rate_effect_usd <> cost_delta_usd

{% endtest %}


{#-
    Drift neither loses nor invents spend: for every tenant and every dimension of the
    `drift_dimensions` var, the members' events and cost in each window add up to the events
    and cost fct_ai_events holds in that window. Returns each tenant and dimension that differs.
-#}
{% test drift_cost_reconciles_with_fact(model) %}

with

windows as (

    select * from {{ ref('int_drift_windows') }}

),

fact_events as (

    select * from {{ ref('fct_ai_events') }}

),

dimensions as (
    {%- for dimension in var('drift_dimensions') %}

    select '{{ dimension.name }}' as dimension_name
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

fact_totals as (

    select
        fact_events.tenant_id,
        {%- for window in ['baseline', 'current'] %}
        sum(
            case
                when fact_events.occurred_date between windows.{{ window }}_from and windows.{{ window }}_to
                    then 1
                else 0
            end
        ) as {{ window }}_events,
        coalesce(sum(
            case
                when fact_events.occurred_date between windows.{{ window }}_from and windows.{{ window }}_to
                    then fact_events.cost_usd
            end
        ), 0) as {{ window }}_cost_usd{% if not loop.last %},{% endif %}
        {%- endfor %}
    from fact_events
    cross join windows
    group by 1

),

expected as (

    select
        fact_totals.*,
        dimensions.dimension_name
    from fact_totals
    cross join dimensions

),

report_totals as (

    select
        tenant_id,
        dimension_name,
        sum(baseline_events) as baseline_events,
        sum(baseline_cost_usd) as baseline_cost_usd,
        sum(current_events) as current_events,
        sum(current_cost_usd) as current_cost_usd
    from {{ model }}
    group by 1, 2

),

compared as (

    select
        coalesce(report_totals.tenant_id, expected.tenant_id) as tenant_id,
        coalesce(report_totals.dimension_name, expected.dimension_name) as dimension_name,
        {%- for window in ['baseline', 'current'] %}
        coalesce(report_totals.{{ window }}_events, 0) as report_{{ window }}_events,
        coalesce(expected.{{ window }}_events, 0) as fact_{{ window }}_events,
        coalesce(report_totals.{{ window }}_cost_usd, 0) as report_{{ window }}_cost_usd,
        coalesce(expected.{{ window }}_cost_usd, 0) as fact_{{ window }}_cost_usd{% if not loop.last %},{% endif %}
        {%- endfor %}
    from report_totals
    full outer join expected
        on
            report_totals.tenant_id = expected.tenant_id
            and report_totals.dimension_name = expected.dimension_name

)

select *
from compared
where
    report_baseline_events <> fact_baseline_events
    or report_baseline_cost_usd <> fact_baseline_cost_usd
    or report_current_events <> fact_current_events
    or report_current_cost_usd <> fact_current_cost_usd

{% endtest %}


{#-
    A drift window runs forwards: each holds at least one day. A window whose end comes before
    its start (a mistyped var) would make every per-day figure meaningless. Returns such a row.
-#}
{% test drift_windows_are_ordered(model) %}

select *
from {{ model }}
where baseline_days < 1 or current_days < 1

{% endtest %}
