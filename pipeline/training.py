"""Training: a ThemeClassifier fitted on a whole loaded corpus, and the metadata its manifest keeps."""
from __future__ import annotations

import pandas as pd

from .classifier import ThemeClassifier
from .corpus import corpus_hash
from .errors import CorpusError
from .evaluation import cross_validated_report
from .labels import LABELS


def train(corpus: pd.DataFrame, random_state: int = 0, cv: bool = True, **params) -> tuple[ThemeClassifier, dict]:
    """Fit a ThemeClassifier on the whole corpus.

    Parameters
    ----------
    corpus : DataFrame
        As load_corpus returns it.
    random_state : int, default=0
    cv : bool, default=True
        Cross-validate a fresh model on 5 folds first.
    **params
        ThemeClassifier parameters.

    Returns
    -------
    model : ThemeClassifier
    metadata : dict
        For save_model: the corpus's hash, rows and files, random_state and, with cv, the
        cross-validated scores.
    """
    needed = 2 * max(params.get("threshold_cv", 5), 5 if cv else 1)
    if len(corpus) < needed:
        raise CorpusError(f"{', '.join(sorted(set(map(str, corpus.get('file', [])))) or ['corpus'])}: only {len(corpus)} "
                          f"sentences; training needs at least {needed}")
    metadata = {"corpus": {"sha256": corpus_hash(corpus), "rows": int(len(corpus)),
                           "files": sorted(set(map(str, corpus.get("file", pd.Series([], dtype=str)))))},
                "random_state": random_state,
                # what each setting was chosen on: nothing is tuned on real report text
                "chosen_on": {"thresholds, theme_gate": "out-of-fold probabilities on the training corpus",
                              "C, clause_weight, clause_min_chars": "5-fold cross-validation on corpus/train.csv",
                              "real report text": "nothing"}}
    if cv:
        table, summary = cross_validated_report(corpus, random_state=random_state, **params)
        metadata["cross_validation"] = {"folds": 5, "summary": summary,
                                        "per_label": table.round(4).to_dict(orient="records")}
    model = ThemeClassifier(random_state=random_state, **params)
    model.fit(corpus["text"].tolist(), corpus[list(LABELS)].to_numpy())
    return model, metadata
