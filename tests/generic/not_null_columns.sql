{#-
    None of the columns is null: dbt's not_null for several columns of a model at once. One test
    node and one scan per model instead of one of each per column, which on a nightly build of a
    large ledger is most of the testing time. Returns the rows that break it.
-#}
{% test not_null_columns(model, column_names) %}

select {% for column in column_names %}{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
from {{ model }}
where
    {%- for column in column_names %}
    {% if not loop.first %}or {% endif %}{{ column }} is null
    {%- endfor %}

{% endtest %}
