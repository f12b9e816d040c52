"""lowcarbon: tag the low-carbon themes of Chinese government work reports.

Importing this package is quiet and cheap: heavy modules (scikit-learn, the segmenter) load on
first use. The stages, each a module, work on one DataFrame of sentences:

    reading    -> files, folders, tables, standard input to text
    structure  -> clean-up, region blocks, sections, sentences with offsets
    model      -> ThemeClassifier (scikit-learn estimator), corpus loading, model files
    tagging    -> themes and probabilities added to the sentence table
    aggregate  -> per region / section / year tables and quantified targets
    report     -> CSV / XLSX / HTML outputs
"""
from .errors import CorpusError, LowcarbonError, ModelError, OutputError, ReadError

__version__ = "0.1.0"
THEMES = ("energy", "buildings", "transport", "ecology", "markets")

__all__ = [
    "THEMES", "ThemeClassifier", "CorpusError", "LowcarbonError", "ModelError", "OutputError",
    "ReadError", "read_sentences", "tag", "load_model", "load_corpus", "train", "evaluate",
    "aggregate_by_region", "extract_targets", "build_report",
]

_LAZY = {
    "ThemeClassifier": "model", "load_model": "model", "save_model": "model", "load_corpus": "model",
    "train": "model", "evaluate": "model", "KeywordBaseline": "model",
    "read_sentences": "structure", "split_sentences": "structure",
    "tag": "tagging", "tag_dask": "tagging",
    "aggregate_by_region": "aggregate", "aggregate_by_region_section": "aggregate",
    "aggregate_by_region_year": "aggregate", "extract_targets": "aggregate", "parse_number": "aggregate",
    "build_report": "report",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
