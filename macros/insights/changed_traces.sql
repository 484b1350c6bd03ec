{#-
    For int_insight_retried_traces: keep only the events (of the relation `events`) of the
    traces changed after the model's latest last_staged_at. A changed event's records are all
    classified again with it, each with the trace_id its version carried, so the list holds the
    trace an event is in now and every trace it was in before: both are rebuilt whole.
    The classification is read directly, not through a log like int_ledger_tenant_day_changes:
    that log is read by every per-day model, its pre-hook and its tests; this list by one model,
    and a log of traces would hold every trace of the ledger after a full build.
-#}
{% macro only_changed_traces(events) -%}
    {#- Outside the condition, so that dbt sees the dependency when it parses the model. -#}
    {%- set classified = ref('int_ledger_records_classified') -%}
    {%- if is_incremental() -%}
        and {{ p402_monitor.rows_where(events, '(tenant_id, trace_id) in (' ~ p402_monitor.changed_traces() ~ ')') }}
    {%- endif -%}
{%- endmacro %}


{#-
    Its pre-hook: delete the traces the build will rebuild, since a trace left with a single
    attempt (or none) gets no row to replace its old one. Same transaction as the model.
-#}
{% macro delete_changed_traces() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where (tenant_id, trace_id) in ({{ p402_monitor.changed_traces() }})
    {%- endif -%}
{%- endmacro %}


{#- The traces of the records the classification (`classified`) classified again where
    `classified_when` holds: with the model's own watermark, the traces a build rebuilds; with the
    classification's tested batch, those that batch rebuilt (its column tests read them). -#}
{% macro changed_traces(classified=none, classified_when=none) -%}
    {%- set classified = classified or ref('int_ledger_records_classified') -%}
    select changed.tenant_id, changed.trace_id
    from {{ classified }} as changed
    where
        {{ classified_when or 'changed.classified_at > ' ~ p402_monitor.staged_watermark('last_staged_at') }}
        and changed.record_class <> 'quarantined'
        and changed.trace_id is not null
{%- endmacro %}
