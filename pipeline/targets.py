"""Quantified targets: every quantity in a low-carbon sentence, with its unit and what it counts.

"新增光伏装机94.6万千瓦" gives thing 光伏装机, change 新增, value 946,000 kW. Numbers may be
Arabic or Chinese with 万/亿 multipliers; units are normalised (万千瓦 -> kW, 亩, tce, ...).
"""
from __future__ import annotations

import re

import pandas as pd

from .aggregation import report_rows
from .labels import LOW_CARBON
from .places import region_sort_key

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
MULTIPLIERS = {"万亿": 1e12, "亿": 1e8, "千万": 1e7, "百万": 1e6, "万": 1e4, "千": 1e3, "百": 1e2}

# unit as written -> (normalised unit, factor)
UNITS = {
    "千瓦时": ("kWh", 1), "度": ("kWh", 1), "兆瓦时": ("kWh", 1e3), "千瓦": ("kW", 1), "兆瓦": ("kW", 1e3),
    "吉瓦": ("kW", 1e6), "吨标准煤": ("tce", 1), "吨标煤": ("tce", 1), "吨": ("t", 1),
    "立方米": ("m³", 1), "方": ("m³", 1), "平方公里": ("km²", 1), "平方米": ("m²", 1), "公里": ("km", 1), "千米": ("km", 1),
    "米": ("m", 1), "公顷": ("ha", 1), "亩": ("亩", 1), "元": ("CNY", 1), "美元": ("USD", 1),
    "个百分点": ("pp", 1), "%": ("%", 1), "倍": ("倍", 1), "微克/立方米": ("µg/m³", 1),
    "个": ("个", 1), "座": ("座", 1), "辆": ("辆", 1), "台": ("台", 1), "套": ("套", 1), "家": ("家", 1),
    "户": ("户", 1), "处": ("处", 1), "条": ("条", 1), "项": ("项", 1), "所": ("所", 1), "艘": ("艘", 1),
    "根": ("根", 1), "人": ("人", 1), "人次": ("人次", 1), "株": ("株", 1), "棵": ("棵", 1), "片": ("片", 1),
    "kW": ("kW", 1), "MW": ("kW", 1e3), "GW": ("kW", 1e6), "kWh": ("kWh", 1),
}
_UNIT_RE = "|".join(sorted(map(re.escape, UNITS), key=len, reverse=True))
_MULT_RE = "|".join(sorted(MULTIPLIERS, key=len, reverse=True))
_CN_NUM = "[零〇一二两三四五六七八九十百千万亿]+"
QUANTITY_RE = re.compile(
    rf"(?P<pct>百分之(?P<pctnum>{_CN_NUM}|\d+(?:\.\d+)?))"
    rf"|(?P<num>\d+(?:,\d{{3}})*(?:\.\d+)?)\s*(?P<mult>{_MULT_RE})?\s*(?P<unit>{_UNIT_RE})"
    rf"|(?P<cnnum>{_CN_NUM})(?P<cnunit>{_UNIT_RE})"
)
CHANGE_WORDS = ["新增", "新创建", "创建", "新建", "建成", "完成", "累计", "达到", "达", "突破", "超过", "提高", "提升", "增长", "增加",
                "下降", "降低", "减少", "推广", "落实", "实施", "开工建设", "开工", "建设", "投运", "淘汰", "打通",
                "新开", "保持", "控制在", "力争", "确保", "改造", "以上", "左右", "分别"]
LEAD_WORDS = ["推动", "推进", "加快", "支持", "打造", "引导", "鼓励", "培育", "发展", "组织", "启动", "全年", "年内",
              "年均", "其中", "全市", "全省", "全区", "全县", "在", "对", "将", "把", "并", "和", "及", "与", "共", "约"]
_LEAD_RE = re.compile("^(?:" + "|".join(sorted(map(re.escape, CHANGE_WORDS + LEAD_WORDS), key=len, reverse=True)) + ")")
_TRAIL_RE = re.compile("(?:" + "|".join(sorted(map(re.escape, CHANGE_WORDS), key=len, reverse=True)) + ")$")
_CHANGE_RE = re.compile("|".join(sorted(map(re.escape, CHANGE_WORDS), key=len, reverse=True)))
_COUNTERS = ("个", "条", "项", "家", "所", "片", "处", "方", "度", "台", "套", "座", "批")
_CLAUSE_SPLIT = re.compile(r"[，,；;：:。！？!?、（）()“”\s]")


def parse_number(text: str) -> float | None:
    """The value of Arabic or Chinese numerals with 万/亿 multipliers, or None if it is no number.

    Examples
    --------
    >>> parse_number("94.6万"), parse_number("一万"), parse_number("百分之五"), parse_number("三千五百")
    (946000.0, 10000.0, 5.0, 3500.0)
    """
    text = text.strip().replace(",", "")
    if not text:
        return None
    if text.startswith("百分之"):
        return parse_number(text[3:])
    m = re.fullmatch(rf"(\d+(?:\.\d+)?)\s*({_MULT_RE})?", text)
    if m:
        return float(m.group(1)) * (MULTIPLIERS[m.group(2)] if m.group(2) else 1)
    m = re.fullmatch(rf"(\d+(?:\.\d+)?)\s*(.+)", text)
    if m and re.fullmatch(f"[{''.join(_BIG_UNITS)}{''.join(_SMALL_UNITS)}]+", m.group(2)):
        return float(m.group(1)) * parse_number("一" + m.group(2))
    if not re.fullmatch(_CN_NUM, text):
        return None
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _SMALL_UNITS:
            section += (1 if digit is None else digit) * _SMALL_UNITS[ch]
            digit = None
        elif ch in _BIG_UNITS:
            section += digit or 0
            if ch == "亿":  # 两亿三千万: everything so far is counted in 亿
                total = (total + section) * _BIG_UNITS[ch] if (total or section) else _BIG_UNITS[ch]
            else:
                total += (section or 1) * _BIG_UNITS[ch]
            section, digit = 0, None
    return float(total + section + (digit or 0))


def _strip_words(text: str) -> tuple[str, list[str]]:
    """Peel leading verbs (新增, 推动…) and trailing change words (提高, 达到…) off a clause."""
    changes = []
    while True:
        m = _LEAD_RE.match(text) or _TRAIL_RE.search(text)
        if not m or not m.group(0):
            return text.strip(), changes
        if m.group(0) in CHANGE_WORDS:
            changes.append(m.group(0))
        text = text[:m.start()] + text[m.end():]


def _thing(clause_before: str, clause_after: str) -> tuple[str, str]:
    """What a quantity counts and the change word that goes with it (新增, 提高, …).

    "宁波新增光伏装机|94.6万千瓦" -> 光伏装机, 新增; "可再生能源占比提高|0.5个百分点" -> 可再生能源占比, 提高;
    "新建|1万个|电动汽车公共充电桩" -> 电动汽车公共充电桩, 新建."""
    clause_before = re.sub(r"(?<=[\u4e00-\u9fff])(?:到|至)$", "", clause_before)  # 提高到52%: the 到 is no thing
    marks = list(_CHANGE_RE.finditer(clause_before))
    change = ""
    if marks:
        last = marks[-1]
        if last.end() == len(clause_before):  # the change word ends the clause: the thing comes before it
            change = last.group(0)
            start = marks[-2].end() if len(marks) > 1 else 0
            clause_before = clause_before[start:last.start()]
        else:
            change = last.group(0)
            clause_before = clause_before[last.end():]
    thing, more = _strip_words(clause_before)
    if len(thing) < 2:
        after, more2 = _strip_words(clause_after)
        thing, more = re.sub(r"^(?:的)+", "", after), more + more2
    return thing[:30], change or (more[0] if more else "")


def quantities(text: str) -> list[dict]:
    """Every quantity in one sentence with its unit and the thing it counts."""
    found = []
    for m in QUANTITY_RE.finditer(text):
        if m.group("pct"):
            number_text, mult, unit = m.group("pct"), None, "%"
            value = parse_number(m.group("pctnum"))
        elif m.group("cnnum"):  # 三千五百万元, 一万千瓦时: the numeral keeps its own 万/千, parse_number reads them
            number_text, mult, unit = m.group("cnnum"), None, m.group("cnunit")
            value = parse_number(number_text)
            if value is not None and number_text in ("一", "两", "二", "三", "几") and unit in _COUNTERS:
                continue  # 一个, 两条, 三项: counting words, not commitments
        else:
            number_text, mult, unit = m.group("num"), m.group("mult"), m.group("unit")
            value = parse_number(number_text)
            if value is not None and mult:
                value *= MULTIPLIERS[mult]
        if value is None:
            continue
        start, end = m.span()
        pieces = _CLAUSE_SPLIT.split(text[:start])
        before = pieces[-1] if pieces else ""
        after = _CLAUSE_SPLIT.split(text[end:])[0]
        thing, change = _thing(before, after)
        if not change:  # 新增森林3.1万亩、绿地1000公顷: the change word leads the whole list
            head = re.split(r"[，,；;：:。]", text[:start])[-1]
            change = next(iter(_CHANGE_RE.findall(head)), "")
        unit_norm, factor = UNITS[unit]
        found.append({
            "thing": thing, "change": change, "quantity": text[start:end], "number": number_text + (mult or ""),
            "value": value, "unit": unit, "unit_norm": unit_norm, "value_norm": value * factor,
            "start": start, "end": end,
        })
    return found


TARGET_COLUMNS = ["doc", "region", "section", "year", "sent_id", "themes", "low_carbon", "thing", "change",
                  "quantity", "number", "value", "unit", "unit_norm", "value_norm", "text"]


def extract_targets(tagged: pd.DataFrame, low_carbon_only: bool = True) -> pd.DataFrame:
    """Quantified commitments and results, one row per quantity.

    Parameters
    ----------
    tagged : DataFrame
        A tagged sentence table (tag); only report text (kept rows) is read.
    low_carbon_only : bool, default=True
        Only sentences tagged low_carbon.

    Returns
    -------
    DataFrame
        TARGET_COLUMNS: the sentence's doc, region, section, year, sent_id, themes and
        low_carbon; the quantity's thing, change, quantity, number, value, unit, unit_norm
        and value_norm; and the text. Regions in the conventional order.
    """
    rows = report_rows(tagged)
    if low_carbon_only:
        rows = rows[rows[LOW_CARBON]]
    records = []
    for row in rows.itertuples(index=False):
        for q in quantities(str(row.text)):
            records.append({"doc": row.doc, "region": row.region, "section": row.section, "year": row.year,
                            "sent_id": row.sent_id, "themes": row.themes, "low_carbon": bool(row.low_carbon),
                            **{k: q[k] for k in ("thing", "change", "quantity", "number", "value", "unit",
                                                 "unit_norm", "value_norm")}, "text": row.text})
    out = pd.DataFrame(records, columns=TARGET_COLUMNS)
    if not out.empty:
        out = out.sort_values("region", key=lambda c: c.map(region_sort_key), kind="stable").reset_index(drop=True)
    return out
