"""Word segmentation: jieba's dictionary and algorithm, run by rjieba (the jieba-rs binding).

Segmentation is most of the cost of tagging. rjieba cuts exactly as `jieba.lcut` does (the
tests compare them token for token on the corpus and on random text) at about 20 times the
speed, and loads its dictionary in a tenth of a second instead of jieba's one to two seconds.
The `jieba` package itself is kept for building the place-name table (`scripts/`) and as the
reference those tests compare against.
"""
from __future__ import annotations

import re

_SURROGATES = re.compile("[\ud800-\udfff]")


def without_surrogates(text: str) -> str:
    """Lone surrogates (from broken UTF-16) cannot cross into Rust or C; one U+FFFD each keeps every offset."""
    return _SURROGATES.sub("\ufffd", text)


def words(text: str, hmm: bool = False) -> list[str]:
    """jieba's words of `text` (as `jieba.lcut(text, HMM=hmm)`); without HMM unknown words stay split."""
    import rjieba

    return rjieba.cut(without_surrogates(text), hmm=hmm)


def word_ends(text: str) -> set[int]:
    """Character offsets where a jieba word (default mode, HMM on) starts or ends, 0 included."""
    import rjieba

    bounds = {0}
    bounds.update(end for _, _, end in rjieba.tokenize(without_surrogates(text)))
    return bounds
