"""Model files: a joblib file and its manifest, written atomically and checked before loading.

A .joblib file is a pickle, and loading a pickle can run code: a model therefore travels
with NAME.manifest.json (SHA-256 of the file, library versions, labels, thresholds, corpus
hash, cross-validated scores), and a file that does not match its manifest is refused. The
default model is package data (`models/` in the source tree, `pipeline/models/` once
installed), found with importlib.resources so that any kind of install finds it.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import platform
import warnings
from importlib import resources
from pathlib import Path

from .classifier import ThemeClassifier
from .errors import ModelError
from .writing import atomic_write


def _default_model() -> Path:
    try:
        return Path(str(resources.files("pipeline.models") / "default.joblib"))
    except ModuleNotFoundError:  # a source tree used without installing it: models/ beside the package
        return Path(__file__).resolve().parent.parent / "models" / "default.joblib"


DEFAULT_MODEL = _default_model()
REBUILD_DEFAULT = "lowcarbon train corpus/train.csv -o models/default.joblib --seed 0"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def manifest_path(path) -> Path:
    """NAME.manifest.json beside NAME.joblib."""
    path = Path(path)
    return path.with_name(path.stem + ".manifest.json")


def versions() -> dict:
    """Versions of Python and of the packages a model's predictions depend on (None where missing)."""
    import importlib.metadata as md

    found = {"python": platform.python_version()}
    for pkg in ("lowcarbon", "scikit-learn", "rjieba", "jieba", "numpy", "scipy", "pandas", "joblib"):
        try:
            found[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            found[pkg] = None
    return found


def save_model(model: ThemeClassifier, path, metadata: dict | None = None) -> dict:
    """Write the joblib file and its manifest beside it, each atomically.

    Parameters
    ----------
    model : ThemeClassifier
        A fitted model.
    path : path
        NAME.joblib; the manifest is NAME.manifest.json.
    metadata : dict, optional
        Added to the manifest (train gives the corpus hash and the cross-validated scores).

    Returns
    -------
    dict
        The manifest: file, sha256, created, versions, labels, thresholds, params and metadata.
    """
    import joblib

    path = Path(path)
    atomic_write(path, lambda tmp: joblib.dump(model, tmp, compress=3))
    labels = [str(c) for c in model.classes_]
    manifest = {
        "file": path.name,
        "sha256": _sha256(path),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "versions": versions(),
        "labels": labels,
        "thresholds": dict(zip(labels, map(float, model.thresholds_))),
        "theme_gate": float(getattr(model, "theme_gate_", 0.0)),
        "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in model.get_params().items()},
        **(metadata or {}),
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2)
    atomic_write(manifest_path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return manifest


def record_evaluation(path, label: str, table, summary: dict, source: str) -> dict:
    """Keep a model's scores on a labelled set in its manifest, under `label`.

    The report's note on method quotes them, so a reader sees how the model does on real
    text. Only the manifest changes; the model file and its hash do not."""
    path = Path(path) if path else DEFAULT_MODEL
    manifest_file = manifest_path(path)
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ModelError(f"{manifest_file}: no readable manifest to record the scores in") from None
    manifest.setdefault("evaluations", {})[label] = {
        "file": Path(source).name, "rows": int(summary["model"]["rows"]),
        "recorded": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "model": summary["model"], "keywords": summary["keywords"],
        "per_label": table.round(4).to_dict(orient="records"),
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2)
    atomic_write(manifest_file, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return manifest


_WARNED: set = set()


def load_model(path=None, trust: bool = False) -> ThemeClassifier:
    """Load a model after checking it against its manifest.

    Parameters
    ----------
    path : path, optional
        The .joblib file; by default the shipped model (DEFAULT_MODEL).
    trust : bool, default=False
        Load a file that has no manifest. joblib files are pickles and can run code when
        loaded: pass True only for a file whose source you trust.

    Raises
    ------
    ModelError
        Missing file, unreadable manifest, hash mismatch, no manifest without trust, or not
        a ThemeClassifier. A model trained with another scikit-learn or rjieba version loads
        with one warning.
    """
    import joblib

    path = Path(path) if path else DEFAULT_MODEL
    if not path.exists():
        hint = f" (train it with `{REBUILD_DEFAULT}`)" if path == DEFAULT_MODEL else ""
        raise ModelError(f"{path}: no such model file{hint}")
    manifest_file = manifest_path(path)
    manifest = None
    if manifest_file.exists():
        try:
            manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        except (ValueError, OSError):
            raise ModelError(f"{manifest_file}: unreadable manifest; re-download the model with its manifest") from None
        if not isinstance(manifest, dict):
            raise ModelError(f"{manifest_file}: not a model manifest; re-download the model with its manifest")
        if manifest.get("sha256") != _sha256(path):
            raise ModelError(f"{path}: does not match the SHA-256 in {manifest_file.name}; "
                             "the file was changed or corrupted: re-download or retrain it")
    elif not trust:
        raise ModelError(f"{path}: no manifest ({manifest_file.name}) to check it against; loading a joblib file "
                         "can run code, so pass --trust-model only if you trust its source")
    if manifest:
        # scikit-learn runs the model; rjieba cuts the words it reads (another dictionary, other words)
        current_versions = versions()
        for package in ("scikit-learn", "rjieba"):
            saved = (manifest.get("versions") or {}).get(package)
            current = current_versions.get(package)
            if saved and current and saved != current and (package, saved, current) not in _WARNED:
                _WARNED.add((package, saved, current))
                warnings.warn(f"{path.name} was trained with {package} {saved}, this is {current}; "
                              "results may differ slightly: retrain to be sure", stacklevel=2)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*Trying to unpickle estimator.*")
            model = joblib.load(path)
    except Exception as exc:
        raise ModelError(f"{path}: cannot load the model ({type(exc).__name__}); re-download or retrain it") from None
    if not isinstance(model, ThemeClassifier):
        raise ModelError(f"{path}: not a lowcarbon ThemeClassifier")
    if not isinstance(getattr(model, "heads_", None), list):
        raise ModelError(f"{path}: made by an older lowcarbon; retrain it with `lowcarbon train`")
    return model
