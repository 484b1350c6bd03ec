{#
    True for records the ledger already held at the `as_of` var (a UTC instant). Without `as_of`
    every record is in scope. With it, a record whose recorded_at cannot be read cannot be placed
    in time, so it is outside every as-of view: reproducing a past report never depends on it.
#}
{% macro as_of_filter(recorded_at) -%}
    {%- set as_of = var('as_of') -%}
    {%- if as_of -%}
        {{ recorded_at }} <= {{ p402_monitor.parse_timestamp_utc(p402_monitor.sql_string(as_of)) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- When this dbt invocation started, as a UTC timestamp literal: the batch a staged row belongs to. -#}
{% macro build_started_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}


{#-
    For an incremental model: the latest staged_at (or `column`) it already holds, or a time before
    any ledger when it holds nothing yet. Rows staged after it are what the build has to apply.
    It is read when the model is compiled, before its hooks run, and written into the SQL as a
    constant: the engine can then skip storage blocks by their min/max, and its optimizer cannot
    move the filter after a join, as DuckDB did with the same filter written as a subquery.
    For a test, the latest `column` of a model's `relation` (the tested model's, or another's), or
    that early time while the model is not built (as when `dbt compile` runs on a new database).
-#}
{% macro staged_watermark(column='staged_at', relation=none) -%}
    {%- set latest = none -%}
    {%- if execute and (relation is none or load_relation(relation) is not none) -%}
        {%- set latest = run_query('select max(' ~ column ~ ') from ' ~ (relation or this)).columns[0].values()[0] -%}
    {%- endif -%}
    {%- set latest = latest or modules.datetime.datetime(1900, 1, 1) -%}
    cast('{{ latest.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}


{#-
    True for the rows of `relation` in the batch its column tests read (tested_batch): those
    whose batch `column` (staged_at, last_staged_at, classified_at or changed_at) is that batch's.
-#}
{% macro in_tested_batch(column, relation) -%}
    {{ column }} = {{ p402_monitor.tested_batch(column, relation) }}
{%- endmacro %}


{#-
    The batch the column tests of `relation` read, as a constant value of its batch `column`
    (a constant lets the engine skip the storage blocks of other batches by their min/max).
    In a `dbt build` of every model, as `p402-monitor build` runs it: the rows this build wrote,
    stamped with when it started. A build that found no new records then tests no row again,
    instead of the whole batch the build before it wrote (after a full refresh, every row).
    Otherwise (`dbt test`, or a build of a selection, which may not have rebuilt the model): the
    latest batch the relation holds.
-#}
{% macro tested_batch(column, relation) -%}
    {%- if p402_monitor.builds_every_model() -%}
        {{ p402_monitor.build_started_at() }}
    {%- else -%}
        {{ p402_monitor.staged_watermark(column, relation) }}
    {%- endif -%}
{%- endmacro %}


{#- Whether this invocation is a `dbt build` that runs every model: no selection, no exclusion. -#}
{% macro builds_every_model() %}
    {%- set arguments = invocation_args_dict -%}
    {{ return(arguments.get('which') == 'build'
        and not arguments.get('select') and not arguments.get('exclude')
        and not arguments.get('selector') and not arguments.get('resource_types')
        and 'model' not in (arguments.get('exclude_resource_types') or [])) }}
{% endmacro %}
