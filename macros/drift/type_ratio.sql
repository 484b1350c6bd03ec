{#-
    Ratios, shares and test statistics: a double-precision float. `dbt.type_float()` renders
    `float`, which is double precision on PostgreSQL but single precision (about seven digits)
    on DuckDB and Spark, too coarse for a z statistic or a stability index; those two say double.
-#}
{% macro type_ratio() %}
    {{ return(adapter.dispatch('type_ratio', 'p402_monitor')()) }}
{% endmacro %}

{% macro default__type_ratio() -%}
    {{ dbt.type_float() }}
{%- endmacro %}

{% macro duckdb__type_ratio() -%}
    double
{%- endmacro %}

{% macro spark__type_ratio() -%}
    double
{%- endmacro %}
