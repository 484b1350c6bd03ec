{#-
    What AI costs each end customer against the revenue they bring, per tenant, customer and
    month:
        ai_cost_share_of_revenue = ai_cost_usd / revenue_usd   (null without revenue, or with 0)
        margin_after_ai_usd      = revenue_usd - ai_cost_usd
    cost_share_rank ranks the tenant's customers in the month by that share, highest first (ties
    share a rank); customers without a share are not ranked. Revenue comes from the relation
    named by the var `customer_revenue_relation` (tenant_id, customer_id, month, revenue_usd),
    or the customer_revenue seed when it is null. Internal work (customer '(none)') is left out;
    a customer with revenue but no AI events that month has an ai_cost_usd of 0.
-#}

{%- if var('customer_revenue_relation') %}
    {%- set revenue_source = var('customer_revenue_relation') %}
{%- else %}
    {%- set revenue_source = ref('customer_revenue') %}
{%- endif %}
{%- set money = p402_monitor.type_money() %}
{%- set ratio = p402_monitor.type_ratio() %}

with

customer_days as (

    {#- The customer daily report already adds up each customer's events per day: a month is
        the sum of its days, exactly, without reading every event again. #}
    select * from {{ ref('rpt_customer_daily') }}

),

revenue as (

    select
        tenant_id,
        customer_id,
        cast(month as date) as month,  -- noqa: RF04
        cast(revenue_usd as {{ money }}) as revenue_usd
    from {{ revenue_source }}

),

customer_costs as (

    select
        tenant_id,
        customer_id,
        cast({{ dbt.date_trunc('month', 'occurred_date') }} as date) as month,  -- noqa: RF04
        cast(sum(events) as {{ dbt.type_bigint() }}) as events,
        cast(sum(cost_usd) as {{ money }}) as ai_cost_usd
    from customer_days
    where customer_id <> '(none)'
    group by 1, 2, 3

),

customer_months as (

    select
        coalesce(customer_costs.tenant_id, revenue.tenant_id) as tenant_id,
        coalesce(customer_costs.customer_id, revenue.customer_id) as customer_id,
        coalesce(customer_costs.month, revenue.month) as month,  -- noqa: RF04
        revenue.revenue_usd,
        coalesce(customer_costs.events, 0) as events,
        cast(coalesce(customer_costs.ai_cost_usd, 0) as {{ money }}) as ai_cost_usd
    from customer_costs
    full outer join revenue
        on
            customer_costs.tenant_id = revenue.tenant_id
            and customer_costs.customer_id = revenue.customer_id
            and customer_costs.month = revenue.month

),

shares as (

    select
        *,
        cast(ai_cost_usd as {{ ratio }}) / nullif(cast(revenue_usd as {{ ratio }}), 0)
            as ai_cost_share_of_revenue
    from customer_months

),

ranked as (

    select
        *,
        case
            when ai_cost_share_of_revenue is not null
                then rank() over (
                    partition by tenant_id, month, ai_cost_share_of_revenue is null
                    order by ai_cost_share_of_revenue desc
                )
        end as cost_share_rank
    from shares

),

final as (

    select
        tenant_id,
        customer_id,
        events,
        revenue_usd,
        ai_cost_usd,
        cast(revenue_usd - ai_cost_usd as {{ money }}) as margin_after_ai_usd,
        ai_cost_share_of_revenue,
        cast(cost_share_rank as {{ dbt.type_bigint() }}) as cost_share_rank,
        month
    from ranked

)

select * from final
