"""The path from a question to the lab step that builds what it asks about, for the quiz templates
(composed in the shell, like the rest of courseware.paths: the apps do not import each other)."""

from functools import lru_cache

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from courseware import paths
from quizzes.templatetags.quiz_tags import doc_label, question_options, sheet_label, sheet_url, verdict

register = template.Library()
VERDICT_LABELS = {"unanswered": "Unanswered", "right": "Correct", "partial": "Partly right", "wrong": "Incorrect"}


def _links(label: str, anchor: str, rows) -> str:
    """`<p><strong>label:</strong> <a ...>...</a> · <a ...>...</a></p>`, or nothing without rows."""
    links = format_html_join(" · ", anchor, rows)
    return format_html("<p><strong>{}:</strong> {}</p>", label, links) if links else ""


@register.simple_tag
def question_explanation(question):
    """Why a question's answer is right, and where to study it, build it in a lab and read it in
    the AWS docs. Built here rather than in an included template (a results page shows 65), and
    remembered by its inputs: the same for every learner, new as soon as an instructor edits one."""
    return _explanation(question.explanation_html, tuple(question.sheet_links), tuple(question.services or ()),
                        tuple(question.references))


@lru_cache(maxsize=2048)
def _explanation(explanation_html: str, sheet_links: tuple, services: tuple, references: tuple) -> str:
    study = _links("Study", '<a href="{}">{}</a>', ((sheet_url(link), sheet_label(link)) for link in sheet_links))
    build = _links("Build it", '<a href="{}#step-{}">{}, step {}: {}</a>', (
        (reverse("labs:detail", args=[link.lab.slug]), link.step.slug, link.lab.title, link.number, link.step.title)
        for link in paths.lab_steps_for_services(services)))
    docs = _links("AWS docs", '<a href="{}" rel="noopener noreferrer">{}</a>', ((url, doc_label(url)) for url in references))
    return format_html(
        '<section class="explanation" aria-label="Explanation">\n  <h3>Why</h3>\n  <div class="prose">{}</div>\n'
        '  <div class="study-links">{}{}{}</div>\n</section>',
        mark_safe(explanation_html), study, build, docs)  # noqa: S308 - sanitised when the question is saved


@register.simple_tag
def reviewed_question(item):
    """One question of a submitted attempt on its results page: the verdict, the stem, the options
    marked right and wrong, and (folded) every option's explanation and the question's. Built here
    rather than in the template's loop: a results page shows 65 and the loop was most of its time."""
    answer, number = item.answer, item.answer.position + 1
    outcome = verdict(answer)
    explained = format_html_join("", "<dt>{}{}</dt><dd>{}</dd>", (
        (option.letter, mark_safe(' <span class="muted">(correct)</span>') if option.is_correct else "",
         mark_safe(option.explanation_html)) for option in item.options))  # noqa: S308 - sanitised when saved
    return format_html(
        '<article class="card question-card reviewed-question" id="q{}">\n'
        '  <div class="question-head"><h3>Question {}</h3><span class="verdict {}">{}{}</span></div>\n'
        '  <div class="prose stem">{}</div>\n  {}\n'
        '  <details class="explain"><summary>Why: every option explained</summary>\n'
        '    <dl class="option-explanations">{}</dl>\n    {}\n  </details>\n</article>',
        number, number, outcome, VERDICT_LABELS[outcome], " · ⚑ flagged" if answer.flagged else "",
        mark_safe(item.question.stem_html),  # noqa: S308 - sanitised when saved
        question_options(item, number, revealed=True, disabled=True, collapse_explanations=True),
        explained, question_explanation(item.question))
