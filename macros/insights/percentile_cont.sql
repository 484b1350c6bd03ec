{#-
    The `fraction` percentile (0 to 1) of `expression` over the rows of a group, interpolated
    between the two nearest values as percentile_cont does. An aggregate: use it with group by
    (PostgreSQL's ordered-set form cannot be a window function). Spark has no exact interpolating
    aggregate for every type, so it uses `percentile`, which interpolates the same way.
    A select that takes several percentiles of one expression passes them all, the same list in
    each call, as `fractions_taken`: DuckDB then collects the group's values once for all of them.
-#}
{% macro percentile_cont(expression, fraction, fractions_taken=none) %}
    {{ return(adapter.dispatch('percentile_cont', 'p402_monitor')(expression, fraction, fractions_taken)) }}
{% endmacro %}

{% macro default__percentile_cont(expression, fraction, fractions_taken=none) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{#- The calls give the same list-valued aggregate, which DuckDB computes once, and each takes its element. -#}
{% macro duckdb__percentile_cont(expression, fraction, fractions_taken=none) -%}
    {%- if fractions_taken -%}
        quantile_cont({{ expression }}, [{{ fractions_taken | join(', ') }}])[{{ fractions_taken.index(fraction) + 1 }}]
    {%- else -%}
        quantile_cont({{ expression }}, {{ fraction }})
    {%- endif -%}
{%- endmacro %}

{% macro spark__percentile_cont(expression, fraction, fractions_taken=none) -%}
    percentile(cast({{ expression }} as double), {{ fraction }})
{%- endmacro %}
