"""Place names: provinces, prefecture cities and counties from the MCA division table.

The table (pipeline/data/divisions.csv) is generated from cpca's adcodes.csv by
scripts/make_divisions.py; its first line records the source and date. Here it becomes
one Aho-Corasick automaton that finds every place name in a block of text and says which
province it belongs to, so a block without a heading can be placed by weight of evidence.
"""
from __future__ import annotations

import csv
import functools
import re
from collections import Counter
from importlib import resources

from .segmentation import without_surrogates, word_ends

# Conventional order (the State Statistical Bureau's), used to sort regions in every table.
PROVINCES = [
    ("北京", "北京市"), ("天津", "天津市"), ("河北", "河北省"), ("山西", "山西省"), ("内蒙古", "内蒙古自治区"),
    ("辽宁", "辽宁省"), ("吉林", "吉林省"), ("黑龙江", "黑龙江省"), ("上海", "上海市"), ("江苏", "江苏省"),
    ("浙江", "浙江省"), ("安徽", "安徽省"), ("福建", "福建省"), ("江西", "江西省"), ("山东", "山东省"),
    ("河南", "河南省"), ("湖北", "湖北省"), ("湖南", "湖南省"), ("广东", "广东省"), ("广西", "广西壮族自治区"),
    ("海南", "海南省"), ("重庆", "重庆市"), ("四川", "四川省"), ("贵州", "贵州省"), ("云南", "云南省"),
    ("西藏", "西藏自治区"), ("陕西", "陕西省"), ("甘肃", "甘肃省"), ("青海", "青海省"), ("宁夏", "宁夏回族自治区"),
    ("新疆", "新疆维吾尔自治区"),
]
SHORT_BY_FULL = {full: short for short, full in PROVINCES}
PROVINCE_ORDER = {short: i for i, (short, _) in enumerate(PROVINCES)}
NATIONAL = "全国"

# Unmistakable cues that name no division: nicknames and set phrases. Hand-kept on purpose,
# small, and each one points at a single province.
CUES = {
    "首都": "北京", "京城": "北京", "入津": "天津", "津城": "天津", "津门": "天津", "申城": "上海",
    "沪上": "上海", "来沪": "上海", "在沪": "上海", "天府": "四川", "八桂": "广西", "三秦": "陕西",
    "八闽": "福建", "齐鲁": "山东", "燕赵": "河北", "三晋": "山西", "荆楚": "湖北", "三湘": "湖南",
    "龙江": "黑龙江", "陇原": "甘肃", "塞上": "宁夏", "雪域": "西藏", "天山南北": "新疆", "岭南": "广东",
    "巴渝": "重庆", "中原": "河南", "赣鄱": "江西", "之江": "浙江", "彩云之南": "云南", "八百里秦川": "陕西",
    "黄浦江": "上海", "浦江": "上海", "钱塘江": "浙江", "珠江三角洲": "广东", "洞庭湖": "湖南", "鄱阳湖": "江西",
    "滇池": "云南", "洱海": "云南", "太湖": "江苏", "巢湖": "安徽", "西湖": "浙江", "千岛湖": "浙江",
    "大湾区": "广东", "深港": "广东", "粤港澳": "广东", "成渝": "四川", "长兴岛": "上海", "崇明岛": "上海",
}
# Phrases that contain a place name but name no place: matched so that they hide it.
NOT_PLACES = ["金山银山", "长江口", "京津冀", "新建", "滨江", "滨海", "江口", "河口", "港口", "新区", "新城"]
# "美丽江苏", "江苏人民", "全省" near a name: a report talks of its own region like this.
STRONG_PATTERN = "美丽{0}|{0}人民|{0}大地|{0}高质量发展|新时代{0}"
STRONG_WEIGHT = 3.0


@functools.lru_cache(maxsize=1)
def divisions() -> list[dict]:
    with resources.files("pipeline").joinpath("data/divisions.csv").open(encoding="utf-8") as f:
        lines = [line for line in f if not line.startswith("#")]
    return list(csv.DictReader(lines))


@functools.lru_cache(maxsize=1)
def gazetteer() -> dict[str, tuple[dict[str, float], str]]:
    """Map each recognisable name to {province: weight} and its level (province/prefecture/county/cue)."""
    names: dict[str, tuple[dict[str, float], str]] = {}
    for short, full in PROVINCES:
        names[short] = ({short: 1.0}, "province")
        names[full] = ({short: 1.0}, "province")
    by_name: dict[str, set[str]] = {}
    level_of: dict[str, str] = {}
    for row in divisions():
        province = SHORT_BY_FULL.get(row["province"])
        name = row["name"]
        if province is None or row["level"] == "province" or name in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
            continue
        forms = {name}
        short = row["short"]  # empty when the short form is an everyday word (see scripts/make_divisions.py)
        if short:
            forms.add(short)
        for form in forms:
            by_name.setdefault(form, set()).add(province)
            level_of[form] = row["level"] if form == name or row["level"] != "county" else "county-short"
    for form, provinces in by_name.items():
        if form in names:
            continue
        if len(provinces) == 1:  # a name shared by several provinces (朝阳区, 鼓楼区) says nothing
            names[form] = ({next(iter(provinces)): 1.0}, level_of[form])
    for cue, province in CUES.items():
        names[cue] = ({province: 1.0}, "cue")
    for phrase in NOT_PLACES:
        names[phrase] = ({}, "not-a-place")
    for short, _ in PROVINCES:
        for pattern in STRONG_PATTERN.split("|"):
            names[pattern.format(short)] = ({short: STRONG_WEIGHT}, "cue")
    return names


@functools.lru_cache(maxsize=1)
def _automaton():
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for name, (weights, level) in gazetteer().items():
        automaton.add_word(name, (name, weights, level))
    automaton.make_automaton()
    return automaton


def find_places(text: str) -> list[tuple[int, str, dict[str, float], str]]:
    """Every place mention, longest match first at each position, without overlaps."""
    if not text:
        return []
    text = without_surrogates(text)  # the C automaton needs encodable text
    hits = []
    for end, (name, weights, level) in _automaton().iter(text):
        hits.append((end - len(name) + 1, end + 1, name, weights, level))
    hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    result, covered_to = [], -1
    for start, end, name, weights, level in hits:
        if start < covered_to:
            continue
        result.append((start, name, weights, level))
        covered_to = end
    return result


LOCAL_LEVELS = ("prefecture", "county", "county-short")


def infer_region(text: str) -> tuple[str | None, str]:
    """Decide a block's province by the weight of all its place mentions.

    Returns (region or None, evidence) where evidence reads like "上海 7.0: 上海×2 美丽上海×2 崇明×1; 北京 1.0: 首都×1".
    """
    scores: Counter = Counter()
    mentions: dict[str, Counter] = {}
    hits = find_places(text)
    bounds = word_ends(text) if any(level in LOCAL_LEVELS for _, _, _, level in hits) else set()
    for start, name, weights, level in hits:
        if level in LOCAL_LEVELS and not (start in bounds and start + len(name) in bounds):
            continue  # 金山 inside 金山银山, 江口 inside 长江口: not a place here
        factor = 0.5 if level == "county-short" else 1.0
        for province, weight in weights.items():
            weight *= factor
            scores[province] += weight
            mentions.setdefault(province, Counter())[name] += 1
    if not scores:
        return None, ""
    ranked = scores.most_common()
    evidence = "; ".join(
        f"{p} {s:g}: " + " ".join(f"{n}×{c}" for n, c in mentions[p].most_common(6)) for p, s in ranked[:3]
    )
    best, best_score = ranked[0]
    if len(ranked) > 1 and ranked[1][1] >= best_score:
        return None, "tie: " + evidence
    return best, evidence


def region_of_name(name: str) -> str | None:
    """The province a heading or file name names: a province (short or full) or a unique prefecture city."""
    name = name.strip()
    if not name:
        return None
    if name in SHORT_BY_FULL:
        return SHORT_BY_FULL[name]
    if name in PROVINCE_ORDER:
        return name
    entry = gazetteer().get(name)
    if entry and entry[1] == "prefecture":
        return next(iter(entry[0]))
    return None


def city_of_name(name: str) -> str | None:
    """The prefecture city a heading names, in full form (苏州 -> 苏州市), or None."""
    entry = gazetteer().get(name)
    if not entry or entry[1] != "prefecture":
        return None
    for row in divisions():
        if row["level"] == "prefecture" and name in (row["name"], row["short"]):
            return row["name"]
    return None


_FILENAME_RE = re.compile(r"^(?:(?:19|20)\d\d\s*年?)?(?P<rest>.*?)(?:人民)?政府工作报告")


def region_from_filename(filename: str) -> tuple[str | None, int | None]:
    """`2024年江苏省政府工作报告.txt` -> ("江苏", 2024); names a city's province the same way.

    Only a file named as a work report counts: `北京天津上海江苏碳中和任务.txt` is a digest of
    several regions and names none of them for all its blocks."""
    stem = re.sub(r"\.[A-Za-z0-9]+$", "", filename.rsplit("/", 1)[-1])
    year = None
    m = re.search(r"(19|20)\d\d", stem)
    if m:
        year = int(m.group(0))
    named = _FILENAME_RE.search(stem)
    if not named:
        return None, year
    for start, name, weights, level in find_places(named.group("rest")):
        if level in ("province", "prefecture"):
            return next(iter(weights)), year
    return None, year


def region_sort_key(region) -> tuple:
    """Provinces in the conventional order, then anything else alphabetically, blanks last."""
    if region is None or region == "" or (isinstance(region, float) and region != region):
        return (3, 0, "")
    if region == NATIONAL:
        return (0, 0, "")
    if region in PROVINCE_ORDER:
        return (1, PROVINCE_ORDER[region], "")
    return (2, 0, str(region))
