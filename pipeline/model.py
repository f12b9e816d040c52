"""Features and model: the ThemeClassifier estimator, the labelled corpus, model files.

ThemeClassifier follows scikit-learn's contract so that clone, Pipeline, GridSearchCV and
cross_validate work on it: settings in __init__, learning in fit, fitted attributes end in
an underscore. Text goes through one normaliser (Traditional to Simplified, widths,
punctuation) before jieba words and character n-grams; each label has a calibrated linear
model and a decision threshold chosen by cross-validation.
"""
from __future__ import annotations

import copy
import datetime
import functools
import hashlib
import json
import os
import platform
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from . import THEMES
from .errors import CorpusError, ModelError

LABELS = THEMES + ("low_carbon",)
DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "models" / "default.joblib"

# ---------------------------------------------------------------- text normalisation
_PUNCT = str.maketrans({",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"})


@functools.lru_cache(maxsize=1)
def _t2s():
    """OpenCC's Traditional-to-Simplified converter and the set of characters it changes."""
    import opencc

    converter = opencc.OpenCC("t2s")
    table = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    traditional = set()
    for line in table.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        if source and targets and source not in targets.split(" "):
            traditional.add(source)
    return converter, frozenset(traditional)


def to_simplified(text: str) -> str:
    """Traditional Chinese to Simplified with OpenCC; text with no Traditional character is returned as is."""
    converter, traditional = _t2s()
    if traditional.isdisjoint(text):
        return text
    return converter.convert(text)


def normalize_for_model(text: str) -> str:
    """What the classifier reads: Simplified script, ASCII digits/letters, Chinese punctuation."""
    from .structure import clean_text  # widths, odd spaces, lone surrogates: the reader's own clean-up

    text = clean_text(str(text))
    if re.search(r"[\u4e00-\u9fff]", text):
        text = text.translate(_PUNCT)
    return to_simplified(text)


_SKIP_TOKEN = re.compile(r"^[\s\W_]+$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")


_TOKEN_FORMS: dict[str, str] = {}  # token -> what the model reads ("" for punctuation, <NUM> for numbers)


def _token_form(token: str) -> str:
    return "" if _SKIP_TOKEN.match(token) else "<NUM>" if _NUMBER.match(token) else token


@functools.lru_cache(maxsize=50_000)
def _segment(text: str) -> tuple:
    from .segmentation import words

    forms = _TOKEN_FORMS  # one lookup per token instead of two regexes, and one string per distinct token
    if len(forms) > 200_000:
        forms.clear()
    tokens = []
    # HMM off: no guessing of unknown words; character n-grams already see them
    for token in words(text, hmm=False):
        form = forms.get(token)
        if form is None:
            form = forms[token] = _token_form(token)
        if form:
            tokens.append(form)
    return tuple(tokens)


def warm_up(model) -> None:
    """Load the segmenter's dictionary, OpenCC's tables and the cue matcher now, not on the first sentence."""
    if hasattr(model, "predict_proba"):
        model.predict_proba(["推动風電光伏建设，新建充电桩。"])


def jieba_tokens(text: str) -> list[str]:
    """jieba words of a normalised sentence, punctuation dropped and numbers folded (cached)."""
    return list(_segment(text))


# Guideline cue words and close variants, per theme: features the model weighs, not rules.
# A cue counts the same in a 20- or a 200-character sentence, where tf-idf would dilute it.
CUES = {
    "energy": "光伏 风电 风光 水电 核电 氢能 制氢 储能 抽水蓄能 特高压 外受电 外电 绿电 煤电 煤炭清洁高效利用 清洁高效利用 新型能源体系 "
              "新型电力系统 节能降耗 节能降碳 能耗双控 碳排放双控 能耗 能效 节能 新能源 可再生能源 清洁能源 非化石能源 电网 "
              "输电 装机 发电 能源 电力 天然气 油气 煤炭 页岩气 地热 生物质 虚拟电厂 源网荷储".split(),
    "buildings": "绿色建筑 超低能耗 近零能耗 零能耗 建筑节能 节能建筑 公共建筑 装配式 绿色建材 建筑光伏 光伏建筑 清洁取暖 "
                 "热泵 余热 供暖 取暖 外墙保温 保温 既有建筑 建筑 住宅 农房".split(),
    "transport": "新能源汽车 新能源车 电动汽车 充电桩 充电站 充电设施 换电 公共交通 公交 轨道交通 地铁 市域铁路 城轨 绿色出行 "
                 "慢行 公转铁 公转水 多式联运 铁水联运 疏港铁路 岸电 液化天然气动力 LNG 电动船 船舶 航运 航空燃料 氢燃料 "
                 "重卡 出租车 网约车 物流 交通".split(),
    "ecology": "空气质量 蓝天 PM2.5 优良天数 大气 污水 水体 水质 河湖 黑臭 断面 土壤 固废 危废 垃圾 无废 森林 造林 绿化 "
               "绿地 绿道 公园 湿地 生物多样性 生态修复 修复 碳汇 海绵城市 美丽中国 生态文明 环境执法 污染 生态保护 生态环境 "
               "水土流失 禁渔 人居环境 厕所 排放标准 超低排放 生态".split(),
    "markets": "碳市场 碳排放权 碳交易 自愿减排 CCER 用能权 排污权 绿电交易 绿证 绿色金融 绿色信贷 绿色贷款 绿色债券 "
               "绿色保险 转型金融 碳减排支持工具 碳排放核算 核算 碳足迹 碳标签 碳计量 绿色贸易 碳边境 绿色消费 新三样 出口 "
               "认证 交易 金融 信贷 债券 价格 电价".split(),
    "low_carbon": "绿色 低碳 碳达峰 碳中和 双碳 环保 减排 降碳 循环经济 清洁生产 零碳 气候 减污 可持续".split(),
}
_CUE_AUTOMATON = None


def cue_hits(text: str) -> list[str]:
    """The cue words in a (normalised) sentence, each once, plus one `theme:` marker per theme hit."""
    global _CUE_AUTOMATON
    if _CUE_AUTOMATON is None:
        import ahocorasick

        automaton = ahocorasick.Automaton()
        for theme, words in CUES.items():
            for word in words:
                automaton.add_word(word, word)
        automaton.make_automaton()
        _CUE_AUTOMATON = automaton
    found = {word for _, word in _CUE_AUTOMATON.iter(text)}
    themes = {f"theme:{t}" for t, words in CUES.items() if found.intersection(words)}
    return sorted(found | themes)


def char_text(text: str) -> str:
    """Digits folded to 0 so that character n-grams generalise across figures."""
    return re.sub(r"\d", "0", text)


class CharNgramCounter(TransformerMixin, BaseEstimator):
    """Counts of character n-grams (up to three characters), for a whole batch at once in numpy.

    Each n-gram packs into one 64-bit integer, 21 bits a code point, so counting is a sort and
    a search instead of a Python dictionary lookup per n-gram: the same features as
    TfidfVectorizer(analyzer="char") counts, several times faster, and the vocabulary is one
    array that loads instantly."""

    def __init__(self, ngram_range=(1, 3), min_df=1, max_features=None):
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features

    @staticmethod
    def _codes(texts) -> tuple[np.ndarray, np.ndarray]:
        cleaned = [char_text(t).replace("\x00", " ") for t in texts]
        codes = np.frombuffer("\x00".join(cleaned).encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
        lengths = np.fromiter((len(t) + 1 for t in cleaned), dtype=np.int64, count=len(cleaned))
        docs = np.repeat(np.arange(len(cleaned), dtype=np.int64), lengths)[: len(codes)]
        return codes, docs

    def _ngram_ids(self, texts) -> tuple[np.ndarray, np.ndarray]:
        codes, docs = self._codes(texts)
        low, high = self.ngram_range
        all_ids, all_docs = [], []
        for n in range(low, high + 1):
            if len(codes) < n:
                continue
            m = len(codes) - n + 1
            ids = codes[:m].copy()
            valid = ids != 0
            for k in range(1, n):
                nxt = codes[k:k + m]
                ids = (ids << np.uint64(21)) | nxt
                valid &= nxt != 0
            all_ids.append(ids[valid])
            all_docs.append(docs[:m][valid])
        if not all_ids:
            return np.zeros(0, np.uint64), np.zeros(0, np.int64)
        return np.concatenate(all_ids), np.concatenate(all_docs)

    def fit(self, X, y=None):
        ids, docs = self._ngram_ids(list(X))
        pairs = np.unique(np.stack([ids, docs.astype(np.uint64)]), axis=1) if len(ids) else np.zeros((2, 0), np.uint64)
        vocab, df = np.unique(pairs[0], return_counts=True)
        keep = df >= self.min_df
        vocab, df = vocab[keep], df[keep]
        if self.max_features and len(vocab) > self.max_features:
            top = np.sort(np.argsort(-df, kind="stable")[: self.max_features])
            vocab = vocab[top]
        self.vocabulary_ids_ = vocab
        return self

    def transform(self, X):
        import scipy.sparse as sp

        check_is_fitted(self, "vocabulary_ids_")
        texts = list(X)
        ids, docs = self._ngram_ids(texts)
        cols = np.searchsorted(self.vocabulary_ids_, ids)
        cols[cols >= len(self.vocabulary_ids_)] = 0
        found = self.vocabulary_ids_[cols] == ids if len(self.vocabulary_ids_) else np.zeros(len(ids), bool)
        matrix = sp.csr_matrix((np.ones(int(found.sum()), dtype=np.float64), (docs[found], cols[found])),
                               shape=(len(texts), len(self.vocabulary_ids_)))
        matrix.sum_duplicates()
        return matrix

    def get_feature_names_out(self, input_features=None):
        names = []
        for value in self.vocabulary_ids_.tolist():
            chars = []
            while value:
                chars.append(chr(value & 0x1FFFFF))
                value >>= 21
            names.append("".join(reversed(chars)))
        return np.array(names, dtype=object)


# ---------------------------------------------------------------- the estimator
def _as_label_matrix(y) -> np.ndarray:
    if isinstance(y, pd.DataFrame):
        y = y[list(LABELS)].to_numpy()
    y = np.asarray(y).astype(int)
    if y.ndim != 2 or y.shape[1] != len(LABELS):
        raise ValueError(f"y must have {len(LABELS)} columns: {', '.join(LABELS)}")
    return y


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

    y has six columns: energy, buildings, transport, ecology, markets, low_carbon. predict
    returns 0/1 per column, with low_carbon set whenever a theme is; predict_proba returns
    calibrated probabilities."""

    def __init__(self, C=0.5, word_ngrams=(1, 2), char_ngrams=(1, 3), cue_weight=0.3, min_df=1, calibration_cv=3,
                 threshold_cv=5, class_weight="balanced", max_features=200_000, random_state=0):
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

    # sklearn >= 1.6 reads tags to know y is multi-label
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        return tags

    def _features(self):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import FeatureUnion

        words = TfidfVectorizer(tokenizer=jieba_tokens, token_pattern=None, lowercase=False,
                                ngram_range=tuple(self.word_ngrams), min_df=self.min_df, sublinear_tf=True,
                                max_features=self.max_features)
        from sklearn.feature_extraction.text import TfidfTransformer
        from sklearn.pipeline import Pipeline

        chars = Pipeline([("counts", CharNgramCounter(tuple(self.char_ngrams), self.min_df, self.max_features)),
                          ("tfidf", TfidfTransformer(sublinear_tf=True))])
        parts = [("words", words), ("chars", chars)]
        if self.cue_weight:
            from sklearn.feature_extraction.text import CountVectorizer

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
    def _proba(features, heads, texts) -> np.ndarray:
        X = features.transform(texts)
        columns = []
        for head in heads:
            p = head.predict_proba(X)
            classes = list(head.classes_)
            columns.append(p[:, classes.index(1)] if 1 in classes else np.zeros(X.shape[0]))
        return np.column_stack(columns)

    def fit(self, X, y):
        from sklearn.model_selection import KFold

        texts = [normalize_for_model(x) for x in X]
        Y = _as_label_matrix(y)
        if len(texts) != len(Y):
            raise ValueError("X and y have different lengths")
        if len(texts) < 2 * self.threshold_cv:
            raise ValueError(f"need at least {2 * self.threshold_cv} sentences to fit")
        oof = np.zeros(Y.shape, dtype=float)
        text_array = np.array(texts, dtype=object)
        for train_idx, test_idx in KFold(self.threshold_cv, shuffle=True, random_state=self.random_state).split(texts):
            features, heads = self._fit_parts(list(text_array[train_idx]), Y[train_idx])
            oof[test_idx] = self._proba(features, heads, list(text_array[test_idx]))
        self.thresholds_ = np.array([best_threshold(Y[:, j], oof[:, j]) for j in range(len(LABELS))])
        self.features_, self.heads_ = self._fit_parts(texts, Y)
        self.classes_ = np.array(LABELS)
        self.n_features_ = sum(len(t.get_feature_names_out()) for _, t in self.features_.transformer_list)
        return self

    _PREDICT_SLICE = 2048  # sentences per feature matrix when predicting

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self, "heads_")
        texts = [normalize_for_model(x) for x in X]
        if not texts:
            return np.zeros((0, len(LABELS)))
        # in slices: the sparse feature matrices of 20,000 sentences at once would take ~300 MB
        step = self._PREDICT_SLICE
        return np.vstack([self._proba(self.features_, self.heads_, texts[i:i + step]) for i in range(0, len(texts), step)])

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
        super().__setstate__(state)
        for name, vectorizer in getattr(self, "features_", None).transformer_list if vocabularies else []:
            if name in vocabularies:
                terms = vocabularies[name].split(self._SEPARATOR)
                vectorizer.vocabulary_ = dict(zip(terms, range(len(terms))))

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """Apply the per-label thresholds; a sentence with a theme is always low_carbon."""
        check_is_fitted(self, "thresholds_")
        pred = (proba >= self.thresholds_).astype(int)
        pred[:, -1] = np.maximum(pred[:, -1], pred[:, :-1].max(axis=1)) if len(pred) else pred[:, -1]
        return pred

    def predict(self, X) -> np.ndarray:
        return self.decide(self.predict_proba(X))

    def score(self, X, y, sample_weight=None) -> float:
        """Macro F1 over the five themes (what GridSearchCV maximises by default)."""
        from sklearn.metrics import f1_score

        Y = _as_label_matrix(y)
        return float(f1_score(Y[:, :5], self.predict(X)[:, :5], average="macro", zero_division=0))

    def explain(self, text: str, top: int = 5) -> dict[str, list[str]]:
        """For each theme the sentence gets, the features that pushed it there most."""
        check_is_fitted(self, "heads_")
        vec = self.features_.transform([normalize_for_model(text)])
        names = self.__dict__.get("_feature_names")
        if names is None:  # built once: 150,000+ names
            names = self.__dict__["_feature_names"] = self.features_.get_feature_names_out()
        result = {}
        for j, label in enumerate(LABELS[:5]):
            calibrated = self.heads_[j]
            if not hasattr(calibrated, "calibrated_classifiers_"):
                result[label] = []
                continue
            coef = np.mean([c.estimator.coef_.ravel() for c in calibrated.calibrated_classifiers_], axis=0)  # one when ensemble=False
            contrib = vec.multiply(coef).tocsr()
            idx = contrib.indices[np.argsort(-contrib.data)][: 2 * top]
            words = [names[i].split("__", 1)[1] for i in idx if coef[i] > 0]
            result[label] = list(dict.fromkeys(words))  # the same n-gram can come from words and characters
        return result


# ---------------------------------------------------------------- keyword baseline
KEYWORDS = {
    "energy": "光伏 风电 水电 核电 氢能 储能 特高压 外受电 煤炭清洁高效利用 新型能源体系 新型电力系统 节能降耗 能耗双控 碳排放双控 能效 新能源 可再生能源 清洁能源 节能 抽水蓄能 电网 能源".split(),
    "buildings": "绿色建筑 超低能耗建筑 近零能耗 公共建筑节能改造 装配式建筑 绿色建材 建筑光伏一体化 光伏建筑一体化 清洁取暖 节能建筑 建筑节能 热泵".split(),
    "transport": "新能源汽车 充电桩 换电站 公共交通 轨道交通 绿色出行 公转铁 多式联运 岸电 液化天然气动力船 绿色航运 可持续航空燃料 地铁 公交 充电设施 新能源车".split(),
    "ecology": "空气质量 蓝天 污水 水体 河湖 土壤 固废 垃圾分类 无废城市 森林 绿地 绿道 公园 立体绿化 湿地 生物多样性 生态修复 碳汇 海绵城市 美丽中国 生态文明示范 环境执法 污染防治 生态保护 造林 大气 水质".split(),
    "markets": "碳市场 碳排放权交易 温室气体自愿减排交易 用能权 绿电交易 绿证 绿色金融 绿色信贷 绿色债券 转型金融 碳排放核算 碳足迹 碳标签 绿色贸易 碳边境调节机制 绿色消费 碳排放权 排污权".split(),
}
GREEN_WORDS = "绿色 低碳 碳达峰 碳中和 双碳 环保 生态 节能 减排 循环经济 清洁生产 零碳 降碳 气候".split()


class KeywordBaseline:
    """What people do today: a sentence has a theme when it contains one of the guideline's cue words."""

    def predict(self, X) -> np.ndarray:
        out = np.zeros((len(X), len(LABELS)), dtype=int)
        for i, raw in enumerate(X):
            text = normalize_for_model(raw)
            for j, theme in enumerate(THEMES):
                out[i, j] = any(k in text for k in KEYWORDS[theme])
            out[i, -1] = out[i, :-1].any() or any(k in text for k in GREEN_WORDS)
        return out


# ---------------------------------------------------------------- corpus
def _parse_bool(value) -> bool | None:
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "y", "t"):
        return True
    if text in ("false", "0", "no", "n", "f", ""):
        return False
    return None


def _rows(label: str, rows) -> str:
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:8])
    return f"{label} {shown}{' …' if len(rows) > 8 else ''}"


def load_corpus(paths, warn=None, drop_duplicates: bool = True) -> pd.DataFrame:
    """Read labelled CSV/JSONL/Parquet/XLSX files: text, themes (`a|b` or a list), low_carbon.

    Returns text, themes ('|'-joined, sorted), one 0/1 column per label, and file/row for errors.
    Raises CorpusError naming the rows for unknown themes, empty text, missing columns,
    inconsistent low_carbon and conflicting duplicates; for training, exact duplicates are dropped
    with a warning (for evaluation every row counts: pass drop_duplicates=False)."""
    from .reading import read_table

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    frames = []
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise CorpusError(f"{path}: no such corpus file; check the path")
        try:
            table = read_table(path, str(path), "text")
        except Exception as exc:
            raise CorpusError(str(exc)) from None
        missing = [c for c in ("text", "themes", "low_carbon") if c not in table.columns]
        if missing:
            raise CorpusError(f"{path}: missing column(s) {', '.join(missing)}; a corpus needs text, themes, low_carbon")
        table = table.copy()
        table["file"] = str(path)
        table["row"] = np.arange(len(table)) + 2  # the line number in a CSV with a header
        frames.append(table)
    if not frames:
        raise CorpusError("no corpus files given")
    corpus = pd.concat(frames, ignore_index=True)
    corpus["text"] = corpus["text"].astype(str).str.strip()
    where = lambda mask: [f"{Path(f).name}:{r}" for f, r in zip(corpus.loc[mask, "file"], corpus.loc[mask, "row"])]

    empty = corpus["text"] == ""
    if empty.any():
        raise CorpusError(_rows("empty text in rows", where(empty)) + "; fill in or delete them")

    def parse_themes(value):
        if isinstance(value, (list, tuple, np.ndarray)):
            items = [str(v).strip() for v in value]
        else:
            items = [t.strip() for t in re.split(r"[|,;，、\s]+", "" if value is None or value != value else str(value))]
        return sorted({t for t in items if t})

    theme_lists = corpus["themes"].map(parse_themes)
    unknown = theme_lists.map(lambda ts: [t for t in ts if t not in THEMES])
    bad = unknown.map(bool)
    if bad.any():
        names = sorted({t for ts in unknown[bad] for t in ts})
        raise CorpusError(_rows(f"unknown theme(s) {', '.join(names)} in rows", where(bad))
                          + f"; themes are {', '.join(THEMES)}")
    low_carbon = corpus["low_carbon"].map(_parse_bool)
    bad = low_carbon.isna()
    if bad.any():
        raise CorpusError(_rows("low_carbon is not true/false in rows", where(bad)))
    low_carbon = low_carbon.astype(bool)
    bad = theme_lists.map(bool) & ~low_carbon
    if bad.any():
        raise CorpusError(_rows("rows with a theme but low_carbon=false", where(bad))
                          + "; a sentence with a theme is low_carbon by the guideline")
    corpus["themes"] = theme_lists.map("|".join)
    corpus["low_carbon"] = low_carbon
    for theme in THEMES:
        corpus[theme] = theme_lists.map(lambda ts, t=theme: int(t in ts))
    corpus["low_carbon"] = low_carbon.astype(int)

    key = corpus["text"].map(normalize_for_model)
    labels = corpus["themes"] + "/" + corpus["low_carbon"].astype(str)
    groups = pd.DataFrame({"key": key, "labels": labels})
    conflicting = groups.groupby("key")["labels"].transform("nunique") > 1
    if conflicting.any():
        raise CorpusError(_rows("the same text with different labels in rows", where(conflicting))
                          + "; keep one labelling")
    duplicated = key.duplicated()
    if drop_duplicates and duplicated.any():
        message = _rows(f"{int(duplicated.sum())} duplicated row(s) dropped:", where(duplicated))
        (warn or (lambda m: warnings.warn(m, stacklevel=2)))(message)
        corpus = corpus[~duplicated].reset_index(drop=True)
    return corpus


def corpus_hash(corpus: pd.DataFrame) -> str:
    digest = hashlib.sha256()
    for text, themes, lc in zip(corpus["text"], corpus["themes"], corpus["low_carbon"]):
        digest.update(f"{text}\t{themes}\t{lc}\n".encode())
    return digest.hexdigest()


# ---------------------------------------------------------------- metrics
def label_scores(Y_true: np.ndarray, Y_pred: np.ndarray) -> tuple[pd.DataFrame, dict]:
    """Per-label precision/recall/F1/support and the summary figures."""
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    p, r, f, s = precision_recall_fscore_support(Y_true, Y_pred, average=None, zero_division=0)
    table = pd.DataFrame({"label": LABELS, "precision": p, "recall": r, "f1": f, "support": s})
    summary = {
        "macro_f1": float(f1_score(Y_true[:, :5], Y_pred[:, :5], average="macro", zero_division=0)),
        "micro_f1": float(f1_score(Y_true[:, :5], Y_pred[:, :5], average="micro", zero_division=0)),
        "exact_match": float((Y_true == Y_pred).all(axis=1).mean()) if len(Y_true) else 0.0,
        "low_carbon_f1": float(f[-1]),
        "rows": int(len(Y_true)),
    }
    return table, summary


def evaluate(model, corpus: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Model and keyword baseline side by side on the same rows."""
    Y = corpus[list(LABELS)].to_numpy()
    texts = corpus["text"].tolist()
    model_table, model_summary = label_scores(Y, model.predict(texts))
    base_table, base_summary = label_scores(Y, KeywordBaseline().predict(texts))
    table = model_table.merge(base_table[["label", "precision", "recall", "f1"]], on="label",
                              suffixes=("", "_keywords"))
    return table, {"model": model_summary, "keywords": base_summary}


def cross_validated_report(corpus: pd.DataFrame, random_state: int = 0, folds: int = 5, **params) -> tuple[pd.DataFrame, dict]:
    """Out-of-fold scores of a fresh ThemeClassifier on the corpus (what `train` prints)."""
    from sklearn.model_selection import KFold

    Y = corpus[list(LABELS)].to_numpy()
    texts = np.array(corpus["text"].tolist(), dtype=object)
    pred = np.zeros_like(Y)
    for train_idx, test_idx in KFold(folds, shuffle=True, random_state=random_state).split(texts):
        model = ThemeClassifier(random_state=random_state, **params).fit(list(texts[train_idx]), Y[train_idx])
        pred[test_idx] = model.predict(list(texts[test_idx]))
    return label_scores(Y, pred)


# ---------------------------------------------------------------- model files
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def manifest_path(path) -> Path:
    path = Path(path)
    return path.with_name(path.stem + ".manifest.json")


def versions() -> dict:
    import importlib.metadata as md

    found = {"python": platform.python_version()}
    for pkg in ("lowcarbon", "scikit-learn", "rjieba", "jieba", "numpy", "scipy", "pandas", "joblib"):
        try:
            found[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            found[pkg] = None
    return found


def save_model(model: ThemeClassifier, path, metadata: dict | None = None) -> dict:
    """joblib file plus a manifest (hash, versions, labels, metadata) beside it, each written atomically."""
    import joblib

    from .report import atomic_write

    path = Path(path)
    atomic_write(path, lambda tmp: joblib.dump(model, tmp, compress=3))
    manifest = {
        "file": path.name,
        "sha256": _sha256(path),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "versions": versions(),
        "labels": list(LABELS),
        "thresholds": dict(zip(LABELS, map(float, model.thresholds_))),
        "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in model.get_params().items()},
        **(metadata or {}),
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2)
    atomic_write(manifest_path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return manifest


_WARNED: set = set()


def load_model(path=None, trust: bool = False) -> ThemeClassifier:
    """Load a model after checking its manifest hash; a file without a manifest needs trust=True.

    joblib files are pickles and can run code when loaded: the hash check makes sure the file
    is the one its manifest describes."""
    import joblib

    path = Path(path) if path else DEFAULT_MODEL
    if not path.exists():
        hint = " (train it with `lowcarbon train corpus/train.csv -o models/default.joblib`)" if path == DEFAULT_MODEL else ""
        raise ModelError(f"{path}: no such model file{hint}")
    manifest_file = manifest_path(path)
    manifest = None
    if manifest_file.exists():
        try:
            manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        except (ValueError, OSError):
            raise ModelError(f"{manifest_file}: unreadable manifest; re-download the model with its manifest") from None
        if not isinstance(manifest, dict):
            raise ModelError(f"{manifest_file}: not a model manifest; re-download the model with its manifest")
        if manifest.get("sha256") != _sha256(path):
            raise ModelError(f"{path}: does not match the SHA-256 in {manifest_file.name}; "
                             "the file was changed or corrupted: re-download or retrain it")
    elif not trust:
        raise ModelError(f"{path}: no manifest ({manifest_file.name}) to check it against; loading a joblib file "
                         "can run code, so pass --trust-model only if you trust its source")
    if manifest:
        # scikit-learn runs the model; rjieba cuts the words it reads (another dictionary, other words)
        current_versions = versions()
        for package in ("scikit-learn", "rjieba"):
            saved = (manifest.get("versions") or {}).get(package)
            current = current_versions.get(package)
            if saved and current and saved != current and (package, saved, current) not in _WARNED:
                _WARNED.add((package, saved, current))
                warnings.warn(f"{path.name} was trained with {package} {saved}, this is {current}; "
                              "results may differ slightly: retrain to be sure", stacklevel=2)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*Trying to unpickle estimator.*")
            model = joblib.load(path)
    except Exception as exc:
        raise ModelError(f"{path}: cannot load the model ({type(exc).__name__}); re-download or retrain it") from None
    if not isinstance(model, ThemeClassifier):
        raise ModelError(f"{path}: not a lowcarbon ThemeClassifier")
    if not isinstance(getattr(model, "heads_", None), list):
        raise ModelError(f"{path}: made by an older lowcarbon; retrain it with `lowcarbon train`")
    model.manifest_ = manifest or {}
    return model


def train(corpus: pd.DataFrame, random_state: int = 0, cv: bool = True, **params) -> tuple[ThemeClassifier, dict]:
    """Fit on the whole corpus; with cv, also return the cross-validated report for the manifest."""
    needed = 2 * max(params.get("threshold_cv", 5), 5 if cv else 1)
    if len(corpus) < needed:
        raise CorpusError(f"{', '.join(sorted(set(map(str, corpus.get('file', [])))) or ['corpus'])}: only {len(corpus)} "
                          f"sentences; training needs at least {needed}")
    metadata = {"corpus": {"sha256": corpus_hash(corpus), "rows": int(len(corpus)),
                           "files": sorted(set(map(str, corpus.get("file", pd.Series([], dtype=str)))))},
                "random_state": random_state}
    if cv:
        table, summary = cross_validated_report(corpus, random_state=random_state, **params)
        metadata["cross_validation"] = {"folds": 5, "summary": summary,
                                        "per_label": table.round(4).to_dict(orient="records")}
    model = ThemeClassifier(random_state=random_state, **params)
    model.fit(corpus["text"].tolist(), corpus[list(LABELS)].to_numpy())
    return model, metadata
