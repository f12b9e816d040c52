"""Clean-up, sentences, sections and regions: golden outputs on texts the tests write, and the seed."""
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from pipeline import places
from pipeline.structure import document_sentences, split_sentences, split_spans
from pipeline.text import clean_text

from .conftest import SEED_GOLD, SEED_TEXT, needs_seed


def test_golden_sentences():
    assert split_sentences("2023年GDP增长5.2%。推进“双碳”；发展绿电！") == ["2023年GDP增长5.2%。", "推进“双碳”；", "发展绿电！"]


def test_quotes_and_brackets_stay_together_and_line_breaks_split():
    text = "他强调：“要推进双碳。要发展绿电。”随后部署工作！\n（一）加快转型（含储能；氢能）\n新建公园120座?是的"
    assert split_sentences(text) == [
        "他强调：“要推进双碳。要发展绿电。”", "随后部署工作！", "（一）加快转型（含储能；氢能）", "新建公园120座?", "是的",
    ]


def test_closing_quote_after_terminator_stays_with_sentence():
    assert split_sentences("打造“美丽上海。”新建公园。") == ["打造“美丽上海。”", "新建公园。"]


def test_unbalanced_quote_does_not_swallow_the_line():
    assert split_sentences("推进“双碳。发展绿电。") == ["推进“双碳。", "发展绿电。"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("推进双碳绿电。！？；!?;“”《》（）()\n\r 　12３ab")), max_size=200) | st.text(max_size=200))
def test_splitting_loses_no_character(text):
    spans = split_spans(text)
    assert "".join(text[a:b] for a, b in spans) == text
    assert all(b > a for a, b in spans)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_clean_up_is_idempotent_and_keeps_length(text):
    once = clean_text(text)
    assert clean_text(once) == once and len(once) == len(text)


def test_clean_up_normalises_widths_only():
    assert clean_text("ＧＤＰ增长５．２％，　新建１万个") == "GDP增长5.2%， 新建1万个"


def test_offsets_point_back_into_the_source():
    text = "导言\n本文整理各地报告，以供参考。\n\n江苏\n2024年重点工作：\n  确保能源电力稳定供应。加大生态保护修复力度。\n"
    frame = document_sentences(text, "t.txt")
    cleaned = clean_text(text)
    for row in frame.itertuples():
        assert cleaned[row.start:row.end] == row.text


WHOLE_REPORT = """2025年苏州市政府工作报告
各位代表：现在，我代表市人民政府向大会报告工作。
一、2024年工作回顾
过去一年，姑苏区、吴中区新增公园12座。
二、2025年主要任务
总体要求
新建充电桩5000个。
（一）加快绿色转型
推进工业园区节能降碳。
三、加强政府自身建设
坚持依法行政。
"""


def test_whole_report_sections_years_and_city_heading():
    frame = document_sentences(WHOLE_REPORT, "2025年苏州市政府工作报告.txt")
    by_text = frame.set_index("text")
    assert by_text.loc["过去一年，姑苏区、吴中区新增公园12座。", ["section", "year"]].tolist() == ["review", 2024]
    assert by_text.loc["新建充电桩5000个。", ["section", "year"]].tolist() == ["plan", 2025]
    assert by_text.loc["推进工业园区节能降碳。", "section"] == "plan"
    assert by_text.loc["坚持依法行政。", "section"] == "other"
    assert set(frame["region"]) == {"苏州市"} and set(frame["region_source"]) == {"heading"}
    assert frame["kept"].all()


def test_region_from_file_name_and_given_region():
    text = "一、2024年工作回顾\n新增光伏装机30万千瓦。\n二、2025年工作安排\n新建公园。\n"
    frame = document_sentences(text, "reports/2025年江苏省政府工作报告.txt")
    assert set(frame["region"]) == {"江苏"} and set(frame["region_source"]) == {"filename"}
    assert frame.loc[frame.text == "新增光伏装机30万千瓦。", "year"].item() == 2024
    given = document_sentences(text, "x.txt", region="浙江")
    assert set(given["region"]) == {"浙江"} and set(given["region_source"]) == {"given"}


ARTICLE = """各地两会速览

近日各地政府工作报告陆续发布，本文整理浙江、广东、四川三地的低碳任务，以供参考。

2024年工作回顾：
杭州、宁波新增光伏装机200万千瓦，绍兴柯桥区完成印染企业节能改造，与上海合作共建长三角绿色技术中心。
美丽浙江建设取得新进展。

2025年重点任务：
推动温州、台州海上风电开发，湖州安吉县建设竹林碳汇试点。

全文链接：

广东省
2025年主要任务：
深圳、广州新建充电桩3万个，支持香港科技企业在前海落地。

2024年工作回顾：
成都、绵阳新增森林面积10万亩，德阳建成氢能产业园，成渝地区双城经济圈与重庆共建绿色走廊。
2025年工作安排：
乐山、宜宾推进晶硅光伏产业发展，支持北京、上海企业来川投资。

全文链接：
《2025年广东省政府工作报告（全文）》
来源：某某研究院
免责声明
本平台转载内容仅供参考。
点击阅读原文
https://example.org/a
"""


def test_article_blocks_regions_and_non_report_rows():
    frame = document_sentences(ARTICLE, "digest.txt")
    kept = frame[frame.kept]
    blocks = kept.drop_duplicates("block")
    assert blocks["region"].tolist() == ["浙江", "广东", "四川"]
    assert blocks["region_source"].tolist() == ["inferred", "heading", "inferred"]
    zhejiang = blocks.iloc[0]["region_evidence"]
    assert zhejiang.startswith("浙江") and "上海" in zhejiang  # the passing mention is in the evidence, outvoted
    dropped = frame[~frame.kept]
    assert dropped["region"].isna().all()
    assert set(dropped["kind"]) == {"preface", "link", "linked-title", "source", "disclaimer"}
    assert "本平台转载内容仅供参考。" in set(dropped["text"])
    sichuan = kept[kept.region == "四川"]
    assert sichuan.loc[sichuan.text.str.startswith("成都"), "section"].item() == "review"
    assert sichuan.loc[sichuan.text.str.startswith("乐山"), ["section", "year"]].values.tolist() == [["plan", 2025]]


def test_heading_naming_region_and_section_sets_both():
    text = ("编者按：各地政府工作报告陆续发布，本文摘编部分省份内容。\n【江苏】2024年工作回顾\n全年新增光伏装机300万千瓦。\n"
            "【江苏】2025年重点任务\n新建电动汽车充电桩2万个。\n浙江：2025年重点任务\n推进海上风电建设。\n"
            "四川丨工作回顾\n完成造林绿化10万亩。\n江苏：推进绿色低碳发展。\n")
    d = document_sentences(text, "digest.txt")
    kept = d[d.kept]
    assert kept.text.tolist()[1::2] == ["全年新增光伏装机300万千瓦。", "新建电动汽车充电桩2万个。", "推进海上风电建设。",
                                        "完成造林绿化10万亩。"]
    assert kept.region.tolist() == ["江苏"] * 4 + ["浙江"] * 2 + ["四川"] * 3
    assert kept.region_source.unique().tolist() == ["heading"]
    assert kept.section.tolist() == ["review"] * 2 + ["plan"] * 4 + ["review"] * 3
    assert kept.year.tolist()[:6] == [2024, 2024, 2025, 2025, 2025, 2025]
    # a sentence that starts with a region and a colon is no heading: it stays in 四川's block
    assert d.iloc[-1].kind == "sentence" and d.iloc[-1].region == "四川"


@pytest.mark.parametrize("line", ["苏州·工业园区重点任务", "苏州：工业园区重点任务", "北京 天津 河北 协同发展重点任务",
                                  "江苏 浙江 上海：2025年重点任务", "新疆：对口支援重点工作", "江苏：全面完成年度重点任务",
                                  "吉林 一汽集团重点工作"])
def test_lines_that_only_look_like_region_and_section_headings(line):
    """Inside 江苏's own report these lines must not move what follows to another region."""
    text = f"一、2025年重点任务\n推进光伏建设。\n{line}\n推进全省公交电动化。\n"
    d = document_sentences(text, "2025年江苏省政府工作报告.txt")
    assert d.region.tolist() == ["江苏"] * 4 and d.region_source.unique().tolist() == ["filename"]


def test_infer_region_weighs_all_evidence():
    region, evidence = places.infer_region("学习北京中关村经验，天津滨海新区、和平区新建公园，推动第三条入津通道，天津港绿色转型。")
    assert region == "天津" and "北京" in evidence
    assert places.infer_region("推进绿水青山就是金山银山实践。")[0] is None  # 金山 of 金山银山 is no place
    assert places.infer_region("")[0] is None


@pytest.mark.parametrize("name,expected", [
    ("2024年江苏省政府工作报告.txt", ("江苏", 2024)),
    ("2025年内蒙古自治区政府工作报告.docx", ("内蒙古", 2025)),
    ("2023年广西壮族自治区人民政府工作报告.pdf", ("广西", 2023)),
    ("report.txt", (None, None)),
])
def test_region_from_filename(name, expected):
    assert places.region_from_filename(name) == expected


@needs_seed
def test_seed_blocks_regions_sections():
    frame = document_sentences(SEED_TEXT.read_text(encoding="utf-8"), SEED_TEXT.name)
    kept = frame[frame.kept]
    blocks = kept.drop_duplicates("block")
    assert blocks["region"].tolist() == ["天津", "北京", "上海", "江苏"]
    assert blocks["region_source"].tolist() == ["inferred", "inferred", "inferred", "heading"]
    assert all(blocks["region_evidence"].iloc[:3].str.len() > 0)
    gold = pd.read_csv(SEED_GOLD, dtype=str, keep_default_na=False)
    report = gold[(gold.region != "") & ~gold.text.str.startswith(("全文链接", "《"))]
    assert list(zip(kept.text.str.replace(" ", ""), kept.region)) == list(zip(report.text.str.replace(" ", ""), report.region))
    under_heading = report.section != ""
    assert kept.section.to_numpy()[under_heading.to_numpy()].tolist() == report.section[under_heading].tolist()
    dropped = frame[~frame.kept]
    assert dropped["region"].isna().all()
    assert {"preface", "link", "linked-title", "source", "disclaimer"} <= set(dropped["kind"])
    assert set(gold[gold.region == ""].text) - {"那么,在2023年,碳中和工作有哪些新的进展呢?在2024年,又将有哪些新的计划安排呢?本文将重点整理北京、天津、上海、江苏的碳中和建设主要任务内容,以供大家参考。"} <= set(dropped.text)


def test_folder_of_whole_reports_one_region_per_file_review_and_plan(tmp_path):
    from pipeline import read_sentences

    plans = {"江苏省": "二、2025年主要任务", "浙江省": "二、2025年工作安排", "内蒙古自治区": "二、2025年经济社会发展总体要求和政策取向"}
    for province, plan in plans.items():
        (tmp_path / f"2025年{province}政府工作报告.txt").write_text(
            f"政府工作报告\n各位代表：现在向大会报告工作。\n一、2024年工作回顾\n新增光伏装机30万千瓦。\n{plan}\n"
            f"（一）加快绿色转型\n新建充电桩1万个。\n三、加强政府自身建设\n坚持依法行政。\n", encoding="utf-8")
    frame = read_sentences([tmp_path])
    assert frame.groupby("doc")["region"].unique().map(list).tolist() == [["内蒙古"], ["江苏"], ["浙江"]]
    assert set(frame["region_source"]) == {"filename"}
    review = frame[frame.text == "新增光伏装机30万千瓦。"]
    plan = frame[frame.text == "新建充电桩1万个。"]
    assert review[["section", "year"]].values.tolist() == [["review", 2024]] * 3
    assert plan[["section", "year"]].values.tolist() == [["plan", 2025]] * 3
    assert (frame[frame.text == "坚持依法行政。"]["section"] == "other").all()
