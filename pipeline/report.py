"""The report folder: sentence and aggregate tables as CSV, one Excel workbook, one HTML page.

The folder is built in a temporary folder beside the target and moved into place, so an
interrupted run never leaves half a report. The HTML is self-contained (inline SVG chart,
no scripts or links), so it opens anywhere without a network. The chart is drawn on a
matplotlib Figure of its own: no pyplot, no backend chosen, nothing global changed.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from .aggregation import UNASSIGNED, aggregate_by_region, aggregate_by_region_section, aggregate_by_region_year
from .errors import OutputError
from .labels import LABELS, LOW_CARBON, PROB_COLUMN, THEMES, split_themes
from .places import region_sort_key
from .targets import extract_targets
from .writing import write_table_to

THEME_COLOURS = {"energy": "#e8a33d", "buildings": "#8c6bb1", "transport": "#3b8bc2", "ecology": "#4daf4a",
                 "markets": "#d9534f", "low_carbon": "#7f8c8d"}
THEME_NAMES = {"energy": "能源 energy", "buildings": "建筑 buildings", "transport": "交通 transport",
               "ecology": "生态 ecology", "markets": "市场 markets", "low_carbon": "低碳 low_carbon"}
READABLE = {
    "region": "地区 region", "section": "部分 section", "year": "年份 year", "theme": "主题 theme",
    "sentences": "句数 sentences", "share_of_region": "占本地区句子比例 share of region",
    "share_of_low_carbon": "占低碳句比例 share of low-carbon", "mean_p": "平均概率 mean p",
    "kept_sentences": "报告句数 report sentences", "low_carbon_sentences": "低碳句数 low-carbon sentences",
    "thing": "指标 thing", "change": "动作 change", "quantity": "原文数量 quantity", "number": "数字 number",
    "value": "数值 value", "unit": "单位 unit", "unit_norm": "标准单位 unit (normalised)",
    "value_norm": "标准数值 value (normalised)", "themes": "主题 themes", "text": "句子 sentence",
}
CJK_FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "Microsoft YaHei", "PingFang SC",
             "Heiti SC", "SimHei", "DejaVu Sans", "sans-serif"]


def _review_plan_svg(by_section: pd.DataFrame) -> str:
    """Grouped bars per region: review vs plan sentence counts per theme, as inline SVG with live text.

    Drawn on a Figure of its own (no pyplot: no backend to choose, no figure left open), with
    rc settings only inside rc_context. The SVG has no date and its ids come from a fixed
    salt, so the same tables give the same bytes."""
    import io
    import logging
    import warnings

    import matplotlib
    from matplotlib.figure import Figure

    frame = by_section[by_section["theme"].isin(THEMES) & by_section["section"].isin(["review", "plan"])]
    regions = list(dict.fromkeys(frame["region"]))
    if not regions:
        return "<p>没有回顾或任务部分的句子 (no review or plan sentences).</p>"
    font_log = logging.getLogger("matplotlib.font_manager")
    level = font_log.level
    font_log.setLevel(logging.ERROR)  # "findfont: … not found" for each CJK family this machine lacks
    try:
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "lowcarbon", "font.family": CJK_FONTS,
                                    "axes.unicode_minus": False}), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # missing glyph metrics: the browser draws the text, not matplotlib
            fig = Figure(figsize=(max(4.0, 2.6 * len(regions)), 3.2))
            axes = fig.subplots(1, len(regions), sharey=True, squeeze=False)
            width = 0.38
            for ax, region in zip(axes[0], regions):
                part = frame[frame["region"] == region]
                for k, (section, label, alpha) in enumerate((("review", "回顾 review", 0.55), ("plan", "任务 plan", 1.0))):
                    counts = [int(part[(part.section == section) & (part.theme == t)]["sentences"].sum()) for t in THEMES]
                    ax.bar([i + (k - 0.5) * width for i in range(len(THEMES))], counts, width, alpha=alpha,
                           color=[THEME_COLOURS[t] for t in THEMES], label=label, edgecolor="#333" if k else "none")
                ax.set_title(str(region), fontsize=12)
                ax.set_xticks(range(len(THEMES)), [THEME_NAMES[t].split()[0] for t in THEMES], fontsize=9)
                ax.spines[["top", "right"]].set_visible(False)
            axes[0][0].set_ylabel("句数 sentences")
            axes[0][0].legend(fontsize=8, frameon=False)
            fig.tight_layout()
            buffer = io.StringIO()
            fig.savefig(buffer, format="svg", metadata={"Date": None})
    finally:
        font_log.setLevel(level)
    svg = buffer.getvalue()
    return svg[svg.index("<svg"):]


def _heatmap_html(by_region: pd.DataFrame) -> str:
    import html

    table = by_region[by_region["theme"].isin(THEMES)].pivot(index="region", columns="theme", values="share_of_region")
    table = table.reindex(index=list(dict.fromkeys(by_region["region"])), columns=list(THEMES))
    counts = by_region[by_region["theme"].isin(THEMES)].pivot(index="region", columns="theme", values="sentences")
    peak = max(float(table.max().max() or 0), 1e-9)
    head = "".join(f"<th>{THEME_NAMES[t]}</th>" for t in THEMES)
    rows = []
    for region in table.index:
        cells = []
        for t in THEMES:
            share = float(table.loc[region, t])
            alpha = share / peak
            colour = f"rgba(21, 128, 61, {0.08 + 0.85 * alpha:.2f})"
            ink = "#fff" if alpha > 0.55 else "#111"
            cells.append(f'<td style="background:{colour};color:{ink}" title="{int(counts.loc[region, t])} 句">'
                         f"{share:.0%}<small> ({int(counts.loc[region, t])})</small></td>")
        rows.append(f"<tr><th>{html.escape(str(region))}</th>{''.join(cells)}</tr>")
    return f'<table class="heat"><thead><tr><th>地区 region</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _sentences_html(tagged: pd.DataFrame) -> str:
    import html

    kept = tagged[tagged["kept"].astype(bool)].copy()
    kept["region"] = kept["region"].fillna(UNASSIGNED).replace("", UNASSIGNED)
    parts = []
    for region in sorted(dict.fromkeys(kept["region"]), key=region_sort_key):
        rows = kept[kept["region"] == region]
        items = []
        for row in rows.itertuples(index=False):
            themes = split_themes(row.themes)
            badges = "".join(f'<span class="badge" style="background:{THEME_COLOURS[t]}">{THEME_NAMES[t].split()[0]} '
                             f'{getattr(row, PROB_COLUMN[t]):.2f}</span>' for t in themes)
            if not themes and row.low_carbon:
                badges = f'<span class="badge" style="background:{THEME_COLOURS[LOW_CARBON]}">低碳 {row.p_low_carbon:.2f}</span>'
            style = f' style="border-left:4px solid {THEME_COLOURS[themes[0]]}"' if themes else (
                ' style="border-left:4px solid #bbb"' if row.low_carbon else "")
            section = {"review": "回顾", "plan": "任务"}.get(row.section, "")
            items.append(f'<li{style}><span class="sec">{section}</span>{html.escape(str(row.text))} {badges}</li>')
        n_low = int(rows[LOW_CARBON].astype(bool).sum())
        parts.append(f'<details><summary>{html.escape(region)} — {len(rows)} 句，其中低碳 {n_low} 句</summary>'
                     f'<ul class="sents">{"".join(items)}</ul></details>')
    return "".join(parts)


HTML_TEMPLATE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{{ title }}</title>
<style>
body { font-family: {{ fonts }}; margin: 2em auto; max-width: 1200px; color: #111; line-height: 1.5; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 14px; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
table.heat td { text-align: center; min-width: 6em; } small { opacity: .75; }
.badge { display: inline-block; color: #fff; border-radius: 3px; padding: 0 5px; margin-left: 4px; font-size: 12px; }
ul.sents { list-style: none; padding-left: 0; } ul.sents li { padding: 3px 8px; margin: 2px 0; }
.sec { display: inline-block; min-width: 2.5em; color: #666; font-size: 12px; }
.legend span { display: inline-block; margin-right: 1em; } .legend i { display: inline-block; width: 1em; height: 1em; vertical-align: middle; margin-right: .3em; }
details summary { cursor: pointer; font-weight: bold; margin: .4em 0; }
</style></head><body>
<h1>{{ title }}</h1>
<p>{{ summary }}</p>
<p class="legend">{% for t, c in colours %}<span><i style="background:{{ c }}"></i>{{ names[t] }}</span>{% endfor %}</p>
<h2>地区 × 主题 热力图 (share of each region's report sentences)</h2>
{{ heatmap }}
<h2>回顾与任务对比 (review vs plan, sentences per theme)</h2>
<div class="chart">{{ chart }}</div>
<h2>量化目标 (quantified targets)</h2>
{{ targets }}
<h2>各地区句子 (sentences by region, highlighted by theme, with probabilities)</h2>
{{ sentences }}
<p><small>Generated by lowcarbon {{ version }} with model {{ model }}.</small></p>
</body></html>
"""


def render_html(tagged, by_region, by_section, targets, title="低碳主题报告 Low-carbon themes", model_name="") -> str:
    import html

    import jinja2

    from . import __version__

    shown = targets[["region", "section", "year", "themes", "thing", "change", "quantity", "value_norm", "unit_norm"]].copy() \
        if not targets.empty else targets
    targets_html = shown.rename(columns=READABLE).to_html(index=False, border=0, na_rep="", float_format=lambda v: f"{v:,.0f}" if float(v).is_integer() else f"{v:,.4f}".rstrip("0")) \
        if not targets.empty else "<p>没有找到量化目标 (no quantified targets in low-carbon sentences).</p>"
    kept = tagged[tagged["kept"].astype(bool)]
    n_regions = by_region["region"].nunique() if not by_region.empty else 0
    summary = (f"{tagged['doc'].nunique()} 份文件, {len(kept)} 句报告正文, {int(kept[LOW_CARBON].astype(bool).sum())} 句低碳, "
               f"{n_regions} 个地区, {len(targets)} 个量化目标。")
    template = jinja2.Environment(autoescape=False).from_string(HTML_TEMPLATE)
    return template.render(
        title=html.escape(title), summary=summary, fonts=", ".join(f'"{f}"' for f in CJK_FONTS[:-1]) + ", sans-serif",
        colours=[(t, THEME_COLOURS[t]) for t in LABELS], names=THEME_NAMES,
        heatmap=_heatmap_html(by_region) if not by_region.empty else "<p>没有句子 (no sentences).</p>",
        chart=_review_plan_svg(by_section) if not by_section.empty else "", targets=targets_html,
        sentences=_sentences_html(tagged), version=__version__, model=html.escape(model_name),
    )


def _readable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns=READABLE)


def build_report(tagged: pd.DataFrame, out_dir, force: bool = False, model_name: str = "") -> dict:
    """Write the report folder: sentences.csv, by_region.csv, by_region_section.csv,
    by_region_year.csv, targets.csv, report.xlsx and report.html.

    Parameters
    ----------
    tagged : DataFrame
        A tagged sentence table (tag).
    out_dir : path
        The folder; it is built in a temporary folder beside it and moved into place.
    force : bool, default=False
        Replace an existing report folder (one with report.html); anything else is refused.
    model_name : str
        Shown at the foot of the HTML page.

    Returns
    -------
    dict of DataFrame
        The tables written, by name (sentences, by_region, by_region_section,
        by_region_year, targets).

    Raises
    ------
    OutputError
        When out_dir exists (without force), is a file, or is not an earlier report folder.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not force:
        raise OutputError(f"{out_dir}: already exists; choose another folder or pass --force to replace it")
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: is a file, not a folder")
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / "report.html").exists():
        raise OutputError(f"{out_dir}: is not an earlier report folder (no report.html); --force only replaces those")
    tables = {
        "sentences": tagged,
        "by_region": aggregate_by_region(tagged),
        "by_region_section": aggregate_by_region_section(tagged),
        "by_region_year": aggregate_by_region_year(tagged),
        "targets": extract_targets(tagged),
    }
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.", suffix=".part"))
    try:
        for name, frame in tables.items():
            write_table_to(frame, tmp / f"{name}.csv", ".csv")
        with pd.ExcelWriter(tmp / "report.xlsx", engine="openpyxl") as writer:
            for name, frame in tables.items():
                _readable(frame).to_excel(writer, sheet_name=name[:31], index=False)
        html = render_html(tagged, tables["by_region"], tables["by_region_section"], tables["targets"], model_name=model_name)
        (tmp / "report.html").write_text(html, encoding="utf-8")
        os.chmod(tmp, 0o755)
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
            os.replace(out_dir, old)
            try:
                os.replace(tmp, out_dir)
            except BaseException:
                os.replace(old, out_dir)  # put the earlier report back
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tables
