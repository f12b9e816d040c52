"""Make the fixed train/test split of the corpus, with no near-duplicates across it.

Sentences whose character 3-gram TF-IDF vectors have cosine similarity >= 0.6 are joined
into one group (union-find); whole groups go to test with probability 0.2, decided by a
hash of the group's first sentence, so the split is stable and reproducible.

    python scripts/split_corpus.py corpus/train.csv corpus/test.csv   # re-split in place
"""
import hashlib
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

THRESHOLD = 0.6
TEST_SHARE = 0.2
COLUMNS = ["id", "text", "themes", "low_carbon", "level", "region", "section", "batch"]


def groups_of(texts: list[str]) -> np.ndarray:
    vectors = TfidfVectorizer(analyzer="char", ngram_range=(3, 3)).fit_transform(texts)
    parent = list(range(len(texts)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for start in range(0, len(texts), 1000):
        sims = (vectors[start:start + 1000] @ vectors.T).tocoo()
        for i, j, s in zip(sims.row + start, sims.col, sims.data):
            if i < j and s >= THRESHOLD:
                parent[find(i)] = find(j)
    return np.array([find(i) for i in range(len(texts))])


def split(frame: pd.DataFrame) -> pd.Series:
    groups = groups_of(frame["text"].tolist())
    first = {}
    for g, text in zip(groups, frame["text"]):
        first.setdefault(g, text)
    to_test = {g: int(hashlib.sha256(t.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < TEST_SHARE for g, t in first.items()}
    return pd.Series(["test" if to_test[g] else "train" for g in groups], index=frame.index), groups


def main(paths):
    frame = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in paths], ignore_index=True)
    frame = frame.sort_values("id", kind="stable").reset_index(drop=True)
    sides, groups = split(frame)
    for side, path in (("train", paths[0]), ("test", paths[1])):
        frame[sides == side][COLUMNS].to_csv(path, index=False)
    n_groups = len(set(groups))
    print(f"{len(frame)} sentences in {n_groups} near-duplicate groups: "
          f"{(sides == 'train').sum()} train, {(sides == 'test').sum()} test")


if __name__ == "__main__":
    main(sys.argv[1:3] if len(sys.argv) >= 3 else ["corpus/train.csv", "corpus/test.csv"])
