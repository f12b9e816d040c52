"""Streams: many inputs read as sentence tables, chunk by chunk, and tagged into one output.

Bad inputs are handled one way throughout the library: `on_error="raise"` raises the first
ReadError, `on_error="skip"` leaves the input out and goes on; either way the stream's
`summary` has one row per input (input, status ok/skipped, sentences, error), which is
also what tag_files returns. Other remarks that do not stop the work (duplicated corpus
rows, a model from another library version, columns left out of an output) are warnings.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd

from .errors import ReadError
from .reading import TABLE_SUFFIXES, expand_input, iter_table_chunks, read_path
from .structure import source_sentences, table_sentences

ON_ERROR = ("raise", "skip")
SUMMARY_COLUMNS = ["input", "status", "sentences", "error"]


def split_rows(frame: pd.DataFrame, chunk_size: int):
    """A sentence table in pieces of at most chunk_size rows (structure is already decided)."""
    for start in range(0, max(len(frame), 1), chunk_size):
        piece = frame.iloc[start:start + chunk_size]
        if len(piece) or start == 0:
            yield piece


class SentenceStream:
    """The sentence tables of files, folders, tables or '-', in input order, chunk by chunk.

    Tables (CSV, JSONL, Parquet) are read chunk_size rows at a time, so a huge table never
    sits in memory; a report is read whole, given its regions and sections, then cut into
    chunks, so a chunk boundary never changes them. Inputs are expanded (folders walked) when
    the stream is made, so a missing path with on_error="raise" fails at once.

    Parameters
    ----------
    inputs : list of paths
        Files, folders (read recursively, in sorted order) or '-' for standard input.
    region : str, optional
        The region of every input, instead of headings and inference.
    text_column : str, default="text"
        Text column of table inputs.
    chunk_size : int or None, default=20_000
        Rows per chunk; None gives each input as one table.
    on_error : {"raise", "skip"}, default="raise"
        What an unreadable input does: raise its ReadError, or be left out (and listed in
        `summary` with its error).
    report_only : bool, default=False
        Leave out rows that are not report text (kept is false).
    progress : bool, default=False
        A bar counting files on standard error, when it is a terminal.

    Attributes
    ----------
    summary : DataFrame
        One row per input (per file of a folder) read so far: input, status ("ok" or
        "skipped"), sentences (rows it gave), error (the ReadError's message, or "").
    """

    def __init__(self, inputs, *, region: str | None = None, text_column: str = "text",
                 chunk_size: int | None = 20_000, on_error: str = "raise", report_only: bool = False,
                 progress: bool = False):
        if on_error not in ON_ERROR:
            raise ValueError(f"on_error must be one of {', '.join(ON_ERROR)}, not {on_error!r}")
        if isinstance(inputs, (str, os.PathLike)):
            inputs = [inputs]
        self.inputs = [str(i) for i in inputs]
        self.region, self.text_column, self.chunk_size = region, text_column, chunk_size
        self.on_error, self.report_only, self.progress = on_error, report_only, progress
        self._rows: list[tuple] = []
        self._files: list[str] = []
        for raw in self.inputs:
            try:
                self._files.extend(expand_input(raw))
            except ReadError as exc:
                self._failed(raw, 0, exc)
        self._expanded = list(self._rows)  # what reading starts from, each time

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(self._rows, columns=SUMMARY_COLUMNS).astype({"sentences": "int64"})

    def _failed(self, name: str, sentences: int, exc: ReadError) -> None:
        self._rows.append((name, "skipped", sentences, str(exc)))
        if self.on_error == "raise":
            raise exc

    def _tables(self, file: str):
        if self.chunk_size is not None and file != "-" and Path(file).suffix.lower() in TABLE_SUFFIXES - {".xlsx"}:
            offset = 0
            for raw in iter_table_chunks(file, self.text_column, self.chunk_size):
                frame = table_sentences(raw, file, self.text_column, self.region, Path(file).name)
                frame["sent_id"] += offset
                offset += len(frame)
                yield frame
            return
        frame = source_sentences(read_path(file, self.text_column), self.region, self.text_column)
        if self.chunk_size is None:
            yield frame
        else:
            yield from split_rows(frame, self.chunk_size)

    def __iter__(self):
        self._rows = list(self._expanded)
        bar = None
        if self.progress and len(self._files) > 1:
            from tqdm import tqdm

            bar = tqdm(total=len(self._files), desc="reading", unit="file", disable=not sys.stderr.isatty(), leave=False)
        try:
            for file in self._files:
                count = 0
                try:
                    for frame in self._tables(file):
                        if self.report_only:
                            frame = frame[frame["kept"]].reset_index(drop=True)
                        count += len(frame)
                        yield frame
                except ReadError as exc:
                    self._failed(file, count, exc)
                else:
                    self._rows.append((file, "ok", count, ""))
                finally:
                    if bar is not None:
                        bar.update(1)
        finally:
            if bar is not None:
                bar.close()

    def read(self) -> pd.DataFrame:
        """All of the stream as one table; a ReadError if no input could be read."""
        frames = list(self)
        if not frames:
            raise ReadError(f"{' '.join(self.inputs)}: nothing could be read")
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def read_sentences(paths, region: str | None = None, text_column: str = "text", *, on_error: str = "raise",
                   progress: bool = False) -> pd.DataFrame:
    """Read files, folders, tables or '-' into one sentence table (the first stage of every command).

    Each input is read whole. Parameters as for SentenceStream; with on_error="skip", a
    SentenceStream(..., chunk_size=None) and its read() and summary say what was left out.

    Raises
    ------
    ReadError
        For the first unreadable input (on_error="raise"), or when nothing could be read.
    """
    return SentenceStream(paths, region=region, text_column=text_column, chunk_size=None, on_error=on_error,
                          progress=progress).read()


def tag_files(inputs, output=None, *, model=None, trust_model: bool = False, n_jobs: int = 1,
              chunk_size: int = 20_000, on_error: str = "raise", region: str | None = None, text_column: str = "text",
              explain: bool = False, all_rows: bool = True, dask: str | None = None,
              progress: bool = False) -> pd.DataFrame:
    """Read, tag and write inputs to one table, chunk by chunk: what `lowcarbon tag` does.

    Memory stays bounded however long the input; the output is written to a temporary file
    and renamed at the end, so an interrupted run leaves any earlier output as it was.

    Parameters
    ----------
    inputs : list of paths
        Files, folders or '-' (see SentenceStream).
    output : path, optional
        .csv (UTF-8 with BOM), .jsonl, .parquet or .xlsx; None writes CSV to standard output.
    model : ThemeClassifier or path, optional
        A loaded model, or a model file to load (checked against its manifest before any
        work); by default the shipped model.
    trust_model : bool, default=False
        Load a model file that has no manifest.
    n_jobs : int, default=1
        Worker processes (-1: all cores); the output is byte for byte that of one process.
    chunk_size : int, default=20_000
        Sentences per chunk.
    on_error : {"raise", "skip"}, default="raise"
        An unreadable input raises its ReadError, or is skipped and listed in the summary.
        With "skip", when inputs were skipped and no row was read, nothing is written.
    region, text_column
        As for SentenceStream.
    explain : bool, default=False
        Add `why`: the words behind each theme.
    all_rows : bool, default=True
        Keep preface, links and disclaimers as rows with kept=false; False drops them.
    dask : str, optional
        Tag on a Dask cluster: "local" starts one here, or a scheduler address.
    progress : bool, default=False
        A bar counting sentences on standard error, when it is a terminal.

    Returns
    -------
    DataFrame
        The summary: one row per input (input, status, sentences written, error).
    """
    from tqdm import tqdm

    from .parallel import dask_tag_chunks, tag_chunks
    from .persistence import DEFAULT_MODEL, load_model
    from .writing import ChunkWriter

    model_path = None
    if model is None or isinstance(model, (str, os.PathLike)):
        model_path = str(model or DEFAULT_MODEL)
        model = load_model(model_path, trust=trust_model)  # checked here, once, before any work
    stream = SentenceStream(inputs, region=region, text_column=text_column, chunk_size=chunk_size, on_error=on_error,
                            report_only=not all_rows)
    if dask:
        tagged = dask_tag_chunks(iter(stream), model, dask, explain)
    else:
        tagged = tag_chunks(iter(stream), model, n_jobs, explain, model_path=model_path, trust=trust_model)
    bar = tqdm(unit=" sentences", disable=not progress or not sys.stderr.isatty(), leave=False, desc="tagging")
    with ChunkWriter(output) as writer:
        for frame in tagged:
            writer.write(frame)
            bar.update(len(frame))
        bar.close()
        summary = stream.summary
        if writer.rows == 0 and (summary["status"] == "skipped").any():
            writer.discard()
    return summary
