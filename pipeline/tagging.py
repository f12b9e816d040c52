"""Tagging: the themes, the low_carbon flag and the probabilities added to a sentence table.

Only rows whose `kept` is true (report text) are classified; preface, links and disclaimers
get no theme. This module turns a model's label matrix into columns and nothing else: how
chunks reach it (processes, Dask) is parallel.py's job, where they come from streaming.py's.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .labels import LABELS, LOW_CARBON, LOW_CARBON_COLUMN, PROB_COLUMNS, THEME_COLUMNS, THEME_SPELLINGS, THEMES, label_order

def labels_frame(model, texts: list[str], explain: bool = False) -> pd.DataFrame:
    """themes, low_carbon and p_* (labels.TAG_COLUMNS), and `why` with explain, for each text."""
    proba = model.predict_proba(texts) if texts else np.zeros((0, len(LABELS)))
    pred = model.decide(proba) if texts else np.zeros((0, len(LABELS)), dtype=int)
    order = label_order(getattr(model, "classes_", LABELS))
    if texts and order != list(range(len(LABELS))):  # a model that learnt its labels in another order
        proba, pred = proba[:, order], pred[:, order]
    blank = np.array([not t.strip() for t in texts], dtype=bool)
    if blank.any():  # an empty row says nothing, whatever the model's prior
        proba[blank], pred[blank] = 0.0, 0
    codes = pred[:, THEME_COLUMNS] @ (1 << np.arange(len(THEMES))) if len(pred) else np.zeros(0, dtype=int)
    frame = pd.DataFrame({"themes": [THEME_SPELLINGS[c] for c in codes],
                          LOW_CARBON: pred[:, LOW_CARBON_COLUMN].astype(bool)})
    for j, col in enumerate(PROB_COLUMNS):
        frame[col] = np.round(proba[:, j], 4)
    if explain:
        words = []
        for text, row in zip(texts, pred):
            if not row[THEME_COLUMNS].any():
                words.append("")
                continue
            why = model.explain(text)
            words.append("; ".join(f"{t}: {' '.join(why[t])}" for j, t in enumerate(THEMES) if row[j]))
        frame["why"] = words
    return frame


def kept_texts(sentences: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Which rows are report text (`kept`), and their texts: all a classifier needs to see."""
    kept = sentences["kept"].to_numpy(bool) if "kept" in sentences.columns else np.ones(len(sentences), bool)
    return kept, [str(t) for t in sentences.loc[kept, "text"].tolist()]  # not astype(str): Arrow strings refuse lone surrogates


def with_labels(sentences: pd.DataFrame, kept: np.ndarray, labels: pd.DataFrame) -> pd.DataFrame:
    """The sentence table with the label columns of its kept rows; other rows get no theme."""
    out = sentences.copy()
    out["themes"] = ""
    out[LOW_CARBON] = False
    for col in PROB_COLUMNS:
        out[col] = np.nan
    if "why" in labels.columns:
        out["why"] = ""
    for col in labels.columns:
        out.loc[kept, col] = labels[col].to_numpy()
    out[LOW_CARBON] = out[LOW_CARBON].astype(bool)
    return out


def tag(sentences: pd.DataFrame, model, explain: bool = False) -> pd.DataFrame:
    """The sentence table with themes, low_carbon and p_* columns (and `why` with explain).

    Parameters
    ----------
    sentences : DataFrame
        A sentence table (read_sentences); a `kept` column, where present, says which rows
        are report text, and only those are classified.
    model : ThemeClassifier
        A fitted model (load_model()).
    explain : bool, default=False
        Add `why`: the words behind each theme of a row.
    """
    kept, texts = kept_texts(sentences)
    return with_labels(sentences, kept, labels_frame(model, texts, explain))
