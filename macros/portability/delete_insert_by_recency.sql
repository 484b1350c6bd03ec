{#
    Incremental strategy `delete_insert_by_recency`: delete+insert for a model keyed on one
    column, whose rows are stored roughly in the order of its `recency_column` config, and where
    a row's replacement never has a later recency value than the row it replaces. The delete then
    looks for the rows to replace only among those at or after the earliest new row, so that the
    engine can skip older storage blocks by their min/max instead of comparing every key of the
    table. (fct_ai_events: an event's first_recorded_at can only move earlier as records arrive.)
#}
{% macro get_incremental_delete_insert_by_recency_sql(arg_dict) %}
    {%- set column = config.require('recency_column') -%}
    {%- set predicates = (arg_dict['incremental_predicates'] or []) + [
        column ~ ' >= (select min(' ~ column ~ ') from ' ~ arg_dict['temp_relation'] ~ ')'
    ] -%}
    {{ return(get_delete_insert_merge_sql(
        arg_dict['target_relation'], arg_dict['temp_relation'], arg_dict['unique_key'],
        arg_dict['dest_columns'], predicates)) }}
{% endmacro %}
