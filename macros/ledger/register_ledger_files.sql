{#
    On DuckDB the ledger is a folder of JSONL, JSONL.gz and Parquet files. This on-run-start hook
    publishes them as one relation, `ledger_schema.ledger_table`, with the columns of the warehouse
    table the contract describes: one row per record, every field as text, plus where it came from.
    Staging then validates that relation the same way on every engine.

    The view is created in Monitor's own database; the files themselves are only ever read.
#}
{% macro register_ledger_files() %}
    {%- set ledger_path = var('ledger_path', none) or env_var('P402_LEDGER_PATH', '') -%}
    {%- if execute and target.type == 'duckdb' and ledger_path -%}
        {%- set files = p402_monitor.list_ledger_files(ledger_path) -%}
        {%- set relation = api.Relation.create(
            database=var('ledger_database') or target.database,
            schema=var('ledger_schema'),
            identifier=var('ledger_table')) -%}
        create schema if not exists {{ relation.without_identifier() }};
        create or replace view {{ relation }} as
        {{ p402_monitor.ledger_files_select(files.jsonl, files.parquet) }}
    {%- endif -%}
{% endmacro %}


{#- Resolve a file, folder or glob to the ledger files it holds, split by reader. -#}
{% macro list_ledger_files(ledger_path) %}
    {%- set path = ledger_path.rstrip('/') -%}
    {%- if '*' in path or '?' in path or '[' in path -%}
        {%- set patterns = [path] -%}
    {%- else -%}
        {%- set patterns = [path, path ~ '/**/*.jsonl', path ~ '/**/*.jsonl.gz', path ~ '/**/*.parquet'] -%}
    {%- endif -%}
    {%- set globbed -%}
        {%- for pattern in patterns -%}
        select file from glob({{ p402_monitor.sql_string(pattern) }})
        {% if not loop.last %}union {% endif %}
        {%- endfor %}
        order by file
    {%- endset -%}
    {%- set found = run_query(globbed).columns[0].values() -%}
    {%- set files = {'jsonl': [], 'parquet': []} -%}
    {%- for file in found -%}
        {%- if file.endswith('.jsonl') or file.endswith('.jsonl.gz') -%}
            {%- do files.jsonl.append(file) -%}
        {%- elif file.endswith('.parquet') -%}
            {%- do files.parquet.append(file) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not files.jsonl and not files.parquet -%}
        {{ exceptions.raise_compiler_error(
            "no ledger files (*.jsonl, *.jsonl.gz, *.parquet) match '" ~ ledger_path
            ~ "': check --ledger / P402_LEDGER_PATH") }}
    {%- endif -%}
    {{ return(files) }}
{% endmacro %}


{% macro sql_string(value) -%}
    '{{ value | replace("'", "''") }}'
{%- endmacro %}
