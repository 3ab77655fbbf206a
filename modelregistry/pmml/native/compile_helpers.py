"""Small compile-time helpers shared by model cores."""

import numpy as np


def inverse_norm_continuous(node):
    """The inverse of a NormContinuous (norm -> original value), piecewise linear."""
    points = sorted((float(p.get("norm")), float(p.get("orig"))) for p in node.findall("LinearNorm"))
    norms = np.array([p[0] for p in points])
    origs = np.array([p[1] for p in points])

    def inverse(y):
        y = np.asarray(y, dtype=np.float64)
        index = np.clip(np.searchsorted(norms, y, side="left"), 1, len(norms) - 1)
        y0, y1, x0, x1 = norms[index - 1], norms[index], origs[index - 1], origs[index]
        return x0 + (y - y0) * (x1 - x0) / (y1 - y0)

    return inverse
