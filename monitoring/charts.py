"""Small server-side SVG charts (no script, no CDN). Each is an <svg role="img"> with a title; pages
put the same numbers in a table beside it for screen readers and for copying.

Every text that comes from data goes through `escape`; the result is marked safe only here.
"""

import math

from django.utils.html import escape
from django.utils.safestring import mark_safe

FONT = 'font-family="system-ui, sans-serif" font-size="11"'
GRID = "#d9e2ec"
MUTED = "#616e7c"
OUTCOME_COLOURS = {"APPROVED": "#067647", "DECLINED": "#b42318", "REFERRED": "#b54708"}
SERIES_COLOURS = ("#1d4f91", "#b54708", "#067647", "#b42318", "#6941c6")


def _open(width, height, label):
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'style="max-width:{width}px" role="img" aria-label="{escape(label)}" {FONT}>',
        f"<title>{escape(label)}</title>",
    ]


def _number(value):
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _y_axis(parts, *, left, top, plot_height, right, maximum, ticks=4, percent=False):
    for step in range(ticks + 1):
        value = maximum * step / ticks
        y = top + plot_height - plot_height * step / ticks
        text = f"{value:.0%}" if percent else _number(value)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">{text}</text>'
        )


def _x_labels(parts, labels, *, x_of, y, every):
    last = len(labels) - 1
    for index, label in enumerate(labels):
        if index == last or (index % every == 0 and last - index >= every):
            # The last label ends at its point, so it is never cut off at the right edge.
            anchor = "end" if index == last and index else "middle"
            parts.append(
                f'<text x="{x_of(index):.1f}" y="{y}" text-anchor="{anchor}" fill="{MUTED}">{escape(label)}</text>'
            )


def _legend(parts, entries, *, x, y):
    for name, colour in entries:
        parts.append(
            f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{y}">{escape(name)}</text>'
        )
        x += 24 + 7 * len(name)


def stacked_bars(*, labels, series, label, width=760, height=240):
    """Bars per label stacked by series: [(name, colour, [value per label])]."""
    left, top, right, bottom = 48, 24, width - 12, height - 28
    plot_height = bottom - top
    totals = [sum(values[index] for _, _, values in series) for index in range(len(labels))]
    maximum = max([1, *totals])
    parts = _open(width, height, label)
    _y_axis(parts, left=left, top=top, plot_height=plot_height, right=right, maximum=maximum)
    slot = (right - left) / max(1, len(labels))
    bar = max(1.0, slot * 0.75)
    for index, name in enumerate(labels):
        y = bottom
        for series_name, colour, values in series:
            value = values[index]
            if not value:
                continue
            height_of = plot_height * value / maximum
            y -= height_of
            parts.append(
                f'<rect x="{left + index * slot + (slot - bar) / 2:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                f'height="{height_of:.1f}" fill="{colour}"><title>{escape(name)} {escape(series_name)}: '
                f"{_number(value)}</title></rect>"
            )
    _x_labels(parts, labels, x_of=lambda i: left + i * slot + slot / 2, y=height - 10, every=max(1, len(labels) // 8))
    _legend(parts, [(name, colour) for name, colour, _ in series], x=left, y=14)
    parts.append("</svg>")
    return mark_safe("".join(parts))


def lines(*, labels, series, label, width=760, height=240, percent=True, maximum=None):
    """Lines over labels: [(name, colour, [value or None per label])]; a None leaves a gap."""
    left, top, right, bottom = 48, 24, width - 12, height - 28
    plot_height = bottom - top
    values = [value for _, _, points in series for value in points if value is not None]
    maximum = maximum or max([1.0 if percent else 1, *values])
    parts = _open(width, height, label)
    _y_axis(parts, left=left, top=top, plot_height=plot_height, right=right, maximum=maximum, percent=percent)
    step = (right - left) / max(1, len(labels) - 1) if len(labels) > 1 else 0
    x_of = (lambda i: left + i * step) if len(labels) > 1 else (lambda i: (left + right) / 2)
    for name, colour, points in series:
        path, pen_down = [], False
        for index, value in enumerate(points):
            if value is None:
                pen_down = False
                continue
            y = bottom - plot_height * value / maximum
            path.append(f"{'L' if pen_down else 'M'}{x_of(index):.1f},{y:.1f}")
            pen_down = True
            text = f"{value:.1%}" if percent else f"{value:.3f}"
            parts.append(
                f'<circle cx="{x_of(index):.1f}" cy="{y:.1f}" r="2.5" fill="{colour}">'
                f"<title>{escape(labels[index])} {escape(name)}: {text}</title></circle>"
            )
        if path:
            parts.append(f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="2"/>')
    _x_labels(parts, labels, x_of=x_of, y=height - 10, every=max(1, len(labels) // 8))
    _legend(parts, [(name, colour) for name, colour, _ in series], x=left, y=14)
    parts.append("</svg>")
    return mark_safe("".join(parts))


def horizontal_bars(*, rows, label, width=760, maximum=None, threshold=None, percent=False, label_width=220):
    """One bar per row: [(name, value, colour)]; an optional dashed threshold line (e.g. 0.8)."""
    bar_height, gap, top = 18, 6, 8
    height = top + len(rows) * (bar_height + gap) + 22
    chart_width = width - label_width - 90
    maximum = maximum or max([1e-9, *(value for _, value, _ in rows)])
    parts = _open(width, height, label)
    for position, (name, value, colour) in enumerate(rows):
        y = top + position * (bar_height + gap)
        bar = max(1.0, chart_width * value / maximum)
        text = f"{value:.1%}" if percent else _number(value)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 13}" text-anchor="end">{escape(name)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{bar:.1f}" height="{bar_height}" fill="{colour}">'
            f"<title>{escape(name)}: {text}</title></rect>"
            f'<text x="{label_width + bar + 6:.1f}" y="{y + 13}">{text}</text>'
        )
    if threshold is not None:
        x = label_width + chart_width * threshold / maximum
        parts.append(
            f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 18}" stroke="{MUTED}" stroke-dasharray="4 3"/>'
            f'<text x="{x:.1f}" y="{height - 5}" text-anchor="middle" fill="{MUTED}">'
            f"{f'{threshold:.0%}' if percent else _number(threshold)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def paired_histogram(*, labels, expected, actual, label, names=("Development sample", "Recent decisions")):
    """Two shares per bin side by side: the development sample against recent decisions."""
    width, height = 760, 240
    left, top, right, bottom = 48, 24, width - 12, height - 40
    plot_height = bottom - top
    peak = max([0.01, *expected, *actual])
    # Gridlines at round shares (every 5%, 10% or 25%), the top one just above the tallest bar.
    step = 0.05 if peak <= 0.3 else 0.1 if peak <= 0.6 else 0.25
    maximum = math.ceil(peak / step - 1e-9) * step
    parts = _open(width, height, label)
    _y_axis(
        parts,
        left=left,
        top=top,
        plot_height=plot_height,
        right=right,
        maximum=maximum,
        percent=True,
        ticks=round(maximum / step),
    )
    slot = (right - left) / max(1, len(labels))
    bar = slot * 0.38
    for index, name in enumerate(labels):
        for offset, (series, colour, shares) in enumerate(
            ((names[0], SERIES_COLOURS[0], expected), (names[1], SERIES_COLOURS[1], actual))
        ):
            share = shares[index]
            bar_height = plot_height * share / maximum
            x = left + index * slot + slot * 0.1 + offset * bar
            parts.append(
                f'<rect x="{x:.1f}" y="{bottom - bar_height:.1f}" width="{bar:.1f}" height="{bar_height:.1f}" '
                f'fill="{colour}"><title>{escape(name)} {escape(series)}: {share:.1%}</title></rect>'
            )
        parts.append(
            f'<text x="{left + index * slot + slot / 2:.1f}" y="{bottom + 14}" text-anchor="middle" '
            f'fill="{MUTED}">{escape(name)}</text>'
        )
    parts.append(
        f'<text x="{(left + right) / 2:.0f}" y="{height - 6}" text-anchor="middle" fill="{MUTED}">score</text>'
    )
    _legend(parts, [(names[0], SERIES_COLOURS[0]), (names[1], SERIES_COLOURS[1])], x=left, y=14)
    parts.append("</svg>")
    return mark_safe("".join(parts))
