{#
    What every member of every owner dimension did on each day, per tenant: events, metered
    cost, accepted and failed outcomes, and known outcomes (anything but 'pending'). One select
    per dimension of the `drift_dimensions` var, stacked with union all; a null owner value is
    the member '(missing)'. The drift windows add these days up, so that a nightly build
    aggregates the days new records touched instead of every event of both windows.

    Incremental per tenant-day like the daily reports (dbt_project.yml): the tenant-days changed
    after this model's latest last_staged_at are rebuilt whole. When the `drift_dimensions` var
    no longer names the dimensions the model holds, or maps one of them to another column, every
    tenant-day is rebuilt: otherwise days built before the change would keep the old members.
#}

{%- set bigint = dbt.type_bigint() %}
{%- set dimensions = [] %}
{%- for dimension in var('drift_dimensions') %}
    {%- do dimensions.append([dimension.name, dimension.column]) %}
{%- endfor %}
{%- set rebuild_every_day = false %}
{%- if is_incremental() and execute %}
    {%- set held_dimensions = [] %}
    {#- A table built before dimension_column existed holds no mapping to compare: the build
        stops there on the schema change (on_schema_change: fail) until a full refresh. #}
    {%- if 'dimension_column' in adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') %}
        {%- for row in run_query('select distinct dimension_name, dimension_column from ' ~ this).rows %}
            {%- do held_dimensions.append([row[0], row[1]]) %}
        {%- endfor %}
    {%- endif %}
    {%- set rebuild_every_day = (held_dimensions | sort) != (dimensions | sort) %}
{%- endif %}

with

events as (

    {#- Read once per dimension: only the columns the dimensions and measures need. #}
    {%- set columns = (['tenant_id', 'occurred_date', 'cost_usd', 'outcome', 'last_staged_at']
        + var('drift_dimensions') | map(attribute='column') | list) | unique | list %}
    select {{ columns | join(', ') }}
    from {{ ref('fct_ai_events') }}
    {% if not rebuild_every_day -%}
        {{ p402_monitor.only_changed_tenant_days() }}
    {%- endif %}

),

members_by_dimension as (
    {%- for dimension in var('drift_dimensions') %}

        select
            tenant_id,
            occurred_date,
            '{{ dimension.name }}' as dimension_name,
            '{{ dimension.column }}' as dimension_column,
            coalesce(cast({{ dimension.column }} as {{ dbt.type_string() }}), '(missing)') as member,
            cast(count(*) as {{ bigint }}) as events,
            cast(sum(cost_usd) as {{ p402_monitor.type_money() }}) as cost_usd,
            {{ p402_monitor.count_where("outcome = 'accepted'") }} as accepted,
            {{ p402_monitor.count_where("outcome = 'failed'") }} as failed,
            {{ p402_monitor.count_where("outcome <> 'pending'") }} as known_outcomes,
            max(last_staged_at) as last_staged_at
        from events
        group by 1, 2, 3, 4, 5
        {%- if not loop.last %}

            union all
        {%- endif %}
    {%- endfor %}

)

select * from members_by_dimension
