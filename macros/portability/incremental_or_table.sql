{#-
    How the event-grain models and daily reports materialize: incremental with delete+insert
    where the engine has it, a table rebuilt from scratch where it does not (Spark without a
    table format that merges), which gives the same rows at full-build cost.
-#}
{% macro incremental_or_table() %}
    {{ return(adapter.dispatch('incremental_or_table', 'p402_monitor')()) }}
{% endmacro %}

{% macro default__incremental_or_table() -%}
    incremental
{%- endmacro %}

{% macro spark__incremental_or_table() -%}
    table
{%- endmacro %}
