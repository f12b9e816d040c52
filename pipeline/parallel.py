"""Parallel tagging: chunks of sentences tagged in worker processes or on a Dask cluster.

Results are those of one process, in input order: workers get only each chunk's texts and
send back only the label columns, at most two chunks per worker out at a time, while this
process reads the next chunks and writes the finished ones.
"""
from __future__ import annotations

import sys
from collections import deque

from .tagging import kept_texts, labels_frame, tag, with_labels

_WORKER_MODELS: dict = {}


def _model_key(model_path: str, trust: bool) -> tuple:
    """A model file as loaded: a file rewritten in place, or loaded with other trust, is another model."""
    import os

    try:
        stamp = os.stat(model_path).st_mtime_ns
    except OSError:
        stamp = None
    return (str(model_path), stamp, trust)


def _model_in_worker(model_path: str, trust: bool):
    """The model, loaded once per process (workers live on between chunks and calls)."""
    key = _model_key(model_path, trust)
    if key not in _WORKER_MODELS:
        from .persistence import load_model

        _WORKER_MODELS[key] = load_model(model_path, trust=trust)
    return _WORKER_MODELS[key]


def _labels_in_worker(texts: list[str], model, trust: bool, explain: bool):
    if isinstance(model, tuple):  # a key into this (forked) process's models
        model = _WORKER_MODELS[model]
    elif isinstance(model, str):
        model = _model_in_worker(model, trust)
    return labels_frame(model, texts, explain)


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the parent, which stops them and keeps the old output; the
    parent's stop (SIGTERM) ends a worker at once, whatever handler the parent had."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


# Fork where it is safe (Linux): workers start in milliseconds as copies of this process, model and
# segmenter already loaded. Elsewhere joblib's loky workers start fresh and each loads the model (~2.5 s).
FORK_WORKERS = sys.platform.startswith("linux")


def _labels_in_workers(text_lists, workers: int, model, model_path: str | None, trust: bool, explain: bool):
    """The label frame of each list of texts, in order, from worker processes, with at most
    two lists per worker out at a time (so memory stays bounded and no worker waits). If the
    input fails, the lists read before it are still labelled and handed on first."""
    if FORK_WORKERS:
        import multiprocessing

        from .classifier import warm_up

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


def tag_chunks(chunks, model=None, n_jobs: int = 1, explain: bool = False, model_path: str | None = None,
               trust: bool = False):
    """Tag an iterable of sentence tables, yielding tagged tables in the same order.

    Parameters
    ----------
    chunks : iterable of DataFrame
        Sentence tables (SentenceStream gives them).
    model : ThemeClassifier, optional
        The model; without it, it is loaded from model_path.
    n_jobs : int, default=1
        Worker processes (-1: all cores). Only the texts of each chunk go to the workers,
        which send back only the label columns. Inside a daemon process (a Celery or
        multiprocessing worker, which may not start processes) tagging stays in this process.
    explain : bool, default=False
        Add the `why` column.
    model_path : str, optional
        The model's file: workers that do not fork (loky, off Linux) load it from there
        instead of receiving the model with every chunk.
    trust : bool, default=False
        Passed to load_model for model_path.
    """
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
    if model_path is None and model is None:
        raise ValueError("parallel tagging needs a model or a model_path")
    waiting = deque()  # (chunk, kept rows) in order, matched to the label frames as they come back

    def texts_in_order():
        for chunk in chunks:
            kept, texts = kept_texts(chunk)
            waiting.append((chunk, kept))
            yield texts

    for labels in _labels_in_workers(texts_in_order(), workers, model, model_path, trust, explain):
        chunk, kept = waiting.popleft()
        yield with_labels(chunk, kept, labels)


def tag_dask(frame, model, explain: bool = False):
    """Tag a dask DataFrame of sentences partition by partition (needs the [dask] extra).

    Parameters
    ----------
    frame : dask DataFrame
        Sentences: a text column, and kept where some rows are not report text.
    model : ThemeClassifier
        Sent to the workers once, as part of the task graph.
    explain : bool, default=False

    Returns
    -------
    dask DataFrame
        Each partition tagged by `tag`, so the results equal one process's.
    """
    meta = tag(frame._meta, model, explain)
    return frame.map_partitions(tag, model, explain, meta=meta)


def dask_tag_chunks(chunks, model, address: str = "local", explain: bool = False, in_flight: int | None = None):
    """Tag chunks on a Dask cluster ("local" starts a LocalCluster on this machine), in order.

    The model is scattered to every worker once; at most `in_flight` chunks are out at a time
    (by default two per worker thread), so memory stays bounded however long the input."""
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
