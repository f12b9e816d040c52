"""Aggregation arithmetic on a hand-built table, number normalisation and target extraction."""
import numpy as np
import pandas as pd
import pytest

from pipeline.aggregation import aggregate_by_region, aggregate_by_region_section, aggregate_by_region_year
from pipeline.targets import extract_targets, parse_number, quantities


def _table():
    rows = [
        # region, section, year, themes, low_carbon, p_energy, kept, text
        ("江苏", "review", 2023, "energy", True, 0.9, True, "新增光伏装机50万千瓦。"),
        ("江苏", "plan", 2024, "energy|transport", True, 0.8, True, "新建充电桩2万个，推进光伏发电。"),
        ("江苏", "plan", 2024, "", True, 0.1, True, "积极稳妥推进碳达峰碳中和。"),
        ("江苏", "plan", 2024, "", False, 0.0, True, "地区生产总值增长5%左右。"),
        ("北京", "plan", 2024, "ecology", True, 0.2, True, "新增森林3.1万亩。"),
        ("北京", "plan", 2024, "", False, 0.1, True, "新建学校10所。"),
        (None, "other", None, "", False, np.nan, False, "免责声明"),
    ]
    frame = pd.DataFrame(rows, columns=["region", "section", "year", "themes", "low_carbon", "p_energy", "kept", "text"])
    for t in ("buildings", "transport", "ecology", "markets", "low_carbon"):
        frame[f"p_{t}"] = 0.5
    frame["doc"], frame["sent_id"] = "d.txt", range(len(frame))
    return frame


def test_by_region_counts_shares_and_order():
    out = aggregate_by_region(_table())
    assert list(dict.fromkeys(out.region)) == ["北京", "江苏"]  # conventional order, not alphabetical or by size
    jiangsu = out[out.region == "江苏"].set_index("theme")
    assert jiangsu.loc["energy", "sentences"] == 2
    assert jiangsu.loc["energy", "share_of_region"] == 0.5  # 2 of 4 report sentences
    assert jiangsu.loc["energy", "share_of_low_carbon"] == pytest.approx(2 / 3, abs=1e-4)
    assert jiangsu.loc["energy", "mean_p"] == pytest.approx(0.45)  # (0.9 + 0.8 + 0.1 + 0.0) / 4
    assert jiangsu.loc["transport", "sentences"] == 1 and jiangsu.loc["buildings", "sentences"] == 0
    assert jiangsu.loc["low_carbon", "sentences"] == 3
    assert set(out.region) == {"北京", "江苏"}  # the disclaimer (kept=false) is in no region


def test_by_region_section_and_year():
    sections = aggregate_by_region_section(_table())
    js = sections[(sections.region == "江苏") & (sections.theme == "energy")].set_index("section")
    assert js.loc["review", "sentences"] == 1 and js.loc["plan", "sentences"] == 1
    assert js.loc["review", "kept_sentences"] == 1 and js.loc["plan", "kept_sentences"] == 3
    assert list(sections[sections.region == "江苏"].section.drop_duplicates()) == ["review", "plan"]
    years = aggregate_by_region_year(_table())
    assert years[(years.region == "江苏") & (years.theme == "energy")].set_index("year")["sentences"].to_dict() == {2023: 1, 2024: 1}


def test_region_without_low_carbon_sentences_has_zero_shares():
    table = _table()
    table = table[table.region == "北京"].assign(themes="", low_carbon=False)
    out = aggregate_by_region(table)
    assert (out.sentences == 0).all() and (out.share_of_low_carbon == 0).all()
    assert extract_targets(table).empty


def test_empty_table():
    out = aggregate_by_region(_table().iloc[0:0])
    assert out.empty and "share_of_region" in out.columns


@pytest.mark.parametrize("text,value", [
    ("一万", 10_000), ("1.2亿", 120_000_000), ("94.6万", 946_000), ("百分之五", 5), ("0.5", 0.5),
    ("3.1万", 31_000), ("三千五百", 3_500), ("两亿三千万", 230_000_000), ("十二", 12), ("1,200", 1_200), ("百分之十二点", None),
    ("五万亿", 5e12), ("三千五百万", 35_000_000), ("一千二百万", 12_000_000),
])
def test_parse_number(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("sentence,expected", [
    ("新增光伏装机94.6万千瓦。", [("光伏装机", "新增", "94.6万千瓦", 946_000, "千瓦", "kW", 946_000)]),
    ("新建1万个电动汽车公共充电桩。", [("电动汽车公共充电桩", "新建", "1万个", 10_000, "个", "个", 10_000)]),
    ("落实超低能耗建筑项目200万平方米。", [("超低能耗建筑项目", "落实", "200万平方米", 2_000_000, "平方米", "m²", 2_000_000)]),
    ("可再生能源消费占比提高0.5个百分点。", [("可再生能源消费占比", "提高", "0.5个百分点", 0.5, "个百分点", "pp", 0.5)]),
    ("新增森林3.1万亩、绿地1000公顷。", [("森林", "新增", "3.1万亩", 31_000, "亩", "亩", 31_000),
                                   ("绿地", "新增", "1000公顷", 1000, "公顷", "ha", 1000)]),
    ("单位GDP能耗下降百分之五。", [("单位GDP能耗", "下降", "百分之五", 5, "%", "%", 5)]),
    ("新增风电装机1.2吉瓦，外电入省一万千瓦时。", [("风电装机", "新增", "1.2吉瓦", 1.2, "吉瓦", "kW", 1.2e6),
                                       ("外电入省", "", "一万千瓦时", 10_000, "千瓦时", "kWh", 10_000)]),
    ("实施碳达峰十大行动，建成一个示范区。", []),
    ("投资三千五百万元，处理垃圾三千五百吨，新建一万个充电桩。", [
        ("投资", "", "三千五百万元", 35_000_000, "元", "CNY", 35_000_000),
        ("处理垃圾", "", "三千五百吨", 3_500, "吨", "t", 3_500),
        ("充电桩", "新建", "一万个", 10_000, "个", "个", 10_000)]),
    ("绿色贷款余额两亿三千万元，新增储能一千二百万千瓦。", [
        ("绿色贷款余额", "", "两亿三千万元", 230_000_000, "元", "CNY", 230_000_000),
        ("储能", "新增", "一千二百万千瓦", 12_000_000, "千瓦", "kW", 12_000_000)]),
])
def test_quantities(sentence, expected):
    got = [(q["thing"], q["change"], q["quantity"], q["value"], q["unit"], q["unit_norm"], q["value_norm"])
           for q in quantities(sentence)]
    assert got == expected


def test_extract_targets_carries_region_section_theme():
    targets = extract_targets(_table())
    assert targets[["region", "section", "year", "themes", "thing", "value_norm", "unit_norm"]].values.tolist() == [
        ["北京", "plan", 2024, "ecology", "森林", 31_000.0, "亩"],
        ["江苏", "review", 2023, "energy", "光伏装机", 500_000.0, "kW"],
        ["江苏", "plan", 2024, "energy|transport", "充电桩", 20_000.0, "个"],
    ]
