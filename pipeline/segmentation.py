"""Word segmentation: jieba's dictionary and algorithm, run by rjieba (the jieba-rs binding).

Segmentation is most of the cost of tagging. rjieba cuts exactly as `jieba.lcut` does (the
tests compare them token for token on the corpus and on random text) at about 20 times the
speed, and loads its dictionary in a tenth of a second instead of jieba's one to two seconds.
Where rjieba cannot be imported (no wheel for the platform), the same words come from the
`jieba` package itself, only slower: that fallback is why jieba stays a runtime dependency
(it is also the reference the tests compare rjieba against).
"""
from __future__ import annotations

import functools
import re

_SURROGATES = re.compile("[\ud800-\udfff]")


def without_surrogates(text: str) -> str:
    """Lone surrogates (from broken UTF-16) cannot cross into Rust or C; one U+FFFD each keeps every offset."""
    return _SURROGATES.sub("\ufffd", text)


@functools.lru_cache(maxsize=1)
def backend():
    """(name, cut, tokenize) of the segmenter in use: rjieba, or jieba where rjieba is missing."""
    try:
        import rjieba
    except ImportError:
        return ("jieba", *_jieba_functions())
    return "rjieba", lambda text, hmm: rjieba.cut(text, hmm=hmm), rjieba.tokenize


def _jieba_functions():
    import logging

    import jieba

    log = logging.getLogger("jieba")  # its dictionary load logs to standard error; say nothing, then put the level back
    level = log.level
    log.setLevel(logging.WARNING)
    try:
        jieba.initialize()
    finally:
        log.setLevel(level)
    return (lambda text, hmm: jieba.lcut(text, HMM=hmm)), jieba.tokenize


def words(text: str, hmm: bool = False) -> list[str]:
    """jieba's words of `text` (as `jieba.lcut(text, HMM=hmm)`); without HMM unknown words stay split."""
    return backend()[1](without_surrogates(text), hmm)


def word_ends(text: str) -> set[int]:
    """Character offsets where a jieba word (default mode, HMM on) starts or ends, 0 included."""
    bounds = {0}
    bounds.update(end for _, _, end in backend()[2](without_surrogates(text)))
    return bounds
