{#
    The measures every attribution report carries, aggregated over the fct_ai_events rows of one
    report row: events, tokens, metered cost, one count per outcome (pending included) and the
    fallback, retry and blocked counts. One list, so every report adds up the same way and each
    report's totals can be reconciled with the fact. Counts and token sums are cast to bigint so
    they do not widen to 128-bit integers; cost stays exact decimal dollars. The lines are
    indented for a select inside a CTE, where every report calls this.
#}
{% macro event_measures() -%}
    count(*) as events,
        cast(sum(input_tokens) as {{ dbt.type_bigint() }}) as input_tokens,
        cast(sum(cached_input_tokens) as {{ dbt.type_bigint() }}) as cached_input_tokens,
        cast(sum(output_tokens) as {{ dbt.type_bigint() }}) as output_tokens,
        cast(sum(total_tokens) as {{ dbt.type_bigint() }}) as total_tokens,
        cast(sum(cost_usd) as {{ p402_monitor.type_money() }}) as cost_usd,
        {%- for outcome in p402_monitor.ledger_enum_values('outcome') + ['pending'] %}
        {{ p402_monitor.count_where("outcome = '" ~ outcome ~ "'") }} as {{ outcome }},
        {%- endfor %}
        {{ p402_monitor.count_where('is_fallback') }} as fallback_events,
        {{ p402_monitor.count_where('is_retry') }} as retry_events,
        {{ p402_monitor.count_where('is_blocked') }} as blocked_events,
        max(last_staged_at) as last_staged_at
{%- endmacro %}


{#-
    For an incremental daily report: keep only the events of the tenant-days changed after the
    report's latest last_staged_at (int_ledger_tenant_day_changes: where changed events are and
    where they were). Each such tenant-day is rebuilt whole (the reports are keyed on tenant and
    day), so a changed owner or outcome moves between rows correctly.
-#}
{% macro only_changed_tenant_days() -%}
    {#- Outside the condition, so that dbt sees the dependency when it parses the model. -#}
    {%- set changes = ref('int_ledger_tenant_day_changes') -%}
    {%- if is_incremental() -%}
        where (tenant_id, occurred_date) in ({{ p402_monitor.changed_tenant_days() }})
    {%- endif -%}
{%- endmacro %}


{#-
    A pre-hook of the same reports: delete the tenant-days the build will rebuild. A tenant-day
    an event left may have no event any more, and so no row to replace the old one with.
    It runs in the model's transaction, so a killed build deletes nothing. Only a model keyed on
    tenant and day is touched (the attribution folder's fct_ai_events is keyed on the event).
-#}
{% macro delete_changed_tenant_days() -%}
    {%- if is_incremental() and config.get('unique_key') == ['tenant_id', 'occurred_date'] -%}
        delete from {{ this }}
        where (tenant_id, occurred_date) in ({{ p402_monitor.changed_tenant_days() }})
    {%- endif -%}
{%- endmacro %}


{% macro changed_tenant_days() -%}
    select changed.tenant_id, changed.occurred_date
    from {{ ref('int_ledger_tenant_day_changes') }} as changed
    where changed.changed_at > {{ p402_monitor.staged_watermark('last_staged_at') }}
{%- endmacro %}


{#- How many rows meet a condition, as a bigint: `sum(case …)` works on every engine. -#}
{% macro count_where(condition) -%}
    cast(sum(case when {{ condition }} then 1 else 0 end) as {{ dbt.type_bigint() }})
{%- endmacro %}
