from django import template

register = template.Library()

BAND_COLOURS = {"stable": "#067647", "watch": "#b54708", "shift": "#b42318"}


@register.filter
def percent(value, digits=1):
    """0.1234 -> "12.3%"; None -> "—"."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.{int(digits)}f}%"


@register.filter
def band_colour(band):
    return BAND_COLOURS.get(band, "#616e7c")
