{#
    The two windows drift compares, as one row of inclusive UTC dates. A bound set by its var is
    taken as given; an unset one defaults in order: current_to is the latest occurred_date in
    fct_ai_events, current_from 27 days before current_to (28 days in all), baseline_to the day
    before current_from, and baseline_from as many days before baseline_to as current_from is
    before current_to, so an unset baseline has the current window's length.
#}

{#- Days from current_from to current_to: the baseline reaches back as far from baseline_to. #}
{%- set current_span = dbt.datediff('current_from', 'current_to', 'day') %}

with

events as (

    select * from {{ ref('fct_ai_events') }}

),

latest_event as (

    select max(occurred_date) as latest_occurred_date
    from events

),

current_end as (

    select
        coalesce({{ p402_monitor.drift_window_var('current_to') }}, latest_occurred_date) as current_to
    from latest_event

),

current_window as (

    select
        coalesce(
            {{ p402_monitor.drift_window_var('current_from') }},
            cast({{ dbt.dateadd('day', -27, 'current_to') }} as date)
        ) as current_from,
        current_to
    from current_end

),

baseline_end as (

    select
        current_from,
        current_to,
        coalesce(
            {{ p402_monitor.drift_window_var('baseline_to') }},
            cast({{ dbt.dateadd('day', -1, 'current_from') }} as date)
        ) as baseline_to
    from current_window

),

baseline_window as (

    select
        current_from,
        current_to,
        baseline_to,
        coalesce(
            {{ p402_monitor.drift_window_var('baseline_from') }},
            cast({{ dbt.dateadd('day', '-1 * ' ~ current_span, 'baseline_to') }} as date)
        ) as baseline_from
    from baseline_end

),

final as (

    select
        baseline_from,
        baseline_to,
        current_from,
        current_to,
        cast(
            {{ dbt.datediff('baseline_from', 'baseline_to', 'day') | trim }} + 1
            as {{ dbt.type_bigint() }}
        ) as baseline_days,
        cast(
            {{ dbt.datediff('current_from', 'current_to', 'day') | trim }} + 1
            as {{ dbt.type_bigint() }}
        ) as current_days
    from baseline_window

)

select * from final
