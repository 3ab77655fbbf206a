"""Discrimination and calibration metrics for a probability of 'bad'."""

import numpy as np
from sklearn.metrics import brier_score_loss, roc_auc_score


def ks_statistic(is_bad, probability) -> float:
    """Kolmogorov-Smirnov: the largest gap between the cumulative shares of bads and goods."""
    is_bad = np.asarray(is_bad, dtype=int)
    probability = np.asarray(probability, dtype=float)
    thresholds = np.unique(probability)
    bad_cdf = np.searchsorted(np.sort(probability[is_bad == 1]), thresholds, side="right") / max(is_bad.sum(), 1)
    good_cdf = np.searchsorted(np.sort(probability[is_bad == 0]), thresholds, side="right") / max((1 - is_bad).sum(), 1)
    return float(np.max(np.abs(bad_cdf - good_cdf)))


def calibration_table(is_bad, probability, *, groups=10) -> list:
    """Rows of equal-count groups by predicted probability: predicted mean against observed bad rate."""
    is_bad = np.asarray(is_bad, dtype=int)
    probability = np.asarray(probability, dtype=float)
    order = np.argsort(probability, kind="stable")
    rows = []
    for number, part in enumerate(np.array_split(order, groups), start=1):
        if len(part) == 0:
            continue
        rows.append(
            {
                "group": number,
                "count": int(len(part)),
                "minProbability": float(probability[part].min()),
                "maxProbability": float(probability[part].max()),
                "meanPredicted": float(probability[part].mean()),
                "observedBadRate": float(is_bad[part].mean()),
            }
        )
    return rows


def summary(is_bad, probability) -> dict:
    auc = float(roc_auc_score(is_bad, probability))
    return {
        "auc": auc,
        "gini": 2 * auc - 1,
        "ks": ks_statistic(is_bad, probability),
        "brier": float(brier_score_loss(is_bad, probability)),
        "count": int(len(is_bad)),
        "badRate": float(np.mean(is_bad)),
    }
