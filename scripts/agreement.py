"""Cohen's kappa per label between the three labellings in corpus/quality/double-label-sample.csv."""
import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score

LABELS = ["energy", "buildings", "transport", "ecology", "markets", "low_carbon"]
sample = pd.read_csv("corpus/quality/double-label-sample.csv", dtype=str, keep_default_na=False)


def matrix(who):
    themes, flags = sample[f"themes_{who}"], sample[f"low_carbon_{who}"]
    return np.array([[int(t in ts.split("|")) for t in LABELS[:5]] + [int(f == "true")] for ts, f in zip(themes, flags)])


rows = []
for a, b in (("annotator1", "annotator2"), ("writer", "annotator1"), ("writer", "annotator2")):
    x, y = matrix(a), matrix(b)
    rows.append({"pair": f"{a} vs {b}", **{l: round(cohen_kappa_score(x[:, j], y[:, j]), 3) for j, l in enumerate(LABELS)},
                 "exact set match": round(float((x == y).all(axis=1).mean()), 3)})
print(pd.DataFrame(rows).to_markdown(index=False))
