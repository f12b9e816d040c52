"""The labelled corpus: reading and checking labelled sentences, and the hash a model records.

A corpus is a table (CSV, JSONL, Parquet, XLSX) with text, themes and low_carbon. Every
problem is a CorpusError naming the file and rows, so a labeller can fix it; exact duplicates
are dropped for training with a warning.
"""
from __future__ import annotations

import hashlib
import os
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import CorpusError
from .labels import LOW_CARBON, THEMES, join_themes
from .reading import read_table
from .text import normalize_for_model


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


def _theme_list(value) -> list[str]:
    """A cell's themes: a list, or text separated by | , ; ， 、 or spaces."""
    if isinstance(value, (list, tuple, np.ndarray)):
        items = [str(v).strip() for v in value]
    else:
        items = [t.strip() for t in re.split(r"[|,;，、\s]+", "" if value is None or value != value else str(value))]
    return sorted({t for t in items if t})


def load_corpus(paths, drop_duplicates: bool = True) -> pd.DataFrame:
    """Read labelled CSV/JSONL/Parquet/XLSX files: text, themes (`a|b` or a list), low_carbon.

    Parameters
    ----------
    paths : path or list of paths
    drop_duplicates : bool, default=True
        Drop rows whose normalised text repeats an earlier row's, with a warning (for
        training); evaluation passes False so that every row counts.

    Returns
    -------
    DataFrame
        text, themes ('|'-joined, sorted), one 0/1 column per label, and file/row for errors.

    Raises
    ------
    CorpusError
        Naming the rows, for unknown themes, empty text, missing columns, a theme without
        low_carbon, and the same text with different labels.
    """
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
        missing = [c for c in ("text", "themes", LOW_CARBON) if c not in table.columns]
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

    theme_lists = corpus["themes"].map(_theme_list)
    unknown = theme_lists.map(lambda ts: [t for t in ts if t not in THEMES])
    bad = unknown.map(bool)
    if bad.any():
        names = sorted({t for ts in unknown[bad] for t in ts})
        raise CorpusError(_rows(f"unknown theme(s) {', '.join(names)} in rows", where(bad))
                          + f"; themes are {', '.join(THEMES)}")
    low_carbon = corpus[LOW_CARBON].map(_parse_bool)
    bad = low_carbon.isna()
    if bad.any():
        raise CorpusError(_rows("low_carbon is not true/false in rows", where(bad)))
    low_carbon = low_carbon.astype(bool)
    bad = theme_lists.map(bool) & ~low_carbon
    if bad.any():
        raise CorpusError(_rows("rows with a theme but low_carbon=false", where(bad))
                          + "; a sentence with a theme is low_carbon by the guideline")
    corpus["themes"] = theme_lists.map(join_themes)
    corpus[LOW_CARBON] = low_carbon
    for theme in THEMES:
        corpus[theme] = theme_lists.map(lambda ts, t=theme: int(t in ts))
    corpus[LOW_CARBON] = low_carbon.astype(int)

    key = corpus["text"].map(normalize_for_model)
    labels = corpus["themes"] + "/" + corpus[LOW_CARBON].astype(str)
    groups = pd.DataFrame({"key": key, "labels": labels})
    conflicting = groups.groupby("key")["labels"].transform("nunique") > 1
    if conflicting.any():
        raise CorpusError(_rows("the same text with different labels in rows", where(conflicting))
                          + "; keep one labelling")
    duplicated = key.duplicated()
    if drop_duplicates and duplicated.any():
        warnings.warn(_rows(f"{int(duplicated.sum())} duplicated row(s) dropped:", where(duplicated)), stacklevel=2)
        corpus = corpus[~duplicated].reset_index(drop=True)
    return corpus


def corpus_hash(corpus: pd.DataFrame) -> str:
    """SHA-256 of the corpus's text and labels, row by row: a model's manifest records what it was trained on."""
    digest = hashlib.sha256()
    for text, themes, lc in zip(corpus["text"], corpus["themes"], corpus[LOW_CARBON]):
        digest.update(f"{text}\t{themes}\t{lc}\n".encode())
    return digest.hexdigest()
