"""Where model files made before the split into modules look for their classes and functions.

A pickled model names the module of every class and function it holds; the shipped
models/default.joblib names `pipeline.model`. These aliases let such files load unchanged;
new files name the modules below.
"""
from .classifier import ThemeClassifier
from .features import CharNgramCounter, cue_hits, jieba_tokens

__all__ = ["CharNgramCounter", "ThemeClassifier", "cue_hits", "jieba_tokens"]
