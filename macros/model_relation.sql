{#- Where one of this project's models is, whether or not it is built yet, named from the graph:
    for hooks, which cannot ref(), and for tests that must not add a dependency to their node. -#}
{% macro model_relation(model_name) %}
    {%- set node = graph.nodes[p402_monitor.model_unique_id(model_name)] -%}
    {{ return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) }}
{% endmacro %}


{#- A model's node, as dbt names it in the graph and in selected_resources. -#}
{% macro model_unique_id(model_name) %}
    {{ return('model.' ~ project_name ~ '.' ~ model_name) }}
{% endmacro %}
