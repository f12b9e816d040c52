"""Features the classifier reads: jieba words, guideline cue words and character n-grams.

The tokenisers are module-level functions so that a fitted model pickles them by name; a
model file refers to them, so their names are part of the model format (see model.py for
the names older files use).
"""
from __future__ import annotations

import functools
import re

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .segmentation import words

_SKIP_TOKEN = re.compile(r"^[\s\W_]+$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")

_TOKEN_FORMS: dict[str, str] = {}  # token -> what the model reads ("" for punctuation, <NUM> for numbers)


def _token_form(token: str) -> str:
    return "" if _SKIP_TOKEN.match(token) else "<NUM>" if _NUMBER.match(token) else token


@functools.lru_cache(maxsize=50_000)
def _segment(text: str) -> tuple:
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

