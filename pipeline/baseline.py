"""The keyword baseline: what people do today, a theme whenever one of its cue words appears.

`lowcarbon evaluate` scores it beside the model on the same rows, so that every figure of
the model has a plain reference.
"""
from __future__ import annotations

import numpy as np

from .labels import LABELS, LOW_CARBON_COLUMN, THEME_COLUMNS, THEMES
from .text import normalize_for_model

KEYWORDS = {
    "energy": "光伏 风电 水电 核电 氢能 储能 特高压 外受电 煤炭清洁高效利用 新型能源体系 新型电力系统 节能降耗 能耗双控 碳排放双控 能效 新能源 可再生能源 清洁能源 节能 抽水蓄能 电网 能源".split(),
    "buildings": "绿色建筑 超低能耗建筑 近零能耗 公共建筑节能改造 装配式建筑 绿色建材 建筑光伏一体化 光伏建筑一体化 清洁取暖 节能建筑 建筑节能 热泵".split(),
    "transport": "新能源汽车 充电桩 换电站 公共交通 轨道交通 绿色出行 公转铁 多式联运 岸电 液化天然气动力船 绿色航运 可持续航空燃料 地铁 公交 充电设施 新能源车".split(),
    "ecology": "空气质量 蓝天 污水 水体 河湖 土壤 固废 垃圾分类 无废城市 森林 绿地 绿道 公园 立体绿化 湿地 生物多样性 生态修复 碳汇 海绵城市 美丽中国 生态文明示范 环境执法 污染防治 生态保护 造林 大气 水质".split(),
    "markets": "碳市场 碳排放权交易 温室气体自愿减排交易 用能权 绿电交易 绿证 绿色金融 绿色信贷 绿色债券 转型金融 碳排放核算 碳足迹 碳标签 绿色贸易 碳边境调节机制 绿色消费 碳排放权 排污权".split(),
}
GREEN_WORDS = "绿色 低碳 碳达峰 碳中和 双碳 环保 生态 节能 减排 循环经济 清洁生产 零碳 降碳 气候".split()


class KeywordBaseline:
    """A sentence has a theme when it contains one of the theme's keywords, and is low_carbon
    when it has a theme or a general green word. predict returns 0/1 in labels.LABELS order."""

    classes_ = np.array(LABELS)

    def predict(self, X) -> np.ndarray:
        out = np.zeros((len(X), len(LABELS)), dtype=int)
        for i, raw in enumerate(X):
            text = normalize_for_model(raw)
            for j, theme in enumerate(THEMES):
                out[i, j] = any(k in text for k in KEYWORDS[theme])
            out[i, LOW_CARBON_COLUMN] = out[i, THEME_COLUMNS].any() or any(k in text for k in GREEN_WORDS)
        return out
