"""Regenerate pipeline/data/divisions.csv from the administrative-division table shipped by cpca.

cpca (MIT, https://github.com/DQinYuan/chinese_province_city_area_mapper) ships adcodes.csv,
the Ministry of Civil Affairs county-level division codes. We keep name, adcode, level and
province so that reading a report needs neither cpca nor its matcher at run time.

`short` is the form without 市/县/区/自治州… when a report may write it alone (苏州, 浦东),
left empty when that short form is an everyday word in jieba's dictionary (新建 区, 和平 区,
开发 区): such a word in a report is no evidence of a place. Deciding this here keeps
jieba's 350,000-line dictionary out of every start-up.

    pip install cpca && python scripts/make_divisions.py
"""
import csv
import datetime
import logging
import importlib.metadata
import importlib.util
import pathlib

spec = importlib.util.find_spec("cpca")
source = pathlib.Path(spec.submodule_search_locations[0]) / "resources" / "adcodes.csv"
out = pathlib.Path(__file__).resolve().parents[1] / "pipeline" / "data" / "divisions.csv"

SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "自治县", "地区", "新区",
            "林区", "特区", "盟", "省", "市", "区", "县", "旗")
NAME_TAGS = {"ns", "nr", "nrt", "nrfg", "nz"}  # jieba's tags for names
FALSE_FRIENDS = {"城区", "郊区", "矿区", "高新", "城中", "市中", "开发", "新建", "滨江", "滨海", "江口", "河口", "港口", "新区", "新城"}


def short_form(name):
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


import jieba  # noqa: E402

jieba.setLogLevel(logging.WARNING)
common = set(FALSE_FRIENDS)
with jieba.get_dict_file() as f:
    for raw in f:
        parts = raw.decode("utf-8").split()
        if len(parts) == 3 and 2 <= len(parts[0]) <= 3 and parts[2] not in NAME_TAGS and int(parts[1]) >= 20:
            common.add(parts[0])

rows = list(csv.DictReader(source.open(encoding="utf-8")))
by_code = {r["adcode"][:6]: r["name"] for r in rows}
result = []
for r in rows:
    code = r["adcode"][:6]
    if code.endswith("0000"):
        level = "province"
    elif code.endswith("00"):
        level = "prefecture"
    else:
        level = "county"
    province = by_code.get(code[:2] + "0000", "")
    short = short_form(r["name"])
    usable = short != r["name"] and len(short) >= 2 and short not in common
    result.append((code, r["name"], short if usable else "", level, province))
result.sort()
version = importlib.metadata.version("cpca")
with out.open("w", encoding="utf-8", newline="") as f:
    f.write(f"# source: cpca {version} resources/adcodes.csv (MCA division codes); short forms filtered with "
            f"jieba {importlib.metadata.version('jieba')}'s dictionary; generated {datetime.date.today()}\n")
    w = csv.writer(f)
    w.writerow(["adcode", "name", "short", "level", "province"])
    w.writerows(result)
print(f"wrote {len(result)} divisions to {out}")
