{#-
    Spend and outcomes per tenant, day and department, with the department's cost center and
    division. Unattributed events are a row of their own (department '(unattributed)'), and a
    department the taxonomy does not know keeps its name with cost center '(unmapped)'.
-#}

with

events as (

    select * from {{ ref('fct_ai_events') }}
    {{ p402_monitor.only_changed_tenant_days() }}

),

department_daily as (

    select
        tenant_id,
        occurred_date,
        department,
        cost_center,
        division,
        {{ p402_monitor.event_measures() }}
    from events
    group by 1, 2, 3, 4, 5

)

select * from department_daily
