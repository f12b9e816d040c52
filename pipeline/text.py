"""Text clean-up shared by the reader and the model: widths, Traditional script, punctuation.

clean_text is what the reader applies to every document (one character for one, so offsets
into the source stay valid); normalize_for_model is the copy the classifier reads. Nothing
here knows about files, sentences or labels.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path

# Full-width letters, digits and spaces become ASCII; Chinese punctuation stays as written.
# The map is one character to one character, so offsets into the source stay valid.
_WIDTH = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)}
_WIDTH.update({c: c - 0xFEE0 for c in range(0xFF21, 0xFF3B)})
_WIDTH.update({c: c - 0xFEE0 for c in range(0xFF41, 0xFF5B)})
_WIDTH.update({0x3000: 0x20, 0x00A0: 0x20, 0x2002: 0x20, 0x2003: 0x20, 0x2009: 0x20, 0xFEFF: 0x20,
               0x200B: 0x20, 0xFF05: ord("%"), 0xFF0E: ord("."), 0x09: 0x20, 0x0B: 0x20, 0x0C: 0x20})
# A lone surrogate is no text (no decoder makes one; only a program can): U+FFFD, one for one.
_WIDTH.update({c: 0xFFFD for c in range(0xD800, 0xE000)})


def clean_text(text: str) -> str:
    """Normalise widths and odd spaces, one character for one, so cleaning twice changes nothing."""
    return text.translate(_WIDTH)


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


_PUNCT = str.maketrans({",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"})


def normalize_for_model(text: str) -> str:
    """What the classifier reads: Simplified script, ASCII digits/letters, Chinese punctuation."""
    text = clean_text(str(text))
    if re.search(r"[\u4e00-\u9fff]", text):
        text = text.translate(_PUNCT)
    return to_simplified(text)
