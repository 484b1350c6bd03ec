{#- The contract's metadata fields, in contract order. Content (prompt, response) is not among them. -#}
{% macro ledger_metadata_fields() %}
    {{ return([
        'event_id', 'version', 'recorded_at', 'occurred_at', 'tenant_id', 'department',
        'employee_id', 'workflow', 'customer_id', 'vendor', 'model_requested', 'model_used',
        'input_tokens', 'output_tokens', 'cached_input_tokens', 'cost_usd', 'latency_ms',
        'budget_id', 'policy_result', 'outcome', 'receipt_status', 'evidence_status',
        'privacy_mode', 'prompt_fingerprint', 'response_fingerprint', 'trace_id', 'attempt',
        'labels',
    ]) }}
{% endmacro %}


{#- The metadata fields whose values are whole numbers. -#}
{% macro ledger_integer_fields() %}
    {{ return(['version', 'input_tokens', 'output_tokens', 'cached_input_tokens', 'latency_ms', 'attempt']) }}
{% endmacro %}


{#
    DuckDB SQL reading ledger files into the warehouse-table shape: source_file, source_line,
    is_malformed_json, then every metadata field as text; has_structured_value, true when a field
    holds an object or an array where the contract has none (that value is given as null: it is
    never turned into text, since it could carry content); and source_file_bytes, the size of the
    file when it was read, by which the next incremental build knows what it has already read.
    When only Parquet files are read, an integer field they store as integers is also given as
    `<field>_integer` (bigint), which staging takes instead of parsing the text: turning 19M
    integers into text and parsing them back would cost about 15 % of staging's time. The text
    columns stay, for anything that reads the contract's shape (staging's unit tests among them).

    JSONL is read line by line as plain text (DuckDB's JSON reader would drop bad lines or reject
    the file), so that a truncated line still arrives here, with its file and line number, to be
    quarantined. Only the metadata paths are extracted from each line.
#}
{% macro ledger_files_select(jsonl_files, parquet_files, file_bytes, unreadable_lines={}) %}
    {%- set fields = p402_monitor.ledger_metadata_fields() -%}
    {%- set branches = [] -%}
    {%- if jsonl_files -%}
        {%- do branches.append(p402_monitor.ledger_jsonl_select(jsonl_files, fields, unreadable_lines)) -%}
    {%- endif -%}
    {%- if parquet_files -%}
        {%- set parquet_groups = p402_monitor.parquet_files_by_column_types(parquet_files) -%}
        {#- Integer columns only when no JSON Lines are read, and only for the fields every group
            of Parquet files stores as integers, so that the branches' columns line up. -#}
        {%- set integer_types = ('BIGINT', 'INTEGER', 'SMALLINT', 'TINYINT', 'UINTEGER', 'USMALLINT', 'UTINYINT') -%}
        {%- set integer_columns = [] -%}
        {%- for field in p402_monitor.ledger_integer_fields() if not jsonl_files -%}
            {%- set typed = namespace(everywhere=true) -%}
            {%- for group in parquet_groups if group.column_types.get(field) not in integer_types -%}
                {%- set typed.everywhere = false -%}
            {%- endfor -%}
            {%- if typed.everywhere -%}
                {%- do integer_columns.append(field) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- for group in parquet_groups -%}
            {%- do branches.append(p402_monitor.ledger_parquet_select(
                group.files, group.column_types, fields, integer_columns)) -%}
        {%- endfor -%}
    {%- endif -%}
    select
        records.*,
        file_sizes.source_file_bytes
    from (
        {{ branches | join('\nunion all\n') }}
    ) as records
    inner join (
        values
        {%- for file in jsonl_files + parquet_files %}
            ({{ p402_monitor.sql_string(file) }}, {{ file_bytes[file] }}){% if not loop.last %},{% endif %}
        {%- endfor %}
    ) as file_sizes (source_file, source_file_bytes)
        on records.source_file = file_sizes.source_file
{% endmacro %}


{% macro ledger_file_list(files) -%}
    [{% for file in files %}{{ p402_monitor.sql_string(file) }}{% if not loop.last %}, {% endif %}{% endfor %}]
{%- endmacro %}


{% macro ledger_jsonl_select(files, fields, unreadable_lines) %}
    {%- set field_paths -%}
        [{% for field in fields %}'$.{{ field }}'{% if not loop.last %}, {% endif %}{% endfor %}]
    {%- endset -%}
    {%- set labels_value = 'field_values[' ~ (fields.index('labels') + 1) ~ ']' -%}
    {%- set cost_key_pattern = "'[{,]\\s*\"cost_usd\"\\s*:\\s*([^,}\\s]*)'" -%}
    (
    with

    {%- set strict_files = files | reject('in', unreadable_lines) | list %}
    {%- set skipping_files = files | select('in', unreadable_lines) | list %}
    {% if skipping_files -%}
    unreadable as (

        {#- Each unreadable line, and how many lines the reader read before it in its file. #}
        select *
        from (
            values
            {%- for file in skipping_files %}{% for line in unreadable_lines[file].lines %}
            ({{ p402_monitor.sql_string(file) }}, {{ line }}, {{ line - loop.index }})
            {%- if not loop.last %},{% endif %}{% endfor %}{% if not loop.last %},{% endif %}
            {%- endfor %}
        ) as unreadable_lines (source_file, source_line, lines_read_before)

    ),

    {#- Only the files known to hold unreadable lines are read skipping them; the reader must
        then skip exactly those, so it reads the number of lines the first pass read. -#}
    skipping_read as (

        {{ p402_monitor.ledger_jsonl_ranked_lines(skipping_files, skip_unreadable=true) }}

    ),

    read_otherwise as (

        select expected.source_file
        from (
            values
            {%- for file in skipping_files %}
            ({{ p402_monitor.sql_string(file) }}, {{ unreadable_lines[file].lines_read }})
            {%- if not loop.last %},{% endif %}
            {%- endfor %}
        ) as expected (source_file, lines_read)
        left join (
            select source_file, count(*) as lines_read
            from skipping_read
            group by source_file
        ) as actual on expected.source_file = actual.source_file
        where
            case
                when coalesce(actual.lines_read, 0) <> expected.lines_read
                    then cast(error('the ledger file ' || expected.source_file
                        || ' changed while it was read: run the build again') as boolean)
                else false
            end

    ),

    {% endif -%}
    read_lines as (

        {%- if strict_files %}
        {{ p402_monitor.ledger_jsonl_ranked_lines(strict_files) }}
        {%- endif %}
        {%- if strict_files and skipping_files %}
        union all
        {%- endif %}
        {%- if skipping_files %}
        select * from skipping_read
        where not exists (select 1 from read_otherwise)
        {%- endif %}

    ),

    numbered_lines as (

        select
            source_file,
            {%- if skipping_files %}
            {#- A line's number in its file is its rank among the lines read plus the unreadable
                lines before it. #}
            rank_in_file + (
                select count(*)
                from unreadable
                where
                    unreadable.source_file = read_lines.source_file
                    and unreadable.lines_read_before < read_lines.rank_in_file
            ) as source_line,
            {%- else %}
            rank_in_file as source_line,
            {%- endif %}
            record_text
        from read_lines
        where trim(record_text) <> ''
        {%- if skipping_files %}
        union all
        {#- Each unreadable line is a record whose text is not read: malformed. #}
        select source_file, source_line, null as record_text
        from unreadable
        {%- endif %}

    ),

    extracted as (

        select
            source_file,
            source_line,
            record_text,
            is_json_object,
            case when is_json_object then json_extract_string(record_text, {{ field_paths }}) end as field_values,
            {#- What follows every "cost_usd" key of the line, nested ones included, up to the
                next comma, brace or space: a number's digits as written. #}
            case when is_json_object then regexp_extract_all(record_text, {{ cost_key_pattern }}, 1) end
                as costs_as_written
        from (
            select
                *,
                coalesce(case when json_valid(record_text) then json_type(record_text) = 'OBJECT' end, false)
                    as is_json_object
            from numbered_lines
        ) as checked_lines

    ),

    typed as (

        select
            *,
            {#- Values' types are asked for (a second parse of the line) only when a value other
                than labels could be an object or an array, which a valid record never holds. #}
            case
                when false
                {%- for field in fields %}{% if field != 'labels' %}
                    or left(field_values[{{ loop.index }}], 1) in ('{', '[')
                {%- endif %}{% endfor %}
                    then json_type(record_text, {{ field_paths }})
            end as field_types,
            {{ p402_monitor.is_plain_labels_json(labels_value) }} as labels_are_plain,
            {#- An unknown field may hold a "cost_usd" of its own: then the record's own key is
                found in the line's text with its strings emptied (a string may hold braces) and
                the objects inside the record cut out, up to eight levels deep. The key is first
                marked with an @, which JSON holds nowhere outside a string. #}
            case
                when len(costs_as_written) > 1 then regexp_extract_all(
                    {%- set text = namespace(sql="regexp_replace(regexp_replace(regexp_replace(record_text, "
                        ~ "'\"cost_usd\"\\s*:', '@:', 'g'), '\"(?:[^\"\\\\]|\\\\.)*\"', '\"\"', 'g'), "
                        ~ "'^\\s*[{]', ',')") %}
                    {%- for level in range(8) %}
                        {%- set text.sql = "regexp_replace(" ~ text.sql ~ ", '[{][^{}]*[}]', '', 'g')" %}
                    {%- endfor %}
                    {{ text.sql }},
                    ',\s*@\s*:\s*([^,}\s]*)', 1
                )
                else costs_as_written
            end as top_level_costs_as_written
        from extracted

    )

    select
        source_file,
        source_line,
        not is_json_object as is_malformed_json,
        {%- for field in fields %}
        {%- set value = 'field_values[' ~ loop.index ~ ']' %}
        {%- set is_nested = 'field_types[' ~ loop.index ~ "] in ('OBJECT', 'ARRAY')" %}
        {%- if field == 'labels' %}
        case when labels_are_plain then {{ value }} end as labels,
        {%- elif field == 'cost_usd' %}
        {#- JSON numbers pass through a double: the field's number is kept exactly as written
            (the digits after its key, when they are the number the parser read), so that costs
            stay exact to the ninth place. A string is its text. A cost whose digits the line's
            text cannot single out (the key twice, or an unknown object nested deeper than
            eight levels holding one too) is not read (bad_cost). -#}
        case
            when {{ is_nested }} then null
            when len(top_level_costs_as_written) = 1 and regexp_full_match(
                top_level_costs_as_written[1], '-?[0-9]+([.][0-9]+)?([eE][+-]?[0-9]+)?'
            ) then
                case
                    when try_cast(top_level_costs_as_written[1] as double) = try_cast({{ value }} as double)
                        then {{ p402_monitor.json_number_as_decimal_text('top_level_costs_as_written[1]') }}
                end
            when len(top_level_costs_as_written) = 1 or len(costs_as_written) = 0 then {{ value }}
        end as cost_usd,
        {%- else %}
        case when {{ is_nested }} then null else {{ value }} end as {{ field }},
        {%- endif %}
        {%- endfor %}
        coalesce(
            {%- for field in fields %}{% if field != 'labels' %}
            field_types[{{ loop.index }}] in ('OBJECT', 'ARRAY') or
            {%- endif %}{% endfor %}
            ({{ labels_value }} is not null and not labels_are_plain),
            false
        ) as has_structured_value
    from typed
    )
{% endmacro %}


{#- A JSON number's text as a plain decimal: one written with an exponent (2e-09, 1.5E3) is
    written out when its value has at most nine places; one that needs more keeps its text,
    which staging rejects (bad_cost) rather than round. The places are counted on the digits
    (those after the point, minus the exponent, minus the mantissa's trailing zeros), since a
    cast to decimal rounds whatever it cannot hold; the cast itself is exact. -#}
{% macro json_number_as_decimal_text(number_text) -%}
    {%- set digits = "replace(regexp_extract(" ~ number_text ~ ", '^-?([0-9.]+)[eE]', 1), '.', '')" -%}
    {%- set places -%}
        length(regexp_extract({{ number_text }}, '[.]([0-9]*)[eE]', 1))
        - try_cast(regexp_extract({{ number_text }}, '[eE]([+-]?[0-9]+)$', 1) as integer)
        - (length({{ digits }}) - length(rtrim({{ digits }}, '0')))
    {%- endset -%}
    case
        when not contains(lower({{ number_text }}), 'e') then {{ number_text }}
        when rtrim({{ digits }}, '0') = '' or {{ places }} <= 9
            then coalesce(cast(try_cast({{ number_text }} as decimal(38, 9)) as varchar), {{ number_text }})
        else {{ number_text }}
    end
{%- endmacro %}


{#- True when a labels value (JSON text) is what the contract allows: an object whose values are
    plain text or numbers, not objects or arrays. -#}
{% macro is_plain_labels_json(labels_json) -%}
    {#- Each step only for the values that passed the one before: DuckDB's JSON functions quote
        the value they cannot parse in their error. -#}
    case
        when {{ labels_json }} is null or not json_valid({{ labels_json }}) then false
        when json_type({{ labels_json }}) <> 'OBJECT' then false
        {#- No brace or bracket inside: no value is an object or an array (the common case). #}
        when not contains(substr({{ labels_json }}, 2), '{') and not contains({{ labels_json }}, '[') then true
        else not coalesce(list_bool_or(list_transform(
            json_extract({{ labels_json }}, '$.*'),
            lambda labels_value: json_type(labels_value) in ('OBJECT', 'ARRAY')
        )), false)
    end
{%- endmacro %}


{#- Parquet files that share their columns' types (`column_types`, by column name) in the
    warehouse-table shape; `integer_columns`, the integer fields also given as integers. -#}
{% macro ledger_parquet_select(files, column_types, fields, integer_columns) %}
    {%- set file_list = p402_monitor.ledger_file_list(files) -%}
    {#- A Parquet column's type says whether its values can be objects or arrays; a JSON column's
        values say it one by one. -#}
    {%- set nested_types = ('STRUCT', 'MAP', 'UNION') -%}
    {%- set labels_type = column_types.get('labels') -%}
    {%- set labels_inner_type = labels_type.split('(', 1)[1] if labels_type and '(' in labels_type else '' -%}
    {%- set labels_inner_is_plain = not ('[' in labels_inner_type or 'STRUCT(' in labels_inner_type
        or 'MAP(' in labels_inner_type or 'UNION(' in labels_inner_type or 'JSON' in labels_inner_type) -%}
    {%- if labels_type is none -%}
        {%- set labels_check = 'absent' -%}
    {%- elif labels_type.startswith(('MAP', 'STRUCT')) and labels_inner_is_plain -%}
        {%- set labels_check = 'plain by type' -%}
        {%- set labels_json = 'cast(to_json(labels) as varchar)' -%}
    {%- elif labels_type.startswith(('MAP', 'STRUCT')) or labels_type in ('VARCHAR', 'JSON') -%}
        {%- set labels_check = 'by value' -%}
        {%- set labels_json = 'cast(' ~ ('to_json(labels)' if labels_type.startswith(('MAP', 'STRUCT')) else 'labels')
            ~ ' as varchar)' -%}
    {%- else -%}
        {%- set labels_check = 'never plain' -%}
    {%- endif -%}
    {%- set structured_conditions = [] %}
    (
    with

    parquet_rows as (

        select
            {%- for field in fields if field in column_types %}
            {{ field }},
            {%- endfor %}
            {%- if labels_check == 'by value' %}
            {{ p402_monitor.is_plain_labels_json(labels_json) }} as labels_are_plain,
            {%- endif %}
            {%- for field in fields if column_types.get(field) == 'JSON' and field != 'labels' %}
            case when json_valid({{ field }}) then json_type({{ field }}) end as {{ field }}_json_type,
            {%- endfor %}
            filename as source_file,
            file_row_number + 1 as source_line
        from read_parquet(
            {{ file_list }},
            filename = true,
            file_row_number = true,
            hive_partitioning = false,
            union_by_name = true
        )

    )

    select
        source_file,
        source_line,
        false as is_malformed_json,
        {%- for field in fields %}
        {%- set column_type = column_types.get(field) %}
        {%- if column_type is none %}
        cast(null as varchar) as {{ field }},
        {%- elif field == 'labels' %}
        {%- if labels_check == 'plain by type' %}
        {{ labels_json }} as labels,
        {%- elif labels_check == 'by value' %}
        case when labels_are_plain then {{ labels_json }} end as labels,
        {%- do structured_conditions.append('(labels is not null and not labels_are_plain)') %}
        {%- else %}
        cast(null as varchar) as labels,
        {%- do structured_conditions.append('labels is not null') %}
        {%- endif %}
        {%- elif column_type == 'JSON' %}
        {#- A JSON string is its text; an object or array is not kept; anything else as written. #}
        case {{ field }}_json_type
            when 'VARCHAR' then {{ field }} ->> '$'
            when 'OBJECT' then null
            when 'ARRAY' then null
            else cast({{ field }} as varchar)
        end as {{ field }},
        {%- do structured_conditions.append(field ~ "_json_type in ('OBJECT', 'ARRAY')") %}
        {%- elif column_type.startswith(nested_types) or column_type.endswith(']') %}
        cast(null as varchar) as {{ field }},
        {%- do structured_conditions.append(field ~ ' is not null') %}
        {%- elif column_type.startswith('TIMESTAMP') %}
        strftime({{ field }}, '%Y-%m-%dT%H:%M:%S.%fZ') as {{ field }},
        {%- elif field == 'cost_usd' and column_type in ('FLOAT', 'DOUBLE') %}
        {#- A binary float's text is its shortest exact form, which for small and large numbers is
            scientific (1.5e-05), a form no money value takes: those are written out to the
            ninth place when that is the same number (as a JSON number's digits are kept), and a
            cost that needs more places keeps its own text, to be quarantined as bad_cost. #}
        case
            when not contains(cast({{ field }} as varchar), 'e') then cast({{ field }} as varchar)
            when try_cast(printf('%.9f', {{ field }}) as {{ column_type }}) = {{ field }}
                then printf('%.9f', {{ field }})
            else cast({{ field }} as varchar)
        end as {{ field }},
        {%- else %}
        cast({{ field }} as varchar) as {{ field }},
        {%- endif %}
        {%- endfor %}
        coalesce({{ structured_conditions | join(' or ') if structured_conditions else 'false' }}, false)
            as has_structured_value
        {%- for field in integer_columns %},
        cast({{ field }} as bigint) as {{ field }}_integer
        {%- endfor %}
    from parquet_rows
    )
{% endmacro %}


{#- The Parquet files grouped by their columns' types, each group with its columns' DuckDB types
    ({'files': [...], 'column_types': {column: type}}). Files read together (union_by_name) share
    one type per column: a field stored as text in some files and as a timestamp in others would
    be read as text in all, the timestamps without their offset, and staging would then depend on
    which files a build happens to read together. Each group is read on its own instead. -#}
{% macro parquet_files_by_column_types(files) %}
    {%- set signature_by_file = {} -%}
    {%- for file, signature in run_query(
            "select file_name, string_agg(name || ':' || coalesce(duckdb_type, ''), ',' order by name, duckdb_type)"
            ~ " from parquet_schema(" ~ p402_monitor.ledger_file_list(files) ~ ") group by file_name").rows -%}
        {%- do signature_by_file.update({file: signature}) -%}
    {%- endfor -%}
    {%- set files_by_signature = {} -%}
    {%- for file in files -%}
        {%- do files_by_signature.setdefault(signature_by_file[file], []).append(file) -%}
    {%- endfor -%}
    {%- set groups = [] -%}
    {%- for group_files in files_by_signature.values() -%}
        {%- set column_types = {} -%}
        {%- for column, column_type in run_query(
                "select column_name, column_type from (describe select * from read_parquet("
                ~ p402_monitor.ledger_file_list(group_files) ~ ", union_by_name = true, hive_partitioning = false))").rows -%}
            {%- do column_types.update({column: column_type}) -%}
        {%- endfor -%}
        {%- do groups.append({'files': group_files, 'column_types': column_types}) -%}
    {%- endfor -%}
    {{ return(groups) }}
{% endmacro %}


{#- Each line read of JSONL files, with its rank among the lines read in its file. -#}
{% macro ledger_jsonl_ranked_lines(files, skip_unreadable=false) -%}
    select
        filename as source_file,
        line_ordinal - min(line_ordinal) over (partition by filename) + 1 as rank_in_file,
        record_text
    from {{ p402_monitor.ledger_jsonl_lines(files, skip_unreadable=skip_unreadable) }}
        with ordinality as lines (record_text, filename, line_ordinal)
{%- endmacro %}


{#- The lines of JSONL files, one text value each. A line that is not UTF-8 text, or is longer
    than 64 MiB, stops the read with an error that quotes the line, unless skip_unreadable
    (record_unreadable also lists those lines in DuckDB's rejects tables: unreadable_jsonl_lines). -#}
{% macro ledger_jsonl_lines(files, skip_unreadable=false, record_unreadable=false) -%}
    read_csv(
        {{ p402_monitor.ledger_file_list(files) }},
        columns = {'record_text': 'VARCHAR'},
        {#- A control character no JSON text holds unescaped: each line is one value. #}
        delim = '\x01',
        quote = '',
        escape = '',
        header = false,
        auto_detect = false,
        strict_mode = false,
        {#- Lines end with a line feed, or a carriage return and a line feed (files written on
            Windows): with '\n', DuckDB's reader would count the two as two line ends and
            every line number after the first would be wrong. #}
        new_line = '\r\n',
        max_line_size = 67108864,
        buffer_size = 134217728,
        hive_partitioning = false,
        {%- if skip_unreadable or record_unreadable %}
        {#- Never a silent drop: the first pass records every line it skips, ledger_jsonl_select
            quarantines each of them as malformed_json at its line number, and checks that a
            read that skips skipped only those. #}
        ignore_errors = true,
        {%- endif %}
        {%- if record_unreadable %}
        store_rejects = true,
        rejects_table = 'p402_unreadable_lines',
        rejects_scan = 'p402_unreadable_scans',
        {%- endif %}
        filename = true
    )
{%- endmacro %}


{#- The JSONL files holding lines that cannot be read as text (not UTF-8, or longer than 64 MiB):
    {file: {'lines': [their line numbers], 'lines_read': how many other lines the pass read}}.
    One pass over the files that reads no JSON; the lines' text stays in DuckDB's temporary
    rejects tables, which are dropped without being read. -#}
{% macro unreadable_jsonl_lines(files) %}
    {%- set unreadable = {} -%}
    {%- if files -%}
        {%- set drop_rejects -%}
            drop table if exists p402_unreadable_lines; drop table if exists p402_unreadable_scans
        {%- endset -%}
        {%- do run_query(drop_rejects) -%}
        {%- set lines_read = {} -%}
        {%- for row in run_query('select filename, count(*) from '
                                 ~ p402_monitor.ledger_jsonl_lines(files, record_unreadable=true)
                                 ~ ' group by filename').rows -%}
            {%- do lines_read.update({row[0]: row[1]}) -%}
        {%- endfor -%}
        {%- set rejected -%}
            select distinct scans.file_path, errors.line
            from p402_unreadable_lines as errors
            inner join p402_unreadable_scans as scans
                on errors.scan_id = scans.scan_id and errors.file_id = scans.file_id
            order by 1, 2
        {%- endset -%}
        {%- for row in run_query(rejected).rows -%}
            {%- do unreadable.setdefault(row[0], {'lines': [], 'lines_read': lines_read.get(row[0], 0)}) -%}
            {%- do unreadable[row[0]].lines.append(row[1]) -%}
        {%- endfor -%}
        {%- do run_query(drop_rejects) -%}
    {%- endif -%}
    {{ return(unreadable) }}
{% endmacro %}
