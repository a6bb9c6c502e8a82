"""Server-rendered SVG charts. Pure functions; every label is escaped."""

from html import escape


def domain_bars(rows: list[dict], *, pass_percent: int | None = None, width: int = 360) -> str:
    """Horizontal bars, one per domain: rows are {"domain", "percent", "correct", "total"}.

    Each domain's name and value sit on their own line above its bar, and the drawing is only
    360 units wide, so its 15-unit text stays readable (about 14 px) when the chart shrinks to a
    phone's width or to one column of the results grid (issue 14: it was 7 px on phones)."""
    text_h, bar_h, gap, top = 18, 16, 16, 4
    row_h = text_h + bar_h + gap
    height = top + len(rows) * row_h + (22 if pass_percent is not None else 0)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title chart-desc" '
        f'xmlns="http://www.w3.org/2000/svg">',
        '<title id="chart-title">Score by domain</title>',
        '<desc id="chart-desc">' + escape("; ".join(
            f"{r['domain']}: {r['percent'] if r['percent'] is not None else 'no questions'}%" for r in rows)) + "</desc>",
    ]
    for index, row in enumerate(rows):
        y = top + index * row_h
        percent = row["percent"] or 0
        tone = "good" if pass_percent is None or percent >= pass_percent else "weak"
        value = "—" if row["percent"] is None else f"{row['percent']}%"
        parts.append(f'<text class="chart-label" x="0" y="{y + 14}">{escape(row["domain"])}</text>')
        parts.append(f'<text class="chart-value" x="{width}" y="{y + 14}" text-anchor="end">{value}</text>')
        parts.append(f'<rect class="chart-track" x="0" y="{y + text_h}" width="{width}" height="{bar_h}" rx="4"/>')
        if percent:
            parts.append(f'<rect class="chart-bar {tone}" x="0" y="{y + text_h}" width="{width * percent / 100:.1f}" '
                         f'height="{bar_h}" rx="4"/>')
    if pass_percent is not None:
        x = width * pass_percent / 100
        bottom = top + len(rows) * row_h - gap + 4
        parts.append(f'<line class="chart-cut" x1="{x:.1f}" x2="{x:.1f}" y1="{top + text_h - 4}" y2="{bottom}"/>')
        parts.append(f'<text class="chart-cut-label" x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">'
                     f"pass line {pass_percent}%</text>")
    parts.append("</svg>")
    return "".join(parts)


def sparkline(values: list[int], *, low: int = 100, high: int = 1000, mark: int | None = 720,
              width: int = 300, height: int = 120) -> str:
    """Scaled scores over time: a line with a labelled axis (100, the pass mark, 1000) and each
    score written by its point, so one exam is a labelled point on an axis, not a lone dot."""
    if not values:
        return ""
    left, right, pad = 44, 12, 14
    span = high - low

    def point(i, v):
        inner = 16  # keeps the first and last points (and their labels) clear of the axis labels
        x = left + inner + (width - left - right - 2 * inner) * (i / (len(values) - 1) if len(values) > 1 else 0.5)
        y = pad + (height - 2 * pad) * (1 - (v - low) / span)
        return x, y

    points = [point(i, v) for i, v in enumerate(values)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    parts = [
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" role="img" xmlns="http://www.w3.org/2000/svg" '
        f'aria-label="{escape("Scaled scores over time: " + ", ".join(map(str, values)))}">'
    ]
    for tick in (low, mark, high):
        if tick is None:
            continue
        _, y = point(0, tick)
        css = "chart-cut" if tick == mark else "chart-grid"
        parts.append(f'<line class="{css}" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="chart-tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    if len(values) > 1:
        parts.append(f'<polyline class="spark-line" points="{path}" fill="none"/>')
    for (x, y), value in zip(points, values):
        parts.append(f'<circle class="spark-dot" cx="{x:.1f}" cy="{y:.1f}" r="4"/>')
        above = y - 8 if y > pad + 12 else y + 16
        parts.append(f'<text class="chart-point" x="{x:.1f}" y="{above:.1f}" text-anchor="middle">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)
