{#-
    The `fraction` percentile (0 to 1) of `expression` over the rows of a group, interpolated
    between the two nearest values as percentile_cont does. An aggregate: use it with group by
    (PostgreSQL's ordered-set form cannot be a window function). Spark has no exact interpolating
    aggregate for every type, so it uses `percentile`, which interpolates the same way.
-#}
{% macro percentile_cont(expression, fraction) %}
    {{ return(adapter.dispatch('percentile_cont', 'p402_monitor')(expression, fraction)) }}
{% endmacro %}

{% macro default__percentile_cont(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__percentile_cont(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro spark__percentile_cont(expression, fraction) -%}
    percentile(cast({{ expression }} as double), {{ fraction }})
{%- endmacro %}
