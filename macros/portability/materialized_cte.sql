{#
    The keyword that makes a common table expression compute its rows once, where an engine needs
    it: `with parsed as {{ p402_monitor.materialized_cte() }} (...)`.

    DuckDB inlines a CTE's expressions into the query that reads it, and inside a CASE it does not
    share them: staging's validation CASE would parse each timestamp and number again for every
    check that reads it (about 40 % of staging's time). Materializing the parsed CTE parses each
    value once. Other engines plan it well as it is, and some do not know the keyword.
#}
{% macro materialized_cte() %}
    {{ return(adapter.dispatch('materialized_cte', 'p402_monitor')()) }}
{% endmacro %}

{% macro default__materialized_cte() -%}
{%- endmacro %}

{% macro duckdb__materialized_cte() -%}
    materialized
{%- endmacro %}
