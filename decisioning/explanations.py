"""Explanations as people read them: dictionary labels, and server-side SVG bar charts (no CDN).

An explanation (modelregistry/pmml/native/explain.py, stored on each InsightTransaction with its
fields in dictionary names) is additive: base value + contributions = output. The charts draw the
largest contributions as horizontal bars from zero, positive and negative in different colours, and
every page that shows one also shows the same numbers as a table.
"""

from django.utils.html import escape
from django.utils.safestring import mark_safe

from modelregistry import display

POSITIVE, NEGATIVE = "#1d4f91", "#b42318"
SCALES = {
    "points": "points",
    "logOdds": "log-odds",
    "probability": "probability",
    "raw": "model output",
}
TOP = 10


def scale_text(explanation):
    scale = SCALES.get(explanation.get("scale"), explanation.get("scale") or "")
    category = explanation.get("category")
    return f"{scale} of {category}" if category is not None and explanation.get("scale") != "points" else scale


def _label(row, fields):
    names = row.get("fields") or []
    if len(names) == 1:
        return display.label_of(fields.get(names[0]), names[0])
    if names:
        return " & ".join(display.label_of(fields.get(name), name) for name in names)
    return row.get("name", "")


def labelled(explanation, *, values=None, top=TOP, dictionary=None):
    """The explanation with each contribution labelled from the dictionary (one query, unless
    `dictionary` is given) and, with `values` (the application), the value it was computed from."""
    if not explanation:
        return None
    contributions = explanation.get("contributions") or []
    fields = (
        dictionary
        if dictionary is not None
        else display.dictionary_of({name for row in contributions for name in row.get("fields", [])})
    )
    rows = []
    for row in contributions:
        names = row.get("fields") or []
        value_text = ""
        if values is not None and len(names) == 1 and names[0] in values:
            value_text = display.format_value(fields.get(names[0]), values[names[0]])
        rows.append({**row, "label": _label(row, fields), "value_text": value_text})
    shown = rows[:top]
    return {
        **explanation,
        "rows": rows,
        "shown": shown,
        "hidden_count": len(rows) - len(shown),
        "hidden_total": sum(row["value"] for row in rows[top:]),
        "scale_text": scale_text(explanation),
    }


def _number(value, scale):
    if scale == "points":
        return f"{value:+.1f}"
    return f"{value:+.4f}" if abs(value) < 1 else f"{value:+.3f}"


def contribution_chart_svg(explained, *, title="Contributions", legend=True):
    """Horizontal bars of `explained["shown"]` (labelled()'s result) around a zero line; text escaped."""
    rows = explained["shown"]
    if not rows:
        return mark_safe('<p class="muted">No contributions to chart.</p>')
    scale = explained.get("scale")
    width, label_width, value_width, bar_height, gap, top = 760, 250, 80, 22, 6, 30
    plot_left, plot_right = label_width, width - value_width
    peak = max(abs(row["value"]) for row in rows) or 1.0
    has_negative = any(row["value"] < 0 for row in rows)
    has_positive = any(row["value"] > 0 for row in rows)
    if has_negative and has_positive:
        zero = (plot_left + plot_right) / 2
        half = (plot_right - plot_left) / 2
    elif has_negative:
        zero, half = plot_right, plot_right - plot_left
    else:
        zero, half = plot_left, plot_right - plot_left
    height = top + len(rows) * (bar_height + gap) + 34
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart contribution-chart" role="img" '
        f'aria-labelledby="chart-title" viewBox="0 0 {width} {height}" width="100%" '
        f'style="max-width:{width}px">',
        f'<title id="chart-title">{escape(title)} ({escape(explained["scale_text"])}); the table below lists the same '
        f"numbers</title>",
    ]
    if legend:
        parts.append(
            f'<text x="{plot_left}" y="16" font-size="12" fill="#52606d">base value '
            f"{escape(_number(explained['baseValue'], scale).lstrip('+'))} → output "
            f"{escape(_number(explained['output'], scale).lstrip('+'))} ({escape(explained['scale_text'])})</text>"
        )
    for index, row in enumerate(rows):
        y = top + index * (bar_height + gap)
        length = half * abs(row["value"]) / peak
        x = zero if row["value"] >= 0 else zero - length
        colour = POSITIVE if row["value"] >= 0 else NEGATIVE
        label = row["label"] if len(row["label"]) <= 38 else row["label"][:37] + "…"
        detail = f"{row['label']}: {_number(row['value'], scale)}"
        if row.get("value_text"):
            detail += f" (value {row['value_text']})"
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar_height * 0.7:.1f}" font-size="12" text-anchor="end" '
            f'fill="#1f2933">{escape(label)}</text>'
            f'<rect class="bar {"positive" if row["value"] >= 0 else "negative"}" x="{x:.1f}" y="{y}" '
            f'width="{max(length, 1):.1f}" height="{bar_height}" fill="{colour}"><title>{escape(detail)}</title></rect>'
            f'<text x="{width - 4}" y="{y + bar_height * 0.7:.1f}" font-size="12" text-anchor="end" '
            f'fill="{colour}">{escape(_number(row["value"], scale))}</text>'
        )
    bottom = top + len(rows) * (bar_height + gap)
    parts.append(
        f'<line x1="{zero:.1f}" y1="{top - 4}" x2="{zero:.1f}" y2="{bottom}" stroke="#52606d" stroke-width="1"/>'
    )
    legend_y = bottom + 18
    if legend:
        parts.append(
            f'<rect x="{plot_left}" y="{legend_y - 10}" width="12" height="12" fill="{POSITIVE}"/>'
            f'<text x="{plot_left + 16}" y="{legend_y}" font-size="12">raises the {escape(explained["scale_text"])}</text>'
            f'<rect x="{plot_left + 300}" y="{legend_y - 10}" width="12" height="12" fill="{NEGATIVE}"/>'
            f'<text x="{plot_left + 316}" y="{legend_y}" font-size="12">lowers it</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def importance_chart_svg(rows, *, title="Global importance"):
    """Bars of mean |contribution| per field: rows [{"label", "value"}], largest first."""
    if not rows:
        return mark_safe('<p class="muted">No explained evaluations yet.</p>')
    explained = {
        "shown": [{**row, "value_text": ""} for row in rows],
        "scale": rows[0].get("scale"),
        "scale_text": "mean |contribution|",
        "baseValue": 0.0,
        "output": 0.0,
    }
    return contribution_chart_svg(explained, title=title, legend=False)
