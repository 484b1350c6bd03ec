{#-
    A drift window bound from its var (`current_from`, `current_to`, `baseline_from`,
    `baseline_to`) as a SQL date: the literal when the var holds an inclusive UTC date
    'YYYY-MM-DD', a typed null when it is unset (the window model then fills in the default).
    Anything else stops the run with a message that says which var is wrong.
-#}
{% macro drift_window_var(name) -%}
    {%- set value = var(name) -%}
    {%- if value is none or value == '' -%}
        cast(null as date)
    {%- else -%}
        {%- set text = value | string -%}
        {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) -%}
            {{ exceptions.raise_compiler_error(
                "var '" ~ name ~ "' is '" ~ text ~ "'; give an inclusive UTC date as 'YYYY-MM-DD'"
            ) }}
        {%- endif -%}
        cast('{{ text }}' as date)
    {%- endif -%}
{%- endmacro %}
