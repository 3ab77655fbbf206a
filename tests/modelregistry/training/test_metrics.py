import numpy as np
from scipy.stats import ks_2samp
from sklearn.metrics import roc_auc_score

from modelregistry.training import metrics


def test_ks_agrees_with_scipys_two_sample_statistic_and_gini_with_auc():
    rng = np.random.RandomState(0)
    is_bad = rng.binomial(1, 0.2, 2000)
    probability = np.clip(0.2 + 0.1 * is_bad + rng.normal(0, 0.1, 2000), 0, 1).round(3)  # ties too
    summary = metrics.summary(is_bad, probability)
    assert abs(summary["ks"] - ks_2samp(probability[is_bad == 1], probability[is_bad == 0]).statistic) < 1e-12
    assert abs(summary["auc"] - roc_auc_score(is_bad, probability)) < 1e-12
    assert abs(summary["gini"] - (2 * summary["auc"] - 1)) < 1e-12
    assert abs(summary["brier"] - np.mean((probability - is_bad) ** 2)) < 1e-12


def test_the_calibration_table_groups_by_predicted_probability():
    probability = np.linspace(0.01, 0.5, 100)
    is_bad = (np.arange(100) % 4 == 0).astype(int)
    table = metrics.calibration_table(is_bad, probability, groups=10)
    assert [row["count"] for row in table] == [10] * 10
    assert all(a["maxProbability"] <= b["minProbability"] for a, b in zip(table, table[1:]))
    assert abs(table[0]["meanPredicted"] - probability[:10].mean()) < 1e-12
    assert table[0]["observedBadRate"] == is_bad[:10].mean()
