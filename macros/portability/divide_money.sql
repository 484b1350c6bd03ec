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
