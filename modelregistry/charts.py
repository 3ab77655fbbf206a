"""Server-side SVG charts for the model card (no chart library, no CDN)."""

from django.utils.safestring import mark_safe

SIZE, MARGIN = 320, 44


def calibration_svg(rows, *, title="Calibration: predicted against observed bad rate"):
    """Each calibration group as a point (mean predicted, observed bad rate) beside the diagonal of
    perfect calibration. Only numbers go into the markup, formatted here, so it is safe to embed."""
    if not rows:
        return mark_safe("<p>No calibration to chart.</p>")
    top = max(max(float(row["meanPredicted"]), float(row["observedBadRate"])) for row in rows) * 1.1 or 1.0
    plot = SIZE - 2 * MARGIN

    def x(value):
        return MARGIN + plot * float(value) / top

    def y(value):
        return SIZE - MARGIN - plot * float(value) / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{title}" '
        f'viewBox="0 0 {SIZE} {SIZE}" width="{SIZE}" height="{SIZE}" font-family="sans-serif" font-size="11">'
        f"<title>{title}</title>",
        f'<line x1="{MARGIN}" y1="{SIZE - MARGIN}" x2="{SIZE - MARGIN}" y2="{SIZE - MARGIN}" stroke="#9aa5b1"/>',
        f'<line x1="{MARGIN}" y1="{MARGIN}" x2="{MARGIN}" y2="{SIZE - MARGIN}" stroke="#9aa5b1"/>',
        f'<line x1="{x(0):.1f}" y1="{y(0):.1f}" x2="{x(top):.1f}" y2="{y(top):.1f}" stroke="#cbd2d9" '
        f'stroke-dasharray="4 3"/>',
    ]
    for fraction in (0, 0.5, 1):
        value = top * fraction
        parts.append(
            f'<text x="{x(value):.1f}" y="{SIZE - MARGIN + 14}" text-anchor="middle" fill="#52606d">{value:.2f}</text>'
            f'<text x="{MARGIN - 6}" y="{y(value) + 4:.1f}" text-anchor="end" fill="#52606d">{value:.2f}</text>'
        )
    points = " ".join(f"{x(row['meanPredicted']):.1f},{y(row['observedBadRate']):.1f}" for row in rows)
    parts.append(f'<polyline points="{points}" fill="none" stroke="#1d4f91" stroke-width="1.5"/>')
    for row in rows:
        parts.append(
            f'<circle cx="{x(row["meanPredicted"]):.1f}" cy="{y(row["observedBadRate"]):.1f}" r="4" fill="#1d4f91">'
            f"<title>group {int(row['group'])}: predicted {float(row['meanPredicted']):.3f}, observed "
            f"{float(row['observedBadRate']):.3f} ({int(row['count'])} rows)</title></circle>"
        )
    parts.append(
        f'<text x="{SIZE / 2}" y="{SIZE - 6}" text-anchor="middle" fill="#52606d">mean predicted probability</text>'
        f'<text x="12" y="{SIZE / 2}" text-anchor="middle" fill="#52606d" '
        f'transform="rotate(-90 12 {SIZE / 2})">observed bad rate</text></svg>'
    )
    return mark_safe("".join(parts))
