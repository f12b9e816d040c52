"""Structure: region blocks, sections and sentences of a document, as one DataFrame.

A document is read line by line. Each line is a heading (region or section), report text,
or non-report matter (preface, links, source lines, disclaimer, promotion, URLs). Lines are
grouped into region blocks; each block gets a region from its heading, the user, the file
name, or the weight of the places it names. Every line is split into sentences with
character offsets into the decoded source, so nothing is lost and every row can be traced.

The sentence table has the columns of SENTENCE_COLUMNS:
  doc, block          the input and the region block within it
  region, region_source, region_evidence
                      the region, how it was found (given / heading / filename / inferred /
                      table / none) and, when inferred, the place names that decided it
  section, year       review / plan / other, and the year that part of the report is about
  sent_id, start, end the row's number in its input and its character offsets in the text
  kind                sentence / heading, or one of NON_REPORT_KINDS
  kept                "is report text": true for sentences and headings, false for
                      NON_REPORT_KINDS; only kept rows are tagged, aggregated and reported
                      (the name is part of the output format)
  text                the sentence as written
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import places
from .labels import TAG_COLUMNS
from .reading import Source
from .text import clean_text

SENTENCE_COLUMNS = [
    "doc", "block", "region", "region_source", "region_evidence", "section", "year",
    "sent_id", "start", "end", "kind", "kept", "text",
]
NON_REPORT_KINDS = ("preface", "link", "linked-title", "source", "disclaimer", "promo", "url")

# ---------------------------------------------------------------- sentences
TERMINATORS = set("。！？；!?;")
CLOSERS = set("”’」』）)】》〉]\"'")
PAIRS = {"“": "”", "‘": "’", "「": "」", "『": "』", "（": "）", "(": ")", "【": "】", "《": "》", "〈": "〉"}
MAX_PROTECTED = 300  # a quote longer than this is a passage, not a phrase: split inside it


def _protected_spans(line: str) -> list[tuple[int, int]]:
    """Outermost matched quote/bracket pairs of a line, inside which no sentence ends."""
    spans, stack = [], []
    for i, ch in enumerate(line):
        if ch in PAIRS:
            stack.append((ch, i))
        elif stack and ch == PAIRS[stack[-1][0]]:
            _, start = stack.pop()
            if not stack and i - start <= MAX_PROTECTED:
                spans.append((start, i))
    return spans


def split_spans(text: str) -> list[tuple[int, int]]:
    """Cut text into consecutive spans covering every character exactly once.

    A span ends after a run of 。！？；!?; (plus closing quotes/brackets) outside quotes and
    brackets, or after a line break."""
    spans = []
    pos, n = 0, len(text)
    while pos < n:
        nl = text.find("\n", pos)
        line_end = n if nl < 0 else nl + 1
        line = text[pos:line_end]
        protected = _protected_spans(line)
        cuts = []
        span_end = [-1] * len(line)  # for a character inside quotes/brackets, where they close
        for a, b in protected:
            for k in range(a, b):
                span_end[k] = b
        m = len(line)
        run_end = [m] * (m + 1)  # first position at or after i that is no terminator or closer
        for k in range(m - 1, -1, -1):
            run_end[k] = run_end[k + 1] if (line[k] in TERMINATORS or line[k] in CLOSERS) else k
        i = 0
        while i < m:
            ch = line[i]
            if ch in TERMINATORS:
                close = span_end[i]
                if close >= 0 and run_end[i + 1] <= close:
                    i += 1  # a full stop inside a quotation that goes on: no sentence ends here
                    continue
                j = max(i + 1, close + 1)
                while j < m and (line[j] in TERMINATORS or line[j] in CLOSERS):
                    j += 1
                cuts.append(j)
                i = j
            else:
                i += 1
        start = 0
        for cut in cuts:
            if cut > start:
                spans.append((pos + start, pos + cut))
                start = cut
        if start < len(line):
            spans.append((pos + start, pos + len(line)))
        pos = line_end
    return spans


def split_sentences(text: str) -> list[str]:
    """Sentences of a text, stripped of surrounding whitespace, empty ones dropped."""
    return [s for s in (text[a:b].strip() for a, b in split_spans(text)) if s]


def sentence_offsets(text: str, base: int = 0) -> list[tuple[int, int]]:
    """(start, end) of each non-empty sentence, trimmed of whitespace, offsets from `base`."""
    result = []
    for a, b in split_spans(text):
        piece = text[a:b]
        stripped = piece.strip()
        if stripped:
            lead = len(piece) - len(piece.lstrip())
            result.append((base + a + lead, base + a + lead + len(stripped)))
    return result


# ---------------------------------------------------------------- line kinds
_NUM = "[一二三四五六七八九十]+"
SECTION_RE = re.compile(
    rf"^(?:{_NUM}[、.．]|第{_NUM}部分[、:：]?)?\s*"
    r"(?P<when>(?:19|20)\d{2}\s*年|过去(?:的)?一年|过去五年|今年|去年|本年度?|明年)?(?:的)?(?:政府)?"
    r"(?P<what>[^，,。；;！？!?]{0,12}?)"
    r"(?P<kw>工作回顾|回顾|主要任务|重点任务|重点工作|工作安排|工作建议|工作任务|总体要求|主要目标|工作部署|主要工作)"
    r"(?P<tail>[^，,。；;！？!?]{0,14})$"
)
TOP_HEADING_RE = re.compile(rf"^{_NUM}[、.．]\S")
LINK_RE = re.compile(r"^(?:全文链接|原文链接|阅读全文|相关链接|报告全文|全文见|附件)[:：]?")
LINKED_TITLE_RE = re.compile(r"^《[^》]{2,80}》\s*(?:[（(][^）)]{0,12}[）)])?$")
SOURCE_RE = re.compile(r"^(?:来源|来源于|信息来源|文章来源|稿件来源|内容来源|编辑|责任编辑|审核|校对|作者|撰文|排版|图片来源)\s*[:：|丨]")
DISCLAIMER_RE = re.compile(r"^(?:免责声明|版权声明|声明[:：]|特别声明)")
PROMO_RE = re.compile(r"点击阅读原文|阅读原文|扫码|二维码|长按识别|长按关注|关注我们|关注公众号|点个赞|点赞|点在看|分享给|往期推荐|推荐阅读|欢迎关注|设为星标")
URL_RE = re.compile(r"^(?:https?://|www\.)\S+$")
ARTICLE_RE = re.compile(r"本文|编者按|编者|导言|导读|小编|整理|以供|供大家|参考|转载|记者|摘编|划重点|一起来看|速览|盘点|各地")
REGION_HEADING_RE = re.compile(r"^(?:(?:19|20)\d{2}年)?(?P<name>[\u4e00-\u9fff]{2,12}?)(?:人民政府|政府)?(?:(?:19|20)\d{2}年)?(?:政府)?(?:工作报告)?(?:[（(]全文[）)])?$")
_DECOR = " \t\u3000【】[]#*·•●◆■▶►:：|丨-—_=~"
# "【江苏】2025年重点任务", "江苏：工作回顾", "浙江丨2024年主要工作": a region and a bare section label on one line
REGION_SECTION_RE = re.compile(r"^(?:[【\[〖](?P<boxed>[\u4e00-\u9fff]{2,12})[】\]〗]|(?P<named>[\u4e00-\u9fff]{2,12}?)\s*[:：|丨])\s*(?P<rest>\S.*)$")


@dataclass
class Line:
    start: int
    end: int
    text: str
    kind: str = "sentence"  # sentence / heading / one of NON_REPORT_KINDS
    region: str | None = None  # a region heading's region
    section: str | None = None  # a section heading's section
    year: int | None = None
    numbered: bool = False
    explicit_year: bool = False


def _section_of(text: str, report_year: int | None) -> tuple[str, int | None] | None:
    if len(text) > 40 or any(c in text for c in "。！？；;!?"):
        return None
    m = SECTION_RE.match(text.rstrip("：: "))
    if not m:
        return None
    when, kw = (m.group("when") or "").replace(" ", ""), m.group("kw")
    year = int(when[:4]) if when[:2] in ("19", "20") else None
    past = when in ("过去一年", "过去的一年", "过去五年", "去年")
    if kw in ("工作回顾", "回顾") or (kw == "主要工作" and (past or (year and report_year and year < report_year))):
        section = "review"
    else:
        section = "plan"
    if year is None and report_year:
        year = report_year - 1 if section == "review" else report_year
    return section, year


def _region_heading(text: str) -> str | None:
    core = text.strip(_DECOR)
    if not core or len(core) > 24:
        return None
    if places.region_of_name(core):
        return places.city_of_name(core) or places.region_of_name(core)
    m = REGION_HEADING_RE.match(core)
    if m and (m.group(0) != m.group("name")):
        name = m.group("name")
        region = places.region_of_name(name)
        if region:
            return places.city_of_name(name) or region
    return None


def _region_and_section(text: str, report_year: int | None):
    """(region, (section, year)) for a heading that names both, else None.

    The part after the region must be a bare section label (`2025年重点任务`, `工作回顾`), so
    that `苏州：工业园区重点任务` or `江苏：全面完成年度重点任务` stay what they are."""
    m = REGION_SECTION_RE.match(text)
    if not m:
        return None
    label = SECTION_RE.match(m.group("rest").rstrip("：: "))
    if not label or label.group("what") or label.group("tail"):
        return None
    region, section = _region_heading(m.group("boxed") or m.group("named")), _section_of(m.group("rest"), report_year)
    return (region, section) if region and section else None


def classify_lines(text: str, report_year: int | None = None) -> list[Line]:
    """Split a document into non-blank lines and say what each one is."""
    lines, pos = [], 0
    in_disclaimer = False
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        stripped = body.strip()
        start = pos + (len(body) - len(body.lstrip()))
        pos += len(raw)
        if not stripped:
            continue
        line = Line(start, start + len(stripped), stripped)
        if in_disclaimer or DISCLAIMER_RE.match(stripped):
            in_disclaimer = True
            line.kind = "disclaimer"
        elif LINK_RE.match(stripped):
            line.kind = "link"
        elif SOURCE_RE.match(stripped):
            line.kind = "source"
        elif URL_RE.match(stripped):
            line.kind = "url"
        elif len(stripped) <= 40 and PROMO_RE.search(stripped):
            line.kind = "promo"
        elif LINKED_TITLE_RE.match(stripped):
            line.kind = "linked-title"
        else:
            both = _region_and_section(stripped, report_year)
            section = both[1] if both else _section_of(stripped, report_year)
            if section:
                line.kind, (line.section, line.year) = "heading", section
                line.region = both[0] if both else None
                line.numbered = bool(TOP_HEADING_RE.match(stripped))
                line.explicit_year = bool(re.search(r"(?:19|20)\d\d", stripped))
            elif (region := _region_heading(stripped)) is not None:
                line.kind, line.region = "heading", region
            elif TOP_HEADING_RE.match(stripped) and len(stripped) <= 40 and "。" not in stripped:
                line.kind, line.numbered = "heading", True
        lines.append(line)
    return lines


# ---------------------------------------------------------------- blocks and regions
@dataclass
class Block:
    index: int
    heading_region: str | None = None
    lines: list = field(default_factory=list)
    had_plan_year: set = field(default_factory=set)


def _blocks(lines: list[Line]) -> tuple[list[Block], int]:
    """Group lines into region blocks; returns the blocks and the index of the first structural line."""
    blocks = [Block(0)]
    closed = False
    first_structural = None
    for i, line in enumerate(lines):
        block = blocks[-1]
        if line.kind == "heading" and (line.region or line.section):
            if first_structural is None:
                first_structural = i
            has_body = any(l.kind == "sentence" or l.section for l in block.lines)
            new = False
            if line.region:
                new = has_body or block.heading_region is not None or closed
            elif closed:
                new = True
            elif line.section == "review" and block.had_plan_year:
                new = True
            elif line.section == "plan" and line.explicit_year and line.year in block.had_plan_year and not line.numbered:
                new = True
            if new and (block.lines or blocks[-1].heading_region):
                block = Block(len(blocks))
                blocks.append(block)
            closed = False
            if line.region:
                block.heading_region = line.region
            if line.section == "plan" and line.explicit_year:
                block.had_plan_year.add(line.year)
            elif line.section == "plan":
                block.had_plan_year.add(None)
        elif line.kind == "link":
            closed = True
        elif line.kind == "sentence" and closed:
            block = Block(len(blocks))
            blocks.append(block)
            closed = False
        block.lines.append(line)
    return [b for b in blocks if b.lines], (first_structural if first_structural is not None else len(lines))


def _mark_preface(lines: list[Line], first_structural: int, n_blocks: int) -> None:
    """Lines before the first heading are an editor's preface in an article, report text otherwise."""
    head = lines[:first_structural]
    if not head or first_structural >= len(lines):
        return
    if n_blocks > 1 or any(ARTICLE_RE.search(l.text) for l in head):
        for line in head:
            if line.kind in ("sentence", "heading"):
                line.kind = "preface"


def document_sentences(text: str, doc: str, region: str | None = None, filename: str | None = None) -> pd.DataFrame:
    """The sentence table of one free-text document (the columns of SENTENCE_COLUMNS).

    Parameters
    ----------
    text : str
        The decoded document; offsets in the table point into it.
    doc : str
        Its name, for the doc column (and, without filename, for the region and year a
        work report's file name gives).
    region : str, optional
        The region of every block, instead of headings, file name and inference.
    filename : str, optional
        The file name to read a region and year from.
    """
    text = clean_text(text)
    file_region, file_year = places.region_from_filename(filename or doc)
    lines = classify_lines(text, file_year)
    blocks, first_structural = _blocks(lines)
    _mark_preface(lines, first_structural, len(blocks))
    rows = []
    sent_id = 0
    for block in blocks:
        report_text = "\n".join(l.text for l in block.lines if l.kind in ("sentence", "heading"))
        if region:
            block_region, source, evidence = region, "given", ""
        elif block.heading_region:
            block_region, source, evidence = block.heading_region, "heading", ""
        elif file_region:
            block_region, source, evidence = file_region, "filename", ""
        else:
            block_region, evidence = places.infer_region(report_text)
            source = "inferred" if block_region else "none"
        has_report = any(l.kind in ("sentence", "heading") for l in block.lines)
        section, year = "other", None
        numbered_parts = False
        for line in block.lines:
            if line.kind == "heading":
                if line.section:
                    section, year = line.section, line.year
                    numbered_parts = numbered_parts or line.numbered
                elif line.numbered and numbered_parts:
                    section, year = "other", None
            kept = line.kind in ("sentence", "heading")
            for a, b in sentence_offsets(text[line.start:line.end], line.start):
                rows.append((
                    doc, block.index, block_region if kept and has_report else None,
                    source if kept else "none", evidence if kept else "", section if kept else "other",
                    year if kept else None, sent_id, a, b, line.kind, kept, text[a:b],
                ))
                sent_id += 1
    frame = pd.DataFrame(rows, columns=SENTENCE_COLUMNS)
    return _typed(frame)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame["year"] = frame["year"].astype("Int64")
    frame["kept"] = frame["kept"].astype(bool)
    for col in ("block", "sent_id", "start", "end"):
        frame[col] = frame[col].astype("int64")
    return frame


def table_sentences(table: pd.DataFrame, doc: str, text_column: str = "text", region: str | None = None,
                    filename: str | None = None) -> pd.DataFrame:
    """A table's rows as units, in order, never re-split; its other columns are kept."""
    file_region, file_year = places.region_from_filename(filename or doc)
    out = table.copy()
    texts = out[text_column].astype(str).map(clean_text)
    own = [c for c in out.columns if c != text_column]
    reserved = set(SENTENCE_COLUMNS) | set(TAG_COLUMNS)  # a table's own labels, such as gold ones, become *_input
    keep = {c: (f"{c}_input" if c in reserved and c not in ("region", "section", "year") else c) for c in own}
    out = out[own].rename(columns=keep)
    frame = pd.DataFrame({
        "doc": doc, "block": 0, "sent_id": range(len(out)), "start": 0,
        "end": texts.str.len().to_numpy(), "kind": "sentence", "kept": True, "text": texts.to_numpy(),
    })
    own_region = out.pop("region") if "region" in out.columns else None
    if region:
        frame["region"], frame["region_source"] = region, "given"
        if own_region is not None:
            out["region_input"] = own_region.to_numpy()  # kept, but --region decides
    elif own_region is not None:
        values = own_region.fillna("").astype(object).to_numpy()
        frame["region"] = [v if v else None for v in values]
        frame["region_source"] = ["table" if v else "none" for v in values]
    else:
        frame["region"], frame["region_source"] = file_region, "filename" if file_region else "none"
    frame["region_evidence"] = ""
    frame["section"] = out.pop("section").replace("", "other").to_numpy() if "section" in out.columns else "other"
    frame["year"] = pd.to_numeric(out.pop("year"), errors="coerce").to_numpy() if "year" in out.columns else file_year
    frame = _typed(frame[SENTENCE_COLUMNS].copy())
    return pd.concat([frame, out.reset_index(drop=True)], axis=1)


def source_sentences(source: Source, region: str | None = None, text_column: str = "text") -> pd.DataFrame:
    """The sentence table of one read input: a table's rows, or a document's sentences."""
    filename = Path(source.name).name
    if source.table is not None:
        return table_sentences(source.table, source.name, text_column, region, filename)
    return document_sentences(source.text, source.name, region, filename)
