from urllib.parse import urlparse

from django import template
from django.urls import reverse

register = template.Library()


@register.filter
def sheet_url(link: str) -> str:
    """'sqs#key-numbers' -> '/cheatsheets/sqs/#key-numbers'."""
    slug, _, anchor = link.partition("#")
    return reverse("cheatsheets:detail", args=[slug]) + (f"#{anchor}" if anchor else "")


@register.filter
def sheet_label(link: str) -> str:
    slug, _, anchor = link.partition("#")
    label = slug.replace("-", " ")
    return f"{label} › {anchor.replace('-', ' ')}" if anchor else label


@register.filter
def doc_label(url: str) -> str:
    """A short readable name for an AWS documentation URL."""
    path = urlparse(url).path.rstrip("/")
    last = path.rsplit("/", 1)[-1].removesuffix(".html") or urlparse(url).netloc
    return last.replace("-", " ").replace("_", " ")


@register.filter
def duration(seconds) -> str:
    if seconds is None:
        return "—"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"
