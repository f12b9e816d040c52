"""Tagging: themes, the low_carbon flag and probabilities added to the sentence table.

Only kept rows (report text) are classified; preface, links and disclaimers get no theme.
Large tables are tagged in chunks so memory stays bounded, optionally across processes
(joblib) or across a cluster (Dask), with results identical to one process.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import THEMES
from .model import LABELS, ThemeClassifier

PROB_COLUMNS = [f"p_{label}" for label in LABELS]
TAG_COLUMNS = ["themes", "low_carbon", *PROB_COLUMNS]


def _labels_frame(model: ThemeClassifier, texts: list[str], explain: bool = False) -> pd.DataFrame:
    proba = model.predict_proba(texts) if texts else np.zeros((0, len(LABELS)))
    pred = model.decide(proba) if texts else np.zeros((0, len(LABELS)), dtype=int)
    names = np.array(THEMES)
    themes = ["|".join(sorted(names[row[:5].astype(bool)])) for row in pred]
    frame = pd.DataFrame({"themes": themes, "low_carbon": pred[:, -1].astype(bool)})
    for j, col in enumerate(PROB_COLUMNS):
        frame[col] = np.round(proba[:, j], 4)
    if explain:
        words = []
        for text, row in zip(texts, pred):
            if not row[:5].any():
                words.append("")
                continue
            why = model.explain(text)
            words.append("; ".join(f"{t}: {' '.join(why[t])}" for t in THEMES if row[THEMES.index(t)]))
        frame["why"] = words
    return frame


def tag(sentences: pd.DataFrame, model: ThemeClassifier, explain: bool = False) -> pd.DataFrame:
    """Add themes, low_carbon and p_* columns; rows that are not report text get no theme."""
    out = sentences.copy()
    kept = out["kept"].to_numpy(bool) if "kept" in out.columns else np.ones(len(out), bool)
    texts = out.loc[kept, "text"].astype(str).tolist()
    labels = _labels_frame(model, texts, explain)
    out["themes"] = ""
    out["low_carbon"] = False
    for col in PROB_COLUMNS:
        out[col] = np.nan
    if explain:
        out["why"] = ""
    for col in labels.columns:
        out.loc[kept, col] = labels[col].to_numpy()
    out["low_carbon"] = out["low_carbon"].astype(bool)
    return out


def tag_chunks(chunks, model: ThemeClassifier, n_jobs: int = 1, explain: bool = False):
    """Tag an iterable of sentence tables, yielding tagged tables in the same order.

    With n_jobs > 1 (or -1 for all cores) chunks go to worker processes, each loading jieba
    and the model once; order and results are those of one process."""
    if n_jobs in (0, 1, None):
        for chunk in chunks:
            yield tag(chunk, model, explain)
        return
    from joblib import Parallel, delayed

    with Parallel(n_jobs=n_jobs, return_as="generator", batch_size=1, pre_dispatch="2*n_jobs") as parallel:
        yield from parallel(delayed(tag)(chunk, model, explain) for chunk in chunks)


def tag_dask(frame, model: ThemeClassifier, explain: bool = False):
    """Tag a dask DataFrame of sentences partition by partition (needs the [dask] extra)."""
    meta = tag(frame._meta if hasattr(frame, "_meta") else frame.head(0), model, explain)
    return frame.map_partitions(tag, model, explain, meta=meta)
