{#
    What every member of every owner dimension did in each drift window, per tenant: events,
    metered cost, accepted and failed outcomes, and known outcomes (anything but 'pending').
    One select per dimension of the `drift_dimensions` var, stacked with union all. Members are
    grouped over both windows at once, so a member seen in one window only has zeros in the
    other. Events outside both windows are left out; a null owner value is the member '(missing)'.
#}

{%- set windows = ['baseline', 'current'] %}
{%- set bigint = dbt.type_bigint() %}
{%- set money = p402_monitor.type_money() %}
{%- set outcome_counts = {
    'accepted': "outcome = 'accepted'",
    'failed': "outcome = 'failed'",
    'known_outcomes': "outcome <> 'pending'",
} %}

with

events as (

    select * from {{ ref('fct_ai_events') }}

),

windows as (

    select * from {{ ref('int_drift_windows') }}

),

events_in_windows as (

    {#- Read once per dimension: only the columns the dimensions and measures need. #}
    {%- set columns = (['tenant_id', 'cost_usd', 'outcome']
        + var('drift_dimensions') | map(attribute='column') | list) | unique | list %}
    select
        {%- for column in columns %}
            events.{{ column }},
        {%- endfor %}
        events.occurred_date between windows.baseline_from and windows.baseline_to as is_in_baseline,
        events.occurred_date between windows.current_from and windows.current_to as is_in_current
    from events
    cross join windows
    where
        events.occurred_date between windows.baseline_from and windows.baseline_to
        or events.occurred_date between windows.current_from and windows.current_to

),

members_by_dimension as (
    {%- for dimension in var('drift_dimensions') %}

        select
            tenant_id,
            '{{ dimension.name }}' as dimension_name,
            coalesce(cast({{ dimension.column }} as {{ dbt.type_string() }}), '(missing)') as member,
            {%- for window in windows %}
                cast(sum(case when is_in_{{ window }} then 1 else 0 end) as {{ bigint }})
                    as {{ window }}_events,
                cast(coalesce(sum(case when is_in_{{ window }} then cost_usd end), 0) as {{ money }})
                    as {{ window }}_cost_usd,
                {%- for measure, rule in outcome_counts.items() %}
                    cast(sum(case when is_in_{{ window }} and {{ rule }} then 1 else 0 end) as {{ bigint }})
                        as {{ window }}_{{ measure }}{% if not loop.last %},{% endif %}
                {%- endfor %}{% if not loop.last %},{% endif %}
            {%- endfor %}
        from events_in_windows
        group by 1, 2, 3
        {%- if not loop.last %}

            union all
        {%- endif %}
    {%- endfor %}

)

select * from members_by_dimension
