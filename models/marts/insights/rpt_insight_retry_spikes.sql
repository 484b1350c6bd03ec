{#-
    Retry spikes: a tenant's workflow in one UTC hour where retries (events with attempt > 1)
    took more than the var `retry_spike_share` (default 0.25) of the spend, judged only when the
    hour holds at least `retry_spike_min_events` (default 20) of the workflow's events:
        retry_cost_share = retry_cost_usd / cost_usd   (null when the hour cost nothing).
    department is the department that spent the most on the workflow in that hour (by name on a
    tie): a workflow is usually run by one department, and the row follows it in a breakdown.
-#}

{%- set min_events = p402_monitor.insight_threshold('retry_spike_min_events', 'count') %}
{%- set min_share = p402_monitor.insight_threshold('retry_spike_share', 'share') %}
{%- set money = p402_monitor.type_money() %}

with

events as (

    select * from {{ ref('fct_ai_events') }}

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
        min(occurred_date) as occurred_date
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

workflow_hours_with_share as (

    select
        workflow_hours.*,
        department_hours_ranked.department,
        cast(workflow_hours.retry_cost_usd as {{ p402_monitor.type_ratio() }})
        / nullif(cast(workflow_hours.cost_usd as {{ p402_monitor.type_ratio() }}), 0)
            as retry_cost_share
    from workflow_hours
    inner join department_hours_ranked
        on
            workflow_hours.tenant_id = department_hours_ranked.tenant_id
            and workflow_hours.workflow = department_hours_ranked.workflow
            and workflow_hours.occurred_hour = department_hours_ranked.occurred_hour
            and department_hours_ranked.department_rank = 1

),

final as (

    select
        tenant_id,
        workflow,
        department,
        events,
        retries,
        retry_cost_usd,
        cost_usd,
        retry_cost_share,
        occurred_date,
        occurred_hour
    from workflow_hours_with_share
    where
        events >= {{ min_events }}
        and retry_cost_share > {{ min_share }}

)

select * from final
