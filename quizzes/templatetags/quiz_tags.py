from urllib.parse import urlparse

from django import template
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

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


@register.filter
def verdict(answer) -> str:
    """How an answer scored, as the pages' verdict class: unanswered, right, partial or wrong."""
    if not answer.is_answered:
        return "unanswered"
    credit = answer.credit or 0
    return "right" if credit >= 1 else "partial" if credit > 0 else "wrong"


@register.simple_tag
def question_options(item, number, revealed=False, disabled=False, collapse_explanations=False):
    """One question's options as inputs, in the learner's order. Unless ``revealed``, nothing in it
    says which option is right. Built here rather than in an included template: an exam page and a
    results page draw 65 questions of them, and the include was most of their render time."""
    kind = "checkbox" if item.question.qtype == "multiple" else "radio"
    parts = [f'<fieldset class="options"{" disabled" if disabled else ""}>'
             f'<legend class="sr-only">Options for question {conditional_escape(number)}</legend>']
    for option in item.options:
        css = "option"
        if revealed and option.is_correct:
            css += " is-correct"
        elif revealed and option.selected:
            css += " is-wrong"
        parts.append(f'<label class="{css}"><input type="{kind}" name="option" value="{int(option.id)}"'
                     f'{" checked" if option.selected else ""}>'
                     f'<span class="option-letter" aria-hidden="true">{conditional_escape(option.letter)}</span>'
                     f'<span class="option-text">{option.text_html}</span>')
        if revealed:
            verdict = ("Your answer · correct" if option.is_correct and option.selected else
                       "Correct answer" if option.is_correct else "Your answer" if option.selected else "")
            parts.append(f'<span class="option-verdict">{verdict}</span>')
        parts.append("</label>")
        if revealed and not collapse_explanations:
            parts.append(f'<div class="option-explanation">{option.explanation_html}</div>')
    parts.append("</fieldset>")
    return mark_safe("".join(parts))  # noqa: S308 - the option texts are the sanitised HTML the templates marked safe
