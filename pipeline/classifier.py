"""The estimator: ThemeClassifier, a multi-label scikit-learn classifier of report sentences.

It follows scikit-learn's contract so that clone, Pipeline, GridSearchCV and cross_validate
work on it: settings in __init__, learning in fit, fitted attributes end in an underscore.
Text goes through one normaliser (Traditional to Simplified, widths, punctuation) before
jieba words and character n-grams; each label has a calibrated linear model and a decision
threshold chosen by cross-validation. It knows nothing of files or sentence tables.
"""
from __future__ import annotations

import copy
import re

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from .features import CharNgramCounter, cue_hits, jieba_tokens
from .labels import LABELS, LOW_CARBON, THEMES, check_labels
from .text import normalize_for_model


def _label_matrix(y, classes=None) -> tuple[np.ndarray, list[str]]:
    """y as a 0/1 matrix and the label of each column.

    A DataFrame names its labels by its columns; an array's columns are LABELS in order. With
    `classes`, the matrix comes back in that column order."""
    if isinstance(y, pd.DataFrame):
        names = check_labels(y.columns)
        y = y.to_numpy()
    else:
        names = list(LABELS)
    y = np.asarray(y).astype(int)
    if y.ndim != 2 or y.shape[1] != len(names):
        raise ValueError(f"y must have {len(LABELS)} columns: {', '.join(LABELS)}")
    if classes is not None and list(classes) != names:
        y = y[:, [names.index(c) for c in classes]]
        names = list(classes)
    return y, names


_CLAUSE_CUT = re.compile("[，；]")  # the normalised text has Chinese punctuation
_MIN_CLAUSE = 6  # shorter pieces ("一是", "同时") say nothing alone


def best_threshold(y_true: np.ndarray, proba: np.ndarray, grid=None) -> float:
    """The probability cut that maximises F1 on out-of-fold predictions (ties: the middle of the best run)."""
    from sklearn.metrics import f1_score

    grid = np.round(np.arange(0.05, 0.951, 0.01), 2) if grid is None else np.asarray(grid)
    if y_true.sum() == 0:
        return 0.5
    scores = np.array([f1_score(y_true, proba >= t, zero_division=0) for t in grid])
    best = np.flatnonzero(scores >= scores.max() - 1e-12)
    return float(grid[best[len(best) // 2]])


class ThemeClassifier(ClassifierMixin, BaseEstimator):
    """Multi-label theme classifier for report sentences.

    Each sentence gets 0/1 for every label (the five themes and low_carbon); a sentence with a
    theme is always low_carbon. Features are tf-idf weighted jieba words and character
    n-grams plus the guideline's cue words; each label has its own calibrated linear SVM and a
    threshold chosen on out-of-fold probabilities.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength of each label's LinearSVC (1.0 chosen by 5-fold
        cross-validation on the corpus's training split, against 0.5).
    word_ngrams : tuple of int, default=(1, 2)
        Range of word n-gram lengths (jieba words, HMM off, punctuation dropped, numbers folded).
    char_ngrams : tuple of int, default=(1, 3)
        Range of character n-gram lengths (digits folded to 0).
    cue_weight : float, default=0.3
        Weight of the binary cue-word features; 0 leaves them out.
    min_df : int, default=1
        Minimum number of sentences a word or character n-gram must occur in.
    calibration_cv : int, default=3
        Folds of the sigmoid calibration of each SVM (fewer for a label with fewer positives).
    threshold_cv : int, default=5
        Folds of the out-of-fold probabilities the thresholds are chosen on; fit needs at
        least twice this many sentences.
    class_weight : dict, "balanced" or None, default="balanced"
        Class weights of each SVM.
    max_features : int or None, default=200_000
        Largest word and character vocabulary, each (the most frequent n-grams are kept).
    random_state : int, default=0
        Seed of the folds and the SVMs: the same data and seed give the same model.
    clause_weight : float, default=0.5
        Long sentences of real reports string many topics together, and tf-idf dilutes one
        green clause among ten economic ones. A sentence of at least clause_min_chars is also
        read clause by clause (cut at ，；); a theme's probability becomes
        max(p, clause_weight * best clause + (1 - clause_weight) * p). 0 turns it off.
        (0.5 and 60 chosen by 5-fold cross-validation on the corpus against 0, 0.3 and 1, 40.)
    clause_min_chars : int, default=60
        Shortest sentence read clause by clause.
    theme_gate : float or "auto", default="auto"
        A theme is only given where the low_carbon probability is at least this: the
        low_carbon model has seen every kind of plain report sentence, so it vetoes themes that
        a green-sounding word set off in a sentence about something else (公共资源交易, 科技金融).
        "auto" picks it from 0 to 0.5 on the out-of-fold probabilities, like the thresholds.

    Attributes
    ----------
    classes_ : ndarray of str
        The labels, one per column of y, predict and predict_proba: y's column names when y
        is a DataFrame, else labels.LABELS; always the label set of labels.py.
    thresholds_ : ndarray of float
        Decision threshold of each label, in classes_ order.
    theme_gate_ : float
        The low_carbon probability a theme needs (theme_gate, or the one chosen when "auto").
    features_ : sklearn.pipeline.FeatureUnion
        The fitted word, character and cue-word features.
    heads_ : list of estimators
        One calibrated classifier per label, in classes_ order (a DummyClassifier for a label
        too rare to calibrate).

    Examples
    --------
    >>> model = ThemeClassifier().fit(texts, Y)       # doctest: +SKIP
    >>> model.predict(["新建充电桩1万个。"])              # doctest: +SKIP
    array([[0, 0, 1, 0, 0, 1]])
    """

    def __init__(self, C=1.0, word_ngrams=(1, 2), char_ngrams=(1, 3), cue_weight=0.3, min_df=1, calibration_cv=3,
                 threshold_cv=5, class_weight="balanced", max_features=200_000, random_state=0, clause_weight=0.5,
                 clause_min_chars=60, theme_gate="auto"):
        self.C = C
        self.cue_weight = cue_weight
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.calibration_cv = calibration_cv
        self.threshold_cv = threshold_cv
        self.class_weight = class_weight
        self.max_features = max_features
        self.random_state = random_state
        self.clause_weight = clause_weight
        self.clause_min_chars = clause_min_chars
        self.theme_gate = theme_gate

    # sklearn >= 1.6 reads tags to know y is multi-label
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        return tags

    def _features(self):
        from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer
        from sklearn.pipeline import FeatureUnion, Pipeline

        words = TfidfVectorizer(tokenizer=jieba_tokens, token_pattern=None, lowercase=False,
                                ngram_range=tuple(self.word_ngrams), min_df=self.min_df, sublinear_tf=True,
                                max_features=self.max_features)
        chars = Pipeline([("counts", CharNgramCounter(tuple(self.char_ngrams), self.min_df, self.max_features)),
                          ("tfidf", TfidfTransformer(sublinear_tf=True))])
        parts = [("words", words), ("chars", chars)]
        if self.cue_weight:
            parts.append(("cues", CountVectorizer(analyzer=cue_hits, binary=True, lowercase=False)))
        return FeatureUnion(parts, transformer_weights={"cues": self.cue_weight} if self.cue_weight else None)

    def _fit_head(self, X, y):
        """One label's calibrated linear model; a label too rare to calibrate predicts its prior."""
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.dummy import DummyClassifier
        from sklearn.svm import LinearSVC

        rarest = int(min(y.sum(), len(y) - y.sum()))
        if rarest < 2:
            return DummyClassifier(strategy="prior").fit(X, y)
        svm = LinearSVC(C=self.C, class_weight=self.class_weight, random_state=self.random_state)
        # ensemble=False: one SVM on all rows, calibrated on out-of-fold scores; a third of the
        # size and prediction time of an ensemble of per-fold SVMs
        return CalibratedClassifierCV(svm, method="sigmoid", cv=min(self.calibration_cv, rarest), ensemble=False).fit(X, y)

    def _fit_parts(self, texts, Y):
        features = self._features().fit(texts)
        for _, vectorizer in features.transformer_list:
            if hasattr(vectorizer, "stop_words_"):
                del vectorizer.stop_words_  # the pruned terms: introspection only, and large
        X = features.transform(texts)
        return features, [self._fit_head(X, Y[:, j]) for j in range(Y.shape[1])]

    @staticmethod
    def _sentence_proba(features, heads, texts) -> np.ndarray:
        X = features.transform(texts)
        columns = []
        for head in heads:
            p = head.predict_proba(X)
            classes = list(head.classes_)
            columns.append(p[:, classes.index(1)] if 1 in classes else np.zeros(X.shape[0]))
        return np.column_stack(columns)

    def _proba(self, features, heads, texts, themes) -> np.ndarray:
        """Sentence probabilities, with each theme raised towards its best clause in long sentences."""
        proba = self._sentence_proba(features, heads, texts)
        weight = getattr(self, "clause_weight", 0)  # models fitted before clauses had none
        if not weight:
            return proba
        clauses, owners = [], []
        for i, text in enumerate(texts):
            if len(text) >= self.clause_min_chars:
                parts = [c for c in _CLAUSE_CUT.split(text) if len(c) >= _MIN_CLAUSE]
                if len(parts) >= 2:
                    clauses += parts
                    owners += [i] * len(parts)
        if not clauses:
            return proba
        best = np.zeros((len(texts), len(heads)))
        np.maximum.at(best, np.array(owners), self._sentence_proba(features, heads, clauses))
        rows = np.unique(owners)
        mixed = weight * best[np.ix_(rows, themes)] + (1 - weight) * proba[np.ix_(rows, themes)]
        proba[np.ix_(rows, themes)] = np.maximum(proba[np.ix_(rows, themes)], mixed)
        return proba

    def fit(self, X, y):
        """Learn features, one calibrated model per label and the thresholds.

        Parameters
        ----------
        X : list of str
            Sentences.
        y : array of shape (n_sentences, 6) or DataFrame
            0/1 per label: an array's columns are labels.LABELS in order; a DataFrame's
            columns name its labels (exactly the label set, in any order).

        Returns
        -------
        self : ThemeClassifier
        """
        from sklearn.model_selection import KFold

        texts = [normalize_for_model(x) for x in X]
        Y, classes = _label_matrix(y)
        if len(texts) != len(Y):
            raise ValueError("X and y have different lengths")
        if len(texts) < 2 * self.threshold_cv:
            raise ValueError(f"need at least {2 * self.threshold_cv} sentences to fit")
        oof = np.zeros(Y.shape, dtype=float)
        theme_columns = [j for j, c in enumerate(classes) if c in THEMES]
        text_array = np.array(texts, dtype=object)
        for train_idx, test_idx in KFold(self.threshold_cv, shuffle=True, random_state=self.random_state).split(texts):
            features, heads = self._fit_parts(list(text_array[train_idx]), Y[train_idx])
            oof[test_idx] = self._proba(features, heads, list(text_array[test_idx]), theme_columns)
        self.thresholds_ = np.array([best_threshold(Y[:, j], oof[:, j]) for j in range(Y.shape[1])])
        self.classes_ = np.array(classes)
        self.theme_gate_ = self._choose_gate(Y, oof) if self.theme_gate == "auto" else float(self.theme_gate)
        self.features_, self.heads_ = self._fit_parts(texts, Y)
        return self

    GATE_GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)

    def _choose_gate(self, Y: np.ndarray, oof: np.ndarray) -> float:
        """The gate that maximises the themes' out-of-fold macro-F1 (ties: the lowest)."""
        from sklearn.metrics import f1_score

        _, themes = self._columns()
        scores = []
        for gate in self.GATE_GRID:
            self.theme_gate_ = gate
            scores.append(f1_score(Y[:, themes], self.decide(oof)[:, themes], average="macro", zero_division=0))
        return float(self.GATE_GRID[int(np.argmax(np.round(scores, 6)))])

    _PREDICT_SLICE = 2048  # sentences per feature matrix when predicting

    def predict_proba(self, X) -> np.ndarray:
        """Calibrated probability of each label, shape (n_sentences, len(classes_))."""
        check_is_fitted(self, "heads_")
        texts = [normalize_for_model(x) for x in X]
        if not texts:
            return np.zeros((0, len(self.classes_)))
        # in slices: the sparse feature matrices of 20,000 sentences at once would take ~300 MB
        step = self._PREDICT_SLICE
        _, themes = self._columns()
        return np.vstack([self._proba(self.features_, self.heads_, texts[i:i + step], themes)
                          for i in range(0, len(texts), step)])

    # Pickled vocabularies (150,000+ terms) are slow to load through joblib's Python unpickler;
    # packed into one string each they load in milliseconds.
    _SEPARATOR = "\x00"

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: object.__getstate__ may hand back __dict__ itself
        state.pop("_feature_names", None)  # a cache for explain()
        features = state.get("features_")
        if features is None:
            return state
        packed, vocabularies = [], {}
        for name, vectorizer in features.transformer_list:
            vocabulary = getattr(vectorizer, "vocabulary_", None)
            terms = sorted(vocabulary, key=vocabulary.get) if vocabulary else []
            if terms and not any(self._SEPARATOR in t for t in terms) and list(map(vocabulary.get, terms)) == list(range(len(terms))):
                vectorizer = copy.copy(vectorizer)
                vectorizer.vocabulary_ = None
                vocabularies[name] = self._SEPARATOR.join(terms)
            packed.append((name, vectorizer))
        features = copy.copy(features)
        features.transformer_list = packed
        state["features_"] = features
        state["_packed_vocabularies"] = vocabularies
        return state

    def __setstate__(self, state):
        vocabularies = state.pop("_packed_vocabularies", {})
        state.pop("n_features_", None)  # stored by earlier versions (the shipped model has it); nothing reads it
        super().__setstate__(state)
        for name, vectorizer in getattr(self, "features_", None).transformer_list if vocabularies else []:
            if name in vocabularies:
                terms = vocabularies[name].split(self._SEPARATOR)
                vectorizer.vocabulary_ = dict(zip(terms, range(len(terms))))

    def _columns(self) -> tuple[int, list[int]]:
        """Index of low_carbon and of the themes among classes_."""
        classes = list(self.classes_)
        return classes.index(LOW_CARBON), [j for j, c in enumerate(classes) if c in THEMES]

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """Apply the per-label thresholds and the theme gate; a sentence with a theme is always low_carbon."""
        check_is_fitted(self, "thresholds_")
        pred = (proba >= self.thresholds_).astype(int)
        low_carbon, themes = self._columns()
        if len(pred):
            gate = getattr(self, "theme_gate_", 0.0)  # models fitted before the gate had none
            pred[:, themes] &= (proba[:, [low_carbon]] >= gate)
            pred[:, low_carbon] = np.maximum(pred[:, low_carbon], pred[:, themes].max(axis=1))
        return pred

    def predict(self, X) -> np.ndarray:
        """0/1 per label, shape (n_sentences, len(classes_))."""
        return self.decide(self.predict_proba(X))

    def score(self, X, y, sample_weight=None) -> float:
        """Macro F1 over the five themes (what GridSearchCV maximises by default)."""
        from sklearn.metrics import f1_score

        check_is_fitted(self, "classes_")
        Y, _ = _label_matrix(y, self.classes_)
        _, themes = self._columns()
        return float(f1_score(Y[:, themes], self.predict(X)[:, themes], average="macro", zero_division=0))

    def explain(self, text: str, top: int = 5) -> dict[str, list[str]]:
        """For each theme, the features of `text` that pushed it there most (at most 2 * top, positive weights only)."""
        check_is_fitted(self, "heads_")
        vec = self.features_.transform([normalize_for_model(text)])
        names = self.__dict__.get("_feature_names")
        if names is None:  # built once: 150,000+ names
            names = self.__dict__["_feature_names"] = self.features_.get_feature_names_out()
        result = {}
        _, themes = self._columns()
        for j in themes:
            label, calibrated = str(self.classes_[j]), self.heads_[j]
            if not hasattr(calibrated, "calibrated_classifiers_"):
                result[label] = []
                continue
            coef = np.mean([c.estimator.coef_.ravel() for c in calibrated.calibrated_classifiers_], axis=0)  # one when ensemble=False
            contrib = vec.multiply(coef).tocsr()
            idx = contrib.indices[np.argsort(-contrib.data)][: 2 * top]
            words = [names[i].split("__", 1)[1] for i in idx if coef[i] > 0]
            result[label] = list(dict.fromkeys(words))  # the same n-gram can come from words and characters
        return result


def warm_up(model) -> None:
    """Load the segmenter's dictionary, OpenCC's tables and the cue matcher now, not on the first sentence."""
    if hasattr(model, "predict_proba"):
        model.predict_proba(["推动風電光伏建设，新建充电桩。"])
