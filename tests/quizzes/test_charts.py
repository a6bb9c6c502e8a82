"""Server-rendered charts (pure functions)."""

import re

from quizzes import charts


def test_one_exam_is_a_labelled_point_on_an_axis():
    """Issue 14: with one exam the dashboard chart was a dot with no axis or value."""
    svg = charts.sparkline([640])
    assert ">640</text>" in svg
    assert [t for t in re.findall(r'class="chart-tick"[^>]*>(\d+)<', svg)] == ["100", "720", "1000"]
    assert "polyline" not in svg  # no line through a single point


def test_several_exams_draw_a_line_with_every_value():
    svg = charts.sparkline([512, 705, 812])
    assert "polyline" in svg and all(f">{v}</text>" in svg for v in (512, 705, 812))


def test_domain_bars_label_every_domain_and_escape_it():
    svg = charts.domain_bars([{"domain": "Security <&>", "percent": 50, "correct": 1, "total": 2},
                              {"domain": "Deployment", "percent": None, "correct": 0, "total": 0}], pass_percent=70)
    assert "Security &lt;&amp;&gt;" in svg and ">50%<" in svg and ">—<" in svg and "pass line 70%" in svg
    assert 'viewBox="0 0 360 ' in svg  # narrow drawing: its text stays readable when scaled down
