{#
    What the tokens of an event cost at a price-book row's list prices, exact to nine places.
    Multiplying by 0.000001 rather than dividing by a million keeps the arithmetic decimal on
    engines where decimal division returns a float.
#}
{% macro list_cost_usd(event, price) -%}
    cast(
        (
            ({{ event }}.input_tokens - {{ event }}.cached_input_tokens) * {{ price }}.input_usd_per_mtok
            + {{ event }}.cached_input_tokens * {{ price }}.cached_input_usd_per_mtok
            + {{ event }}.output_tokens * {{ price }}.output_usd_per_mtok
        ) * 0.000001
        as {{ p402_monitor.type_money() }}
    )
{%- endmacro %}


{#- Join condition: the price-book row in force for the event's model on the day it ran. -#}
{% macro price_in_force(price, event, vendor, model) -%}
    {{ price }}.vendor = {{ event }}.{{ vendor }}
    and {{ price }}.model = {{ event }}.{{ model }}
    and {{ event }}.occurred_date >= {{ price }}.effective_from
    and ({{ price }}.effective_to is null or {{ event }}.occurred_date <= {{ price }}.effective_to)
{%- endmacro %}
