{#-
    Spend and outcomes per tenant, day, employee and department. An employee who worked for more
    than one department on a day has a row for each; events with no employee are '(unattributed)'.
-#}

with

events as (

    select * from {{ ref('fct_ai_events') }}
    {{ p402_monitor.only_changed_tenant_days() }}

),

employee_daily as (

    select
        tenant_id,
        occurred_date,
        employee_id,
        department,
        {{ p402_monitor.event_measures() }}
    from events
    group by 1, 2, 3, 4

)

select * from employee_daily
