{#
    One row per tenant and owner dimension: the two windows, the dimension's cost in each, the
    change split into volume, mix and rate effects (sums over members, so they add up exactly),
    and the Population Stability Index of its cost shares,
        psi = sum over members of (c - b) * ln(c / b),
    with b and c the member's baseline and current share, and a share of 0 (a member absent from
    a window, or without cost in it) replaced by 0.0001 so the logarithm is defined. When either
    window has no cost in the dimension there are no shares to compare, and psi is null.
#}

{%- set money_columns = [
    'baseline_cost_usd',
    'current_cost_usd',
    'cost_delta_usd',
    'volume_effect_usd',
    'mix_effect_usd',
    'rate_effect_usd',
] %}

with

members as (

    select * from {{ ref('rpt_drift_members') }}

),

windows as (

    select * from {{ ref('int_drift_windows') }}

),

members_smoothed as (

    select
        *,
        {%- for window in ['baseline', 'current'] %}
            case
                when coalesce({{ window }}_share, 0) = 0 then cast(0.0001 as {{ p402_monitor.type_ratio() }})
                else {{ window }}_share
            end as {{ window }}_share_smoothed{% if not loop.last %},{% endif %}
        {%- endfor %}
    from members

),

dimensions as (

    select
        tenant_id,
        dimension_name,
        cast(count(*) as {{ dbt.type_bigint() }}) as members,
        {%- for column in money_columns %}
            cast(sum({{ column }}) as {{ p402_monitor.type_money() }}) as {{ column }},
        {%- endfor %}
        {#- A sum of floats depends on the order the engine adds them in: each term is made a
            decimal first, so that the same data always gives the same index. #}
        cast(sum(cast(
            (current_share_smoothed - baseline_share_smoothed)
            * ln(current_share_smoothed / baseline_share_smoothed)
            as decimal(38, 18)
        )) as decimal(38, 12)) as smoothed_psi
    from members_smoothed
    group by 1, 2

),

final as (

    select
        dimensions.tenant_id,
        dimensions.dimension_name,
        windows.baseline_from,
        windows.baseline_to,
        windows.current_from,
        windows.current_to,
        windows.baseline_days,
        windows.current_days,
        dimensions.members,
        dimensions.baseline_cost_usd,
        dimensions.current_cost_usd,
        dimensions.cost_delta_usd,
        dimensions.volume_effect_usd,
        dimensions.mix_effect_usd,
        dimensions.rate_effect_usd,
        case
            when dimensions.baseline_cost_usd > 0 and dimensions.current_cost_usd > 0
                then dimensions.smoothed_psi
        end as psi
    from dimensions
    cross join windows

)

select * from final
