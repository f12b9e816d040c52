"""Print the data card's tables (counts per label, lengths, levels) for corpus/*.csv as Markdown."""
import sys

import pandas as pd

THEMES = ["energy", "buildings", "transport", "ecology", "markets"]
paths = sys.argv[1:] or ["corpus/train.csv", "corpus/test.csv"]
frames = {p.split("/")[-1].removesuffix(".csv"): pd.read_csv(p, dtype=str, keep_default_na=False) for p in paths}
frames["all"] = pd.concat(frames.values(), ignore_index=True)


def counts(d):
    themes = d.themes.str.split("|").map(lambda ts: [t for t in ts if t])
    row = {"sentences": len(d)}
    row.update({t: int(themes.map(lambda ts, t=t: t in ts).sum()) for t in THEMES})
    row["2+ themes"] = int((themes.map(len) >= 2).sum())
    row["low_carbon, no theme"] = int(((themes.map(len) == 0) & (d.low_carbon == "true")).sum())
    row["not low_carbon"] = int((d.low_carbon == "false").sum())
    lengths = d.text.str.len()
    row["median length"] = int(lengths.median())
    row["share > 60 chars"] = f"{(lengths > 60).mean():.0%}"
    row["share > 85 chars"] = f"{(lengths > 85).mean():.0%}"
    return row


print(pd.DataFrame({k: counts(v) for k, v in frames.items()}).to_markdown())
print()
d = frames["all"]
print(pd.DataFrame({"level": d.level.value_counts(), "share": d.level.value_counts(normalize=True).round(2)}).to_markdown())
print()
print(pd.DataFrame({"section": d.section.value_counts()}).to_markdown())
print()
print(f"regions: {d.region.nunique()} (national reports as 国家); sentences per region: "
      f"min {d.region.value_counts().min()}, median {int(d.region.value_counts().median())}, max {d.region.value_counts().max()}")
print(f"length: min {d.text.str.len().min()}, max {d.text.str.len().max()}")
