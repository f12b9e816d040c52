"""Promises kept: the plan for a year against the review of that year, region by region.

A work report of year Y reviews Y-1 and plans Y, so for a region the plan for Y (report of
Y) and the review of Y (report of Y+1) say what was promised and what was reported done.
Sentences carry the year their section is about (structure.py: `2024年工作回顾` in the 2025
report is review, 2024; `2025年重点任务` is plan, 2025; without a year in the heading the
file name's year decides), so a pair is simply: region, year Y, plan rows of Y, review
rows of Y.

For each pair:

- per theme, the plan's sentences beside the review's, each plan sentence with the review
  sentence that repeats most of its content words (its "echo"), and counts;
- per quantified target of the plan (targets.extract_targets), the review's figure for the
  same thing and measure, a status and a score, both sentences shown.

How a target is matched (constants below; the README's "Promises kept" explains them):

1. What is counted: the thing as targets.py reads it and the whole clause before the
   quantity, both normalised: years, verbs and change words (新增, 建成, 累计, 达到 …), 的,
   and unit-specific filler (装机, 容量, 并网, 发电, 项目 for kW; 面积 for areas; 里程 for
   km) removed, a few synonyms folded (充电基础设施 → 充电桩, 信贷 → 贷款). So 新增新能源装机
   and 新能源装机新增, 光伏发电装机 and 光伏装机 read the same.
2. Thing score: 1.0 identical, 0.9 the same characters reordered (4 or more), 0.6 one
   contains the other (海上风电 in 风电: another thing), else 0.8 × the Dice overlap of
   character bigrams. A match needs MATCH_THRESHOLD (0.8): only identical or reordered
   things ever match.
3. The measure must agree: units of one dimension (万千瓦, 兆瓦 and 千瓦 are kW; 亩, 公顷,
   平方米 and 平方公里 are areas, compared in m²); an amount is an increment (新增, 新建,
   完成 …), a level (达到, 突破, 余额, 保有量 …) or cumulative (累计), and a percentage a
   level (提高到 45%, 占比达到) or a change (增长 5%); percentage points are their own unit.
   Different measures never match; where one side says nothing (推广 30万辆, 其中 …) the
   score is multiplied by 0.9.
4. Each review figure serves one plan target (best scores first). Two review figures for
   the same thing that disagree, or figures more than MAX_RATIO apart, give no verdict.

Status, from the ratio r = review / plan: a floor target (新增 300万千瓦, 提高到 45%) is met
for 1 ≤ r ≤ 1.05, exceeded above, short below; a ceiling (控制在 31微克/立方米以内, 降至)
the other way round; a target "about" a value (左右) is met within ±5%. A percentage change
that went the other way (降低 planned, 增长 reported) is short. Without a match: not
comparable (the same thing, another measure), mentioned (the review names the thing, or a
broader or narrower one, without a comparable figure), not reported.
"""
from __future__ import annotations

import html
import math
import os
import re
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from .aggregation import UNASSIGNED, report_rows
from .errors import OutputError
from .labels import LABELS, LOW_CARBON, split_themes
from .places import region_sort_key
from .targets import extract_targets
from .writing import write_table_to

MATCH_THRESHOLD = 0.8  # thing score × measure factor needed to report a match
UNKNOWN_MEASURE_FACTOR = 0.9  # one side says neither 新增 nor 达到: identical things still match
MET_BAND = 0.05  # met: up to 5% over a floor (under a ceiling); ±5% for 左右
MAX_RATIO = 5.0  # figures further apart than this are no verdict: likely another measure
ECHO_THRESHOLD = 0.3  # a plan sentence is echoed when a review sentence repeats this share of its content
STATUSES = ("met", "exceeded", "short", "not comparable", "mentioned", "not reported")
MATCHED = ("met", "exceeded", "short")
STATUS_COLOURS = {"met": "#2e7d32", "exceeded": "#1565c0", "short": "#e65100", "not comparable": "#8e24aa",
                  "mentioned": "#9e9d24", "not reported": "#9e9e9e"}
STATUS_NAMES = {"met": "达成 met", "exceeded": "超额 exceeded", "short": "未达 short",
                "not comparable": "口径不同 not comparable", "mentioned": "提及无数 mentioned",
                "not reported": "未报告 not reported"}
THEME_NAMES = {"energy": "能源 energy", "buildings": "建筑 buildings", "transport": "交通 transport",
               "ecology": "生态 ecology", "markets": "市场 markets", "low_carbon": "低碳 low_carbon"}

PROMISE_COLUMNS = [
    "year", "themes", "plan_doc", "plan_sent_id", "thing", "compared_as", "change", "quantity", "value_norm",
    "unit_norm", "measure", "target", "status", "ratio", "score", "reason", "review_doc", "review_sent_id",
    "review_thing", "review_quantity", "review_value_norm", "review_unit_norm", "review_measure", "plan_text",
    "review_text",
]
THEME_COLUMNS = ["year", "theme", "plan_sentences", "review_sentences", "plan_echoed", "echo_share", "targets",
                 *[s.replace(" ", "_") for s in STATUSES]]
SENTENCE_COLUMNS = ["year", "theme", "plan_sent_id", "plan_text", "review_sent_id", "review_text", "echo"]
PAIR_COLUMNS = ["year", "compared", "plan_docs", "review_docs", "plan_sentences", "review_sentences",
                "themes_planned", "themes_reviewed", "theme_coverage", "plan_echoed", "echo_share", "targets",
                *[s.replace(" ", "_") for s in STATUSES], "note"]

# ---------------------------------------------------------------- what a quantity counts
_CLAUSE_SEP = re.compile(r"[，,；;：:。！？!?、（）()“”\s]")
_HEAD_SEP = re.compile(r"[，,；;：:。！？!?]")
_YEAR = re.compile(r"(?:19|20)\d{2}年(?:底|末)?")
_VERBS = ["新开工", "开工建设", "新建改造", "新改建", "改扩建", "新建", "新增", "开工", "建成", "完成", "实施", "推广",
          "推动", "推进", "加快", "组织", "开展", "纳入", "投运", "投产", "完工", "竣工", "更新", "累计", "达到", "突破",
          "超过", "提高到", "提升到", "增加到", "提高", "提升", "增长", "增加", "下降到", "降低到", "下降", "降低", "降至",
          "降到", "减少", "上升", "回升", "回落", "控制在", "稳定在", "保持在", "保持", "全年", "全省", "全市", "全区", "全县", "年内", "其中",
          "力争", "确保", "以上", "左右", "以内", "以下", "合计", "共计", "支持", "打造", "培育", "引导", "鼓励", "启动",
          "建设", "发行", "预期", "预计", "实现", "今年", "迈上", "跃上", "站上", "不低于", "不少于", "不高于", "不超过",
          "的"]
_VERB_RE = re.compile("|".join(sorted(map(re.escape, _VERBS), key=len, reverse=True)))
_EDGE_RE = re.compile(r"^[和及与并共约为到至再]+|[和及与并共约为到至达降超由]+$")
# a name that says only what kind of thing, never which: 项目 alone matches every project
_GENERIC_NAMES = {"项目", "企业", "工程", "设施", "基地", "园区", "工作", "任务", "规模", "总量", "投资", "产业"}
_SYNONYMS = [("充电基础设施", "充电桩"), ("充电设施", "充电桩"), ("电动汽车充电桩", "充电桩"), ("新能源汽车充电桩", "充电桩"),
             ("风力发电", "风电"), ("太阳能发电", "光伏"), ("信贷", "贷款"), ("各类", ""), ("推广应用", "推广"),
             # the names reports give the same indicator: 细颗粒物（PM2.5）, 单位地区生产总值能耗, Ⅰ—Ⅲ类水质
             ("细颗粒物（PM2.5）", "PM2.5"), ("细颗粒物(PM2.5)", "PM2.5"), ("细颗粒物", "PM2.5"),
             ("单位地区生产总值", "单位GDP"), ("单位生产总值", "单位GDP"), ("万元GDP", "单位GDP"),
             (re.compile(r"[ⅠI1][—\-－~～至到][ⅢIII3]+类"), "优良")]
_FILLER = {  # words that add nothing once the unit is known
    "kW": ["装机容量", "装机规模", "装机", "容量", "并网", "发电", "项目"],
    "kWh": [re.compile(r"(?<![发用])电量")],  # 交易电量 is 交易; 发电量 and 用电量 stay what they are
    "m²": ["面积"],
    "km": ["运营里程", "通车里程", "里程", "长度"],
    "µg/m³": ["平均"],  # PM2.5平均浓度 is the PM2.5浓度 a plan sets
}
_TRAILING = re.compile(r"(?:规模|数量|总量|(?<![产电水气能流用])量)$")  # 交易量 is 交易, 产量 stays 产量
# areas are compared in m²; the rest in targets.py's normalised unit
_DIMENSION = {"m²": ("m²", 1.0), "亩": ("m²", 10_000 / 15), "ha": ("m²", 10_000.0), "km²": ("m²", 1e6),
              # counters of places and units, used interchangeably (绿色工厂100个 / 301家)
              "个": ("个", 1.0), "家": ("个", 1.0), "座": ("个", 1.0), "所": ("个", 1.0), "处": ("个", 1.0), "项": ("个", 1.0)}
_NON_ADDITIVE = {"µg/m³", "倍"}

_CUMULATIVE = re.compile(r"累计")
_INCREMENT = re.compile(r"新增|新建|新开工|开工|建成|完成|改造|实施|推广|投运|投产|新开|淘汰|创建|更新|新改建|改扩建|完工|竣工|"
                        r"发行|治理|修复|关停|年内|全年|当年")
_LEVEL = re.compile(r"达到|突破|超过|保有量|余额|总规模|总装机|总量|存量|总数|总里程|稳定在|保持在|提高到|提升到|增加到|降至|降到|"
                    r"下降到|降低到|(?:达|为)$")
_PCT_LEVEL_END = re.compile(r"(?:(?:提高|提升|增长|下降|降低|增加|减少|上升)(?:到|至)|达到|达|为|至|到|保持在|稳定在|控制在|超过|突破|保持)$")
_PCT_CHANGE_END = re.compile(r"(?:提高|提升|增长|下降|降低|增加|减少|上升|回升|回落|增速|增幅)$")
_RATE_THING = re.compile(r"(?:率|比重|比例|占比|比率|份额)$")
_DOWN = re.compile(r"下降|降低|减少|降至|降到|压减|回落")
_CEILING_BEFORE = re.compile(r"控制在|不超过|不高于|(?<!不)低于|(?:降至|降到|下降到|降低到)$")
# levels where less is better, whatever the verb: 城镇调查失业率5.5%左右, PM2.5浓度, 重污染天数
_LOWER_IS_BETTER = re.compile(r"失业率|价格涨幅|浓度|重污染|劣[ⅤV5]类|排放量|排放强度")
_CEILING_AFTER = re.compile(r"^(?:以内|以下|之内)")
_ABOUT_AFTER = re.compile(r"^(?:以上|以内|以下)?左右")
# 50米内换乘比例, 千万千瓦级, 30户自然村寨…覆盖率: a number inside the name of a thing, no target
_MODIFIER_AFTER = re.compile(r"^(?:级|内|以内的|以上的|的)")
_RATE_IN = re.compile(r"率|比例|比重|占比")


def normalise_thing(thing: str, unit: str = "") -> str:
    """What a thing is compared as: years, verbs and change words, 的, and the unit's filler removed.

    Examples
    --------
    >>> normalise_thing("新能源装机新增", "kW"), normalise_thing("新增和更新新能源公交车", "辆")
    ('新能源', '新能源公交车')
    >>> normalise_thing("新建电动汽车充电桩", "个"), normalise_thing("城市轨道交通新增运营里程", "km")
    ('充电桩', '城市轨道交通')
    """
    text = _NUMBERING.sub("", _YEAR.sub("", str(thing or "")))
    for old, new in _SYNONYMS:
        text = old.sub(new, text) if isinstance(old, re.Pattern) else text.replace(old, new)
    text = _VERB_RE.sub("", text)
    for word in _FILLER.get(_DIMENSION.get(unit, (unit, 1))[0], []):
        text = word.sub("", text) if isinstance(word, re.Pattern) else text.replace(word, "")
    for _ in range(2):
        text = _EDGE_RE.sub("", _TRAILING.sub("", text))
    return text


def _named(thing: str, unit: str) -> str:
    name = normalise_thing(thing, unit)
    return "" if name in _GENERIC_NAMES else name


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


def thing_score(a: str, b: str) -> float:
    """How surely two normalised things are the same: 1.0 identical, 0.9 reordered, 0.6 one
    inside the other (a broader or narrower thing), else 0.8 × Dice of character bigrams."""
    if len(a) < 2 or len(b) < 2:
        return 0.0
    if a == b:
        return 1.0
    if len(a) >= 4 and sorted(a) == sorted(b):
        return 0.9
    if a in b or b in a:
        return 0.6
    x, y = _bigrams(a), _bigrams(b)
    return round(0.8 * 2 * len(x & y) / (len(x) + len(y)), 4) if x and y else 0.0


_FROM = re.compile(r"[由从][\d.,]+(?:%|个百分点)?[^\d，,；;。]{0,6}?(?=提高|提升|增长|下降|降低|增加|减少|上升|回落|扩大|缩小|到|至)")
_NUMBERING = re.compile(r"^\d+[.、．]")


def _clause_thing(before: str, after: str) -> str:
    """The clause around a quantity without its verbs: 城市轨道交通新增运营里程 -> 城市轨道交通运营里程;
    优良水体比例由80%提高到 -> 优良水体比例."""
    before = _NUMBERING.sub("", _FROM.sub("", before))
    core = _EDGE_RE.sub("", _VERB_RE.sub("", _YEAR.sub("", before)))
    if len(core) < 2:  # 新建1万个电动汽车公共充电桩: the thing follows the number
        return _EDGE_RE.sub("", _VERB_RE.sub("", after))
    return core


def _describe(row, start: int, previous: dict | None) -> dict:
    """Everything the matcher needs about one quantity of one sentence."""
    text = str(row.text)
    end = start + len(str(row.quantity))
    pieces = _CLAUSE_SEP.split(text[:start])
    before = pieces[-1] if pieces else ""
    after = _CLAUSE_SEP.split(text[end:])[0]
    head = _HEAD_SEP.split(text[:start])[-1]
    tail = text[end:end + 6]
    unit = str(row.unit_norm)
    dimension, factor = _DIMENSION.get(unit, (unit, 1.0))
    clause = _clause_thing(before, after)
    targets_thing = str(row.thing) if isinstance(row.thing, str) else ""
    if unit == "%":
        if _PCT_LEVEL_END.search(before):
            measure = "percentage level"
        elif _PCT_CHANGE_END.search(before):
            measure = "percentage change"
        elif _RATE_THING.search(clause) or _RATE_THING.search(targets_thing):
            measure = "percentage level"
        else:
            measure = ""
    elif unit == "pp":
        measure = "percentage points"
    elif unit in _NON_ADDITIVE:
        measure = "level"
    elif _CUMULATIVE.search(head):
        measure = "cumulative"
    elif _INCREMENT.search(before):
        measure = "increment"
    elif _LEVEL.search(before):
        measure = "level"
    elif _INCREMENT.search(head):
        measure = "increment"
    elif _LEVEL.search(head):
        measure = "level"
    elif before.startswith("其中") and previous is not None:  # 其中分布式光伏300万千瓦: as the total before it
        measure = previous["measure"]
    else:
        measure = ""
    less_is_better = measure in ("level", "percentage level", "") and _LOWER_IS_BETTER.search(before + targets_thing)
    ceiling = bool(_CEILING_BEFORE.search(before) or _CEILING_AFTER.search(tail) or less_is_better)
    names = [_named(clause, unit), _named(targets_thing, unit)]
    inherited = False
    if (len(clause) < 2 and len(targets_thing) < 2 and previous is not None
            and not re.search(r"[。；;！？!?]", text[previous["end"]:start])):
        # 地区生产总值达到6.5万亿元，增长5.8%: the growth is the total's, named in the clause before
        clause, targets_thing, inherited = previous["clause"], previous["targets_thing"], True
        names = [_named(clause, unit), _named(targets_thing, unit)]
    shown = clause if len(clause) >= 2 else targets_thing
    return {
        "doc": row.doc, "sent_id": int(row.sent_id), "themes": row.themes if isinstance(row.themes, str) else "",
        "low_carbon": bool(row.low_carbon), "text": text, "quantity": str(row.quantity), "start": start, "end": end,
        "thing": shown, "change": row.change if isinstance(row.change, str) else "", "clause": clause,
        "targets_thing": targets_thing, "inherited": inherited, "clause_name": names[0],
        "names": [n for n in dict.fromkeys(names) if n],
        "value_norm": float(row.value_norm), "unit_norm": unit, "dimension": dimension,
        "value": float(row.value_norm) * factor, "measure": measure, "ceiling": ceiling,
        "about": bool(_ABOUT_AFTER.search(tail)), "down": bool(_DOWN.search(before)),
    }


def _locate(targets: pd.DataFrame) -> list[tuple]:
    """(row, start) for every target row: the k-th row of a sentence with the same quantity is its k-th occurrence."""
    located = []
    for _, group in targets.groupby(["doc", "sent_id"], sort=False):
        cursor: dict[str, int] = {}
        for row in group.itertuples(index=False):
            text, quantity = str(row.text), str(row.quantity)
            # on a number's boundary: the 5% of 增长5% is not the end of 2.85%
            pattern = re.compile(r"(?<![\d.])" + re.escape(quantity))
            found = pattern.search(text, cursor.get(quantity, 0)) or pattern.search(text)
            start = found.start() if found else max(text.find(quantity), 0)
            cursor[quantity] = start + max(len(quantity), 1)
            located.append((row, start))
    return located


def _is_modifier(text: str, start: int, end: int) -> bool:
    """A number that is no figure of a thing: part of its name (公交与轨道50米内换乘比例,
    千万千瓦级), a starting point (由80%提高到85%: the 80%), or one of a list whose owners
    cannot be told apart (分别增长6%、8%)."""
    after = _CLAUSE_SEP.split(text[end:])[0]
    before = _CLAUSE_SEP.split(text[:start])[-1]
    if "分别" in _HEAD_SEP.split(text[:start])[-1] or before.endswith(("由", "从")):
        return True
    before_next = re.split(r"\d", after)[0]
    return bool(_MODIFIER_AFTER.match(after) or (after and _RATE_IN.search(before_next)))


def _describe_all(targets: pd.DataFrame) -> list[dict]:
    out, previous = [], {}
    for row, start in _locate(targets):
        if _is_modifier(str(row.text), start, start + len(str(row.quantity))):
            continue
        key = (row.doc, row.sent_id)
        described = _describe(row, start, previous.get(key))
        previous[key] = described
        out.append(described)
    return out


# ---------------------------------------------------------------- matching
def _measure_factor(plan: dict, review: dict) -> float | None:
    """1 for the same measure, UNKNOWN_MEASURE_FACTOR when one side is unknown, None when they differ."""
    if plan["dimension"] != review["dimension"]:
        return None
    a, b = plan["measure"], review["measure"]
    if a == b:
        return 1.0
    if "cumulative" in (a, b) or (a and b):
        return None
    return UNKNOWN_MEASURE_FACTOR


def _pair_score(plan: dict, review: dict) -> float:
    return max((thing_score(a, b) for a in plan["names"] for b in review["names"]), default=0.0)


def _related(plan: dict, review: dict) -> bool:
    """A broader or narrower thing of the same dimension: one clause's name begins or ends the
    other's (风电 and 风电和光伏, 充电桩 and 公共充电桩), never one inside the other's middle
    (地区生产总值 in 单位地区生产总值能耗)."""
    a, b = plan["clause_name"], review["clause_name"]
    if len(a) < 2 or len(b) < 2 or a == b or plan["dimension"] != review["dimension"]:
        return False
    short, long = sorted((a, b), key=len)
    return long.startswith(short) or long.endswith(short)


_KIND = {"increment": "an increment", "level": "a level", "cumulative": "a cumulative total",
         "percentage level": "a percentage level", "percentage change": "a percentage change",
         "percentage points": "percentage points", "": "a figure of unknown kind"}


def _verdict(plan: dict, review: dict) -> tuple[str, float | None, str]:
    """Status, ratio and reason for a matched pair of figures."""
    if plan["value"] <= 0:
        return "not comparable", None, "the plan's figure is zero"
    ratio = round(review["value"] / plan["value"], 6)
    if plan["measure"] in ("percentage change", "percentage points") and plan["down"] != review["down"]:
        return "short", -ratio, "the review reports a change the other way"
    if ratio > MAX_RATIO or ratio < 1 / MAX_RATIO:
        return ("not comparable", ratio,
                f"the figures differ more than {MAX_RATIO:g}-fold: check that they measure the same")
    if plan["about"] and abs(ratio - 1) <= MET_BAND:
        return "met", ratio, ""
    if plan["ceiling"]:  # less is better
        if ratio > 1:
            return "short", ratio, "above the ceiling"
        return ("met" if ratio >= 1 - MET_BAND and not plan["about"] else "exceeded"), ratio, ""
    if ratio < 1:
        return "short", ratio, ""
    return ("met" if ratio <= 1 + MET_BAND else "exceeded"), ratio, ""


def _match_pair(plans: list[dict], reviews: list[dict], review_sentences: pd.DataFrame) -> list[dict]:
    """One result per plan target: its review figure, status, score and reason."""
    scores = [[_pair_score(p, r) for r in reviews] for p in plans]
    edges = []
    for i, p in enumerate(plans):
        for j, r in enumerate(reviews):
            factor = _measure_factor(p, r)
            if factor is not None and scores[i][j] * factor >= MATCH_THRESHOLD:
                edges.append((-round(scores[i][j] * factor, 6), i, j))
    edges.sort()
    taken_plan, taken_review = {}, set()
    for neg, i, j in edges:
        if i not in taken_plan and j not in taken_review:
            taken_plan[i] = (j, -neg)
            taken_review.add(j)
    results = []
    for i, p in enumerate(plans):
        result = {"plan": p, "review": None, "status": "not reported", "ratio": None, "score": None, "reason": ""}
        if i in taken_plan:
            j, score = taken_plan[i]
            r = reviews[j]
            rivals = [reviews[k] for neg, ii, k in edges if ii == i and k != j and k not in taken_review
                      and -neg >= score - 0.05 and abs(reviews[k]["value"] - r["value"]) > MET_BAND * r["value"]]
            result.update(review=r, score=round(score, 3))
            if rivals:
                figures = ", ".join(x["quantity"] for x in [r, *rivals])
                result.update(status="not comparable", reason=f"the review gives several figures for it: {figures}")
            else:
                status, ratio, reason = _verdict(p, r)
                result.update(status=status, ratio=ratio, reason=reason)
            results.append(result)
            continue
        # no match: the same thing in another measure, a broader or narrower thing, or a bare mention
        best = max(range(len(reviews)), key=lambda k: scores[i][k], default=None)
        if best is not None and scores[i][best] >= MATCH_THRESHOLD:
            r = reviews[best]
            if r["dimension"] != p["dimension"]:
                why = f"the review gives it in {r['unit_norm']}, the plan in {p['unit_norm']}"
            else:
                why = f"the review gives {_KIND[r['measure']]}, the plan {_KIND[p['measure']]}"
            result.update(review=r, status="not comparable", score=round(scores[i][best], 3), reason=why)
            results.append(result)
            continue
        related = [k for k in range(len(reviews)) if _related(p, reviews[k])]
        if related:
            r = reviews[max(related, key=lambda k: scores[i][k])]
            result.update(review=r, status="mentioned", score=round(scores[i][reviews.index(r)], 3),
                          reason=f"the review gives a figure for {r['thing']}, a broader or narrower thing")
            results.append(result)
            continue
        names = [n for n in p["names"] if len(n) >= 3]
        for row in review_sentences.itertuples(index=False):
            hit = next((n for n in names if n in str(row.text)), None)
            if hit:
                result.update(status="mentioned", reason=f"the review names {hit} without a figure",
                              review={"doc": row.doc, "sent_id": int(row.sent_id), "text": str(row.text), "thing": hit,
                                      "quantity": "", "value_norm": None, "unit_norm": "", "measure": ""})
                break
        results.append(result)
    return results


# ---------------------------------------------------------------- pairs, themes, echoes
def _key_columns(frame: pd.DataFrame) -> list[str]:
    """region, and city where the sentence table has one (a city's reports pair with the city's)."""
    return ["region", "city"] if "city" in frame.columns else ["region"]


def _annual(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows of a one-year section: a `period` that spans years (a five-year review) is left out."""
    rows = rows[rows["section"].isin(["plan", "review"]) & rows["year"].notna()]
    if "period" in rows.columns:
        period = rows["period"].astype("string").fillna("").str.strip()
        rows = rows[(period == "") | period.str.fullmatch(r"(?:19|20)\d{2}")]
    return rows


def _prepared(tagged: pd.DataFrame) -> pd.DataFrame:
    if "themes" in tagged.columns:
        rows = report_rows(tagged)
    else:  # an untagged sentence table: enough to see which region-years pair
        rows = tagged[tagged["kept"].astype(bool)].copy() if "kept" in tagged.columns else tagged.copy()
        rows["region"] = rows["region"].fillna(UNASSIGNED).replace("", UNASSIGNED)
    keys = _key_columns(rows)
    for key in keys:
        rows[key] = rows[key].fillna("").astype(str)
    rows["year"] = pd.to_numeric(rows["year"], errors="coerce").astype("Int64")
    return rows


def promise_pairs(tagged: pd.DataFrame) -> pd.DataFrame:
    """Which region-years can be compared: the plan for Y and the review of Y both present.

    Returns
    -------
    DataFrame
        region (and city), year, compared, plan_docs, review_docs and a note for what is
        missing ("no review of 2025: add the 2026 report"), regions in the conventional
        order, then years.
    """
    rows = _annual(_prepared(tagged))
    keys = _key_columns(rows)
    records = []
    for key, group in rows.groupby([*keys, "year"], sort=False):
        key = key if isinstance(key, tuple) else (key,)
        plan_docs = sorted(set(group.loc[group.section == "plan", "doc"]))
        review_docs = sorted(set(group.loc[group.section == "review", "doc"]))
        year = int(key[-1])
        if plan_docs and review_docs:
            note = ""
        elif plan_docs:
            note = f"no review of {year}: add the {year + 1} report"
        else:
            note = f"no plan for {year}: add the {year} report"
        records.append({**dict(zip(keys, key[:-1])), "year": year, "compared": bool(plan_docs and review_docs),
                        "plan_docs": "; ".join(plan_docs), "review_docs": "; ".join(review_docs), "note": note})
    out = pd.DataFrame(records, columns=[*keys, "year", "compared", "plan_docs", "review_docs", "note"])
    return _sorted(out, keys)


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    if frame.empty:
        return frame.reset_index(drop=True)
    order = frame["region"].map(region_sort_key)
    frame = frame.assign(_order=order).sort_values(["_order", *keys[1:], "year"], kind="stable")
    return frame.drop(columns="_order").reset_index(drop=True)


_STOP_BIGRAMS = set("推进 推动 加快 加强 建设 发展 实施 开展 全面 持续 深入 积极 大力 着力 提升 提高 完善 健全 工作 我们 全省 全市 全年 "
                    "新增 新建 完成 重点 项目 体系 机制 能力 水平 质量 稳步 有序 扎实 取得 明显 成效 进展 一批 进一 一步 不断".split())


def _content(text: str) -> set[str]:
    grams = set()
    for run in re.findall(r"[\u4e00-\u9fff]+", text):
        grams |= _bigrams(run)
    return grams - _STOP_BIGRAMS


def _echoes(plan_texts: list[str], review_texts: list[str]) -> list[tuple[int | None, float]]:
    """For each plan sentence, the review sentence repeating most of its content (IDF-weighted
    share of the plan sentence's character bigrams) and that share."""
    plan_grams = [_content(t) for t in plan_texts]
    review_grams = [_content(t) for t in review_texts]
    df: dict[str, int] = {}
    for grams in plan_grams + review_grams:
        for g in grams:
            df[g] = df.get(g, 0) + 1
    n = len(plan_grams) + len(review_grams)
    weight = {g: math.log(1 + n / c) for g, c in df.items()}
    out = []
    for grams in plan_grams:
        total = sum(weight[g] for g in grams)
        best, best_share = None, 0.0
        for j, other in enumerate(review_grams):
            share = sum(weight[g] for g in grams & other) / total if total else 0.0
            if share > best_share:
                best, best_share = j, share
        out.append((best, round(best_share, 3)))
    return out


# ---------------------------------------------------------------- the whole comparison
def compare_promises(tagged: pd.DataFrame, low_carbon_only: bool = True) -> dict[str, pd.DataFrame]:
    """The plan for each year against the review of that year, for every region that has both.

    Parameters
    ----------
    tagged : DataFrame
        A tagged sentence table (tag) of consecutive reports: the report of Y gives the plan
        for Y, the report of Y+1 the review of Y (the `year` column says which year a
        section is about).
    low_carbon_only : bool, default=True
        Only the plan's targets in low-carbon sentences (the review's figures are looked up
        in all its sentences, so a review sentence the model missed still answers).

    Returns
    -------
    dict of DataFrame
        promises: one row per plan target (PROMISE_COLUMNS after the region columns): the
        review's figure, status, ratio, score and reason, both sentences.
        by_theme: per region, year and label: plan and review sentences, plan sentences the
        review echoes, targets by status.
        sentences: the plan's and the review's sentences side by side per theme, each plan
        sentence with its closest review sentence and the echo share.
        pairs: every region-year seen, whether it could be compared and what is missing.
    """
    rows = _prepared(tagged)
    keys = _key_columns(rows)
    pairs = promise_pairs(tagged)
    annual = _annual(rows)
    sentences = annual[annual["kind"] == "sentence"] if "kind" in annual.columns else annual
    targets = extract_targets(annual, low_carbon_only=False) if not annual.empty else pd.DataFrame()
    if not targets.empty:
        targets["year"] = pd.to_numeric(targets["year"], errors="coerce").astype("Int64")
        if "city" in keys:
            city = annual.set_index(["doc", "sent_id"])["city"]
            targets["city"] = [city.get((d, s), "") for d, s in zip(targets["doc"], targets["sent_id"])]
        targets["region"] = targets["region"].fillna("").astype(str)
    promise_rows, theme_rows, sentence_rows, pair_rows = [], [], [], []
    for pair in pairs.itertuples(index=False):
        key = {k: getattr(pair, k) for k in keys}
        summary = {**key, **{c: getattr(pair, c) for c in ("year", "compared", "plan_docs", "review_docs", "note")}}
        if not pair.compared:
            pair_rows.append(summary)
            continue
        year = pair.year

        def part(frame, section):
            mask = (frame["section"] == section) & (frame["year"] == year)
            for k in keys:
                mask &= frame[k] == key[k]
            return frame[mask]

        plan_targets = part(targets, "plan") if not targets.empty else targets
        if low_carbon_only and not plan_targets.empty:
            plan_targets = plan_targets[plan_targets[LOW_CARBON].astype(bool)]
        review_targets = part(targets, "review") if not targets.empty else targets
        plans = _dedupe(_describe_all(plan_targets)) if not plan_targets.empty else []
        reviews = _describe_all(review_targets) if not review_targets.empty else []
        plan_sents, review_sents = part(sentences, "plan"), part(sentences, "review")
        results = _match_pair(plans, reviews, review_sents)
        for res in results:
            promise_rows.append({**key, "year": year, **_promise_record(res)})
        themes, side = _theme_tables(plan_sents, review_sents, results)
        theme_rows += [{**key, "year": year, **t} for t in themes]
        sentence_rows += [{**key, "year": year, **s} for s in side]
        summary.update(_pair_summary(plan_sents, review_sents, themes, results))
        pair_rows.append(summary)
    status_cols = [s.replace(" ", "_") for s in STATUSES]
    out = {
        "promises": _sorted(pd.DataFrame(promise_rows, columns=[*keys, *PROMISE_COLUMNS]), keys),
        "by_theme": _sorted(pd.DataFrame(theme_rows, columns=[*keys, *THEME_COLUMNS]), keys),
        "sentences": _sorted(pd.DataFrame(sentence_rows, columns=[*keys, *SENTENCE_COLUMNS]), keys),
        "pairs": _sorted(pd.DataFrame(pair_rows, columns=[*keys, *PAIR_COLUMNS]), keys),
    }
    for col in status_cols + ["targets", "plan_sentences", "review_sentences", "plan_echoed", "themes_planned",
                              "themes_reviewed"]:
        for name in ("by_theme", "pairs"):
            if col in out[name].columns:
                out[name][col] = pd.to_numeric(out[name][col], errors="coerce").astype("Int64")
    for col in ("plan_sent_id", "review_sent_id"):
        for name in ("promises", "sentences"):
            out[name][col] = pd.to_numeric(out[name][col], errors="coerce").astype("Int64")
    return out


def _dedupe(plans: list[dict]) -> list[dict]:
    """A target stated twice (in the main goals and again in the tasks) is one target."""
    seen, out = set(), []
    for p in plans:
        key = (tuple(p["names"]), p["dimension"], round(p["value"], 6), p["measure"])
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def _promise_record(res: dict) -> dict:
    p, r = res["plan"], res["review"] or {}
    return {
        "themes": p["themes"], "plan_doc": p["doc"], "plan_sent_id": p["sent_id"], "thing": p["thing"],
        "compared_as": " / ".join(p["names"]), "change": p["change"], "quantity": p["quantity"],
        "value_norm": p["value_norm"], "unit_norm": p["unit_norm"], "measure": p["measure"],
        "target": ("ceiling" if p["ceiling"] else "floor") + (", about" if p["about"] else ""),
        "status": res["status"], "ratio": res["ratio"], "score": res["score"], "reason": res["reason"],
        "review_doc": r.get("doc"), "review_sent_id": r.get("sent_id"), "review_thing": r.get("thing", ""),
        "review_quantity": r.get("quantity", ""), "review_value_norm": r.get("value_norm"),
        "review_unit_norm": r.get("unit_norm", ""), "review_measure": r.get("measure", ""), "plan_text": p["text"],
        "review_text": r.get("text", ""),
    }


def _has(rows: pd.DataFrame, label: str) -> pd.Series:
    if label == LOW_CARBON:
        return rows[LOW_CARBON].astype(bool)
    return rows["themes"].map(lambda s: label in split_themes(s)) if not rows.empty else pd.Series(dtype=bool)


def _theme_tables(plan_sents: pd.DataFrame, review_sents: pd.DataFrame, results: list[dict]):
    """by_theme rows and side-by-side sentence rows for one pair."""
    theme_rows, side_rows = [], []
    for label in LABELS:
        plan = plan_sents[_has(plan_sents, label)] if not plan_sents.empty else plan_sents
        review = review_sents[_has(review_sents, label)] if not review_sents.empty else review_sents
        echoes = _echoes(plan["text"].astype(str).tolist(), review["text"].astype(str).tolist())
        used = set()
        for prow, (j, share) in zip(plan.itertuples(index=False), echoes):
            rrow = review.iloc[j] if j is not None and share >= ECHO_THRESHOLD else None
            if rrow is not None:
                used.add(j)
            side_rows.append({"theme": label, "plan_sent_id": int(prow.sent_id), "plan_text": prow.text,
                              "review_sent_id": None if rrow is None else int(rrow["sent_id"]),
                              "review_text": "" if rrow is None else rrow["text"], "echo": share})
        for j, rrow in enumerate(review.itertuples(index=False)):
            if j not in used:
                side_rows.append({"theme": label, "plan_sent_id": None, "plan_text": "",
                                  "review_sent_id": int(rrow.sent_id), "review_text": rrow.text, "echo": None})
        mine = [r for r in results if label == LOW_CARBON and r["plan"]["low_carbon"]
                or label in split_themes(r["plan"]["themes"])]
        echoed = sum(share >= ECHO_THRESHOLD for _, share in echoes)
        theme_rows.append({
            "theme": label, "plan_sentences": len(plan), "review_sentences": len(review), "plan_echoed": echoed,
            "echo_share": round(echoed / len(plan), 3) if len(plan) else None, "targets": len(mine),
            **{s.replace(" ", "_"): sum(r["status"] == s for r in mine) for s in STATUSES},
        })
    return theme_rows, side_rows


def _pair_summary(plan_sents, review_sents, themes: list[dict], results: list[dict]) -> dict:
    planned = [t for t in themes if t["theme"] != LOW_CARBON and t["plan_sentences"]]
    reviewed = [t for t in planned if t["review_sentences"]]
    low = next(t for t in themes if t["theme"] == LOW_CARBON)
    return {
        "plan_sentences": len(plan_sents), "review_sentences": len(review_sents),
        "themes_planned": len(planned), "themes_reviewed": len(reviewed),
        "theme_coverage": round(len(reviewed) / len(planned), 3) if planned else None,
        "plan_echoed": low["plan_echoed"], "echo_share": low["echo_share"], "targets": len(results),
        **{s.replace(" ", "_"): sum(r["status"] == s for r in results) for s in STATUSES},
    }


# ---------------------------------------------------------------- HTML
PROMISES_CSS = """
.pk table { border-collapse: collapse; font-size: 13px; margin: .5em 0 1em; }
.pk th, .pk td { border: 1px solid #ddd; padding: 3px 6px; text-align: left; vertical-align: top; }
.pk td.num { text-align: right; white-space: nowrap; }
.pk .st { display: inline-block; color: #fff; border-radius: 3px; padding: 0 5px; font-size: 12px;
          white-space: nowrap; }
.pk mark { background: #fff3b0; padding: 0 1px; }
.pk .why { color: #555; font-size: 12px; }
.pk details summary { cursor: pointer; font-weight: bold; margin: .3em 0; }
.pk .side td { width: 50%; }
.pk .legend span { margin-right: 1em; font-size: 12px; }
"""


def _mark(text: str, quantity: str) -> str:
    """The sentence with its quantity highlighted (escaped)."""
    text = str(text or "")
    found = re.search(r"(?<![\d.])" + re.escape(quantity), text) if quantity else None
    if found:
        a = found.start()
        return f"{html.escape(text[:a])}<mark>{html.escape(quantity)}</mark>{html.escape(text[a + len(quantity):])}"
    return html.escape(text)


def _status_svg(counts: dict[str, int], width: int = 420) -> str:
    """One stacked bar of target statuses, with counts, as inline SVG."""
    total = sum(counts.values())
    if not total:
        return ""
    parts, x = [], 0.0
    for status in STATUSES:
        n = counts.get(status, 0)
        if not n:
            continue
        w = width * n / total
        parts.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="22" fill="{STATUS_COLOURS[status]}">'
                     f'<title>{STATUS_NAMES[status]}: {n}</title></rect>')
        if w >= 18:
            parts.append(f'<text x="{x + w / 2:.1f}" y="15" font-size="12" fill="#fff" text-anchor="middle">{n}</text>')
        x += w
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="22" role="img" '
            f'aria-label="target statuses">{"".join(parts)}</svg>')


def _themes_svg(themes: pd.DataFrame, width: int = 420) -> str:
    """Per theme: plan sentences, review sentences and the plan sentences the review echoes, as bars."""
    rows = themes[themes["theme"] != LOW_CARBON]
    peak = max(int(rows["plan_sentences"].max() or 0), int(rows["review_sentences"].max() or 0), 1)
    bar_w = width - 130
    parts = []
    for i, row in enumerate(rows.itertuples(index=False)):
        y = i * 26
        name = THEME_NAMES.get(row.theme, row.theme)
        parts.append(f'<text x="0" y="{y + 14}" font-size="12">{html.escape(name)}</text>')
        for k, (n, colour, label) in enumerate(((int(row.plan_sentences), "#455a64", "plan"),
                                                (int(row.review_sentences), "#90a4ae", "review"))):
            w = bar_w * n / peak
            parts.append(f'<rect x="120" y="{y + 2 + k * 10}" width="{w:.1f}" height="9" fill="{colour}">'
                         f'<title>{label}: {n}</title></rect>')
        echoed = int(row.plan_echoed or 0)
        if echoed:
            parts.append(f'<rect x="120" y="{y + 2}" width="{bar_w * echoed / peak:.1f}" height="9" fill="#2e7d32">'
                         f'<title>plan sentences echoed by the review: {echoed}</title></rect>')
        longest = max(int(row.plan_sentences), int(row.review_sentences))
        parts.append(f'<text x="{124 + bar_w * longest / peak:.1f}" y="{y + 14}" font-size="11" fill="#555">'
                     f'{int(row.plan_sentences)}/{int(row.review_sentences)}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{26 * len(rows)}" role="img" '
            f'aria-label="plan and review sentences per theme">{"".join(parts)}</svg>')


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    value = float(value)
    return f"{value:,.0f}" if value.is_integer() else f"{value:,.4g}"


def _targets_table(promises: pd.DataFrame) -> str:
    if promises.empty:
        return "<p>计划部分没有量化目标 (no quantified targets in the plan).</p>"
    head = ("<tr><th>状态 status</th><th>计划目标 plan target</th><th>回顾 review</th><th>比值 ratio</th>"
            "<th>得分 score</th></tr>")
    body = []
    for row in promises.itertuples(index=False):
        colour = STATUS_COLOURS[row.status]
        why = f'<div class="why">{html.escape(row.reason)}</div>' if row.reason else ""
        review = (f"{_mark(row.review_text, row.review_quantity)}" if row.review_text else "")
        body.append(
            f'<tr><td><span class="st" style="background:{colour}">{STATUS_NAMES[row.status]}</span>{why}</td>'
            f"<td><b>{html.escape(str(row.thing))}</b> {html.escape(row.quantity)} "
            f'<span class="why">({_fmt(row.value_norm)} {html.escape(row.unit_norm)}; '
            f'{html.escape(row.measure or "?")}, {html.escape(row.target)})</span><br>'
            f"{_mark(row.plan_text, row.quantity)}</td>"
            f"<td>{review}</td><td class=num>{_fmt(row.ratio)}</td><td class=num>{_fmt(row.score)}</td></tr>")
    return f"<table>{head}{''.join(body)}</table>"


def _side_by_side(sentences: pd.DataFrame, themes: pd.DataFrame) -> str:
    parts = []
    for row in themes.itertuples(index=False):
        if row.theme == LOW_CARBON or not (row.plan_sentences or row.review_sentences):
            continue
        rows = sentences[sentences["theme"] == row.theme]
        cells = "".join(
            f"<tr><td>{html.escape(str(r.plan_text or ''))}</td><td>{html.escape(str(r.review_text or ''))}"
            + (f' <span class="why">(echo {r.echo:.2f})</span>' if r.plan_text and r.review_text else "")
            + "</td></tr>" for r in rows.itertuples(index=False))
        share = f", {row.plan_echoed} of {row.plan_sentences} echoed" if row.plan_sentences else ""
        parts.append(f"<details><summary>{THEME_NAMES[row.theme]}: plan {row.plan_sentences}, review "
                     f"{row.review_sentences}{share}</summary><table class=side><tr><th>计划 plan</th>"
                     f"<th>回顾 review</th></tr>{cells}</table></details>")
    return "".join(parts)


def promises_region_html(tables: dict[str, pd.DataFrame], region: str, city: str | None = None) -> str:
    """One region's section: per compared year, a summary chart, the targets table and the
    sentences side by side per theme. A fragment (styled by PROMISES_CSS, classes under
    .pk) that the main report can place in its own page."""
    def mine(frame):
        mask = frame["region"] == region
        if city is not None and "city" in frame.columns:
            mask &= frame["city"] == city
        return frame[mask]

    name = f"{region} {city}" if city else region
    pairs = mine(tables["pairs"])
    parts = [f'<section class="pk"><h2>{html.escape(str(name or UNASSIGNED))}</h2>']
    for pair in pairs.itertuples(index=False):
        y = int(pair.year)
        if not pair.compared:
            parts.append(f'<p class="why">{y}: {html.escape(pair.note)}</p>')
            continue
        promises = mine(tables["promises"])
        promises = promises[promises["year"] == y]
        themes = mine(tables["by_theme"])
        themes = themes[themes["year"] == y]
        side = mine(tables["sentences"])
        side = side[side["year"] == y]
        counts = {s: int(getattr(pair, s.replace(" ", "_")) or 0) for s in STATUSES}
        matched = sum(counts[s] for s in MATCHED)
        coverage = "" if pd.isna(pair.theme_coverage) else f"{pair.theme_coverage:.0%}"
        parts.append(
            f"<h3>{y}: {y}年报告的任务 vs {y + 1}年报告的回顾 (plan for {y} against the review of {y})</h3>"
            f'<p class="why">plan: {html.escape(pair.plan_docs)}<br>review: {html.escape(pair.review_docs)}</p>'
            f"<p>{pair.targets} 个量化目标 targets, 回顾中找到对应数字 {matched} 个 (matched); the review speaks to "
            f"{pair.themes_reviewed} of {pair.themes_planned} planned themes ({coverage}), and echoes "
            f"{pair.plan_echoed} of {pair.plan_sentences} plan sentences' content.</p>"
            f"<div>{_status_svg(counts)}</div><div>{_themes_svg(themes)}</div>"
            f"{_targets_table(promises)}{_side_by_side(side, themes)}")
    parts.append("</section>")
    return "".join(parts)


def render_promises_html(tables: dict[str, pd.DataFrame], title: str = "承诺与落实 Promises kept") -> str:
    """A self-contained page: how matches are made, then one section per region."""
    pairs = tables["pairs"]
    keys = _key_columns(pairs)
    legend = "".join(f'<span><span class="st" style="background:{STATUS_COLOURS[s]}">{STATUS_NAMES[s]}</span></span>'
                     for s in STATUSES)
    compared = int(pairs["compared"].sum()) if not pairs.empty else 0
    promises = tables["promises"]
    matched = int(promises["status"].isin(MATCHED).sum()) if not promises.empty else 0
    sections = []
    for key in dict.fromkeys(tuple(r) for r in pairs[keys].itertuples(index=False, name=None)):
        sections.append(promises_region_html(tables, key[0], key[1] if len(key) > 1 and key[1] else None))
    method = (
        f"<p>每个地区、每一年：Y年报告的任务部分 against Y+1年报告的回顾部分 (the plan for Y against the review of Y). "
        f"A plan target matches a review "
        f"figure when both count the same thing (after removing verbs such as 新增/建成/累计 and unit filler such as "
        f"装机/面积: score 1.0 identical, 0.9 reordered, needs {MATCH_THRESHOLD}) in the same measure (unit "
        f"dimension; increment, level or cumulative; percentage level, change or points; ×{UNKNOWN_MEASURE_FACTOR} "
        f"where one side does not say). Met: within {MET_BAND:.0%} over a floor or under a ceiling (±{MET_BAND:.0%} "
        f"for 左右). Every match shows both sentences: check them. Thing names that differ in words (造林 vs "
        f"造林绿化, 公共充电桩 vs 充电桩) are not matched: such targets show as mentioned or not reported.</p>")
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>body {{ font-family: 'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', "
            f"sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; line-height: 1.5; }}"
            f"{PROMISES_CSS}</style>"
            f'</head><body class="pk"><h1>{html.escape(title)}</h1><p>{compared} 个地区年度可比 (region-years compared), '
            f"{len(promises)} 个计划目标 (plan targets), {matched} 个找到回顾数字 (matched).</p>"
            f'<p class="legend">{legend}</p>{method}{"".join(sections)}</body></html>')


# ---------------------------------------------------------------- the folder
def build_promises(tagged: pd.DataFrame, out_dir, force: bool = False, low_carbon_only: bool = True) -> dict:
    """Write promises.csv, promises_by_theme.csv, promises_sentences.csv, promises_pairs.csv and
    promises.html into out_dir (built beside it and moved into place).

    Raises
    ------
    OutputError
        When out_dir exists (without force), is a file, or is not an earlier promises folder.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not force:
        raise OutputError(f"{out_dir}: already exists; choose another folder or pass --force to replace it")
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: is a file, not a folder")
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / "promises.html").exists():
        raise OutputError(f"{out_dir}: is not an earlier promises folder (no promises.html); "
                          "--force only replaces those")
    tables = compare_promises(tagged, low_carbon_only=low_carbon_only)
    files = {"promises": "promises.csv", "by_theme": "promises_by_theme.csv", "sentences": "promises_sentences.csv",
             "pairs": "promises_pairs.csv"}
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.", suffix=".part"))
    try:
        for name, filename in files.items():
            write_table_to(tables[name], tmp / filename, ".csv")
        (tmp / "promises.html").write_text(render_promises_html(tables), encoding="utf-8")
        os.chmod(tmp, 0o755)
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
            os.replace(out_dir, old)
            try:
                os.replace(tmp, out_dir)
            except BaseException:
                os.replace(old, out_dir)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tables
