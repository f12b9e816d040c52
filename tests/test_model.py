"""The estimator contract, thresholds, determinism, model files and corpus checks."""
import json
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from pipeline import ThemeClassifier
from pipeline.errors import CorpusError, ModelError
from pipeline import KeywordBaseline, load_corpus, load_model, save_model
from pipeline.classifier import best_threshold
from pipeline.labels import LABELS, LOW_CARBON_COLUMN, THEME_COLUMNS, THEMES
from pipeline.persistence import manifest_path
from pipeline.text import normalize_for_model

from .conftest import TINY, write_corpus

TEXTS = [t for t, _, _ in TINY]
Y = np.array([[int(th in themes.split("|")) for th in THEMES] + [int(lc)] for _, themes, lc in TINY])
SMALL = dict(threshold_cv=3, calibration_cv=2)


@pytest.fixture(scope="module")
def fitted(tiny_model):
    """The session's tiny model: ThemeClassifier(**SMALL) fitted on TEXTS, Y (conftest trains it
    from the same rows), for the tests that use a model rather than fit one."""
    return load_model(tiny_model)


def test_init_stores_arguments_unchanged_and_clone_round_trips():
    model = ThemeClassifier(C=0.3, char_ngrams=(2, 3), random_state=7)
    assert model.get_params()["char_ngrams"] == (2, 3) and model.C == 0.3
    copy = clone(model)
    assert copy.get_params() == model.get_params() and copy is not model


def test_not_fitted_error_before_fit():
    with pytest.raises(NotFittedError):
        ThemeClassifier().predict(["新建公园。"])


def test_fit_predict_and_theme_implies_low_carbon(fitted):
    model = fitted
    assert model.get_params() == ThemeClassifier(**SMALL).get_params()
    pred = model.predict(TEXTS)
    proba = model.predict_proba(TEXTS)
    assert pred.shape == proba.shape == (len(TEXTS), 6)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert (pred[:, LOW_CARBON_COLUMN] >= pred[:, THEME_COLUMNS].max(axis=1)).all()
    from sklearn.metrics import f1_score

    assert f1_score(Y[:, THEME_COLUMNS], pred[:, THEME_COLUMNS], average="macro") > 0.8  # it learns its (tiny) training data
    assert list(model.classes_) == list(LABELS) and len(model.thresholds_) == 6


@pytest.mark.slow
def test_deterministic_for_a_random_state():
    a = ThemeClassifier(random_state=3, **SMALL).fit(TEXTS, Y).predict_proba(TEXTS)
    b = ThemeClassifier(random_state=3, **SMALL).fit(TEXTS, Y).predict_proba(TEXTS)
    assert np.array_equal(a, b)


def test_labels_are_learnt_from_the_columns_of_y(fitted):
    """A DataFrame y names its labels; the model keeps its order and tagging puts it back. Each
    label's model depends on its own column only, so the probabilities are the same numbers."""
    from pipeline import tag

    order = ["low_carbon", "markets", "energy", "ecology", "buildings", "transport"]
    y = pd.DataFrame(Y, columns=list(LABELS))[order]
    model = ThemeClassifier(**SMALL)
    assert model.fit(TEXTS, y) is model
    assert list(model.classes_) == order
    columns = [list(LABELS).index(label) for label in order]
    assert np.array_equal(model.predict_proba(TEXTS), fitted.predict_proba(TEXTS)[:, columns])
    assert np.array_equal(model.predict(TEXTS), fitted.predict(TEXTS)[:, columns])
    assert model.score(TEXTS, y) == fitted.score(TEXTS, Y)
    sentences = pd.DataFrame({"text": TEXTS, "kept": True})
    pd.testing.assert_frame_equal(tag(sentences, model, explain=True), tag(sentences, fitted, explain=True))


@pytest.mark.parametrize("columns,message", [
    ([*THEMES, "climate"], "unknown: climate; missing: low_carbon"),
    (list(THEMES), "missing: low_carbon"),
])
def test_labels_of_y_must_be_the_label_set(columns, message):
    with pytest.raises(ValueError, match=message):
        ThemeClassifier(**SMALL).fit(TEXTS, pd.DataFrame(Y[:, :len(columns)], columns=columns))


def test_pickle_round_trip_gives_the_same_predictions(fitted):
    model = fitted
    again = pickle.loads(pickle.dumps(model))
    assert np.array_equal(again.predict_proba(TEXTS), model.predict_proba(TEXTS))


def test_prediction_in_slices_equals_prediction_in_one_piece(monkeypatch, fitted):
    model = fitted
    whole = model.predict_proba(TEXTS)
    monkeypatch.setattr(ThemeClassifier, "_PREDICT_SLICE", 7)  # len(TEXTS) is not a multiple of 7
    assert len(TEXTS) % 7
    assert np.array_equal(model.predict_proba(TEXTS), whole)


@pytest.mark.slow
def test_grid_search_pipeline_and_cross_validate():
    pipe = Pipeline([("strip", FunctionTransformer(lambda x: [s.strip() for s in x])),
                     ("clf", ThemeClassifier(**SMALL))])
    search = GridSearchCV(pipe, {"clf__C": [0.1, 1.0]}, cv=KFold(2, shuffle=True, random_state=0))
    texts, y = TEXTS + ["同时，" + s for s in TEXTS], np.vstack([Y, Y])  # enough positives per fold
    search.fit(texts, y)
    assert search.best_params_["clf__C"] in (0.1, 1.0) and len(search.cv_results_["mean_test_score"]) == 2
    assert search.best_estimator_.predict(TEXTS[:3]).shape == (3, 6)
    with pytest.raises(NotFittedError):  # clone of a fitted estimator is a fresh one
        clone(search.best_estimator_.named_steps["clf"]).predict(TEXTS[:1])
    scores = cross_validate(ThemeClassifier(**SMALL), texts, y, cv=KFold(2, shuffle=True, random_state=0))
    assert len(scores["test_score"]) == 2 and all(0.3 < s <= 1 for s in scores["test_score"])  # better than nothing


def test_best_threshold_maximises_f1():
    y = np.array([0, 0, 0, 1, 1, 1])
    p = np.array([0.1, 0.2, 0.35, 0.4, 0.8, 0.9])
    t = best_threshold(y, p)
    assert 0.35 < t <= 0.4
    assert best_threshold(np.array([0, 0]), np.array([0.2, 0.9])) == 0.5


def test_traditional_chinese_is_read_like_simplified(fitted):
    assert normalize_for_model("推動綠色低碳發展，新建充電樁1萬個") == "推动绿色低碳发展，新建充电桩1万个"
    model = fitted
    simplified, traditional = "新建电动汽车公共充电桩1.5万个，建成换电站60座。", "新建電動汽車公共充電樁1.5萬個，建成換電站60座。"
    assert np.array_equal(model.predict_proba([simplified]), model.predict_proba([traditional]))
    assert model.predict([traditional])[0, 2] == 1  # transport, in either script


def test_keyword_baseline():
    pred = KeywordBaseline().predict(["新增光伏装机。", "地区生产总值增长5%。", "推进绿色发展。"])
    assert pred[0].tolist() == [1, 0, 0, 0, 0, 1]
    assert pred[1].tolist() == [0] * 6
    assert pred[2].tolist() == [0, 0, 0, 0, 0, 1]


def test_save_load_round_trip_and_manifest(tmp_path, fitted):
    model = fitted
    path = tmp_path / "m.joblib"
    save_model(model, path, {"corpus": {"rows": len(TEXTS)}})
    manifest = json.loads(manifest_path(path).read_text())
    assert manifest["labels"] == list(LABELS) and len(manifest["sha256"]) == 64
    assert manifest["versions"]["scikit-learn"] and manifest["corpus"]["rows"] == len(TEXTS)
    loaded = load_model(path)
    assert np.array_equal(loaded.predict_proba(TEXTS), model.predict_proba(TEXTS))
    assert not list(tmp_path.glob("*.part"))


def test_tampered_model_is_refused(tmp_path, fitted):
    model = fitted
    path = tmp_path / "m.joblib"
    save_model(model, path)
    with open(path, "ab") as f:
        f.write(b"\0")
    with pytest.raises(ModelError, match="does not match the SHA-256"):
        load_model(path)


def test_model_without_manifest_needs_trust(tmp_path, fitted):
    model = fitted
    path = tmp_path / "m.joblib"
    save_model(model, path)
    manifest_path(path).unlink()
    with pytest.raises(ModelError, match="no manifest.*--trust-model"):
        load_model(path)
    assert load_model(path, trust=True).predict(TEXTS[:2]).shape == (2, 6)


@pytest.mark.parametrize("package", ["scikit-learn", "rjieba"])
def test_version_mismatch_of_model_or_segmenter_warns(tmp_path, package, fitted):
    model = fitted
    path = tmp_path / "m.joblib"
    save_model(model, path)
    manifest = json.loads(manifest_path(path).read_text())
    assert manifest["versions"][package]
    manifest["versions"][package] = "0.0.1"
    manifest_path(path).write_text(json.dumps(manifest))
    with pytest.warns(UserWarning, match=f"trained with {package} 0.0.1"):
        load_model(path)


@pytest.mark.parametrize("rows,message", [
    ([("新建公园。", "ecology|climate", "true")], r"unknown theme\(s\) climate in rows bad\.csv:2"),
    ([("新建公园。", "ecology", "true"), ("  ", "", "false")], r"empty text in rows bad\.csv:3"),
    ([("新建公园。", "ecology", "true"), ("新建公园。", "", "false")], r"same text with different labels in rows bad\.csv:2, bad\.csv:3"),
    ([("新建公园。", "ecology", "false")], r"rows with a theme but low_carbon=false bad\.csv:2"),
    ([("新建公园。", "ecology", "maybe")], r"not true/false in rows bad\.csv:2"),
])
def test_bad_corpus_names_the_rows(tmp_path, rows, message):
    path = write_corpus(tmp_path / "bad.csv", [])
    pd.DataFrame(rows, columns=["text", "themes", "low_carbon"]).to_csv(path, index=False)
    with pytest.raises(CorpusError, match=message):
        load_corpus([path])


def test_corpus_missing_columns_and_duplicates(tmp_path):
    path = tmp_path / "c.csv"
    pd.DataFrame({"text": ["新建公园。"], "label": ["ecology"]}).to_csv(path, index=False)
    with pytest.raises(CorpusError, match="missing column\\(s\\) themes, low_carbon"):
        load_corpus([path])
    pd.DataFrame({"text": ["新建公园。", "新建公园。", "新建公园"], "themes": ["ecology"] * 3,
                  "low_carbon": ["true"] * 3}).to_csv(path, index=False)
    with pytest.warns(UserWarning, match=r"1 duplicated row\(s\) dropped: c\.csv:3"):
        corpus = load_corpus([path])
    assert len(corpus) == 2
    assert len(load_corpus([path], drop_duplicates=False)) == 3


def test_shipped_model_is_trained_on_the_shipped_corpus_and_beats_keywords():
    """Guards the release: retrain after changing corpus/train.csv, and never ship a model
    that loses to the keyword list on the held-out split."""
    from pipeline import DEFAULT_MODEL, evaluate
    from pipeline.corpus import corpus_hash

    from .conftest import ROOT

    manifest = json.loads(manifest_path(DEFAULT_MODEL).read_text(encoding="utf-8"))
    train = load_corpus(ROOT / "corpus" / "train.csv")
    assert manifest["corpus"]["sha256"] == corpus_hash(train) and manifest["corpus"]["rows"] == len(train)
    _, summary = evaluate(load_model(DEFAULT_MODEL), load_corpus(ROOT / "corpus" / "test.csv"))
    assert summary["model"]["macro_f1"] >= 0.9 > summary["keywords"]["macro_f1"]
    assert summary["model"]["low_carbon_f1"] > summary["keywords"]["low_carbon_f1"]


def test_theme_gate_vetoes_themes_of_sentences_the_low_carbon_model_rejects(fitted):
    import copy

    model = copy.deepcopy(fitted)
    model.thresholds_ = np.full(6, 0.5)
    proba = np.array([
        [0.9, 0, 0, 0, 0, 0.8],   # a theme in a low-carbon sentence: kept
        [0.9, 0, 0, 0, 0, 0.1],   # a theme set off by a word, the sentence is not low-carbon: vetoed
        [0.4, 0, 0, 0, 0, 0.6],   # low_carbon alone
    ])
    model.theme_gate_ = 0.3
    assert model.decide(proba).tolist() == [[1, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1]]
    model.theme_gate_ = 0.0  # no gate: the thresholds alone, and a theme still implies low_carbon
    assert model.decide(proba)[1].tolist() == [1, 0, 0, 0, 0, 1]
    del model.theme_gate_  # a model fitted before the gate existed decides as it did
    assert model.decide(proba)[1].tolist() == [1, 0, 0, 0, 0, 1]


def test_auto_gate_is_chosen_from_the_grid_and_a_fixed_gate_is_kept(fitted):
    assert fitted.theme_gate == "auto" and fitted.theme_gate_ in ThemeClassifier.GATE_GRID
    fixed = ThemeClassifier(**SMALL, theme_gate=0.25).fit(TEXTS, Y)
    assert fixed.theme_gate_ == 0.25 and fixed.get_params()["theme_gate"] == 0.25


def test_long_sentences_are_also_read_clause_by_clause(fitted):
    import copy

    green = "新建电动汽车公共充电桩1.5万个"
    long = ("全年地区生产总值增长5.3%，一般公共预算收入完成860亿元，新建改扩建中小学校42所，"
            f"{green}，城镇新增就业52万人，高标准农田建设完成120万亩。")
    short = "地区生产总值增长5.5%左右。"
    assert len(long) >= fitted.clause_min_chars > len(short)
    plain = copy.deepcopy(fitted)
    plain.clause_weight = 0
    transport = THEMES.index("transport")
    mixed, sentence_only = fitted.predict_proba([long, short]), plain.predict_proba([long, short])
    # the green clause raises its theme towards the clause's own probability, and only the themes move
    clause = plain.predict_proba([green])[0, transport]
    expected = max(sentence_only[0, transport], 0.5 * clause + 0.5 * sentence_only[0, transport])
    assert mixed[0, transport] == pytest.approx(expected) and mixed[0, transport] > sentence_only[0, transport]
    assert mixed[0, LOW_CARBON_COLUMN] == sentence_only[0, LOW_CARBON_COLUMN]
    assert (mixed[1] == sentence_only[1]).all()  # a short sentence is read whole only
