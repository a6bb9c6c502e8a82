"""Pure search helpers."""

from cheatsheets import search


def test_terms_are_lowercase_distinct_and_longest_first():
    assert search.terms_of("SQS visibility SQS a") == ["visibility", "sqs"]


def test_highlight_escapes_and_marks():
    assert search.highlight("<b>SQS</b> queue", ["sqs"]) == "&lt;b&gt;<mark>SQS</mark>&lt;/b&gt; queue"


def test_snippet_cuts_around_the_first_match():
    text = "word " * 100 + "needle " + "word " * 100
    out = search.snippet(text, ["needle"], radius=20)
    assert out.startswith("…") and out.endswith("…") and "<mark>needle</mark>" in out
    assert len(out) < 80


def test_score_requires_every_term_and_picks_best_section():
    sections = [{"id": "a", "title": "A", "text": "alpha"}, {"id": "b", "title": "B", "text": "alpha beta"}]
    score, best = search.score_sections("Title", [], sections, ["alpha", "beta"])
    assert score > 0 and best["id"] == "b"
    assert search.score_sections("Title", [], sections, ["gamma"]) == (0, None)
