"""Markdown to safe HTML, in one place.

Cheat sheets (and later quiz stems) are written in Markdown with a few extensions: tables,
fenced code with Pygments highlighting, heading anchors with a table of contents, admonitions
for "Exam tip" / "Watch out" callouts, collapsible details and tabs. The HTML is sanitised
with nh3 against an allow-list, so raw HTML, scripts, event handlers and ``javascript:``
links in the source never reach a page. Pure functions: no ORM, no settings.
"""

import html
import re
from dataclasses import dataclass, field

import markdown
import nh3

# Bump when the HTML a sheet renders to changes (a new class, a new extension option): a sync then
# renders every sheet again, even those whose file did not change.
RENDERER_VERSION = 2

# Front-matter tip kinds -> (admonition type, heading shown on the page).
TIP_KINDS = {"tip": ("tip", "Exam tip"), "watch_out": ("warning", "Watch out")}

EXTENSIONS = [
    "tables",
    "sane_lists",
    "admonition",
    "toc",
    "pymdownx.details",
    "pymdownx.superfences",
    "pymdownx.highlight",
    "pymdownx.tabbed",
]
EXTENSION_CONFIGS = {
    "toc": {"permalink": "#", "permalink_title": "Link to this section", "toc_depth": "2-3"},
    # language-<name> on each code block: the page labels it (and offers a copy button).
    "pymdownx.highlight": {"css_class": "highlight", "guess_lang": False, "use_pygments": True,
                           "pygments_lang_class": True},
    "pymdownx.tabbed": {"alternate_style": True},
}

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "input",
    "kbd", "label", "li", "mark", "ol", "p", "pre", "s", "span", "strong", "sub", "summary",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"class"},
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
    "div": {"id"},
    "details": {"open"},
    "input": {"name", "id", "checked"},
    "label": {"for"},
    "td": {"style"}, "th": {"style"},
    "abbr": {"title"},
}
# Tabs are radio inputs; no other input type may appear.
ATTRIBUTE_VALUES = {"input": {"type": {"radio"}}}
# Tags removed together with everything inside them.
DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "textarea", "noscript", "svg", "math"}

_H2 = re.compile(r'<h2 id="([^"]+)">(.*?)</h2>', re.S)
_HEADERLINK = re.compile(r'<a class="headerlink"[^>]*>.*?</a>', re.S)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_WHICH_SERVICE = re.compile(r"^## Which service\?", re.M)


@dataclass
class Rendered:
    html: str
    toc_html: str
    text: str
    sections: list[dict] = field(default_factory=list)
    dropped: str = ""  # visible text the sanitiser removed (an unclosed <math>, a <script>...), if any


def sanitize(fragment: str) -> str:
    """Reduce an HTML fragment to the allow-list: the one gate every rendered page passes."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROP_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        tag_attribute_values=ATTRIBUTE_VALUES,
        url_schemes={"http", "https", "mailto"},
        filter_style_properties={"text-align"},
        link_rel="noopener noreferrer",
    )


def plain_text(fragment: str) -> str:
    """Visible text of a sanitised fragment, whitespace collapsed."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", _HEADERLINK.sub("", fragment)))).strip()


def render_markdown(source: str) -> Rendered:
    """Render Markdown to sanitised HTML plus its table of contents and h2 sections."""
    md = markdown.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS, output_format="html")
    raw = md.convert(source)
    body = sanitize(raw)
    toc = sanitize(md.toc) if md.toc_tokens else ""
    text = plain_text(body)
    return Rendered(html=body, toc_html=toc, text=text, sections=split_sections(body), dropped=dropped_text(raw, text))


_WORD = re.compile(r"\w+")


def dropped_text(raw_html: str, kept_text: str) -> str:
    """The visible text of ``raw_html`` that did not survive sanitising, from the first word lost
    (up to 80 characters); "" when nothing was. A tag the sanitiser removes with its content, or
    one left open (``<math>`` without ``</math>`` swallows the rest of the page), shows here."""
    raw_text = plain_text(raw_html)
    kept = _WORD.findall(kept_text)
    position = 0
    for match in _WORD.finditer(raw_text):
        if position < len(kept) and kept[position] == match.group():
            position += 1
            continue
        return raw_text[match.start():match.start() + 80]
    return ""


def render_inline(source: str) -> str:
    """Render a one-line Markdown fragment (an option text) without the wrapping paragraph."""
    body = sanitize(markdown.markdown(source, output_format="html"))
    if body.startswith("<p>") and body.endswith("</p>") and body.count("<p>") == 1:
        body = body[3:-4]
    return body


def split_sections(body: str) -> list[dict]:
    """Cut sanitised HTML at each h2: [{id, title, text}], with an intro section if any."""
    sections = []
    matches = list(_H2.finditer(body))
    intro = plain_text(body[: matches[0].start()] if matches else body)
    if intro:
        sections.append({"id": "", "title": "", "text": intro})
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(body)
        sections.append({
            "id": match.group(1),
            "title": plain_text(match.group(2)),
            "text": plain_text(body[match.end():end]),
        })
    return sections


def exam_tips_markdown(tips: list[dict]) -> str:
    """The "Exam tips" section as Markdown callouts, from front-matter tips."""
    if not tips:
        return ""
    blocks = ["## Exam tips", ""]
    for tip in tips:
        admonition, heading = TIP_KINDS[tip["kind"]]
        indented = "\n".join(f"    {line}" if line.strip() else "" for line in str(tip["text"]).splitlines())
        blocks += [f'!!! {admonition} "{heading}"', indented, ""]
    return "\n".join(blocks)


def compose_sheet(body: str, tips: list[dict]) -> str:
    """Put the exam tips section before "Which service?" (or at the end when there is none)."""
    tips_md = exam_tips_markdown(tips)
    if not tips_md:
        return body
    match = _WHICH_SERVICE.search(body)
    if match:
        return f"{body[: match.start()]}{tips_md}\n\n{body[match.start():]}"
    return f"{body.rstrip()}\n\n{tips_md}\n"


def render_sheet(body: str, tips: list[dict]) -> Rendered:
    return render_markdown(compose_sheet(body, tips))
