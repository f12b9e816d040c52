"""The label set, defined once: five themes and the low_carbon flag, in the guideline's order.

Every module that needs a label name, a probability column or the spelling of a set of
themes takes it from here, so that adding or renaming a theme is one edit (and a retrained
model). A label matrix has one column per label in LABELS order: THEME_COLUMNS picks the
themes, LOW_CARBON_COLUMN the flag.
"""
from __future__ import annotations

THEMES = ("energy", "buildings", "transport", "ecology", "markets")
LOW_CARBON = "low_carbon"
LABELS = THEMES + (LOW_CARBON,)

THEME_COLUMNS = slice(0, len(THEMES))  # the themes' columns of a label matrix
LOW_CARBON_COLUMN = LABELS.index(LOW_CARBON)

PROB_COLUMNS = [f"p_{label}" for label in LABELS]
PROB_COLUMN = dict(zip(LABELS, PROB_COLUMNS))  # label -> its probability column
TAG_COLUMNS = ["themes", LOW_CARBON, *PROB_COLUMNS]  # what tagging adds to the sentence table
THEME_SEPARATOR = "|"


def join_themes(themes) -> str:
    """The spelling of a set of themes in tables: sorted by name and '|'-joined ('' for none)."""
    return THEME_SEPARATOR.join(sorted(set(themes)))


def split_themes(spelled) -> list[str]:
    """The themes of a spelled set ('buildings|energy'); empty or missing gives none."""
    return [t for t in str(spelled or "").split(THEME_SEPARATOR) if t]


# every subset of THEMES spelled once; bit k of the index says whether THEMES[k] is in it
THEME_SPELLINGS = [join_themes(t for k, t in enumerate(THEMES) if bits >> k & 1) for bits in range(1 << len(THEMES))]


def check_labels(names) -> list[str]:
    """The names as a list if they are exactly the label set (in any order), else ValueError."""
    names = [str(n) for n in names]
    unknown = [n for n in names if n not in LABELS]
    missing = [label for label in LABELS if label not in names]
    if unknown or missing or len(names) != len(LABELS):
        raise ValueError(f"the labels must be {', '.join(LABELS)}"
                         + (f"; unknown: {', '.join(unknown)}" if unknown else "")
                         + (f"; missing: {', '.join(missing)}" if missing else ""))
    return names


def label_order(classes) -> list[int]:
    """Column indices that put a matrix whose columns are `classes` into LABELS order."""
    classes = check_labels(classes)
    return [classes.index(label) for label in LABELS]
