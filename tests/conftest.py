"""Shared fixtures: a tiny labelled corpus and a model trained on it, written by the tests."""
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEED_TEXT = SHARED / "seed" / "000_9d398742754e4b06.txt"
SEED_GOLD = SHARED / "seed" / "seed-gold.csv"

needs_seed = pytest.mark.skipif(not SEED_GOLD.exists(), reason="../shared/seed is not here")

# Sentences written for these tests; each theme has several positives and negatives.
TINY = [
    ("新增光伏装机120万千瓦，风电并网容量突破900万千瓦。", "energy", True),
    ("加快抽水蓄能电站和新型储能项目建设。", "energy", True),
    ("推动煤电机组节能降碳改造，单位工业增加值能耗下降3.1%。", "energy", True),
    ("建成特高压输电通道二期工程，外受电比例提高到三成。", "energy", True),
    ("确保能源电力安全稳定供应。", "energy", True),
    ("新建超低能耗建筑50万平方米，推广装配式建筑。", "buildings", True),
    ("实施既有公共建筑节能改造120万平方米。", "buildings", True),
    ("城镇新建建筑全面执行绿色建筑标准。", "buildings", True),
    ("推进农村清洁取暖改造2.3万户。", "buildings", True),
    ("新建电动汽车公共充电桩1.5万个，建成换电站60座。", "transport", True),
    ("新能源汽车保有量达到42万辆。", "transport", True),
    ("地铁5号线开通运营，公共交通出行分担率提高到45%。", "transport", True),
    ("推进大宗货物公转铁，疏港铁路专用线投入使用。", "transport", True),
    ("PM2.5平均浓度下降到每立方米29微克，优良天数比例达到86%。", "ecology", True),
    ("新建污水管网320公里，消除城市黑臭水体。", "ecology", True),
    ("完成造林绿化18万亩，新增城市绿地600公顷。", "ecology", True),
    ("推进垃圾分类和无废城市建设。", "ecology", True),
    ("启动碳排放权交易，累计成交额2.4亿元。", "markets", True),
    ("绿色贷款余额增长31%，发行绿色债券80亿元。", "markets", True),
    ("开展产品碳足迹核算和碳标签认证。", "markets", True),
    ("推进绿电交易和绿证核发。", "markets", True),
    ("推动光伏建筑一体化，新增屋顶光伏装机20万千瓦。", "buildings|energy", True),
    ("新增光伏装机30万千瓦，新建充电桩8000个。", "energy|transport", True),
    ("积极稳妥推进碳达峰碳中和。", "", True),
    ("加快发展方式绿色低碳转型。", "", True),
    ("大力发展循环经济，探索建设零碳园区。", "", True),
    ("地区生产总值增长5.5%左右。", "", False),
    ("一般公共预算收入完成860亿元。", "", False),
    ("新建改扩建中小学校42所，新增学位3.6万个。", "", False),
    ("高速公路通车里程突破6000公里。", "", False),
    ("新建高标准农田120万亩，粮食产量稳定在700亿斤以上。", "", False),
    ("城镇新增就业52万人，城镇调查失业率控制在5.5%以内。", "", False),
    ("2024年主要任务", "", False),
    ("深化国资国企改革，优化营商环境。", "", False),
    ("全面加强政府自身建设。", "", False),
    ("改造城镇老旧小区860个，加装电梯1200部。", "", False),
]


def write_corpus(path: Path, rows=TINY) -> Path:
    pd.DataFrame(rows, columns=["text", "themes", "low_carbon"]).assign(
        low_carbon=lambda d: d.low_carbon.map({True: "true", False: "false"})
    ).to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("corpus") / "tiny.csv")


@pytest.fixture(scope="session")
def tiny_model(tiny_corpus, tmp_path_factory) -> Path:
    """A model trained on the tiny corpus, saved with its manifest."""
    from pipeline import load_corpus, save_model, train

    model, metadata = train(load_corpus([tiny_corpus]), random_state=0, cv=False, threshold_cv=3, calibration_cv=2)
    path = tmp_path_factory.mktemp("model") / "tiny.joblib"
    save_model(model, path, metadata)
    return path
