{#
    What a generic data test reads. dbt's own version applies the test's `where` config; this one
    also narrows the column tests of an incremental model to its latest batch: the rows whose
    classified_at, last_classified_at, last_staged_at or staged_at (the first the model has) is
    the model's latest. An incremental build writes only such rows, and every row before them
    was tested by the build that wrote it, so a nightly build tests what it changed instead of
    the whole history. A view over incremental models only is narrowed the same way: its rows
    change only where theirs do.
    A full refresh writes one batch: every row is tested. Uniqueness still holds across batches,
    since a batch replaces the rows with its keys (delete+insert).

    Only the column tests below are narrowed: a test comparing a model with another, such as
    cost_reconciles_with_fact, reads the whole model.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- set batch_column = p402_monitor.latest_batch_column(relation) -%}
    {%- set conditions = [] -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- if batch_column -%}
        {%- do conditions.append(p402_monitor.in_latest_batch(batch_column, relation)) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') as dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}


{#- The batch column of an incremental model that a column test of this node reads, or none. -#}
{% macro latest_batch_column(relation) %}
    {%- set narrowed_tests = ['not_null', 'not_null_columns', 'unique', 'accepted_values',
                              'accepted_values_columns', 'relationships', 'unique_combination'] -%}
    {%- if not execute or model.resource_type != 'test' or model.test_metadata.name not in narrowed_tests -%}
        {{ return(none) }}
    {%- endif -%}
    {%- for unique_id in model.depends_on.nodes if unique_id in graph.nodes -%}
        {%- set node = graph.nodes[unique_id] -%}
        {%- if node.resource_type == 'model' and node.alias == relation.identifier
            and node.schema == relation.schema and p402_monitor.is_written_in_batches(node) -%}
            {%- for column in ['classified_at', 'last_classified_at', 'last_staged_at', 'staged_at']
                if column in node.columns -%}
                {{ return(column) }}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(none) }}
{% endmacro %}


{#- An incremental model, or a view reading incremental models only. -#}
{% macro is_written_in_batches(node) %}
    {%- if node.config.materialized == 'incremental' -%}
        {{ return(true) }}
    {%- elif node.config.materialized != 'view' or not node.depends_on.nodes -%}
        {{ return(false) }}
    {%- endif -%}
    {%- for unique_id in node.depends_on.nodes -%}
        {%- set parent = graph.nodes.get(unique_id) -%}
        {%- if parent is none or parent.config.materialized != 'incremental' -%}
            {{ return(false) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(true) }}
{% endmacro %}
