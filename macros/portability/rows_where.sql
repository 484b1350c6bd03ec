{#
    A where-clause predicate for a query that reads one table, `relation`: its rows for which
    `condition` holds. Meant for a selective condition that has to look at every row, such as
    a lookup by event id, which no storage order lets the engine skip.
    DuckDB: the rows are found by their rowid, in a scan of the columns the condition names
    only; the query then reads its other columns for those rows alone (DuckDB pushes the rowid
    filter into the scan), instead of reading every column of every row to test them.
    Elsewhere: the condition itself.
#}
{% macro rows_where(relation, condition) %}
    {{ return(adapter.dispatch('rows_where', 'p402_monitor')(relation, condition)) }}
{% endmacro %}

{% macro default__rows_where(relation, condition) -%}
    ({{ condition }})
{%- endmacro %}

{% macro duckdb__rows_where(relation, condition) -%}
    rowid in (select rowid from {{ relation }} where {{ condition }})
{%- endmacro %}
