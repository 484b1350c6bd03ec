{#-
    Every tenant's workflow in every UTC hour it ran: events, retries (events with attempt > 1),
    their cost and the hour's whole cost, and the department that spent the most on the workflow
    in that hour (by name on a tie): a workflow is usually run by one department, and a spike
    follows it in a breakdown. rpt_insight_retry_spikes keeps the hours beyond its threshold
    vars, so new thresholds need no rebuild of this model.

    Incremental per tenant-day, like the daily reports (dbt_project.yml): an hour lies within
    one UTC day.
-#}

{%- set money = p402_monitor.type_money() %}

with

events as (

    select * from {{ ref('fct_ai_events') }}
    {{ p402_monitor.only_changed_tenant_days() }}

),

events_with_hour as (

    select
        *,
        {{ dbt.date_trunc('hour', 'occurred_at') }} as occurred_hour
    from events

),

workflow_hours as (

    select
        tenant_id,
        workflow,
        occurred_hour,
        cast(count(*) as {{ dbt.type_bigint() }}) as events,
        {{ p402_monitor.count_where('is_retry') }} as retries,
        cast(sum(case when is_retry then cost_usd else 0 end) as {{ money }}) as retry_cost_usd,
        cast(sum(cost_usd) as {{ money }}) as cost_usd,
        min(occurred_date) as occurred_date,
        max(last_staged_at) as last_staged_at
    from events_with_hour
    group by 1, 2, 3

),

department_hours_ranked as (

    select
        tenant_id,
        workflow,
        occurred_hour,
        department,
        row_number() over (
            partition by tenant_id, workflow, occurred_hour
            order by sum(cost_usd) desc, department
        ) as department_rank
    from events_with_hour
    group by 1, 2, 3, 4

),

final as (

    select
        workflow_hours.tenant_id,
        workflow_hours.workflow,
        department_hours_ranked.department,
        workflow_hours.events,
        workflow_hours.retries,
        workflow_hours.retry_cost_usd,
        workflow_hours.cost_usd,
        workflow_hours.occurred_date,
        workflow_hours.occurred_hour,
        workflow_hours.last_staged_at
    from workflow_hours
    inner join department_hours_ranked
        on
            workflow_hours.tenant_id = department_hours_ranked.tenant_id
            and workflow_hours.workflow = department_hours_ranked.workflow
            and workflow_hours.occurred_hour = department_hours_ranked.occurred_hour
            and department_hours_ranked.department_rank = 1

)

select * from final
