"""Report: tables written atomically by suffix, and the report folder (CSV, XLSX, HTML).

Every file is written to a temporary name and renamed, and the report folder is built in
a temporary folder and moved into place, so an interrupted run never leaves half an output.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd

from .errors import OutputError

TABLE_WRITERS = (".csv", ".jsonl", ".parquet", ".xlsx")


def atomic_write(path, writer) -> None:
    """Call writer(tmp_path), then rename it over `path`; on any failure remove the temporary file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
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


def write_table(frame: pd.DataFrame, path) -> None:
    """Write a table as CSV (UTF-8 with BOM, for Excel), JSONL, Parquet or XLSX by the suffix of `path`."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_WRITERS:
        raise OutputError(f"{path}: unknown output type {suffix or '(none)'}; use .csv, .jsonl, .parquet or .xlsx")
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; give a file name like out.csv")
    atomic_write(path, lambda tmp: write_table_to(frame, tmp, suffix))


def print_csv(frame: pd.DataFrame, stream=None) -> None:
    _for_text_formats(frame).to_csv(stream or sys.stdout, index=False)
