{#-
    Every listed column holds one of its accepted values (or null): dbt's accepted_values for
    several columns of a model at once, `values_by_column` mapping each column to its values.
    Like not_null_columns, one test node and one scan per model instead of one of each per
    column. Returns the rows that break it.
-#}
{% test accepted_values_columns(model, values_by_column) %}

select {{ values_by_column.keys() | join(', ') }}
from {{ model }}
where
    {%- for column, values in values_by_column.items() %}
    {% if not loop.first %}or {% endif %}{{ column }} not in (
        {%- for value in values %}'{{ value }}'{% if not loop.last %}, {% endif %}{% endfor -%}
    )
    {%- endfor %}

{% endtest %}
