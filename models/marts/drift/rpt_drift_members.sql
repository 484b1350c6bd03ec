{#
    How each member of each owner dimension moved between the baseline and the current window,
    per tenant: cost, cost per day, share of the dimension's cost, outcome rates with a pooled
    two-proportion z statistic, and the cost change split into volume, mix and rate effects.
    With N0, N1 the dimension's events in the baseline and current window, and C0, C1, n0, n1
    the member's cost and events:
        volume effect = (N1 - N0) * C0 / N0             (0 when C0 = 0)
        mix effect    = n1 * C0 / n0 - N1 * C0 / N0     (C1 when n0 = 0: a new member is all mix)
        rate effect   = (C1 - C0) - volume - mix        (the residual, so the three add up exactly)
    Volume and mix are exact quotients rounded to nine places (half away from zero) before the
    residual is taken. Every ratio divides by nullif(…, 0): a missing denominator gives null,
    never an error.
#}

{%- set money = p402_monitor.type_money() %}
{%- set ratio = p402_monitor.type_ratio() %}

with

member_windows as (

    select * from {{ ref('int_drift_member_windows') }}

),

windows as (

    select * from {{ ref('int_drift_windows') }}

),

dimension_totals as (

    select
        tenant_id,
        dimension_name,
        sum(baseline_events) as dimension_baseline_events,
        sum(current_events) as dimension_current_events,
        sum(baseline_cost_usd) as dimension_baseline_cost_usd,
        sum(current_cost_usd) as dimension_current_cost_usd
    from member_windows
    group by 1, 2

),

members_joined_to_totals as (

    select
        member_windows.*,
        dimension_totals.dimension_baseline_events,
        dimension_totals.dimension_current_events,
        dimension_totals.dimension_baseline_cost_usd,
        dimension_totals.dimension_current_cost_usd,
        windows.baseline_days,
        windows.current_days
    from member_windows
    inner join dimension_totals
        on
            member_windows.tenant_id = dimension_totals.tenant_id
            and member_windows.dimension_name = dimension_totals.dimension_name
    cross join windows

),

ratios as (

    select
        *,
        current_cost_usd - baseline_cost_usd as cost_delta_usd,
        100 * cast(current_cost_usd - baseline_cost_usd as {{ ratio }})
        / nullif(cast(baseline_cost_usd as {{ ratio }}), 0) as cost_delta_pct,
        {%- for window in ['baseline', 'current'] %}
            {{ p402_monitor.divide_money(window ~ '_cost_usd', 'nullif(' ~ window ~ '_days, 0)') }}
                as {{ window }}_cost_per_day_usd,
            cast({{ window }}_cost_usd as {{ ratio }})
            / nullif(cast(dimension_{{ window }}_cost_usd as {{ ratio }}), 0) as {{ window }}_share,
            cast({{ window }}_accepted as {{ ratio }}) / nullif({{ window }}_known_outcomes, 0)
                as {{ window }}_accept_rate,
            cast({{ window }}_failed as {{ ratio }}) / nullif({{ window }}_known_outcomes, 0)
                as {{ window }}_fail_rate,
            cast(1 as {{ ratio }}) / nullif({{ window }}_known_outcomes, 0)
                as {{ window }}_inverse_known_outcomes,
        {%- endfor %}
        cast(baseline_accepted + current_accepted as {{ ratio }})
        / nullif(baseline_known_outcomes + current_known_outcomes, 0) as pooled_accept_rate,
        cast(baseline_failed + current_failed as {{ ratio }})
        / nullif(baseline_known_outcomes + current_known_outcomes, 0) as pooled_fail_rate
    from members_joined_to_totals

),

{# se = sqrt(p (1 - p) (1/n0 + 1/n1)): null when either n is 0, and z null when se is 0. #}
z_scores as (

    select
        *,
        (current_accept_rate - baseline_accept_rate) / nullif(
            sqrt(
                pooled_accept_rate * (1 - pooled_accept_rate)
                * (baseline_inverse_known_outcomes + current_inverse_known_outcomes)
            ),
            0
        ) as accept_rate_z,
        (current_fail_rate - baseline_fail_rate) / nullif(
            sqrt(
                pooled_fail_rate * (1 - pooled_fail_rate)
                * (baseline_inverse_known_outcomes + current_inverse_known_outcomes)
            ),
            0
        ) as fail_rate_z,
        baseline_known_outcomes < {{ var('drift_min_events') }}
        or current_known_outcomes < {{ var('drift_min_events') }} as is_low_volume
    from ratios

),

volume_and_mix as (

    select
        *,
        case
            when baseline_cost_usd = 0 then cast(0 as {{ money }})
            else {{ p402_monitor.divide_money(
                '(dimension_current_events - dimension_baseline_events) * baseline_cost_usd',
                'dimension_baseline_events'
            ) }}
        end as volume_effect_usd,
        case
            when baseline_events = 0 then current_cost_usd
            {#- n1 * C0 / n0 - N1 * C0 / N0 over one denominator, so it is rounded once. #}
            else {{ p402_monitor.divide_money(
                'baseline_cost_usd * (current_events * dimension_baseline_events'
                ~ ' - dimension_current_events * baseline_events)',
                'baseline_events * dimension_baseline_events'
            ) }}
        end as mix_effect_usd
    from z_scores

),

final as (

    select
        tenant_id,
        dimension_name,
        member,
        baseline_events,
        current_events,
        baseline_cost_usd,
        current_cost_usd,
        cast(cost_delta_usd as {{ money }}) as cost_delta_usd,
        cost_delta_pct,
        baseline_cost_per_day_usd,
        current_cost_per_day_usd,
        baseline_share,
        current_share,
        (current_share - baseline_share) * 100 as share_delta_pp,
        baseline_accept_rate,
        current_accept_rate,
        baseline_fail_rate,
        current_fail_rate,
        accept_rate_z,
        fail_rate_z,
        is_low_volume,
        not is_low_volume
        and coalesce(abs(accept_rate_z) >= 1.96 or abs(fail_rate_z) >= 1.96, false)
            as outcome_shift_significant,
        volume_effect_usd,
        mix_effect_usd,
        cast(cost_delta_usd - volume_effect_usd - mix_effect_usd as {{ money }})
            as rate_effect_usd
    from volume_and_mix

)

select * from final
