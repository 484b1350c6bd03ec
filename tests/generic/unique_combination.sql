{#- The columns together identify a row (nulls compare equal, as a grain should). -#}
{% test unique_combination(model, combination) %}

select
    {% for column in combination %}{{ column }}{% if not loop.last %}, {% endif %}{% endfor %},
    count(*) as rows_with_this_combination
from {{ model }}
group by {% for column in combination %}{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
having count(*) > 1

{% endtest %}
