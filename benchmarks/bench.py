"""Speed and memory of tagging, each as a ratio against a reference measured in the same run.

    python benchmarks/bench.py            # full: 50,000 sentences for speed, 1,000,000 for memory
    python benchmarks/bench.py --quick    # smaller tables, for a smoke run

Figures (targets in brackets):
  1. single process: `lowcarbon tag` on a sentence table (read, tag, write; start-up excluded) vs bare
     jieba.lcut over the same sentences in a fresh process (>= 0.6x); medians of three interleaved runs
  2. --n-jobs 2 vs bare single-process jieba.lcut (>= 1.1x)
  3. cold start: `lowcarbon tag` on the shipped sample vs `python -c "import sklearn, pandas, jieba; jieba.initialize()"` (<= 1.5x)
  4. peak RSS tagging 1,000,000 sentences (< 1 GB) and vs 100,000 sentences (within 20%)
  5. model file size (<= 20 MB) and load time (<= 1 s)
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "corpus" / "samples" / "2025-provinces-lowcarbon-digest.txt"
MODEL = ROOT / "models" / "default.joblib"


def sentences(n: int) -> list[str]:
    """n distinct report-like sentences: the corpus's, each made unique by a numbered suffix
    (so no cache can help either side)."""
    base = pd.concat([pd.read_csv(ROOT / "corpus" / f, dtype=str, keep_default_na=False) for f in ("train.csv", "test.csv")])
    texts = base["text"].tolist()
    return [f"{texts[i % len(texts)].rstrip('。')}（{i}）。" for i in range(n)]


def write_table(path: Path, n: int) -> None:
    pd.DataFrame({"id": range(n), "text": sentences(n)}).to_csv(path, index=False)


def run(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def peak_rss_mb(cmd: list[str]) -> float:
    """Peak resident memory of one command, from a fresh wrapper process's RUSAGE_CHILDREN (kilobytes on Linux)."""
    wrapper = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, "
               "stderr=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", wrapper, *cmd], check=True, capture_output=True, text=True)
    return int(out.stdout.strip()) / 1024


def jieba_rate(texts: list[str]) -> float:
    code = ("import sys, time, logging, jieba; jieba.setLogLevel(logging.WARNING); jieba.initialize(); "
            "texts = open(sys.argv[1], encoding='utf-8').read().split('\\n'); t = time.perf_counter(); "
            "[jieba.lcut(s) for s in texts]; print(len(texts) / (time.perf_counter() - t))")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as f:
        f.write("\n".join(texts))
    try:
        out = subprocess.run([sys.executable, "-c", code, f.name], check=True, capture_output=True, text=True)
        return float(out.stdout.strip())
    finally:
        os.unlink(f.name)


def tag_rate(table: Path, n: int, n_jobs: int) -> float:
    """Sentences per second of `lowcarbon tag` on the table, start-up (model load, imports) excluded."""
    code = ("import sys, time; from pipeline import SentenceStream, load_model, tag_chunks; "
            "from pipeline.writing import ChunkWriter; from pipeline.classifier import warm_up; m = load_model(); warm_up(m); "
            "t = time.perf_counter(); n_jobs = int(sys.argv[3]); "
            "chunks = SentenceStream([sys.argv[1]], chunk_size=5000); "
            "w = ChunkWriter(sys.argv[2]); w.__enter__(); "
            "[w.write(f) for f in tag_chunks(chunks, m, n_jobs, model_path=sys.argv[4])]; "
            "w.__exit__(None, None, None); print(time.perf_counter() - t)")
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", code, str(table), f"{tmp}/out.csv", str(n_jobs), str(MODEL)],
                             check=True, capture_output=True, text=True, cwd=ROOT)
    return n / float(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller tables (10,000 / 20,000 and 200,000)")
    args = parser.parse_args()
    n_speed = 10_000 if args.quick else 50_000
    n_small, n_big = (20_000, 200_000) if args.quick else (100_000, 1_000_000)
    lowcarbon = [sys.executable, "-m", "pipeline.cli"]
    rows = []

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        table = tmp / "speed.csv"
        write_table(table, n_speed)
        texts = pd.read_csv(table, dtype=str)["text"].tolist()
        runs = {"jieba": [], "one": [], "two": []}
        for _ in range(3):  # interleaved, medians: the machine's speed drifts between runs
            runs["jieba"].append(jieba_rate(texts))
            runs["one"].append(tag_rate(table, n_speed, 1))
            runs["two"].append(tag_rate(table, n_speed, 2))
        jieba, one, two = (statistics.median(runs[k]) for k in ("jieba", "one", "two"))
        rows.append(("tag, 1 process (sentences/s)", one, jieba, one / jieba, ">= 0.6"))
        rows.append(("tag, --n-jobs 2 (sentences/s)", two, jieba, two / jieba, ">= 1.1"))

        out = tmp / "sample.csv"
        reference = statistics.median(run([sys.executable, "-c", "import sklearn, pandas, jieba; jieba.initialize()"]) for _ in range(3))
        cold = statistics.median(run([*lowcarbon, "tag", str(SAMPLE), "-o", str(out), "--quiet"]) for _ in range(3))
        rows.append(("cold start on the sample (s)", cold, reference, cold / reference, "<= 1.5"))

        small, big = tmp / "small.csv", tmp / "big.csv"
        write_table(small, n_small)
        write_table(big, n_big)
        rss_small = peak_rss_mb([*lowcarbon, "tag", str(small), "-o", str(tmp / "s.csv"), "--quiet"])
        rss_big = peak_rss_mb([*lowcarbon, "tag", str(big), "-o", str(tmp / "b.csv"), "--quiet"])
        rows.append((f"peak RSS, {n_big:,} sentences (MB)", rss_big, 1024, rss_big / 1024, "< 1.0"))
        rows.append((f"peak RSS, {n_big:,} vs {n_small:,} sentences", rss_big, rss_small, rss_big / rss_small, "<= 1.2"))

    size = MODEL.stat().st_size / 2**20
    load_code = ("import time; import sklearn.calibration, sklearn.svm, sklearn.feature_extraction.text; "
                 "from pipeline import load_model; t = time.perf_counter(); load_model(); print(time.perf_counter() - t)")
    load = statistics.median(float(subprocess.run([sys.executable, "-c", load_code], capture_output=True, text=True,
                                                  check=True, cwd=ROOT).stdout) for _ in range(3))
    rows.append(("model file (MB)", size, 20, size / 20, "<= 1.0"))
    rows.append(("model load (s)", load, 1.0, load, "<= 1.0"))

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}")
    print(f"{'figure':<44}{'value':>12}{'reference':>12}{'ratio':>8}  target")
    for name, value, ref, ratio, target in rows:
        print(f"{name:<44}{value:>12,.2f}{ref:>12,.2f}{ratio:>8.2f}  {target}")


if __name__ == "__main__":
    main()
