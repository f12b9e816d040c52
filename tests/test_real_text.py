"""The shipped model on real report sentences, and the corpus kept apart from them.

The real development set (../shared/real-dev, 712 labelled sentences of the 2025 provincial
reports) and the seed article are not in the repository; these tests skip without them."""
import re

import numpy as np
import pandas as pd
import pytest

from pipeline import evaluate, load_corpus, load_model
from pipeline.labels import THEMES

from .conftest import ROOT, SEED_GOLD, SHARED

REAL_DEV = SHARED / "real-dev" / "province-2025.csv"
needs_real = pytest.mark.skipif(not REAL_DEV.exists(), reason="../shared/real-dev is not here")


@pytest.fixture(scope="module")
def model():
    return load_model()


@needs_real
def test_shipped_model_on_real_report_sentences(model):
    """The release bar of issue 10: macro-F1 0.88, each theme 0.03 above the keyword list,
    markets precision 0.80 (generic finance is no theme), low_carbon F1 0.94."""
    table, summary = evaluate(model, load_corpus(REAL_DEV, drop_duplicates=False))
    assert summary["model"]["macro_f1"] >= 0.88
    assert summary["model"]["low_carbon_f1"] >= 0.94
    by_label = table.set_index("label")
    for theme in THEMES:
        assert by_label.loc[theme, "f1"] >= by_label.loc[theme, "f1_keywords"] + 0.03, theme
    assert by_label.loc["markets", "precision"] >= 0.80


@pytest.mark.skipif(not SEED_GOLD.exists(), reason="../shared/seed is not here")
def test_shipped_model_on_the_seed_article(model):
    _, summary = evaluate(model, load_corpus(SEED_GOLD, drop_duplicates=False))
    assert summary["model"]["macro_f1"] >= 0.90


def _key(text: str) -> str:
    return re.sub(r"[\s。；;，,、！!？?（）()“”\"'：:]", "", text)


def _trigrams(text: str) -> set:
    return {text[i:i + 3] for i in range(len(text) - 2)}


@needs_real
def test_no_corpus_sentence_copies_a_real_one():
    """Every corpus sentence is written for the project: none equals a sentence of the real
    set or the seed, and none of 20 characters or more shares half its character trigrams
    with one (Jaccard); short set phrases and bare headings are common to every report."""
    corpus = pd.concat([pd.read_csv(ROOT / "corpus" / f, dtype=str, keep_default_na=False)
                        for f in ("train.csv", "test.csv")], ignore_index=True)
    real = pd.read_csv(REAL_DEV, dtype=str)["text"].tolist()
    if SEED_GOLD.exists():
        real += pd.read_csv(SEED_GOLD, dtype=str)["text"].tolist()
    assert not set(map(_key, corpus["text"])) & set(map(_key, real))
    from sklearn.feature_extraction.text import CountVectorizer

    texts = [t for t in corpus["text"] if len(t) >= 20]
    vectorizer = CountVectorizer(analyzer=lambda s: list(_trigrams(s)), binary=True).fit(texts + real)
    A, B = vectorizer.transform(texts), vectorizer.transform(real)
    sizes_a, sizes_b = np.asarray(A.sum(1)).ravel(), np.asarray(B.sum(1)).ravel()
    worst = []
    for start in range(0, len(texts), 2000):
        inter = (A[start:start + 2000] @ B.T).toarray()
        jaccard = inter / np.maximum(sizes_a[start:start + 2000, None] + sizes_b[None, :] - inter, 1)
        worst += [(jaccard[i].max(), texts[start + i]) for i in np.flatnonzero(jaccard.max(axis=1) >= 0.5)]
    assert not worst, worst[:5]
