"""Markdown renders to the expected HTML, and nothing unsafe survives sanitising."""

import pytest

from cheatsheets import rendering


def render(source, tips=()):
    return rendering.render_sheet(source, list(tips))


def test_headings_get_anchors_and_a_table_of_contents():
    out = render("## Key numbers\n\ntext\n\n### Detail\n\nmore\n")
    assert '<h2 id="key-numbers">' in out.html
    assert '<h3 id="detail">' in out.html
    assert 'href="#key-numbers"' in out.toc_html and 'href="#detail"' in out.toc_html


def test_tables_render_with_alignment():
    out = render("| Limit | Value |\n|:--|--:|\n| Timeout | 15 min |\n")
    assert "<table>" in out.html
    assert '<td style="text-align:right">15 min</td>' in out.html


def test_fenced_code_is_highlighted():
    out = render("```python\nimport boto3\n```\n")
    assert '<div class="language-python highlight">' in out.html  # the page labels the block from this
    assert '<span class="kn">import</span>' in out.html


def test_callouts_and_collapsible_answers():
    out = render('!!! warning "Watch out"\n    Careful.\n\n??? success "Answer"\n    Amazon SQS.\n')
    assert '<div class="admonition warning">' in out.html
    assert '<p class="admonition-title">Watch out</p>' in out.html
    assert '<details class="success">' in out.html and "<summary>Answer</summary>" in out.html


def test_exam_tips_are_inserted_before_which_service():
    out = render(
        "## At a glance\n\nx\n\n## Which service?\n\nq\n",
        [{"kind": "tip", "text": "Tip **one**"}, {"kind": "watch_out", "text": "Trap"}],
    )
    assert out.html.index('id="exam-tips"') < out.html.index('id="which-service"')
    assert "Tip <strong>one</strong>" in out.html
    assert '<p class="admonition-title">Exam tip</p>' in out.html
    assert '<p class="admonition-title">Watch out</p>' in out.html


def test_exam_tips_are_appended_when_there_is_no_which_service_section():
    out = render("## At a glance\n\nx\n", [{"kind": "tip", "text": "Last"}])
    assert out.html.index('id="at-a-glance"') < out.html.index('id="exam-tips"')


def test_sections_split_at_h2_with_plain_text():
    out = render("Intro.\n\n## One\n\nalpha **beta**\n\n## Two\n\ngamma\n")
    assert out.sections == [
        {"id": "", "title": "", "text": "Intro."},
        {"id": "one", "title": "One", "text": "alpha beta"},
        {"id": "two", "title": "Two", "text": "gamma"},
    ]


@pytest.mark.parametrize("source, forbidden", [
    ("<script>alert(1)</script>", "<script"),
    ("<script>alert(1)</script>", "alert(1)"),
    ("[click](javascript:alert(1))", "javascript:"),
    ("[click](JaVaScRiPt:alert(1))", "alert(1)"),
    ('<a href="javascript:alert(1)">x</a>', "javascript:"),
    ('<img src="x" onerror="alert(1)">', "onerror"),
    ('<p onclick="steal()">hi</p>', "onclick"),
    ('<iframe src="https://evil.example"></iframe>', "<iframe"),
    ('<svg onload="alert(1)"><circle/></svg>', "onload"),
    ("<style>body{display:none}</style>", "<style"),
    ('<form action="https://evil.example"><input name="p"></form>', "<form"),
    ('<a href="data:text/html,<script>alert(1)</script>">x</a>', "data:"),
    ('<div style="background:url(javascript:alert(1))">x</div>', "background"),
    ('<object data="x.swf"></object>', "<object"),
    ("![x](javascript:alert(1))", "javascript:"),
    ('<input type="text" value="phish">', 'type="text"'),
    ("[x](vbscript:msgbox(1))", "vbscript:"),
])
def test_xss_vectors_never_reach_the_html(source, forbidden):
    out = render(f"## Section\n\n{source}\n")
    assert forbidden.lower() not in out.html.lower()


def test_xss_in_exam_tips_is_sanitised_too():
    out = render("## A\n\nx\n", [{"kind": "tip", "text": '<script>alert(1)</script><a href="javascript:x">y</a>'}])
    assert "<script" not in out.html and "javascript:" not in out.html


def test_safe_links_survive_with_noopener():
    out = render("[Lambda quotas](https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html)")
    assert 'href="https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"' in out.html
    assert 'rel="noopener noreferrer"' in out.html
