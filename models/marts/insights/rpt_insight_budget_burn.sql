{#-
    How fast each budget burns, per tenant, budget and month: the budgets seed's amount against
    the spend of the events charged to the budget. A row exists for every budget with spend in
    the month, and for every seeded budget of a month the tenant has data in (with no spend yet,
    spend is 0); a budget with spend but no seed row has a null amount and null flags.
    With first and last the tenant's first and last occurred_date in the month (any budget),
        days_elapsed              = last - first + 1        (the days the tenant's data covers)
        daily_burn_usd            = spend_to_date_usd / days_elapsed
        projected_month_spend_usd = spend_to_date_usd + daily_burn_usd * (days after last, to month end)
    projected_exhaustion_date is the day the cumulative spend reached the amount when it already
    has, else last + ceiling((amount - spend) / daily burn) days when that falls within the month,
    else null. department is the department that spent the most against the budget that month.
    budget_status: 'unbudgeted' (no seed row), 'over_budget' (spend > amount), 'projected_over'
    (projected month spend > amount) or 'on_track'.
    It adds up int_insight_budget_days, which a nightly build updates for the days that changed,
    instead of reading every event of the ledger.
-#}

{%- set money = p402_monitor.type_money() %}
{%- set bigint = dbt.type_bigint() %}

with

budget_days as (

    select * from {{ ref('int_insight_budget_days') }}

),

budgets as (

    select * from {{ ref('budgets') }}

),

tenant_months as (

    select
        tenant_id,
        occurred_month as month,  -- noqa: RF04
        min(occurred_date) as first_data_date,
        max(occurred_date) as last_data_date
    from budget_days
    group by 1, 2

),

budgeted_days as (

    select
        tenant_id,
        budget_id,
        department,
        occurred_month as month,  -- noqa: RF04
        occurred_date,
        events,
        warned_events,
        blocked_events,
        cost_usd
    from budget_days
    where budget_id <> '(none)'

),

budget_spend as (

    select
        tenant_id,
        budget_id,
        month,
        cast(sum(events) as {{ bigint }}) as events,
        cast(sum(warned_events) as {{ bigint }}) as warned_events,
        cast(sum(blocked_events) as {{ bigint }}) as blocked_events,
        cast(sum(cost_usd) as {{ money }}) as spend_to_date_usd
    from budgeted_days
    group by 1, 2, 3

),

budget_departments_ranked as (

    select
        tenant_id,
        budget_id,
        month,
        department,
        row_number() over (
            partition by tenant_id, budget_id, month
            order by sum(cost_usd) desc, department
        ) as department_rank
    from budgeted_days
    group by 1, 2, 3, 4

),

budget_day_costs as (

    select
        tenant_id,
        budget_id,
        month,
        occurred_date,
        sum(cost_usd) as day_cost_usd
    from budgeted_days
    group by 1, 2, 3, 4

),

budget_days_cumulative as (

    select
        budget_day_costs.*,
        sum(budget_day_costs.day_cost_usd) over (
            partition by budget_day_costs.tenant_id, budget_day_costs.budget_id, budget_day_costs.month
            order by budget_day_costs.occurred_date
            rows between unbounded preceding and current row
        ) as cumulative_cost_usd
    from budget_day_costs

),

budgets_exhausted as (

    select
        budget_days_cumulative.tenant_id,
        budget_days_cumulative.budget_id,
        budget_days_cumulative.month,
        min(budget_days_cumulative.occurred_date) as exhausted_date
    from budget_days_cumulative
    inner join budgets
        on
            budget_days_cumulative.tenant_id = budgets.tenant_id
            and budget_days_cumulative.budget_id = budgets.budget_id
            and budget_days_cumulative.month = budgets.month
    where budget_days_cumulative.cumulative_cost_usd >= budgets.amount_usd
    group by 1, 2, 3

),

budget_month_candidates as (

    select
        tenant_id,
        budget_id,
        month
    from budget_spend

    union all

    select
        budgets.tenant_id,
        budgets.budget_id,
        budgets.month
    from budgets
    inner join tenant_months
        on
            budgets.tenant_id = tenant_months.tenant_id
            and budgets.month = tenant_months.month

),

budget_months as (

    select distinct
        tenant_id,
        budget_id,
        month
    from budget_month_candidates

),

budget_months_joined as (

    select
        budget_months.tenant_id,
        budget_months.budget_id,
        budget_departments_ranked.department,
        budget_months.month,
        budgets.amount_usd,
        cast(coalesce(budget_spend.spend_to_date_usd, 0) as {{ money }}) as spend_to_date_usd,
        coalesce(budget_spend.events, 0) as events,
        coalesce(budget_spend.warned_events, 0) as warned_events,
        coalesce(budget_spend.blocked_events, 0) as blocked_events,
        budgets_exhausted.exhausted_date,
        tenant_months.first_data_date,
        tenant_months.last_data_date,
        cast({{ dbt.dateadd('month', 1, 'budget_months.month') }} as date) as next_month
    from budget_months
    inner join tenant_months
        on
            budget_months.tenant_id = tenant_months.tenant_id
            and budget_months.month = tenant_months.month
    left join budgets
        on
            budget_months.tenant_id = budgets.tenant_id
            and budget_months.budget_id = budgets.budget_id
            and budget_months.month = budgets.month
    left join budget_spend
        on
            budget_months.tenant_id = budget_spend.tenant_id
            and budget_months.budget_id = budget_spend.budget_id
            and budget_months.month = budget_spend.month
    left join budget_departments_ranked
        on
            budget_months.tenant_id = budget_departments_ranked.tenant_id
            and budget_months.budget_id = budget_departments_ranked.budget_id
            and budget_months.month = budget_departments_ranked.month
            and budget_departments_ranked.department_rank = 1
    left join budgets_exhausted
        on
            budget_months.tenant_id = budgets_exhausted.tenant_id
            and budget_months.budget_id = budgets_exhausted.budget_id
            and budget_months.month = budgets_exhausted.month

),

budget_month_lengths as (

    select
        *,
        cast(
            {{ dbt.datediff('first_data_date', 'last_data_date', 'day') | trim }} + 1
            as {{ bigint }}
        ) as days_elapsed,
        cast(
            {{ dbt.datediff('month', 'next_month', 'day') | trim }}
            as {{ bigint }}
        ) as days_in_month,
        cast({{ dbt.dateadd('day', -1, 'next_month') }} as date) as month_end_date
    from budget_months_joined

),

burn_rates as (

    select
        *,
        {{ p402_monitor.divide_money('spend_to_date_usd', 'days_elapsed') }} as daily_burn_usd,
        cast(
            {{ dbt.datediff('last_data_date', 'month_end_date', 'day') | trim }}
            as {{ bigint }}
        ) as days_remaining,
        cast(
            ceiling((amount_usd - spend_to_date_usd) / nullif(spend_to_date_usd / days_elapsed, 0))
            as {{ bigint }}
        ) as days_to_exhaustion
    from budget_month_lengths

),

projections as (

    select
        *,
        cast(spend_to_date_usd + daily_burn_usd * days_remaining as {{ money }})
            as projected_month_spend_usd,
        case
            when amount_usd is null then null
            when spend_to_date_usd >= amount_usd then exhausted_date
            when daily_burn_usd > 0
                then cast({{ dbt.dateadd('day', 'days_to_exhaustion', 'last_data_date') }} as date)
        end as exhaustion_date_at_burn
    from burn_rates

),

final as (

    select
        tenant_id,
        budget_id,
        department,
        case
            when amount_usd is null then 'unbudgeted'
            when spend_to_date_usd > amount_usd then 'over_budget'
            when projected_month_spend_usd > amount_usd then 'projected_over'
            else 'on_track'
        end as budget_status,
        amount_usd,
        spend_to_date_usd,
        days_elapsed,
        days_in_month,
        daily_burn_usd,
        projected_month_spend_usd,
        events,
        warned_events,
        blocked_events,
        spend_to_date_usd > amount_usd as is_over_budget,
        projected_month_spend_usd > amount_usd as is_projected_over,
        month,
        case
            when exhaustion_date_at_burn <= month_end_date then exhaustion_date_at_burn
        end as projected_exhaustion_date
    from projections

)

select * from final
