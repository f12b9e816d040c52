"""Cohen's kappa per label between the labellings in each corpus/quality/double-label-sample*.csv.

A file holds one row per sentence and, per labelling WHO, the columns themes_WHO and
low_carbon_WHO; every pair of labellings in a file is compared.

    python scripts/agreement.py
"""
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score

LABELS = ["energy", "buildings", "transport", "ecology", "markets", "low_carbon"]


def matrix(sample: pd.DataFrame, who: str) -> np.ndarray:
    themes, flags = sample[f"themes_{who}"], sample[f"low_carbon_{who}"]
    return np.array([[int(t in ts.split("|")) for t in LABELS[:5]] + [int(f == "true")] for ts, f in zip(themes, flags)])


for path in sorted(Path("corpus/quality").glob("double-label-sample*.csv")):
    sample = pd.read_csv(path, dtype=str, keep_default_na=False)
    who = [c.removeprefix("themes_") for c in sample.columns if c.startswith("themes_")]
    rows = []
    for a, b in combinations(who, 2):
        x, y = matrix(sample, a), matrix(sample, b)
        rows.append({"pair": f"{a} vs {b}", **{l: round(cohen_kappa_score(x[:, j], y[:, j]), 3) for j, l in enumerate(LABELS)},
                     "exact set match": round(float((x == y).all(axis=1).mean()), 3)})
    print(f"{path} ({len(sample)} sentences)\n")
    print(pd.DataFrame(rows).to_markdown(index=False), end="\n\n")
