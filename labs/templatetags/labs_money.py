"""Template filters for the labs' cost estimates."""

from django import template

from own_account.pricing import money

register = template.Library()


@register.filter
def usd(value):
    """0.0000166667 -> "US$0.000017": small amounts keep two significant digits."""
    return money(value)


@register.filter
def intcomma_plain(value):
    return f"{int(value):,}"


@register.filter
def price(value):
    """A listed price exactly as the pricing page gives it: US$0.625, US$0.0000166667."""
    return f"US${value}"
