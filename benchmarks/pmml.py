"""PMML benchmark: native engine vs pypmml vs JPMML (jpmml_evaluator), in one run.

    python benchmarks/pmml.py [--quick]

Trains the demo models (logistic, tree, random forest, 100-tree LightGBM) with sklearn2pmml, writes the
demo scorecard, then prints for each model and engine the single-record median (µs) and batch rows/s,
and the native engine's ratios to the other two.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pandas as pd  # noqa: E402

from modelregistry import pmml  # noqa: E402
from scripts.pmml_demo_models import TARGET, demo_data, export, scorecard_pmml, train  # noqa: E402

MODELS = ("logistic", "scorecard", "tree", "forest", "lightgbm")


def single_median_us(evaluate, records, repeat):
    timings = []
    for record in (records * (repeat // len(records) + 1))[:repeat]:
        start = time.perf_counter()
        evaluate(record)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1e6


def batch_rows_per_second(evaluate_batch, frame, rounds=3):
    best = min(_timed(evaluate_batch, frame) for _ in range(rounds))
    return len(frame) / best


def _timed(function, argument):
    start = time.perf_counter()
    function(argument)
    return time.perf_counter() - start


class JPMML:
    engine_name = "jpmml"

    def __init__(self, path):
        from jpmml_evaluator import make_evaluator

        self.evaluator = make_evaluator(str(path), backend="jpype").verify()

    def evaluate(self, record):
        return self.evaluator.evaluate(record)

    def evaluate_batch(self, frame):
        return self.evaluator.evaluateAll(frame)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer rows and records (a smoke run)")
    args = parser.parse_args()
    data = demo_data()
    features = data.drop(columns=[TARGET])
    records = [
        {k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
        for r in features.iloc[:500].to_dict("records")
    ]
    big = pd.concat([features] * (2 if args.quick else 20), ignore_index=True)  # 197,140 rows
    reference_rows = features.iloc[: (2000 if args.quick else 10000)]
    directory = Path(tempfile.mkdtemp(prefix="pmml-bench-"))
    paths = {}
    for kind in MODELS:
        if kind == "scorecard":
            paths[kind] = directory / "scorecard.pmml"
            paths[kind].write_text(scorecard_pmml())
        else:
            pipeline, _ = train(kind, data)
            paths[kind] = export(pipeline, directory / f"{kind}.pmml")
    rows = []
    for kind in MODELS:
        native = pmml.load(paths[kind], engine="native")
        reference = pmml.load(paths[kind], engine="pypmml")
        jpmml = JPMML(paths[kind])
        figures = {}
        for name, model, frame, repeat in (
            ("native", native, big, 5000 if not args.quick else 1000),
            ("pypmml", reference, reference_rows, 500),
            ("jpmml", jpmml, reference_rows, 500),
        ):
            for record in records[:20]:
                model.evaluate(record)  # warm-up (JIT, caches)
            figures[name] = (
                single_median_us(model.evaluate, records, repeat),
                batch_rows_per_second(model.evaluate_batch, frame),
            )
        rows.append((kind, figures))
        print(
            f"{kind:10s} "
            + "  ".join(f"{name}: {us:9.1f} µs {rps:12,.0f} rows/s" for name, (us, rps) in figures.items()),
            flush=True,
        )
    print()
    print(
        "| model | native µs | pypmml µs | JPMML µs | native rows/s | pypmml rows/s | JPMML rows/s | "
        "single speed-up vs pypmml / JPMML | batch speed-up vs pypmml / JPMML |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind, f in rows:
        (n_us, n_rps), (p_us, p_rps), (j_us, j_rps) = f["native"], f["pypmml"], f["jpmml"]
        print(
            f"| {kind} | {n_us:.1f} | {p_us:.1f} | {j_us:.1f} | {n_rps:,.0f} | {p_rps:,.0f} | {j_rps:,.0f} | "
            f"{p_us / n_us:.0f}× / {j_us / n_us:.0f}× | {n_rps / p_rps:.0f}× / {n_rps / j_rps:.0f}× |"
        )


if __name__ == "__main__":
    main()
