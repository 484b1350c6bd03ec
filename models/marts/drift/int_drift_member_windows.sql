{#
    What every member of every owner dimension did in each drift window, per tenant: events,
    metered cost, accepted and failed outcomes, and known outcomes (anything but 'pending'),
    added up from the member's days (int_drift_member_days). Members are grouped over both
    windows at once, so a member seen in one window only has zeros in the other. Days outside
    both windows are left out.
#}

{%- set windows = ['baseline', 'current'] %}
{%- set measures = ['events', 'cost_usd', 'accepted', 'failed', 'known_outcomes'] %}

with

member_days as (

    select * from {{ ref('int_drift_member_days') }}

),

windows as (

    select * from {{ ref('int_drift_windows') }}

),

member_days_in_windows as (

    select
        member_days.*,
        member_days.occurred_date between windows.baseline_from and windows.baseline_to as is_in_baseline,
        member_days.occurred_date between windows.current_from and windows.current_to as is_in_current
    from member_days
    cross join windows
    where
        member_days.occurred_date between windows.baseline_from and windows.baseline_to
        or member_days.occurred_date between windows.current_from and windows.current_to

),

member_windows as (

    select
        tenant_id,
        dimension_name,
        member,
        {%- for window in windows %}
            {%- for measure in measures %}
                {%- set type = p402_monitor.type_money() if measure == 'cost_usd' else dbt.type_bigint() %}
                cast(coalesce(sum(case when is_in_{{ window }} then {{ measure }} end), 0) as {{ type }})
                    as {{ window }}_{{ measure }}{% if not loop.last %},{% endif %}
            {%- endfor %}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from member_days_in_windows
    group by 1, 2, 3

)

select * from member_windows
