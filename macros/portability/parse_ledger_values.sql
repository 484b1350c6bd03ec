{#
    Parsing the ledger's text fields. Each returns null for text that is not a valid value, so
    that staging can name the failing check instead of the build failing on one bad record. The
    pattern is checked before the cast because a plain cast aborts the query on most engines.
    The cast is outside the case, so the column keeps its declared type (PostgreSQL drops the
    precision and scale of a numeric that comes out of a case). The text must already be trimmed
    (staging trims every field once).
#}

{#- The text without leading and trailing spaces, or null when nothing else is left. -#}
{% macro trimmed_or_null(expression) %}
    {{ return(adapter.dispatch('trimmed_or_null', 'p402_monitor')(expression)) }}
{% endmacro %}

{% macro default__trimmed_or_null(expression) -%}
    nullif(trim({{ expression }}), '')
{%- endmacro %}

{#- DuckDB: trim copies every value, and nullif computes it twice; ledger values seldom have
    spaces around them, so only those that do are trimmed. -#}
{% macro duckdb__trimmed_or_null(expression) -%}
    nullif(
        case
            when prefix({{ expression }}, ' ') or suffix({{ expression }}, ' ') then trim({{ expression }})
            else {{ expression }}
        end,
        ''
    )
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


{#- A decimal with at most nine places, optionally negative: exact, never through a float. -#}
{% macro parse_money(expression) -%}
    cast(
        case
            when {{ p402_monitor.regexp_matches(expression, '-?[0-9]{1,29}([.][0-9]{0,9})?') }}
                then {{ expression }}
        end
        as {{ p402_monitor.type_money() }}
    )
{%- endmacro %}


{#- An RFC 3339 timestamp with any UTC offset, as a UTC timestamp without time zone. -#}
{% macro parse_timestamp_utc(expression) %}
    {{ return(adapter.dispatch('parse_timestamp_utc', 'p402_monitor')(expression)) }}
{% endmacro %}

{% macro rfc3339_pattern() -%}
    [0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})
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
    wall time as a timestamp_ntz (fraction cut to the microsecond; month 13, 30 February and
    second 60 give null), minus the offset as written. The result is the UTC wall time, cast to
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
