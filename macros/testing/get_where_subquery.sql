{#
    What a generic data test reads. dbt's own version applies the test's `where` config; this one
    also narrows the column tests of an incremental model to one batch: the rows whose
    classified_at, last_classified_at, last_staged_at or staged_at (the first the model has) is
    the batch's (macros/ledger/as_of_filter.sql, tested_batch): in a build, the rows the build
    wrote; in `dbt test`, the model's latest batch. Every row before them was tested by the
    build that wrote it, so a nightly build tests what it changed instead of the whole history.
    A view over incremental models only is narrowed the same way: its rows change only where
    theirs do.
    A model rebuilt per tenant-day (the daily reports: unique key tenant_id and occurred_date)
    rewrites every row of each tenant-day the build changed, including rows whose events are all
    older than the batch: its column tests read the tenant-days the batch changed
    (int_ledger_tenant_day_changes) instead; likewise the retried traces (unique key tenant_id
    and trace_id) read the traces the batch changed.
    A full refresh writes one batch: every row is tested. A delete+insert batch replaces the rows
    with its keys, so uniqueness holds across batches there; an appended batch (staging) replaces
    nothing, so its uniqueness tests also read the earlier rows that share a key with the tested
    batch, and a key staged twice, in two builds, is found.

    Only the column tests below are narrowed: a test comparing a model with another, such as
    cost_reconciles_with_fact, reads the whole model.
    With the var `test_every_row` nothing is narrowed: `p402-monitor build` sets it after a build
    that was stopped or did not pass, whose batches were then not all tested.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- set batch_node = p402_monitor.batch_written_node(relation) -%}
    {%- set conditions = [] -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- if batch_node -%}
        {%- set batch_column = p402_monitor.batch_column(batch_node) -%}
        {%- set key_columns = p402_monitor.uniqueness_key(model) -%}
        {%- if key_columns and batch_node.config.incremental_strategy == 'append'
            and p402_monitor.holds_earlier_batches(batch_column, relation) -%}
            {%- do conditions.append(p402_monitor.shares_key_with_tested_batch(key_columns, batch_column, relation)) -%}
        {%- elif batch_node.config.unique_key == ['tenant_id', 'occurred_date'] -%}
            {%- do conditions.append(p402_monitor.in_tested_tenant_days()) -%}
        {%- elif batch_node.config.unique_key == ['tenant_id', 'trace_id'] -%}
            {%- do conditions.append(p402_monitor.in_tested_traces()) -%}
        {%- else -%}
            {%- do conditions.append(p402_monitor.in_tested_batch(batch_column, relation)) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' as tested_rows where '
            ~ conditions | join(' and ') ~ ') as dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}


{#- The model written in batches whose column test this node is, or none: an incremental model,
    or a view reading incremental models only. -#}
{% macro batch_written_node(relation) %}
    {%- set narrowed_tests = ['not_null', 'not_null_columns', 'unique', 'accepted_values',
                              'accepted_values_columns', 'relationships', 'unique_combination'] -%}
    {%- if not execute or var('test_every_row') or model.resource_type != 'test'
        or model.test_metadata.name not in narrowed_tests -%}
        {{ return(none) }}
    {%- endif -%}
    {%- for unique_id in model.depends_on.nodes if unique_id in graph.nodes -%}
        {%- set node = graph.nodes[unique_id] -%}
        {%- if node.resource_type == 'model' and node.alias == relation.identifier
            and node.schema == relation.schema and p402_monitor.is_written_in_batches(node)
            and p402_monitor.batch_column(node) -%}
            {{ return(node) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(none) }}
{% endmacro %}


{#- The column that says which build wrote a row of this model, or none. -#}
{% macro batch_column(node) %}
    {%- for column in ['classified_at', 'last_classified_at', 'last_staged_at', 'staged_at']
        if column in node.columns -%}
        {{ return(column) }}
    {%- endfor -%}
    {{ return(none) }}
{% endmacro %}


{#- The columns a uniqueness test holds unique, or none for any other test. -#}
{% macro uniqueness_key(test_node) %}
    {%- set arguments = test_node.test_metadata.kwargs -%}
    {%- if test_node.test_metadata.name == 'unique' -%}
        {{ return([arguments.column_name]) }}
    {%- elif test_node.test_metadata.name == 'unique_combination' -%}
        {{ return(arguments.combination) }}
    {%- endif -%}
    {{ return(none) }}
{% endmacro %}


{#- The tested rows whose key (never null: the grain's not-null tests see to that) is also a key
    of the tested batch, from whichever batch they come. -#}
{% macro shares_key_with_tested_batch(key_columns, batch_column, relation) -%}
    exists (
        select 1
        from {{ relation }} as tested_batch
        where
            tested_batch.{{ batch_column }} = {{ p402_monitor.tested_batch(batch_column, relation) }}
            {%- for column in key_columns %}
            and tested_batch.{{ column }} = tested_rows.{{ column }}
            {%- endfor %}
    )
{%- endmacro %}


{#- The tested rows of the tenant-days the tested batch changed. The log is named from the graph,
    not by ref(): the tested model already depends on it (only_changed_tenant_days). -#}
{% macro in_tested_tenant_days() -%}
    {%- set log = p402_monitor.model_relation('int_ledger_tenant_day_changes') -%}
    (tested_rows.tenant_id, tested_rows.occurred_date) in (
        select changed.tenant_id, changed.occurred_date
        from {{ log }} as changed
        where changed.changed_at = {{ p402_monitor.tested_batch('changed_at', log) }}
    )
{%- endmacro %}


{#- The tested rows of the traces the tested batch changed (int_insight_retried_traces): a trace
    rebuilt because an event left it keeps the last_staged_at of its remaining, older events. -#}
{% macro in_tested_traces() -%}
    {%- set classified = p402_monitor.model_relation('int_ledger_records_classified') -%}
    (tested_rows.tenant_id, tested_rows.trace_id) in (
        {{ p402_monitor.changed_traces(classified,
            'changed.classified_at = ' ~ p402_monitor.tested_batch('classified_at', classified)) }}
    )
{%- endmacro %}


{#- Whether rows of an earlier build than the latest are in the relation (never after a full
    refresh, whose rows are all of one batch: then no row needs looking up by key; nor before
    the relation is built, as when `dbt compile` runs on a new database). -#}
{% macro holds_earlier_batches(batch_column, relation) %}
    {%- if load_relation(relation) is none -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set bounds = run_query('select min(' ~ batch_column ~ '), max(' ~ batch_column ~ ') from ' ~ relation) -%}
    {{ return(bounds.rows[0][0] != bounds.rows[0][1]) }}
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
