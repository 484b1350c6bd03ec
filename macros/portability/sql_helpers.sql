{#
    Small SQL functions some engines need so that a model never aborts on one bad value. They are
    created at the start of every build (from the register_ledger_files hook), in Monitor's own
    schema only: Monitor writes nothing anywhere else. Engines that need none create none.
#}
{% macro create_sql_helpers() %}
    {{ return(adapter.dispatch('create_sql_helpers', 'p402_monitor')()) }}
{% endmacro %}

{% macro default__create_sql_helpers() -%}
{%- endmacro %}

{#- The schema the helpers live in: the target's own, made if a partial build has not made it yet. -#}
{% macro sql_helpers_schema() %}
    {%- if execute and not adapter.check_schema_exists(target.database, target.schema) -%}
        {%- do adapter.create_schema(api.Relation.create(database=target.database, schema=target.schema)) -%}
    {%- endif -%}
    {{ return(adapter.quote(target.schema)) }}
{% endmacro %}

{#
    PostgreSQL aborts the whole query on a cast of an impossible timestamp (2026-02-30, month 13,
    hour 99), where DuckDB's try_cast gives null. This function reads one RFC 3339 timestamp the
    caller has already matched against rfc3339_pattern(), as DuckDB reads it, and gives the UTC
    timestamp or null:
      - a fraction of a second is cut to the microsecond (DuckDB truncates; a cast would round);
      - second 60 (a leap second) never arrives: staging reads it as second 59 (leap_second_as_59);
      - the offset is applied as written, hours and minutes (a cast allows only up to 15:59).
    Parallel unsafe: its exception handler needs a subtransaction, which a parallel worker
    cannot start, so a large staging query must not run it in parallel.
#}
{% macro postgres__create_sql_helpers() -%}
    {%- set schema = p402_monitor.sql_helpers_schema() -%}
    create or replace function {{ schema }}.p402_timestamp_utc(value text) returns timestamp
    language plpgsql immutable strict parallel unsafe
    as $body$
    declare
        local_time timestamp;
        fraction text := coalesce(substring(value from '^.{19}([.][0-9]{1,6})'), '');
        utc_offset text := upper(substring(value from '([Zz]|[+-][0-9]{2}:[0-9]{2})$'));
    begin
        if substring(value from 18 for 2) >= '60' then
            return null;
        end if;
        local_time := cast(
            substring(value from 1 for 10) || ' ' || substring(value from 12 for 8) || fraction
            as timestamp
        );
        if utc_offset = 'Z' then
            return local_time;
        end if;
        return local_time
            - case when left(utc_offset, 1) = '-' then -1 else 1 end
            * make_interval(
                hours => cast(substring(utc_offset from 2 for 2) as integer),
                mins => cast(substring(utc_offset from 5 for 2) as integer)
            );
    exception
        when data_exception then
            return null;
    end
    $body$
{%- endmacro %}
