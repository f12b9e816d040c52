"""Tagging: themes, the low_carbon flag and probabilities added to the sentence table.

Only kept rows (report text) are classified; preface, links and disclaimers get no theme.
Large tables are tagged in chunks so memory stays bounded, optionally across processes
(joblib) or across a cluster (Dask), with results identical to one process.
"""
from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from . import THEMES
from .model import LABELS, ThemeClassifier

PROB_COLUMNS = [f"p_{label}" for label in LABELS]
TAG_COLUMNS = ["themes", "low_carbon", *PROB_COLUMNS]


def _labels_frame(model: ThemeClassifier, texts: list[str], explain: bool = False) -> pd.DataFrame:
    proba = model.predict_proba(texts) if texts else np.zeros((0, len(LABELS)))
    pred = model.decide(proba) if texts else np.zeros((0, len(LABELS)), dtype=int)
    blank = np.array([not t.strip() for t in texts], dtype=bool)
    if blank.any():  # an empty row says nothing, whatever the model's prior
        proba[blank], pred[blank] = 0.0, 0
    # every combination of the five themes, spelled once; a row's bits pick its spelling
    spelled = ["|".join(sorted(t for k, t in enumerate(THEMES) if bits >> k & 1)) for bits in range(32)]
    codes = pred[:, :5] @ (1 << np.arange(5)) if len(pred) else np.zeros(0, dtype=int)
    themes = [spelled[c] for c in codes]
    frame = pd.DataFrame({"themes": themes, "low_carbon": pred[:, -1].astype(bool)})
    for j, col in enumerate(PROB_COLUMNS):
        frame[col] = np.round(proba[:, j], 4)
    if explain:
        words = []
        for text, row in zip(texts, pred):
            if not row[:5].any():
                words.append("")
                continue
            why = model.explain(text)
            words.append("; ".join(f"{t}: {' '.join(why[t])}" for t in THEMES if row[THEMES.index(t)]))
        frame["why"] = words
    return frame


def _kept_texts(sentences: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Which rows are report text, and their texts: all a classifier needs to see."""
    kept = sentences["kept"].to_numpy(bool) if "kept" in sentences.columns else np.ones(len(sentences), bool)
    return kept, [str(t) for t in sentences.loc[kept, "text"].tolist()]  # not astype(str): Arrow strings refuse lone surrogates


def _with_labels(sentences: pd.DataFrame, kept: np.ndarray, labels: pd.DataFrame) -> pd.DataFrame:
    """The sentence table with the label columns of its kept rows; other rows get no theme."""
    out = sentences.copy()
    out["themes"] = ""
    out["low_carbon"] = False
    for col in PROB_COLUMNS:
        out[col] = np.nan
    if "why" in labels.columns:
        out["why"] = ""
    for col in labels.columns:
        out.loc[kept, col] = labels[col].to_numpy()
    out["low_carbon"] = out["low_carbon"].astype(bool)
    return out


def tag(sentences: pd.DataFrame, model: ThemeClassifier, explain: bool = False) -> pd.DataFrame:
    """Add themes, low_carbon and p_* columns; rows that are not report text get no theme."""
    kept, texts = _kept_texts(sentences)
    return _with_labels(sentences, kept, _labels_frame(model, texts, explain))


# ---------------------------------------------------------------- streaming and parallel
_WORKER_MODELS: dict = {}


def _model_key(model_path: str, trust: bool) -> tuple:
    """A model file as loaded: a file rewritten in place, or loaded with other trust, is another model."""
    import os

    try:
        stamp = os.stat(model_path).st_mtime_ns
    except OSError:
        stamp = None
    return (str(model_path), stamp, trust)


def _model_in_worker(model_path: str, trust: bool) -> ThemeClassifier:
    """The model, loaded once per process (workers live on between chunks and calls)."""
    key = _model_key(model_path, trust)
    if key not in _WORKER_MODELS:
        from .model import load_model

        _WORKER_MODELS[key] = load_model(model_path, trust=trust)
    return _WORKER_MODELS[key]


def _labels_in_worker(texts: list[str], model, trust: bool, explain: bool) -> pd.DataFrame:
    if isinstance(model, tuple):  # a key into this (forked) process's models
        model = _WORKER_MODELS[model]
    elif isinstance(model, str):
        model = _model_in_worker(model, trust)
    return _labels_frame(model, texts, explain)


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the parent, which stops them and keeps the old output; the
    parent's stop (SIGTERM) ends a worker at once, whatever handler the parent had."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


# Fork where it is safe (Linux): workers start in milliseconds as copies of this process, model and
# segmenter already loaded. Elsewhere joblib's loky workers start fresh and each loads the model (~2.5 s).
FORK_WORKERS = sys.platform.startswith("linux")


def _labels_in_workers(text_lists, workers: int, model: ThemeClassifier | None, model_path: str | None,
                       trust: bool, explain: bool):
    """The label frame of each list of texts, in order, from worker processes, with at most
    two lists per worker out at a time (so memory stays bounded and no worker waits). If the
    input fails, the lists read before it are still labelled and handed on first."""
    from collections import deque

    if FORK_WORKERS:
        import multiprocessing

        from .model import warm_up

        key = ("<in memory>", id(model), trust) if model is not None else _model_key(model_path, trust)
        _WORKER_MODELS[key] = model if model is not None else _model_in_worker(model_path, trust)
        warm_up(_WORKER_MODELS[key])  # segmenter, OpenCC and cue tables loaded once, before the fork
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_ignore_interrupts)

        def submit(texts):
            return pool.apply_async(_labels_in_worker, (texts, key, trust, explain))

        def result(job):
            return job.get()

        def close():
            pool.terminate()
            if model is not None:
                _WORKER_MODELS.pop(key, None)
    else:
        from joblib.externals.loky import get_reusable_executor

        executor = get_reusable_executor(workers)  # joblib's own process pool, kept for the next call
        source = str(model_path) if model_path is not None else model  # an in-memory model travels with each list

        def submit(texts):
            return executor.submit(_labels_in_worker, texts, source, trust, explain)

        def result(future):
            return future.result()

        def close():
            pass

    pending = deque()
    texts_iter = iter(text_lists)
    try:
        while True:
            try:
                texts = next(texts_iter)
            except StopIteration:
                break
            except Exception:
                while pending:
                    yield result(pending.popleft())
                raise
            pending.append(submit(texts))
            if len(pending) >= 2 * workers:
                yield result(pending.popleft())
        while pending:
            yield result(pending.popleft())
    finally:
        close()


def tag_chunks(chunks, model: ThemeClassifier | None = None, n_jobs: int = 1, explain: bool = False,
               model_path: str | None = None, trust: bool = False):
    """Tag an iterable of sentence tables, yielding tagged tables in the same order.

    With n_jobs > 1 (or -1 for all cores) only the texts of each chunk go to worker
    processes, which send back only the label columns; this process meanwhile reads the next
    chunks and writes the finished ones, so reading, tagging and writing overlap. Order and
    results are those of one process."""
    import multiprocessing

    workers = 1
    if n_jobs not in (0, 1, None) and not multiprocessing.current_process().daemon:  # a daemon may not have children
        from joblib import effective_n_jobs

        workers = effective_n_jobs(n_jobs)
    if workers == 1:
        model = model or _model_in_worker(str(model_path), trust)
        for chunk in chunks:
            yield tag(chunk, model, explain)
        return
    from collections import deque

    if model_path is None and model is None:
        raise ValueError("parallel tagging needs a model or a model_path")
    waiting = deque()  # (chunk, kept rows) in order, matched to the label frames as they come back

    def texts_in_order():
        for chunk in chunks:
            kept, texts = _kept_texts(chunk)
            waiting.append((chunk, kept))
            yield texts

    for labels in _labels_in_workers(texts_in_order(), workers, model, model_path, trust, explain):
        chunk, kept = waiting.popleft()
        yield _with_labels(chunk, kept, labels)


def split_rows(frame: pd.DataFrame, chunk_size: int):
    """A sentence table in pieces of at most chunk_size rows (structure is already decided)."""
    for start in range(0, max(len(frame), 1), chunk_size):
        piece = frame.iloc[start:start + chunk_size]
        if len(piece) or start == 0:
            yield piece


def sentence_chunks(inputs, region: str | None = None, text_column: str = "text", chunk_size: int = 20_000,
                    skipped: list | None = None, progress: bool = False):
    """Sentence tables for the inputs, chunk by chunk, in input order.

    Tables are read in chunks of rows (CSV, JSONL, Parquet); reports are read whole, given
    their regions and sections, then cut into chunks, so a chunk boundary never changes them."""
    from pathlib import Path

    from .reading import TABLE_SUFFIXES, expand_inputs, iter_table_chunks, read_path
    from .structure import source_sentences, table_sentences
    from .errors import ReadError

    files = expand_inputs(inputs, skipped)
    bar = None
    if progress:
        import sys

        from tqdm import tqdm

        bar = tqdm(total=len(files), desc="tagging", unit="file", disable=not sys.stderr.isatty(), leave=False)
    for file in files:
        try:
            if file != "-" and Path(file).suffix.lower() in TABLE_SUFFIXES - {".xlsx"}:
                offset = 0
                for raw in iter_table_chunks(file, text_column, chunk_size):
                    frame = table_sentences(raw, file, text_column, region, Path(file).name)
                    frame["sent_id"] += offset
                    offset += len(frame)
                    yield frame
            else:
                yield from split_rows(source_sentences(read_path(file, text_column), region, text_column), chunk_size)
        except ReadError as exc:
            if skipped is None:
                raise
            skipped.append((file, str(exc)))
        finally:
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()


def tag_dask(frame, model: ThemeClassifier, explain: bool = False):
    """Tag a dask DataFrame of sentences partition by partition (needs the [dask] extra).

    Each partition is tagged by `tag`, so results equal one process's; the model is sent to
    the workers once as part of the task graph."""
    meta = tag(frame._meta, model, explain)
    return frame.map_partitions(tag, model, explain, meta=meta)


def dask_tag_chunks(chunks, model: ThemeClassifier, address: str = "local", explain: bool = False, in_flight: int | None = None):
    """Tag chunks on a Dask cluster ("local" starts a LocalCluster on this machine), in order.

    The model is scattered to every worker once; at most `in_flight` chunks are out at a time,
    so memory stays bounded however long the input."""
    from collections import deque

    try:
        from distributed import Client, LocalCluster
    except ImportError:
        from .errors import LowcarbonError

        raise LowcarbonError("--dask needs Dask: pip install -e '.[dask]'") from None

    cluster = LocalCluster(processes=True, dashboard_address=None) if address == "local" else None
    client = Client(cluster if cluster is not None else address)
    try:
        model_future = client.scatter(model, broadcast=True)
        limit = in_flight or 2 * max(1, sum(client.nthreads().values()))
        pending = deque()
        for chunk in chunks:
            pending.append(client.submit(tag, chunk, model_future, explain, pure=False))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
