"""Server-rendered SVG charts. Pure functions; every label is escaped."""

from html import escape


def domain_bars(rows: list[dict], *, pass_percent: int | None = None, width: int = 760) -> str:
    """Horizontal bars, one per domain: rows are {"domain", "percent", "correct", "total"}."""
    label_w, bar_h, gap, top = 330, 22, 14, 8
    bar_w = width - label_w - 70
    height = top + len(rows) * (bar_h + gap) + 24
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title chart-desc" '
        f'xmlns="http://www.w3.org/2000/svg">',
        '<title id="chart-title">Score by domain</title>',
        '<desc id="chart-desc">' + escape("; ".join(
            f"{r['domain']}: {r['percent'] if r['percent'] is not None else 'no questions'}%" for r in rows)) + "</desc>",
    ]
    for index, row in enumerate(rows):
        y = top + index * (bar_h + gap)
        percent = row["percent"] or 0
        tone = "good" if pass_percent is None or percent >= pass_percent else "weak"
        parts.append(f'<text class="chart-label" x="{label_w - 10}" y="{y + bar_h * 0.72:.1f}" text-anchor="end">'
                     f"{escape(row['domain'])}</text>")
        parts.append(f'<rect class="chart-track" x="{label_w}" y="{y}" width="{bar_w}" height="{bar_h}" rx="5"/>')
        if percent:
            parts.append(f'<rect class="chart-bar {tone}" x="{label_w}" y="{y}" width="{bar_w * percent / 100:.1f}" '
                         f'height="{bar_h}" rx="5"/>')
        value = "—" if row["percent"] is None else f"{row['percent']}%"
        parts.append(f'<text class="chart-value" x="{label_w + bar_w + 8}" y="{y + bar_h * 0.72:.1f}">{value}</text>')
    if pass_percent is not None:
        x = label_w + bar_w * pass_percent / 100
        bottom = top + len(rows) * (bar_h + gap) - gap + 6
        parts.append(f'<line class="chart-cut" x1="{x:.1f}" x2="{x:.1f}" y1="{top - 4}" y2="{bottom}"/>')
        parts.append(f'<text class="chart-cut-label" x="{x:.1f}" y="{bottom + 14}" text-anchor="middle">'
                     f"pass line {pass_percent}%</text>")
    parts.append("</svg>")
    return "".join(parts)


def sparkline(values: list[int], *, low: int = 100, high: int = 1000, mark: int | None = 720,
              width: int = 280, height: int = 70) -> str:
    """Scaled scores over time as a small line chart."""
    if not values:
        return ""
    pad = 6
    span = high - low

    def point(i, v):
        x = pad + (width - 2 * pad) * (i / (len(values) - 1) if len(values) > 1 else 0.5)
        y = pad + (height - 2 * pad) * (1 - (v - low) / span)
        return x, y

    points = [point(i, v) for i, v in enumerate(values)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    parts = [
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" role="img" xmlns="http://www.w3.org/2000/svg" '
        f'aria-label="{escape("Scaled scores over time: " + ", ".join(map(str, values)))}">'
    ]
    if mark is not None:
        _, y = point(0, mark)
        parts.append(f'<line class="chart-cut" x1="{pad}" x2="{width - pad}" y1="{y:.1f}" y2="{y:.1f}"/>')
    parts.append(f'<polyline class="spark-line" points="{path}" fill="none"/>')
    parts += [f'<circle class="spark-dot" cx="{x:.1f}" cy="{y:.1f}" r="3"/>' for x, y in points]
    parts.append("</svg>")
    return "".join(parts)
