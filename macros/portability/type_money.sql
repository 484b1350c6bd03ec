{#- Money: exact decimal dollars with the ledger's nine places. Wide enough for any total. -#}
{% macro type_money() %}
    {{ return(adapter.dispatch('type_money', 'p402_monitor')()) }}
{% endmacro %}

{% macro default__type_money() -%}
    decimal(38, 9)
{%- endmacro %}

{% macro bigquery__type_money() -%}
    numeric
{%- endmacro %}
