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
