"""The command line through click's CliRunner: outputs, exit codes, one-line errors."""
import io
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline.cli import main

DIGEST = """导言
本文整理两地报告要点，以供参考。

2023年工作回顾：
杭州、宁波新增光伏装机200万千瓦，美丽浙江建设取得新进展。
2024年主要任务：
新建电动汽车公共充电桩1万个。

全文链接：

江苏
2024年重点工作：
地区生产总值增长5%左右。
免责声明
本平台内容仅供参考。
"""


@pytest.fixture
def runner():
    return CliRunner()


def _run(runner, args, **kw):
    return runner.invoke(main, args, catch_exceptions=False, **kw)


@pytest.mark.slow
def test_train_evaluate_tag_on_a_corpus_the_test_writes(runner, tiny_corpus, tmp_path):
    model = tmp_path / "m.joblib"
    result = _run(runner, ["train", str(tiny_corpus), "-o", str(model), "--seed", "1"])
    assert result.exit_code == 0, result.output
    assert "5-fold cross-validation" in result.output and "macro-F1" in result.output
    manifest = json.loads((tmp_path / "m.manifest.json").read_text())
    assert manifest["cross_validation"]["summary"]["rows"] == 36 and manifest["random_state"] == 1

    result = _run(runner, ["evaluate", str(tiny_corpus), "--model", str(model), "--json"])
    assert result.exit_code == 0
    scores = json.loads(result.output)
    assert {"model", "keywords", "per_label"} <= scores.keys()
    assert [r["label"] for r in scores["per_label"]] == ["energy", "buildings", "transport", "ecology", "markets", "low_carbon"]

    report = tmp_path / "digest.txt"
    report.write_text(DIGEST, encoding="gb18030")
    out = tmp_path / "out.csv"
    result = _run(runner, ["tag", str(report), "--model", str(model), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM, so Excel shows Chinese
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(table.columns[:13]) == ["doc", "block", "region", "region_source", "region_evidence", "section", "year",
                                         "sent_id", "start", "end", "kind", "kept", "text"]
    assert {"themes", "low_carbon", "p_energy", "p_low_carbon"} <= set(table.columns)
    kept = table[table.kept == "true"]
    assert kept.drop_duplicates("block").region.tolist() == ["浙江", "江苏"]
    assert (table[table.kept == "false"].themes == "").all()
    charging = kept[kept.text == "新建电动汽车公共充电桩1万个。"]
    assert "transport" in charging.themes.item() and charging.section.item() == "plan"


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet", ".xlsx"])
def test_output_formats(runner, tiny_model, tmp_path, suffix):
    report = tmp_path / "r.txt"
    report.write_text("2024年主要任务\n新建公园120座。推进光伏发电。\n", encoding="utf-8")
    out = tmp_path / f"out{suffix}"
    assert _run(runner, ["tag", str(report), "--model", str(tiny_model), "-o", str(out)]).exit_code == 0
    frame = {".jsonl": lambda p: pd.read_json(p, lines=True), ".parquet": pd.read_parquet, ".xlsx": pd.read_excel}[suffix](out)
    assert frame["text"].tolist() == ["2024年主要任务", "新建公园120座。", "推进光伏发电。"]


def test_table_input_keeps_rows_columns_and_gold_labels(runner, tiny_model, tmp_path):
    table = tmp_path / "gold.csv"
    pd.DataFrame({"id": ["S2", "S1"], "text": ["新建充电桩1万个。推进公交优先。", "导言"], "themes": ["transport", ""],
                  "low_carbon": ["true", "false"]}).to_csv(table, index=False)
    result = _run(runner, ["tag", str(table), "--model", str(tiny_model)])
    assert result.exit_code == 0
    out = pd.read_csv(io.StringIO(result.output), dtype=str, keep_default_na=False)
    assert out["text"].tolist() == ["新建充电桩1万个。推进公交优先。", "导言"]  # never re-split
    assert out["id"].tolist() == ["S2", "S1"]
    assert out["themes_input"].tolist() == ["transport", ""] and "themes" in out.columns


def test_standard_input_and_explain(runner, tiny_model):
    result = _run(runner, ["tag", "-", "--model", str(tiny_model), "--explain", "--region", "上海"],
                  input="新增光伏装机120万千瓦。\n".encode("gbk"))
    assert result.exit_code == 0
    out = pd.read_csv(io.StringIO(result.output), dtype=str, keep_default_na=False)
    assert out["region"].tolist() == ["上海"] and out["region_source"].tolist() == ["given"]
    assert "energy" in out["themes"].item() and out["why"].item().startswith("energy:")


@pytest.mark.parametrize("make,message", [
    (lambda d: d / "missing.txt", "no such file or folder"),
    (lambda d: ((d / "empty.txt").write_bytes(b""), d / "empty.txt")[1], "the file is empty"),
    (lambda d: ((d / "bin.txt").write_bytes(bytes(range(256)) * 50), d / "bin.txt")[1], "binary file"),
    (lambda d: ((d / "emptydir").mkdir(), d / "emptydir")[1], "no readable report files"),
])
def test_bad_input_is_one_line_exit_2_and_no_output(runner, tiny_model, tmp_path, make, message):
    path = make(tmp_path)
    out = tmp_path / "out.csv"
    result = runner.invoke(main, ["tag", str(path), "--model", str(tiny_model), "-o", str(out)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lowcarbon: error: ") and str(path) in lines[0] and message in lines[0]
    assert "Traceback" not in result.output and not out.exists()
    assert not list(tmp_path.glob(".out.csv*"))


def test_batch_skips_bad_files_with_summary(runner, tiny_model, tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "2024年江苏省政府工作报告.txt").write_text("新建公园。\n", encoding="utf-8")
    (folder / "broken.txt").write_bytes(b"")
    out = tmp_path / "out.csv"
    result = runner.invoke(main, ["tag", str(folder), "--model", str(tiny_model), "-o", str(out)])
    assert result.exit_code == 1
    assert "skipped" in result.stderr and "broken.txt" in result.stderr and "skipped 1: " in result.stderr
    assert pd.read_csv(out)["region"].tolist() == ["江苏"]
    result = runner.invoke(main, ["tag", str(folder), "--model", str(tiny_model), "-o", str(out), "--keep-going"])
    assert result.exit_code == 0


def test_bad_corpus_and_bad_model(runner, tmp_path):
    corpus = tmp_path / "c.csv"
    corpus.write_text("text,themes,low_carbon\n新建公园。,parks,true\n", encoding="utf-8")
    result = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "m.joblib")])
    assert result.exit_code == 2 and "unknown theme(s) parks in rows c.csv:2" in result.stderr
    assert not (tmp_path / "m.joblib").exists()
    fake = tmp_path / "fake.joblib"
    fake.write_bytes(b"not a model")
    result = runner.invoke(main, ["tag", "-", "--model", str(fake)], input="新建公园。")
    assert result.exit_code == 2 and "no manifest" in result.stderr and "--trust-model" in result.stderr


def test_unknown_output_suffix(runner, tiny_model, tmp_path):
    result = runner.invoke(main, ["tag", "-", "--model", str(tiny_model), "-o", str(tmp_path / "x.doc")], input="新建公园。")
    assert result.exit_code == 2 and "unknown output type .doc" in result.stderr


def test_interrupt_exits_130_and_keeps_the_old_output(runner, tiny_model, tmp_path, monkeypatch):
    import pipeline.parallel

    out = tmp_path / "out.csv"
    out.write_text("old results\n", encoding="utf-8")
    calls = []

    def interrupted(frame, model, explain=False):
        calls.append(1)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return original(frame, model, explain)

    original = pipeline.parallel.tag
    monkeypatch.setattr(pipeline.parallel, "tag", interrupted)
    report = tmp_path / "r.txt"
    report.write_text("新建公园。\n" * 30, encoding="utf-8")
    result = runner.invoke(main, ["tag", str(report), "--model", str(tiny_model), "-o", str(out), "--chunk-size", "5"])
    assert result.exit_code == 130 and "interrupted" in result.stderr
    assert out.read_text(encoding="utf-8") == "old results\n"  # neither half-new nor a mix
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "r.txt"]


def test_internal_error_exits_1_and_points_to_debug(runner, tiny_model, tmp_path, monkeypatch):
    import pipeline.parallel

    def broken(*args, **kwargs):
        raise RuntimeError("something unexpected")

    monkeypatch.setattr(pipeline.parallel, "tag", broken)
    result = runner.invoke(main, ["tag", "-", "--model", str(tiny_model)], input="新建公园。")
    assert result.exit_code == 1
    assert result.stderr.strip() == ("lowcarbon: internal error: RuntimeError: something unexpected "
                                     "(run with --debug for the traceback)")
    result = runner.invoke(main, ["--debug", "tag", "-", "--model", str(tiny_model)], input="新建公园。")
    assert result.exit_code == 1 and "Traceback" in result.stderr


def test_bad_option_is_a_usage_error(runner):
    result = runner.invoke(main, ["tag", "-", "--n-jobs", "many"])
    assert result.exit_code == 2 and "Invalid value for '--n-jobs'" in result.stderr


def test_help_ends_with_an_example(runner):
    for command in ("tag", "report", "train", "evaluate"):
        result = runner.invoke(main, [command, "--help"])
        assert result.exit_code == 0
        assert "Example" in result.output and f"lowcarbon {command} " in result.output.split("Example")[-1]


def test_traditional_chinese_is_tagged_like_simplified_and_kept_as_written(runner, tiny_model):
    simplified = "新建电动汽车公共充电桩1.5万个，建成换电站60座。"
    traditional = "新建電動汽車公共充電樁1.5萬個，建成換電站60座。"
    result = _run(runner, ["tag", "-", "--model", str(tiny_model)], input=f"{simplified}\n{traditional}\n")
    out = pd.read_csv(io.StringIO(result.output), dtype=str, keep_default_na=False)
    assert out["text"].tolist() == [simplified, traditional]  # the original script in the output
    assert out["themes"].tolist()[0] == out["themes"].tolist()[1] != ""
    assert out["p_transport"].tolist()[0] == out["p_transport"].tolist()[1]


@pytest.mark.slow
@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM"])
def test_stopping_a_parallel_run_stops_its_workers_and_writes_nothing(tmp_path, stop):
    """A real process with --n-jobs 2, stopped mid-run as a terminal (Ctrl-C) or a timeout would."""
    import signal
    import subprocess
    import sys
    import time

    import psutil

    table = tmp_path / "big.csv"
    pd.DataFrame({"text": [f"新建光伏电站{i}座，推进公交电动化。" for i in range(150_000)]}).to_csv(table, index=False)
    out = tmp_path / "out.csv"
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "tag", str(table), "-o", str(out), "--n-jobs", "2",
                             "--chunk-size", "2000", "--quiet"], stderr=subprocess.PIPE, text=True)
    parent = psutil.Process(proc.pid)
    deadline = time.time() + 60
    while len(parent.children()) < 2 and time.time() < deadline:  # workers started
        time.sleep(0.2)
    children = parent.children()
    assert len(children) >= 2
    time.sleep(1)
    proc.send_signal(getattr(signal, stop))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == {"SIGINT": 130, "SIGTERM": 143}[stop]
    assert err.strip() == f"lowcarbon: {'interrupted' if stop == 'SIGINT' else 'terminated'}; no output was written"
    psutil.wait_procs(children, timeout=10)
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.csv"]


def test_global_state_is_put_back_after_a_command(runner, tiny_model, tmp_path):
    """Warnings are shown as one line and SIGTERM stops the command only while it runs."""
    import signal
    import warnings

    (tmp_path / "a.csv").write_text("text\n新建公园。\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("text,id\n推进光伏。,7\n", encoding="utf-8")  # a column the first table lacks: a warning
    showwarning, sigterm = warnings.showwarning, signal.getsignal(signal.SIGTERM)
    result = runner.invoke(main, ["tag", str(tmp_path / "a.csv"), str(tmp_path / "b.csv"), "--model", str(tiny_model)])
    assert result.exit_code == 0
    assert result.stderr.startswith("lowcarbon: warning: columns id of a later input are not in the first input's table")
    assert warnings.showwarning is showwarning and signal.getsignal(signal.SIGTERM) is sigterm
    result = runner.invoke(main, ["tag", str(tmp_path / "missing.txt"), "--model", str(tiny_model)])
    assert result.exit_code == 2
    assert warnings.showwarning is showwarning and signal.getsignal(signal.SIGTERM) is sigterm


def test_evaluate_record_keeps_the_scores_in_the_manifest(runner, tiny_corpus, tiny_model, tmp_path):
    import shutil

    from pipeline import load_model
    from pipeline.persistence import manifest_path

    model = tmp_path / "m.joblib"
    shutil.copy(tiny_model, model)
    shutil.copy(manifest_path(tiny_model), manifest_path(model))
    result = _run(runner, ["evaluate", str(tiny_corpus), "--model", str(model), "--record", "tiny set"])
    assert result.exit_code == 0, result.output
    recorded = json.loads(manifest_path(model).read_text(encoding="utf-8"))["evaluations"]["tiny set"]
    assert recorded["file"] == tiny_corpus.name and recorded["rows"] == len(pd.read_csv(tiny_corpus))
    assert [r["label"] for r in recorded["per_label"]][-1] == "low_carbon"
    assert f"{recorded['model']['macro_f1']:.3f}" in result.output  # the figures printed are the ones kept
    load_model(model)  # the model file and its hash are untouched
