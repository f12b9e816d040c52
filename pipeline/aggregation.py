"""Aggregation: per region, section and year, theme by theme.

Every function takes the tagged sentence table and returns a DataFrame in long form
(one row per region × theme, …), regions in the conventional order, themes in the
guideline's order, so analysts can pivot, chart or join as they like.
"""
from __future__ import annotations

import pandas as pd

from .labels import LABELS, LOW_CARBON, PROB_COLUMNS, THEME_SEPARATOR, THEMES
from .places import region_sort_key

UNASSIGNED = "(未定)"
METRIC_COLUMNS = ["sentences", "share_of_region", "share_of_low_carbon", "mean_p"]


def report_rows(tagged: pd.DataFrame) -> pd.DataFrame:
    """The rows that are report text (kept), region filled with UNASSIGNED, one has_<theme> flag per theme."""
    rows = tagged[tagged["kept"].astype(bool)] if "kept" in tagged.columns else tagged
    rows = rows.copy()
    rows["region"] = rows["region"].fillna(UNASSIGNED).replace("", UNASSIGNED)
    theme_sets = rows["themes"].fillna("").astype(str).str.split(THEME_SEPARATOR, regex=False)
    for theme in THEMES:
        rows[f"has_{theme}"] = theme_sets.map(lambda ts, t=theme: t in ts)
    rows[LOW_CARBON] = rows[LOW_CARBON].astype(bool)
    return rows


def _aggregate(tagged: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    rows = report_rows(tagged)
    if rows.empty:
        return pd.DataFrame(columns=[*keys, "theme", *METRIC_COLUMNS, "kept_sentences", "low_carbon_sentences"])
    groups = rows.groupby(keys, dropna=False, sort=False)
    totals = groups.agg(kept_sentences=("text", "size"), low_carbon_sentences=(LOW_CARBON, "sum")).reset_index()
    parts = []
    for theme, prob in zip(LABELS, PROB_COLUMNS):
        flag = LOW_CARBON if theme == LOW_CARBON else f"has_{theme}"
        part = groups.agg(sentences=(flag, "sum"), mean_p=(prob, "mean")).reset_index()
        part.insert(len(keys), "theme", theme)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True).merge(totals, on=keys, how="left")
    out["sentences"] = out["sentences"].astype(int)
    out["share_of_region"] = out["sentences"] / out["kept_sentences"].where(out["kept_sentences"] > 0)
    out["share_of_low_carbon"] = (out["sentences"] / out["low_carbon_sentences"].where(out["low_carbon_sentences"] > 0)).fillna(0.0)
    out["share_of_region"] = out["share_of_region"].fillna(0.0)
    out["mean_p"] = out["mean_p"].astype(float).round(4)
    order = {t: i for i, t in enumerate(LABELS)}
    section_order = {"review": 0, "plan": 1, "other": 2}
    out = out.sort_values(
        by=[*keys, "theme"],
        key=lambda col: col.map(region_sort_key) if col.name == "region"
        else col.map(order) if col.name == "theme"
        else col.map(section_order) if col.name == "section" else col,
        kind="stable",
    ).reset_index(drop=True)
    for col in ("share_of_region", "share_of_low_carbon"):
        out[col] = out[col].round(4)
    return out[[*keys, "theme", *METRIC_COLUMNS, "kept_sentences", "low_carbon_sentences"]]


def aggregate_by_region(tagged: pd.DataFrame) -> pd.DataFrame:
    """Region × theme, over the report text (kept rows) of a tagged sentence table.

    Returns
    -------
    DataFrame
        region, theme, sentences, share_of_region (of the region's kept sentences),
        share_of_low_carbon (of its low-carbon sentences), mean_p, kept_sentences,
        low_carbon_sentences; one row per region and label (the low_carbon row counts the
        flag itself), regions in the conventional order, labels in LABELS order.
    """
    return _aggregate(tagged, ["region"])


def aggregate_by_region_section(tagged: pd.DataFrame) -> pd.DataFrame:
    """Region × section (review / plan / other) × theme: last year's work beside this year's plan.

    Returns the columns of aggregate_by_region with section after region."""
    return _aggregate(tagged, ["region", "section"])


def aggregate_by_region_year(tagged: pd.DataFrame) -> pd.DataFrame:
    """Region × year × theme across many documents (the year of the section a sentence is in).

    Returns the columns of aggregate_by_region with year after region."""
    frame = tagged.copy()
    frame["year"] = pd.to_numeric(frame["year"], errors="coerce").astype("Int64")
    return _aggregate(frame, ["region", "year"])
