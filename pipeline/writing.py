"""Writing tables: atomically, by suffix, whole or chunk by chunk.

Every file is written to a temporary name beside its target and renamed, so an interrupted
run never leaves half an output and an earlier output stays as it was.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pandas as pd

from .errors import OutputError

OUTPUT_SUFFIXES = (".csv", ".jsonl", ".parquet", ".xlsx")


def temp_beside(path: Path) -> Path:
    """An empty temporary file next to `path` (same file system, so a rename is atomic), with normal permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    return Path(tmp)


def atomic_write(path, writer) -> None:
    """Call writer(tmp_path), then rename it over `path`; on any failure remove the temporary file."""
    path = Path(path)
    tmp = temp_beside(path)
    try:
        writer(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _for_text_formats(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == bool:
            out[col] = out[col].map({True: "true", False: "false"})
    return out


def write_table_to(frame: pd.DataFrame, path: Path, suffix: str) -> None:
    """Write a whole table to `path` in the format of `suffix` (which may differ from path's: a temporary name)."""
    if suffix == ".csv":
        _for_text_formats(frame).to_csv(path, index=False, encoding="utf-8-sig")
    elif suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    elif suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif suffix == ".xlsx":
        frame.to_excel(path, index=False, engine="openpyxl")
    else:
        raise OutputError(f"{path}: unknown output type {suffix}; use .csv, .jsonl, .parquet or .xlsx")


class ChunkWriter:
    """Write a table chunk by chunk to a temporary file, renamed into place on success.

    CSV (UTF-8 with BOM) and JSONL are appended; Parquet goes through one pyarrow writer with
    the first chunk's schema; XLSX is collected and written at the end (Excel is small).
    Without a path, CSV goes to standard output. discard() leaves any earlier file as it was."""

    def __init__(self, path=None):
        self.path = Path(path) if path else None
        self.suffix = self.path.suffix.lower() if self.path else ".csv"
        if self.path is not None:
            if self.suffix not in OUTPUT_SUFFIXES:
                raise OutputError(f"{self.path}: unknown output type {self.suffix or '(none)'}; use .csv, .jsonl, .parquet or .xlsx")
            if self.path.is_dir():
                raise OutputError(f"{self.path}: is a folder; give a file name like out.csv")
        self.rows = 0
        self._tmp = None
        self._handle = None
        self._parquet = None
        self._schema = None
        self._frames = []
        self._columns = None
        self._warned = False
        self._discarded = False

    def discard(self) -> None:
        """Write nothing: on leaving the block the temporary file is removed, not renamed."""
        self._discarded = True

    def __enter__(self):
        if self.path is not None:
            self._tmp = temp_beside(self.path)
        return self

    def write(self, frame: pd.DataFrame) -> None:
        header = self.rows == 0 and self._columns is None
        if self._columns is None:
            self._columns = list(frame.columns)
        elif list(frame.columns) != self._columns:  # inputs with other extra columns: one table, one header
            extra = [c for c in frame.columns if c not in self._columns]
            if extra and not self._warned:
                import warnings

                warnings.warn(f"columns {', '.join(map(str, extra))} of a later input are not in the first input's "
                              "table and are left out; tag such inputs separately to keep them", stacklevel=2)
                self._warned = True
            frame = frame.reindex(columns=self._columns)
        self.rows += len(frame)
        if self.path is None:
            _for_text_formats(frame).to_csv(sys.stdout, index=False, header=header)
            return
        if self.suffix == ".csv":
            if self._handle is None:
                self._handle = open(self._tmp, "w", encoding="utf-8-sig", newline="")
            _for_text_formats(frame).to_csv(self._handle, index=False, header=header)
        elif self.suffix == ".jsonl":
            if self._handle is None:
                self._handle = open(self._tmp, "w", encoding="utf-8")
            text = frame.to_json(orient="records", lines=True, force_ascii=False)
            self._handle.write(text if text.endswith("\n") or not text else text + "\n")
        elif self.suffix == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            if self._parquet is None:
                self._schema = pa.Schema.from_pandas(frame, preserve_index=False)
                # a first chunk with no region (or no year) types the column as null: say what it will hold
                fields = [pa.field(f.name, pa.int64() if f.name == "year" else pa.string()) if pa.types.is_null(f.type) else f
                          for f in self._schema]
                self._schema = pa.schema(fields)
                self._parquet = pq.ParquetWriter(self._tmp, self._schema)
            self._parquet.write_table(pa.Table.from_pandas(frame, schema=self._schema, preserve_index=False))
        else:
            self._frames.append(frame)

    def __exit__(self, kind, value, traceback):
        try:
            if self._handle is not None:
                self._handle.close()
            if self._parquet is not None:
                self._parquet.close()
            if kind is None and self.path is not None and not self._discarded:
                if self.suffix == ".xlsx":
                    frame = pd.concat(self._frames, ignore_index=True) if self._frames else pd.DataFrame()
                    write_table_to(frame, self._tmp, ".xlsx")
                elif self.rows == 0 and self.suffix in (".parquet",):
                    write_table_to(pd.DataFrame(), self._tmp, self.suffix)
                os.replace(self._tmp, self.path)
        finally:
            if self._tmp is not None and self._tmp.exists():
                self._tmp.unlink()
        return False
