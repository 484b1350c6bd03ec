{#-
    A var that must hold a whole number of at least `minimum`, checked: given as 7 or "7" it is 7;
    anything else stops the run with a message that names the var and says what it should hold,
    instead of a syntax error in whatever SQL the value was written into.
-#}
{% macro whole_number_var(name, minimum=1) -%}
    {%- set text = var(name) | string -%}
    {%- if not modules.re.fullmatch('[0-9]+', text) or (text | int) < minimum -%}
        {{ exceptions.raise_compiler_error(
            "var '" ~ name ~ "' is '" ~ text ~ "'; give a whole number of at least " ~ minimum
        ) }}
    {%- endif -%}
    {{ return(text | int) }}
{%- endmacro %}
