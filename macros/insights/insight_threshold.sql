{#-
    An insight threshold from its var, checked: a number (`kind` 'count' for a whole number of at
    least 1, 'share' for a fraction strictly between 0 and 1). Anything else stops the run with a
    message that names the var and says what it should hold.
-#}
{% macro insight_threshold(name, kind) -%}
    {%- set text = var(name) | string -%}
    {%- if kind == 'count' -%}
        {{ p402_monitor.whole_number_var(name) }}
    {%- else -%}
        {%- if not modules.re.fullmatch('0?[.][0-9]+', text) or (text | float) <= 0 or (text | float) >= 1 -%}
            {{ exceptions.raise_compiler_error(
                "var '" ~ name ~ "' is '" ~ text ~ "'; give a fraction between 0 and 1, such as 0.25"
            ) }}
        {%- endif -%}
        {{ text | float }}
    {%- endif -%}
{%- endmacro %}
