"""Reading: files, folders, tables and standard input become text or a table of units.

Encodings are detected (charset-normalizer), not assumed; HTML, DOCX and PDF are read with
their own libraries. Every failure is a ReadError whose message names the file and says
what to do, so the CLI can print one line.
"""
from __future__ import annotations

import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .errors import ReadError

TEXT_SUFFIXES = {".txt", ".md", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
TABLE_SUFFIXES = {".csv", ".jsonl", ".parquet", ".xlsx"}
READABLE_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | TABLE_SUFFIXES | {".docx", ".pdf"}

# A "line" longer than this many characters is not a report: it is minified data, a dump
# or a broken download. (A whole provincial report is about 20,000 characters.)
MAX_LINE_CHARS = 2_000_000
# Encodings a Chinese report plausibly comes in; restricting the detector to them keeps it
# from calling a short GBK file "cp1252".
CANDIDATE_ENCODINGS = ["utf_8", "gb18030", "utf_16", "big5"]


@dataclass
class Source:
    """One input: free text (a report or an article) or a table whose rows are units."""

    name: str  # the path as given, or <stdin>: what messages and the `doc` column show
    text: str | None = None
    table: pd.DataFrame | None = None
    encoding: str | None = None  # the detected encoding of a text read from bytes


def decode_bytes(data: bytes, name: str) -> tuple[str, str]:
    """Decode report bytes with a detected encoding; ReadError for binary or undecodable data."""
    if not data.strip():
        raise ReadError(f"{name}: the file is empty; give a file with report text")
    for bom, enc in ((b"\xef\xbb\xbf", "utf_8_sig"), (b"\xff\xfe", "utf_16"), (b"\xfe\xff", "utf_16")):
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError:
                break
    try:  # the common case, decided exactly rather than by sampling
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if _binary_looking(text):
            raise ReadError(f"{name}: looks like a binary file, not text; give a .txt/.html/.docx/.pdf/.csv report")
        return text, "utf_8"
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data, cp_isolation=CANDIDATE_ENCODINGS))
    # Short texts fit several encodings equally well; a mainland report is far likelier GB
    # than Big5, so the candidates' order breaks ties.
    matches.sort(key=lambda m: (round(m.chaos, 2), CANDIDATE_ENCODINGS.index(m.encoding)
                                if m.encoding in CANDIDATE_ENCODINGS else 99))
    best = matches[0] if matches else None
    if best is None:
        if b"\x00" in data[:4096]:
            raise ReadError(f"{name}: looks like a binary file, not text; give a .txt/.html/.docx/.pdf/.csv report")
        raise ReadError(f"{name}: cannot detect the text encoding; save it as UTF-8 and try again")
    text = str(best)
    if _binary_looking(text):
        raise ReadError(f"{name}: looks like a binary file, not text; give a .txt/.html/.docx/.pdf/.csv report")
    return text, best.encoding


def _binary_looking(text: str) -> bool:
    """NUL characters, or many control characters in a sample long enough to judge, mean binary."""
    sample = text[:20000]
    if not sample:
        return False
    if sample.count("\x00") / len(sample) > 0.01:
        return True
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\n\r\t\f")
    return len(sample) >= 64 and controls / len(sample) > 0.05


def _check_lines(text: str, name: str) -> None:
    start = 0
    n = len(text)
    while start < n:
        nl = text.find("\n", start)
        end = n if nl < 0 else nl
        if end - start > MAX_LINE_CHARS:
            raise ReadError(
                f"{name}: a line of {end - start:,} characters with no line break; "
                "this is not a report text (split it into lines or paragraphs first)"
            )
        start = end + 1


def read_text_bytes(data: bytes, name: str) -> Source:
    text, enc = decode_bytes(data, name)
    _check_lines(text, name)
    if not text.strip():
        raise ReadError(f"{name}: the file is empty; give a file with report text")
    return Source(name=name, text=text, encoding=enc)


def _read_html(data: bytes, name: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "lxml")
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "svg"]):
        tag.decompose()
    body = soup.body or soup
    lines = [line.strip() for line in body.get_text("\n").splitlines()]
    return "\n".join(line for line in lines if line)


def _read_docx(path: Path, name: str) -> str:
    import docx

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several zip/xml errors
        raise ReadError(f"{name}: not a readable .docx file ({type(exc).__name__}); re-save it from Word or WPS") from None
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def _read_pdf(path: Path, name: str) -> str:
    from pypdf import PdfReader

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:
        raise ReadError(f"{name}: not a readable PDF ({type(exc).__name__}); check the download") from None
    text = "\n".join(pages)
    if not text.strip():
        raise ReadError(f"{name}: the PDF has no text layer (a scan); run OCR first, e.g. `ocrmypdf --language chi_sim in.pdf out.pdf`")
    return text


def _require_column(table: pd.DataFrame, text_column: str, name: str) -> None:
    if text_column not in table.columns:
        cols = ", ".join(map(str, table.columns[:12]))
        raise ReadError(f"{name}: no column {text_column!r} (columns: {cols}); name the text column with --text-column")


def read_table(path: Path, name: str, text_column: str = "text") -> pd.DataFrame:
    """Read a table whose text column holds one unit per row; other columns are kept as they are."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            text, _ = decode_bytes(path.read_bytes(), name)
            table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        elif suffix == ".jsonl":
            text, _ = decode_bytes(path.read_bytes(), name)
            table = pd.read_json(io.StringIO(text), lines=True, dtype=False)
        elif suffix == ".parquet":
            table = pd.read_parquet(path)
        elif suffix == ".xlsx":
            table = pd.read_excel(path, dtype=str, keep_default_na=False)
        else:
            raise ReadError(f"{name}: unknown table type {suffix}")
    except ReadError:
        raise
    except Exception as exc:
        raise ReadError(f"{name}: cannot read the table ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})") from None
    _require_column(table, text_column, name)
    table = table.reset_index(drop=True)
    table[text_column] = table[text_column].fillna("").astype(str)
    return table


def read_path(path: str | os.PathLike, text_column: str = "text") -> Source:
    """Read one file (or '-' for standard input) into a Source."""
    if str(path) == "-":
        data = sys.stdin.buffer.read()
        return read_text_bytes(data, "<stdin>")
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise ReadError(f"{name}: no such file or folder; check the path")
    if path.is_dir():
        raise ReadError(f"{name}: is a folder; give it as an input to read every report inside")
    suffix = path.suffix.lower()
    try:
        if suffix in TABLE_SUFFIXES:
            return Source(name=name, table=read_table(path, name, text_column))
        if suffix == ".docx":
            text = _read_docx(path, name)
        elif suffix == ".pdf":
            text = _read_pdf(path, name)
        elif suffix in HTML_SUFFIXES:
            data = path.read_bytes()
            if not data.strip():
                raise ReadError(f"{name}: the file is empty; give a file with report text")
            text = _read_html(data, name)
        else:
            return read_text_bytes(path.read_bytes(), name)
    except PermissionError:
        raise ReadError(f"{name}: permission denied; check the file's permissions") from None
    except IsADirectoryError:
        raise ReadError(f"{name}: is a folder") from None
    if not text.strip():
        raise ReadError(f"{name}: no text found in the file; check that it is a report")
    _check_lines(text, name)
    return Source(name=name, text=text)


def expand_inputs(paths) -> list[str]:
    """Files and folders as a stable list of files; folders are walked in sorted order.

    A missing path or a folder without readable files is a ReadError."""
    return [file for raw in paths for file in expand_input(raw)]


def expand_input(raw) -> list[str]:
    """One input as its files: a file (or '-') itself, a folder its readable files, recursively,
    sorted by relative path, hidden files and folders left out."""
    raw = str(raw)
    if raw == "-":
        return [raw]
    path = Path(raw)
    if not path.exists():
        raise ReadError(f"{raw}: no such file or folder; check the path")
    if not path.is_dir():
        return [raw]
    found = sorted(
        (p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in READABLE_SUFFIXES
         and not any(part.startswith(".") for part in p.relative_to(path).parts)),
        key=lambda p: p.relative_to(path).as_posix(),
    )
    if not found:
        raise ReadError(f"{raw}: no readable report files in this folder (.txt .md .html .docx .pdf .csv .jsonl .parquet .xlsx)")
    return [str(p) for p in found]


def _text_encoding(path: Path) -> str:
    """The encoding of a large text table, decided from its first megabyte."""
    with open(path, "rb") as f:
        head = f.read(1 << 20)
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a character cut at the sample's end
            return "utf-8"
    _, encoding = decode_bytes(head, str(path))
    return encoding


def iter_table_chunks(path, text_column: str = "text", chunk_size: int = 20_000):
    """Rows of a CSV/JSONL/Parquet table, chunk_size at a time, so a huge table never sits in memory."""
    path = Path(path)
    name = str(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise ReadError(f"{name}: no such file or folder; check the path")
    if path.stat().st_size == 0:
        raise ReadError(f"{name}: the file is empty; give a file with report text")
    try:
        if suffix == ".csv":
            chunks = pd.read_csv(path, encoding=_text_encoding(path), dtype=str, keep_default_na=False,
                                 chunksize=chunk_size)
        elif suffix == ".jsonl":
            chunks = pd.read_json(path, lines=True, dtype=False, chunksize=chunk_size, encoding=_text_encoding(path))
        elif suffix == ".parquet":
            import pyarrow.parquet as pq

            chunks = (batch.to_pandas() for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_size))
        else:
            yield read_table(path, name, text_column)
            return
        first = True
        for chunk in chunks:
            if first:
                _require_column(chunk, text_column, name)
            first = False
            chunk = chunk.reset_index(drop=True)
            chunk[text_column] = chunk[text_column].fillna("").astype(str)
            yield chunk
    except ReadError:
        raise
    except Exception as exc:
        raise ReadError(f"{name}: cannot read the table ({type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''})") from None
