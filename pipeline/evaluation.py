"""Scores: per-label precision, recall and F1 of a model beside the keyword baseline, and
the cross-validated report that `train` prints and stores in the model's manifest."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .baseline import KeywordBaseline
from .classifier import ThemeClassifier
from .labels import LABELS, LOW_CARBON_COLUMN, THEME_COLUMNS, label_order


def label_scores(Y_true: np.ndarray, Y_pred: np.ndarray) -> tuple[pd.DataFrame, dict]:
    """Per-label precision/recall/F1/support and the summary figures (columns in LABELS order).

    Returns
    -------
    table : DataFrame
        label, precision, recall, f1, support.
    summary : dict
        macro_f1 and micro_f1 over the five themes, exact_match over all labels,
        low_carbon_f1, rows.
    """
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    p, r, f, s = precision_recall_fscore_support(Y_true, Y_pred, average=None, zero_division=0)
    table = pd.DataFrame({"label": LABELS, "precision": p, "recall": r, "f1": f, "support": s})
    themes_true, themes_pred = Y_true[:, THEME_COLUMNS], Y_pred[:, THEME_COLUMNS]
    summary = {
        "macro_f1": float(f1_score(themes_true, themes_pred, average="macro", zero_division=0)),
        "micro_f1": float(f1_score(themes_true, themes_pred, average="micro", zero_division=0)),
        "exact_match": float((Y_true == Y_pred).all(axis=1).mean()) if len(Y_true) else 0.0,
        "low_carbon_f1": float(f[LOW_CARBON_COLUMN]),
        "rows": int(len(Y_true)),
    }
    return table, summary


def _predict_in_label_order(model, texts) -> np.ndarray:
    pred = model.predict(texts)
    return pred[:, label_order(getattr(model, "classes_", LABELS))]


def evaluate(model, corpus: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Score a model and the keyword baseline side by side on the same rows.

    Parameters
    ----------
    model : fitted classifier
        Its predict gives 0/1 per label in the order of its classes_.
    corpus : DataFrame
        As load_corpus(..., drop_duplicates=False) returns it.

    Returns
    -------
    table : DataFrame
        Per label: precision, recall, f1, support, and precision/recall/f1_keywords.
    summary : dict
        {"model": ..., "keywords": ...}, each as label_scores gives it.
    """
    Y = corpus[list(LABELS)].to_numpy()
    texts = corpus["text"].tolist()
    model_table, model_summary = label_scores(Y, _predict_in_label_order(model, texts))
    base_table, base_summary = label_scores(Y, _predict_in_label_order(KeywordBaseline(), texts))
    table = model_table.merge(base_table[["label", "precision", "recall", "f1"]], on="label",
                              suffixes=("", "_keywords"))
    return table, {"model": model_summary, "keywords": base_summary}


def cross_validated_report(corpus: pd.DataFrame, random_state: int = 0, folds: int = 5, **params) -> tuple[pd.DataFrame, dict]:
    """Out-of-fold scores of a fresh ThemeClassifier(**params) on the corpus (what `train` prints)."""
    from sklearn.model_selection import KFold

    Y = corpus[list(LABELS)].to_numpy()
    texts = np.array(corpus["text"].tolist(), dtype=object)
    pred = np.zeros_like(Y)
    for train_idx, test_idx in KFold(folds, shuffle=True, random_state=random_state).split(texts):
        model = ThemeClassifier(random_state=random_state, **params).fit(list(texts[train_idx]), Y[train_idx])
        pred[test_idx] = model.predict(list(texts[test_idx]))
    return label_scores(Y, pred)
