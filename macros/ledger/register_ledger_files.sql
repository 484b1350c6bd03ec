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
        {%- if unread.last_lines_of_grown_files and p402_monitor.model_unique_id('stg_ledger__records') in selected_resources %}
        {#- A build that read a JSON Lines file while the meter was still writing its last line
            staged that partial line as malformed_json. Once the file has grown the line is
            whole, but staging reads only the lines it has not staged: so the last line staged
            of each file that grew is forgotten when it is malformed, and read again (if it was
            truly malformed, it is staged again the same). The models holding staged records by
            file and line forget it too (delete_restaged_records). Only when this run builds
            staging: a run of other nodes (dbt seed, test, or a selection) must not forget a
            line that it will not read again. #}
        delete from {{ p402_monitor.model_relation('stg_ledger__records') }}
        where quarantine_reason = 'malformed_json' and ({{ unread.last_lines_of_grown_files | join(' or ') }});
        {%- endif %}
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


{#- The files staging has not read at their current size (all of them on a full refresh), and
    the last line staged of each file that has grown since, as SQL conditions. -#}
{% macro files_not_yet_staged(files) %}
    {#- Plain queries only: dbt's relation lookups would open a transaction that the hook's own
        statements then join, and dbt rolls a project hook's transaction back. -#}
    {%- set staging = p402_monitor.model_relation('stg_ledger__records') -%}
    {%- set has_sizes = run_query(
        "select count(*) from information_schema.columns where table_catalog = '" ~ staging.database
        ~ "' and table_schema = '" ~ staging.schema ~ "' and table_name = '" ~ staging.identifier
        ~ "' and column_name = 'source_file_bytes'").columns[0].values()[0] -%}
    {%- if has_sizes and not flags.FULL_REFRESH -%}
        {%- set read_in_full, last_lines_of_grown_files = [], [] -%}
        {%- for file, staged_bytes, last_line in run_query(
                'select source_file, max(source_file_bytes), max(source_line) from ' ~ staging
                ~ ' group by source_file').rows -%}
            {%- if files.bytes.get(file) == staged_bytes -%}
                {%- do read_in_full.append(file) -%}
            {%- elif staged_bytes is not none and file in files.bytes -%}
                {%- do last_lines_of_grown_files.append(
                    '(source_file = ' ~ p402_monitor.sql_string(file) ~ ' and source_line = ' ~ last_line ~ ')') -%}
            {%- endif -%}
        {%- endfor -%}
        {{ return({
            'jsonl': files.jsonl | reject('in', read_in_full) | list,
            'parquet': files.parquet | reject('in', read_in_full) | list,
            'last_lines_of_grown_files': last_lines_of_grown_files,
        }) }}
    {%- endif -%}
    {{ return({'jsonl': files.jsonl, 'parquet': files.parquet, 'last_lines_of_grown_files': []}) }}
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


{#-
    A pre-hook of the models that hold staged records by source file and line: delete the rows of
    the records staging has staged again since the model's last build (register_ledger_files),
    before the build writes them anew. `held_where` narrows the rows looked at, where a record
    staged again can only be among some of them.
-#}
{% macro delete_restaged_records(held_where='true') %}
    {%- if is_incremental() -%}
        delete from {{ this }} as held
        where {{ held_where }} and exists (
            select 1
            from {{ ref('stg_ledger__records') }} as restaged
            where
                restaged.staged_at > {{ p402_monitor.staged_watermark() }}
                and restaged.source_file = held.source_file
                and restaged.source_line = held.source_line
        )
    {%- endif -%}
{% endmacro %}
