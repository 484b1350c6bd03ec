{#- The contract's closed lists. reporter/contract.py holds the same lists; a test keeps them equal. -#}
{% macro ledger_enum_values(field) %}
    {%- set enums = {
        'outcome': ['accepted', 'rejected', 'revised', 'escalated', 'failed'],
        'policy_result': ['allowed', 'warned', 'blocked'],
        'receipt_status': ['verified', 'unverified', 'missing'],
        'evidence_status': ['complete', 'partial', 'missing', 'pending'],
        'privacy_mode': ['metadata_only', 'fingerprint_only', 'redacted_trace', 'private_gateway', 'full_trace'],
    } -%}
    {{ return(enums[field]) }}
{% endmacro %}


{#- `expression in ('a', 'b', …)` for one of the lists above. -#}
{% macro is_ledger_enum_value(expression, field) -%}
    {{ expression }} in ({% for value in p402_monitor.ledger_enum_values(field) %}'{{ value }}'{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}
