from ..models import DEFAULT_GRADES, DEFAULT_PD_BOUNDS, GradeBand


def grade_bands(*, partner) -> list[tuple[str, float | None]]:
    """(grade, PD upper bound) best first; A–G over PD unless the partner defined its own bands."""
    bands = list(GradeBand.objects.filter(partner=partner).values_list("grade", "max_probability_of_default"))
    if not bands:
        return list(zip(DEFAULT_GRADES, DEFAULT_PD_BOUNDS + (None,)))
    return sorted(bands, key=lambda band: (band[1] is None, band[1] or 0))


def grade_for(bands, probability_of_default):
    if probability_of_default is None:
        return ""
    for grade, bound in bands:
        if bound is None or probability_of_default < bound:
            return grade
    return bands[-1][0]
