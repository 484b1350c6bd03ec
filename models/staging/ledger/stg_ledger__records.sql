{#
    One row per ledger record read (blank lines are not records), typed and checked against the
    contract. A record that fails a check keeps the first reason it fails, in the contract order
    of reporter/contract.py QUARANTINE_REASONS; valid records have no reason.
    Only metadata is read: content fields never reach this model.

    Incremental: a build stages only the records it has not staged before (by file and line), and
    appends them.
    A new record recorded more than `ledger_lookback_days` before the latest record already
    staged (of those recorded before this build started) arrived too late to be applied
    incrementally: it is quarantined as `beyond_lookback`, so that it is counted and reported,
    until `build --full-refresh` applies it.

    With `as_of` (always a full refresh), only the records recorded by then are staged, as if the
    ledger held nothing else, and the next build without it stages the rest like any new records.
    A file read only in part keeps no size (source_file_bytes is null), so that on DuckDB that
    build reads it again (macros/ledger/register_ledger_files.sql); a file whose records were all
    staged keeps its size and is not read again.
#}

{{ config(
    materialized=p402_monitor.incremental_or_table(),
    incremental_strategy='append',
) }}

{%- set source_relation = source('ledger', 'ledger_records') -%}
{#- Checked on every build, though only an incremental one applies it. -#}
{%- set lookback_days = p402_monitor.whole_number_var('ledger_lookback_days') -%}
{#- Nothing Monitor reports reads the fingerprints (they serve the meter's deduplication), and as
    unique 64-digit hashes they would be the costliest columns to store: they stay in the ledger. -#}
{%- set unstaged_fields = ['prompt_fingerprint', 'response_fingerprint'] -%}
{%- set source_columns = adapter.get_columns_in_relation(source_relation) | map(attribute='name') | list
    if execute else [] -%}
{#- The whole-number fields, by the name staging parses each into. Those the Parquet reader also
    gives as integers (`<field>_integer`, macros/ledger/ledger_files_select.sql) are taken as
    they are, with no text to check and parse. -#}
{%- set integer_fields = {
    'version': 'version_number',
    'input_tokens': 'input_token_count',
    'output_tokens': 'output_token_count',
    'cached_input_tokens': 'cached_input_token_count',
    'latency_ms': 'latency_milliseconds',
    'attempt': 'attempt_number',
} -%}
{%- set typed_integer_fields = [] -%}
{%- for field in integer_fields if field ~ '_integer' in source_columns -%}
    {%- do typed_integer_fields.append(field) -%}
{%- endfor -%}
{#- The columns staging reads, by name: on a warehouse the meter's table may also hold content. -#}
{%- set source_read_columns = ['source_file', 'source_line', 'is_malformed_json'] -%}
{%- for column in ['source_file_bytes', 'has_structured_value'] if column in source_columns -%}
    {%- do source_read_columns.append(column) -%}
{%- endfor -%}
{%- for field in p402_monitor.ledger_metadata_fields() if field not in unstaged_fields -%}
    {%- do source_read_columns.append(field) -%}
{%- endfor -%}
{%- for field in typed_integer_fields -%}
    {%- do source_read_columns.append(field ~ '_integer') -%}
{%- endfor -%}
{#- Only lines of files this build reads can have been staged before, and a nightly build on
    DuckDB usually reads new files only (the source lists the files that are new or grew): then
    no line needs comparing with those staged, and the comparison is left out. -#}
{%- set compares_with_staged_lines = is_incremental() and execute and run_query(
    'select 1 from ' ~ this ~ ' where source_file in (select source_file from '
    ~ source_relation ~ ') limit 1').rows | length > 0 -%}

with

source as (

    select
        {%- for column in source_read_columns %}
            {{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ source_relation }}
    {%- if compares_with_staged_lines %}
        {#- Looking among the lines of the files read first keeps the check from comparing
            with every line ever staged. #}
        where not exists (
            select 1
            from {{ this }} as staged
            where
                staged.source_file in (select source_file from {{ source_relation }})
                and staged.source_file = {{ source_relation }}.source_file
                and staged.source_line = {{ source_relation }}.source_line
        )
    {%- endif %}

),

read_values as (

    select
        source_file,
        source_line,
        {% if 'source_file_bytes' in source_columns -%}
            source_file_bytes,
        {%- else -%}
            cast(null as {{ dbt.type_bigint() }}) as source_file_bytes,
        {%- endif %}
        coalesce(is_malformed_json, false) as is_malformed_json,
        {% if 'has_structured_value' in source_columns -%}
            coalesce(has_structured_value, false)
        {%- else -%}
            false
        {%- endif %} as has_structured_value,
        {%- for field in p402_monitor.ledger_metadata_fields() if field not in unstaged_fields %}
            {%- set text = p402_monitor.blank_as_null(dbt.cast(field, dbt.type_string())) %}
            {{ field ~ '_integer' if field in typed_integer_fields
                else p402_monitor.leap_second_as_59(text) if field in ('recorded_at', 'occurred_at')
                else text }} as {{ field }}
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from source

),

parsed as (

    select
        *,
        {%- for field, parsed_name in integer_fields.items() %}
            {{ p402_monitor.parse_integer(field, field in typed_integer_fields) }} as {{ parsed_name }},
        {%- endfor %}
        {{ p402_monitor.parse_timestamp_utc('recorded_at') }} as recorded_at_utc,
        {{ p402_monitor.parse_timestamp_utc('occurred_at') }} as occurred_at_utc,
        {{ p402_monitor.parse_money('cost_usd') }} as cost_amount_usd
    from read_values

),

timed as (

    select
        *,
        {%- if is_incremental() %}
            {#- The window ends at the latest valid record staged that was recorded before this
                build started: one record stamped by a clock running ahead would otherwise carry
                the window with it, and every record after it would arrive beyond the lookback. #}
            {%- set window_end -%}
                max(case when recorded_at <= {{ p402_monitor.build_started_at() }} then recorded_at end)
            {%- endset %}
            coalesce(recorded_at_utc < (
                select {{ dbt.dateadd('day', -1 * lookback_days, window_end) }}
                from {{ this }}
                where not is_quarantined
            ), false) as is_beyond_lookback
        {%- else %}
            false as is_beyond_lookback
        {%- endif %}
    from parsed

),

validated as (

    select
        *,
        case
            when is_malformed_json then 'malformed_json'
            when has_structured_value then 'nested_value'
            when event_id is null then 'missing_event_id'
            when version_number is null or version_number < 1 then 'bad_version'
            when tenant_id is null then 'missing_tenant_id'
            when recorded_at_utc is null or occurred_at_utc is null then 'bad_timestamp'
            when vendor is null then 'missing_vendor'
            when model_requested is null or model_used is null then 'missing_model'
            when
                input_token_count is null or input_token_count < 0
                or output_token_count is null or output_token_count < 0
                or (cached_input_tokens is not null and cached_input_token_count is null)
                or cached_input_token_count < 0
                or cached_input_token_count > input_token_count
                then 'bad_tokens'
            when cost_amount_usd is null then 'bad_cost'
            when cost_amount_usd < 0 then 'negative_cost'
            when
                outcome is not null
                and not {{ p402_monitor.is_ledger_enum_value('outcome', 'outcome') }}
                then 'unknown_outcome'
            when
                policy_result is not null
                and not {{ p402_monitor.is_ledger_enum_value('policy_result', 'policy_result') }}
                then 'unknown_policy_result'
            when
                receipt_status is null
                or not {{ p402_monitor.is_ledger_enum_value('receipt_status', 'receipt_status') }}
                then 'unknown_receipt_status'
            when
                evidence_status is null
                or not {{ p402_monitor.is_ledger_enum_value('evidence_status', 'evidence_status') }}
                then 'unknown_evidence_status'
            when
                privacy_mode is null
                or not {{ p402_monitor.is_ledger_enum_value('privacy_mode', 'privacy_mode') }}
                then 'unknown_privacy_mode'
            when attempt is not null and (attempt_number is null or attempt_number < 1) then 'bad_attempt'
            when latency_ms is not null and (latency_milliseconds is null or latency_milliseconds < 0)
                then 'bad_latency'
            when is_beyond_lookback then 'beyond_lookback'
        end as quarantine_reason
    from timed

),

renamed as (

    select
        -- ids
        event_id,
        tenant_id,
        trace_id,
        budget_id,
        customer_id,
        employee_id,

        -- strings
        department,
        workflow,
        vendor,
        model_requested,
        model_used,
        coalesce(policy_result, 'allowed') as policy_result,
        outcome,
        receipt_status,
        evidence_status,
        privacy_mode,
        labels as labels_json,
        quarantine_reason,
        source_file,

        -- numerics
        source_line,
        {% if var('as_of') -%}
            case
                when min(case when {{ p402_monitor.as_of_filter('recorded_at_utc') }} then 1 else 0 end)
                    over (partition by source_file) = 1
                    then source_file_bytes
            end as source_file_bytes,
        {%- else -%}
            source_file_bytes,
        {%- endif %}
        version_number as version,
        input_token_count as input_tokens,
        output_token_count as output_tokens,
        coalesce(cached_input_token_count, 0) as cached_input_tokens,
        cost_amount_usd as cost_usd,
        latency_milliseconds as latency_ms,
        coalesce(attempt_number, 1) as attempt,

        -- booleans
        quarantine_reason is not null as is_quarantined,

        -- dates
        cast(occurred_at_utc as date) as occurred_date,
        cast(coalesce(occurred_at_utc, recorded_at_utc) as date) as ledger_date,

        -- timestamps
        recorded_at_utc as recorded_at,
        occurred_at_utc as occurred_at,
        {{ p402_monitor.build_started_at() }} as staged_at

    from validated

)

select * from renamed
where {{ p402_monitor.as_of_filter('recorded_at') }}
