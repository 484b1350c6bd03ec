{#
    On DuckDB the ledger is a folder of JSONL, JSONL.gz and Parquet files. This on-run-start hook
    publishes them as one relation, `ledger_schema.ledger_table`, with the columns of the warehouse
    table the contract describes: one row per record, every field as text, plus where it came from
    (and, for Parquet files, their integer fields as integers: see ledger_files_select.sql).
    Staging then validates that relation the same way on every engine.

    The ledger is append-only: a file that staging has read at its current size holds nothing new.
    Unless the build is a full refresh, the view therefore covers only the files that are new or
    have grown since staging last read them, so that a nightly build reads what the day added,
    not the whole history. (A file rewritten in place at the same size would not be seen: the
    meter appends, it never rewrites.)

    The view is created in Monitor's own database; the files themselves are only ever read.
#}
{% macro register_ledger_files() %}
    {%- set ledger_path = var('ledger_path', none) or env_var('P402_LEDGER_PATH', '') -%}
    {%- if execute and target.type == 'duckdb' and ledger_path -%}
        {%- set files = p402_monitor.list_ledger_files(ledger_path) -%}
        {%- set unread = p402_monitor.files_not_yet_staged(files) -%}
        {%- set relation = api.Relation.create(
            database=var('ledger_database') or target.database,
            schema=var('ledger_schema'),
            identifier=var('ledger_table')) -%}
        create schema if not exists {{ relation.without_identifier() }};
        create or replace view {{ relation }} as
        {% if unread.jsonl or unread.parquet -%}
            {{ p402_monitor.ledger_files_select(unread.jsonl, unread.parquet, files.bytes,
                                                p402_monitor.unreadable_jsonl_lines(unread.jsonl)) }}
        {%- else -%}
            {#- Nothing new: the same columns, no rows. #}
            select * from (
                {{ p402_monitor.ledger_files_select(files.jsonl, files.parquet, files.bytes) }}
            ) as nothing_new where false
        {%- endif %}
    {%- endif -%}
{% endmacro %}


{#- The files staging has not read at their current size (all of them on a full refresh). -#}
{% macro files_not_yet_staged(files) %}
    {#- Plain queries only: dbt's relation lookups would open a transaction that the hook's own
        statements then join, and dbt rolls a project hook's transaction back. -#}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == 'stg_ledger__records' -%}
        {%- set has_sizes = run_query(
            "select count(*) from information_schema.columns where table_catalog = '" ~ node.database
            ~ "' and table_schema = '" ~ node.schema ~ "' and table_name = '" ~ node.alias
            ~ "' and column_name = 'source_file_bytes'").columns[0].values()[0] -%}
        {%- if has_sizes and not flags.FULL_REFRESH -%}
            {%- set read_in_full = [] -%}
            {%- for row in run_query('select source_file, max(source_file_bytes) from "' ~ node.database ~ '"."'
                                     ~ node.schema ~ '"."' ~ node.alias ~ '" group by 1').rows -%}
                {%- if files.bytes.get(row[0]) == row[1] -%}
                    {%- do read_in_full.append(row[0]) -%}
                {%- endif -%}
            {%- endfor -%}
            {{ return({
                'jsonl': files.jsonl | reject('in', read_in_full) | list,
                'parquet': files.parquet | reject('in', read_in_full) | list,
            }) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(files) }}
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
    {%- set files = {'jsonl': [], 'parquet': [], 'bytes': {}} -%}
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
    {#- Sizes only: read_blob does not read a file's content unless it is selected. -#}
    {%- for row in run_query('select filename, size from read_blob('
                             ~ p402_monitor.ledger_file_list(files.jsonl + files.parquet) ~ ')').rows -%}
        {%- do files.bytes.update({row[0]: row[1]}) -%}
    {%- endfor -%}
    {{ return(files) }}
{% endmacro %}


{% macro sql_string(value) -%}
    '{{ value | replace("'", "''") }}'
{%- endmacro %}
