"""lowcarbon: tag the low-carbon themes of Chinese government work reports.

Importing this package is quiet and cheap: every name below is loaded from its module on
first use, so scikit-learn, pandas and the segmenter load only when needed. The modules,
each one job, in the order data flows through them (see README, Layout):

    reading -> structure -> text / features -> classifier -> tagging -> aggregation / targets -> promises -> report

with labels (the label set), writing, persistence, streaming and parallel beside them.
"""
from __future__ import annotations

_EXPORTS = {
    "labels": ["THEMES", "LABELS", "PROB_COLUMNS", "TAG_COLUMNS"],
    "errors": ["LowcarbonError", "ReadError", "CorpusError", "ModelError", "OutputError"],
    "structure": ["split_sentences", "document_sentences"],
    "streaming": ["read_sentences", "SentenceStream", "tag_files"],
    "classifier": ["ThemeClassifier"],
    "baseline": ["KeywordBaseline"],
    "corpus": ["load_corpus"],
    "training": ["train"],
    "evaluation": ["evaluate"],
    "persistence": ["load_model", "save_model", "DEFAULT_MODEL"],
    "tagging": ["tag"],
    "parallel": ["tag_chunks", "tag_dask"],
    "aggregation": ["aggregate_by_region", "aggregate_by_region_section", "aggregate_by_region_year"],
    "targets": ["extract_targets", "parse_number"],
    "promises": ["compare_promises", "build_promises"],
    "report": ["build_report"],
}
_LAZY = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = list(_LAZY)


def __getattr__(name):
    if name == "__version__":
        from importlib import metadata

        try:
            version = metadata.version("lowcarbon")
        except metadata.PackageNotFoundError:  # run from a source tree that was never installed
            version = "0+unknown"
        globals()["__version__"] = version
        return version
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value  # looked up once
        return value
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")


def __dir__():
    return [*__all__, "__version__"]
