{#
    Parsing the ledger's text fields. Each returns null for text that is not a valid value, so
    that staging can name the failing check instead of the build failing on one bad record. The
    pattern is checked before the cast because a plain cast aborts the query on most engines.
    The cast is outside the case, so the column keeps its declared type (PostgreSQL drops the
    precision and scale of a numeric that comes out of a case). Values are read as written: the
    contract trims nothing, and `"evt_1 "` is another event than `"evt_1"`.
#}

{#- The text as written, or null when it is empty or holds only spaces (a missing value). -#}
{% macro blank_as_null(expression) %}
    {{ return(adapter.dispatch('blank_as_null', 'p402_monitor')(expression)) }}
{% endmacro %}

{% macro default__blank_as_null(expression) -%}
    case when trim({{ expression }}) <> '' then {{ expression }} end
{%- endmacro %}

{#- DuckDB: trim copies every value; only a value that starts with a space can be blank. -#}
{% macro duckdb__blank_as_null(expression) -%}
    case
        when {{ expression }} = '' or (prefix({{ expression }}, ' ') and trim({{ expression }}) = '') then null
        else {{ expression }}
    end
{%- endmacro %}


{#- A whole number of at most 18 digits, optionally negative (the sign is judged by the caller).
    With `is_integer`, the expression is an integer column already (a Parquet file's), held to
    the same 18 digits: a file is read the same whether its integers arrive as integers or, read
    beside files that store them as text, as text. -#}
{% macro parse_integer(expression, is_integer=false) -%}
    {%- if is_integer -%}
    case
        when {{ expression }} between -999999999999999999 and 999999999999999999 then {{ expression }}
    end
    {%- else -%}
    cast(
        case
            when {{ p402_monitor.regexp_matches(expression, '-?[0-9]{1,18}') }}
                then {{ expression }}
        end
        as {{ dbt.type_bigint() }}
    )
    {%- endif -%}
{%- endmacro %}


{#- A decimal with at most nine places, optionally negative: exact, never through a float.
    Places beyond the ninth may be written only as zeros (a Parquet decimal(20, 12) writes
    0.5 as 0.500000000000): the value still has nine places, and the cast drops nothing else. -#}
{% macro parse_money(expression) -%}
    cast(
        case
            when {{ p402_monitor.regexp_matches(expression, '-?[0-9]{1,29}([.][0-9]{0,9}0*)?') }}
                then {{ expression }}
        end
        as {{ p402_monitor.type_money() }}
    )
{%- endmacro %}


{#- An RFC 3339 timestamp with any UTC offset, as a UTC timestamp without time zone. -#}
{% macro parse_timestamp_utc(expression) %}
    {{ return(adapter.dispatch('parse_timestamp_utc', 'p402_monitor')(expression)) }}
{% endmacro %}

{#- Hours 00 to 23, minutes 00 to 59, seconds 00 to 60 (a leap second), offsets up to 23:59:
    an engine's cast would otherwise roll 24:00 or an offset of +05:99 over into another time.
    The date's ranges (month 13, 30 February) are left to each engine's cast, which rejects them. -#}
{% macro rfc3339_pattern() -%}
    [0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ]([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)([.][0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])
{%- endmacro %}

{#- A leap second (second 60) is valid RFC 3339 that no engine's timestamp holds: it is read as
    second 59 of the same minute, so that it keeps its day. The offset decides which local minute
    a leap second falls in, so any minute may hold one. The pattern (above) judges the rest. -#}
{% macro leap_second_as_59(expression) -%}
    case
        when substr({{ expression }}, 18, 2) = '60'
            then {{ dbt.concat(['substr(' ~ expression ~ ', 1, 17)', "'59'", 'substr(' ~ expression ~ ', 20)']) }}
        else {{ expression }}
    end
{%- endmacro %}

{#- Year 0000 is 1 BC, which no engine's client (nor Python) reads back: it is not a valid time. -#}
{% macro is_rfc3339_timestamp(expression) -%}
    {{ p402_monitor.regexp_matches(expression, p402_monitor.rfc3339_pattern()) }}
    and substr({{ expression }}, 1, 4) <> '0000'
{%- endmacro %}

{% macro default__parse_timestamp_utc(expression) -%}
    case
        when {{ p402_monitor.is_rfc3339_timestamp(expression) }}
            then cast(cast(upper({{ expression }}) as timestamp with time zone) at time zone 'UTC' as {{ dbt.type_timestamp() }})
    end
{%- endmacro %}

{#- DuckDB: try_cast turns an impossible date (month 13) into null rather than an error. A
    timestamp with time zone holds microseconds since the epoch in UTC, so make_timestamp of them
    is the UTC wall time, read without the time zone library that `at time zone` calls for each
    value (about 3 s of the 37 s that staging 10M events took). Only a lowercase `t` or `z` needs
    upper(), which copies the text, and the pattern allows them nowhere else. -#}
{% macro duckdb__parse_timestamp_utc(expression) -%}
    case
        when {{ p402_monitor.is_rfc3339_timestamp(expression) }}
            then make_timestamp(epoch_us(try_cast(
                case
                    when substr({{ expression }}, 11, 1) = 't' or suffix({{ expression }}, 'z')
                        then upper({{ expression }})
                    else {{ expression }}
                end
                as timestamp with time zone
            )))
    end
{%- endmacro %}

{#- PostgreSQL: a helper function (macros/portability/sql_helpers.sql) reads it as DuckDB does. -#}
{% macro postgres__parse_timestamp_utc(expression) -%}
    case
        when {{ p402_monitor.is_rfc3339_timestamp(expression) }}
            then {{ adapter.quote(target.schema) }}.p402_timestamp_utc({{ expression }})
    end
{%- endmacro %}

{#-
    Spark: a cast of impossible text gives null only through try_cast, and a cast honours only
    some offsets, so the instant is read as PostgreSQL's helper reads it (sql_helpers.sql): the
    wall time as a timestamp_ntz (fraction cut to the microsecond; month 13 and 30 February
    give null), minus the offset as written. The result is the UTC wall time, cast to
    dbt's timestamp type; the session time zone should be UTC (docs/warehouses.md).
-#}
{% macro spark__parse_timestamp_utc(expression) -%}
    {%- set utc_offset = "upper(regexp_extract(" ~ expression ~ ", '([Zz]|[+-][0-9]{2}:[0-9]{2})$', 1))" -%}
    case
        when {{ p402_monitor.is_rfc3339_timestamp(expression) }}
            then cast(
                try_cast(
                    concat(
                        substr({{ expression }}, 1, 10), ' ', substr({{ expression }}, 12, 8),
                        regexp_extract({{ expression }}, '^.{19}([.][0-9]{1,6})', 1)
                    )
                    as timestamp_ntz
                )
                - case
                    when {{ utc_offset }} = 'Z' then make_dt_interval(0, 0, 0, 0)
                    else
                        (case when substr({{ utc_offset }}, 1, 1) = '-' then -1 else 1 end)
                        * make_dt_interval(
                            0,
                            try_cast(substr({{ utc_offset }}, 2, 2) as int),
                            try_cast(substr({{ utc_offset }}, 5, 2) as int),
                            0
                        )
                end
                as {{ dbt.type_timestamp() }}
            )
    end
{%- endmacro %}
