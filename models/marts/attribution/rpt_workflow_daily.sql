{#-
    Spend and outcomes per tenant, day and workflow, with the department that owns the workflow
    in the taxonomy (which may differ from the departments that ran it).
-#}

with

events as (

    select * from {{ ref('fct_ai_events') }}
    {{ p402_monitor.only_changed_tenant_days() }}

),

workflow_daily as (

    select
        tenant_id,
        occurred_date,
        workflow,
        workflow_owning_department,
        {{ p402_monitor.event_measures() }}
    from events
    group by 1, 2, 3, 4

)

select * from workflow_daily
