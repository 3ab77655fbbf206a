"""Server-side SVG charts (no chart library, no CDN): the backtest's score distributions."""

from django.utils.html import escape
from django.utils.safestring import mark_safe

COLOURS = {"baseline": "#7b8794", "candidate": "#1d4f91"}
WIDTH, HEIGHT, MARGIN = 720, 260, 40


def score_histogram_svg(report):
    """Both arms' score histograms on shared bins, side by side in each bin. Numbers are formatted
    here and every text is escaped, so the markup is safe to embed."""
    arms = report.get("arms", {})
    edges = next((arm["scoreHistogram"]["edges"] for arm in arms.values() if arm["scoreHistogram"]["edges"]), [])
    if not edges:
        return mark_safe("<p>No scores to chart.</p>")
    edges = [float(edge) for edge in edges]
    bins = len(edges) - 1
    peak = max(max(arm["scoreHistogram"]["counts"] or [0]) for arm in arms.values()) or 1
    plot_width, plot_height = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN
    slot = plot_width / bins
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}"><title>Score distributions</title>',
        f'<line x1="{MARGIN}" y1="{HEIGHT - MARGIN}" x2="{WIDTH - MARGIN}" y2="{HEIGHT - MARGIN}" stroke="#9aa5b1"/>',
    ]
    names = [name for name in ("baseline", "candidate") if name in arms]
    bar = slot / (len(names) + 0.5)
    for offset, name in enumerate(names):
        for index, count in enumerate(arms[name]["scoreHistogram"]["counts"]):
            count = int(count)
            height = plot_height * count / peak
            x = MARGIN + index * slot + offset * bar + bar / 4
            parts.append(
                f'<rect x="{x:.1f}" y="{HEIGHT - MARGIN - height:.1f}" width="{bar:.1f}" height="{height:.1f}" '
                f'fill="{COLOURS[name]}"><title>{name}: {count} in [{edges[index]:.0f}, {edges[index + 1]:.0f})'
                f"</title></rect>"
            )
    for index in range(0, bins + 1, max(1, bins // 6)):
        parts.append(
            f'<text x="{MARGIN + index * slot:.1f}" y="{HEIGHT - MARGIN + 16}" font-size="11" '
            f'text-anchor="middle" fill="#52606d">{edges[index]:.0f}</text>'
        )
    parts.append(f'<text x="{MARGIN}" y="{MARGIN - 8}" font-size="11" fill="#52606d">peak {int(peak)}</text>')
    for offset, name in enumerate(names):
        x = MARGIN + offset * 330
        parts.append(
            f'<rect x="{x}" y="{HEIGHT - 14}" width="12" height="12" fill="{COLOURS[name]}"/>'
            f'<text x="{x + 16}" y="{HEIGHT - 4}" font-size="12">{escape(name)}: {escape(arms[name]["label"])}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))
