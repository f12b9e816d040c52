"""Regenerate pipeline/data/divisions.csv from the administrative-division table shipped by cpca.

cpca (MIT, https://github.com/DQinYuan/chinese_province_city_area_mapper) ships adcodes.csv,
the Ministry of Civil Affairs county-level division codes. We keep name, adcode, level and
province so that reading a report needs neither cpca nor its matcher at run time.

    pip install cpca && python scripts/make_divisions.py
"""
import csv
import datetime
import importlib.metadata
import importlib.util
import pathlib

spec = importlib.util.find_spec("cpca")
source = pathlib.Path(spec.submodule_search_locations[0]) / "resources" / "adcodes.csv"
out = pathlib.Path(__file__).resolve().parents[1] / "pipeline" / "data" / "divisions.csv"

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
    result.append((code, r["name"], level, province))
result.sort()
version = importlib.metadata.version("cpca")
with out.open("w", encoding="utf-8", newline="") as f:
    f.write(f"# source: cpca {version} resources/adcodes.csv (MCA division codes); generated {datetime.date.today()}\n")
    w = csv.writer(f)
    w.writerow(["adcode", "name", "level", "province"])
    w.writerows(result)
print(f"wrote {len(result)} divisions to {out}")
