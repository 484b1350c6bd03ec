{#- A model has one list price on any day: its effective ranges must not overlap. -#}

with

price_book as (

    select * from {{ ref('model_price_book') }}

),

overlapping as (

    select
        earlier.vendor,
        earlier.model,
        earlier.effective_from as earlier_from,
        later.effective_from as later_from
    from price_book as earlier
    inner join price_book as later
        on
            earlier.vendor = later.vendor
            and earlier.model = later.model
            and earlier.effective_from < later.effective_from
    where earlier.effective_to is null or earlier.effective_to >= later.effective_from

)

select * from overlapping
