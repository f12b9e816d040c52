"""The shipped model and its manifest, installed as package data `pipeline.models`.

`lowcarbon train corpus/train.csv -o models/default.joblib --seed 0` rebuilds them here; the
library finds them with importlib.resources (see pipeline/persistence.py).
"""
