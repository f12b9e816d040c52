"""The segmenter (rjieba) must cut exactly as jieba does: the model's words and the place-name
word boundaries were designed on jieba, and the default model was trained on its words."""
import logging
import random

import pandas as pd
import pytest

from pipeline.text import normalize_for_model
from pipeline.segmentation import without_surrogates, word_ends, words

from .conftest import ROOT

jieba = pytest.importorskip("jieba")
jieba.setLogLevel(logging.WARNING)


def test_golden_words():
    text = "2025年新增光伏装机120万千瓦，推进“双碳”；新建充电桩1.5万个！"
    # jieba's own cut, HMM off: words outside its dictionary (双碳, 充电桩) stay in pieces
    assert words(text) == ["2025", "年", "新增", "光伏", "装机", "120", "万千瓦", "，", "推进", "“", "双", "碳", "”",
                           "；", "新建", "充电", "桩", "1", ".", "5", "万个", "！"]


@pytest.mark.slow
def test_words_equal_jieba_on_the_whole_corpus():
    texts = pd.concat([pd.read_csv(ROOT / "corpus" / f, dtype=str, keep_default_na=False)
                       for f in ("train.csv", "test.csv")])["text"].tolist()
    assert len(texts) > 5000
    differ = [t for t in map(normalize_for_model, texts) if words(t) != jieba.lcut(t, HMM=False)]
    assert differ == []


def test_words_equal_jieba_on_random_text():
    """Random strings of common characters, Latin, digits, punctuation and spaces: where a port
    of the algorithm would drift first (unknown-word runs, mixed scripts, blanks)."""
    rng = random.Random(7)
    alphabet = list("的一是在不了有和人这中大为上国以要时来用生到作地于出就分对成会可发年动同工能下过产面而方后多"
                    "定行法所民得经十三之进等部度家电力里水化高自二理起小物现实加量都两体制机当使点从业本去性好应开"
                    "合还因由其然前外天政四日那社义事平形相全表间样与关各重新线内数正心反明看原又利比或但质气第向道"
                    "光伏风电储能碳汇绿色低碳充电桩公交") + list(" \t\nAbc12.%（），。“”-_·")
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert words(text) == jieba.lcut(text, HMM=False), text


def test_word_ends_are_jieba_token_ends():
    text = "绿水青山就是金山银山，上海金山区建成光伏电站。"
    assert word_ends(text) == {0} | {end for _, _, end in jieba.tokenize(text)}
    assert 7 not in word_ends(text)  # 金山 inside 金山银山 is no word of its own
    assert {13, 16} <= word_ends(text)  # 金山区 is


def test_lone_surrogates_are_replaced_one_for_one():
    text = "光伏\ud800装机"
    assert without_surrogates(text) == "光伏\ufffd装机"
    assert "".join(words(text)) == "光伏\ufffd装机"
    assert max(word_ends(text)) == len(text)



def _hide_rjieba(monkeypatch):
    """From here on the segmenter is as on a platform where rjieba cannot be imported."""
    import sys

    from pipeline import segmentation

    monkeypatch.setitem(sys.modules, "rjieba", None)  # `import rjieba` raises ImportError
    segmentation.backend.cache_clear()
    return segmentation


@pytest.fixture(autouse=True)
def _fresh_backend():
    """Each test starts and ends with the segmenter chosen from what is installed."""
    from pipeline import segmentation

    segmentation.backend.cache_clear()
    yield
    segmentation.backend.cache_clear()


SENTENCES = ["2025年新增光伏装机120万千瓦，推进“双碳”；新建充电桩1.5万个！", "绿水青山就是金山银山，上海金山区建成光伏电站。",
             "光伏\ud800装机", "", "A股 IPO 2.5% 的 Latin-runs.and-dots"]


def test_without_rjieba_jieba_gives_the_same_words_and_boundaries(monkeypatch):
    """The model's words (HMM off) are the same. Word boundaries with HMM on, used for place
    names, are too on Chinese text; they differ only where rjieba's differ from jieba's (Latin
    runs joined by - or ., see README, Performance), which no place name has."""
    from pipeline import segmentation

    assert segmentation.backend()[0] == "rjieba"
    chinese = SENTENCES[:4]
    expected = [words(t) for t in SENTENCES], [word_ends(t) for t in chinese]
    _hide_rjieba(monkeypatch)
    assert segmentation.backend()[0] == "jieba"
    assert ([words(t) for t in SENTENCES], [word_ends(t) for t in chinese]) == expected


@pytest.mark.slow
def test_without_rjieba_jieba_gives_the_same_words_on_the_whole_corpus(monkeypatch):
    texts = [normalize_for_model(t) for t in pd.concat(
        [pd.read_csv(ROOT / "corpus" / f, dtype=str, keep_default_na=False) for f in ("train.csv", "test.csv")])["text"]]
    expected = [words(t) for t in texts]
    _hide_rjieba(monkeypatch)
    assert [words(t) for t in texts] == expected
