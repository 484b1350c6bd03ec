{#-
    `numerator` / `denominator` as exact decimal dollars, rounded half away from zero to nine
    places. The numerator is money (at most nine decimal places) or a whole number times money;
    the denominator a whole number greater than 0 (null gives null). Each engine divides whole
    numbers of billionths, so the result is exact everywhere: DuckDB would otherwise divide
    decimals in double precision, and PostgreSQL round a numeric quotient it had already rounded.
-#}
{% macro divide_money(numerator, denominator) %}
    {{ return(adapter.dispatch('divide_money', 'p402_monitor')(numerator, denominator)) }}
{% endmacro %}

{% macro default__divide_money(numerator, denominator) -%}
    cast(
        sign({{ numerator }})
        * div(abs({{ numerator }}) * 2000000000 + ({{ denominator }}), 2 * ({{ denominator }}))
        * 0.000000001
        as {{ p402_monitor.type_money() }}
    )
{%- endmacro %}

{% macro duckdb__divide_money(numerator, denominator) -%}
    cast(
        cast(
            sign({{ numerator }})
            * ((cast(abs({{ numerator }}) * 1000000000 as hugeint) * 2 + ({{ denominator }})) // (2 * ({{ denominator }})))
            as decimal(38, 0)
        ) * 0.000000001
        as {{ p402_monitor.type_money() }}
    )
{%- endmacro %}

{#-
    Spark: `div` returns a bigint and `sign` a double, and a decimal quotient keeps only the places
    its type leaves, so the billionths are divided exactly as whole numbers:
    (2a + b - pmod(2a + b, 2b)) / 2b is a whole number, held exactly. The sign is applied by a
    case (multiplying by -1 would widen the type). Dividing by 10^9 as a decimal(38, 9) is exact.
-#}
{% macro spark__divide_money(numerator, denominator) -%}
    {%- set billionths = "cast(abs(" ~ numerator ~ ") * 1000000000 as decimal(38, 0))" -%}
    {%- set halves = "(2 * " ~ billionths ~ " + cast(" ~ denominator ~ " as decimal(38, 0)))" -%}
    {%- set divisor = "(2 * cast(" ~ denominator ~ " as decimal(38, 0)))" -%}
    {%- set quotient = "cast((" ~ halves ~ " - pmod(" ~ halves ~ ", " ~ divisor ~ ")) / " ~ divisor
        ~ " as decimal(38, 9)) / 1000000000" -%}
    cast(
        case when ({{ numerator }}) < 0 then -({{ quotient }}) else {{ quotient }} end
        as {{ p402_monitor.type_money() }}
    )
{%- endmacro %}
