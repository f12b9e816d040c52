"""tag_files: the library does what `lowcarbon tag` does, and reports bad inputs one way."""
import io

import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline import ReadError, SentenceStream, load_model, tag_files
from pipeline.cli import main

from .conftest import ROOT

SAMPLE = ROOT / "corpus" / "samples" / "2025-provinces-lowcarbon-digest.txt"


@pytest.fixture
def folder(tmp_path):
    """Two good reports and an empty file, read in this order: a, b, c."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a-2025年浙江省政府工作报告.txt").write_text("推进光伏发电。新建公园。\n", encoding="utf-8")
    (tmp_path / "in" / "b-empty.txt").write_bytes(b"")
    (tmp_path / "in" / "c.csv").write_text("text\n新建充电桩。\n", encoding="utf-8")
    return tmp_path / "in"


def test_tag_files_writes_what_the_command_writes(tiny_model, tmp_path):
    for args, kwargs in [([], {}), (["--explain", "--report-only", "--chunk-size", "7"],
                                    dict(explain=True, all_rows=False, chunk_size=7))]:
        out = tmp_path / "lib.csv"
        summary = tag_files([SAMPLE], out, model=tiny_model, **kwargs)
        result = CliRunner().invoke(main, ["tag", str(SAMPLE), "--model", str(tiny_model), "--quiet", *args])
        assert result.exit_code == 0
        assert out.read_bytes().decode("utf-8-sig") == result.stdout
        rows = len(pd.read_csv(out))
        assert summary.to_dict(orient="records") == [{"input": str(SAMPLE), "status": "ok", "sentences": rows, "error": ""}]


def test_a_loaded_model_and_two_processes_give_the_same_table(tiny_model, tmp_path):
    one, two = tmp_path / "one.parquet", tmp_path / "two.parquet"
    tag_files([SAMPLE], one, model=tiny_model, chunk_size=20)
    tag_files([SAMPLE], two, model=load_model(tiny_model), n_jobs=2, chunk_size=20)
    pd.testing.assert_frame_equal(pd.read_parquet(one), pd.read_parquet(two))


def test_skip_lists_each_input_and_writes_the_good_ones(tiny_model, folder, tmp_path):
    out = tmp_path / "out.csv"
    summary = tag_files([folder, tmp_path / "missing.txt"], out, model=tiny_model, on_error="skip")
    assert [p.rsplit("/", 1)[-1] for p in summary["input"]] == [
        "missing.txt", "a-2025年浙江省政府工作报告.txt", "b-empty.txt", "c.csv"]
    assert summary["status"].tolist() == ["skipped", "ok", "skipped", "ok"]
    assert summary["sentences"].tolist() == [0, 2, 0, 1]
    assert "no such file or folder" in summary["error"][0] and "the file is empty" in summary["error"][2]
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert table["text"].tolist() == ["推进光伏发电。", "新建公园。", "新建充电桩。"]
    assert table["region"].tolist() == ["浙江", "浙江", ""]


def test_raise_stops_at_the_first_bad_input_and_keeps_the_old_output(tiny_model, folder, tmp_path):
    out = tmp_path / "out.csv"
    out.write_text("old\n", encoding="utf-8")
    with pytest.raises(ReadError, match="b-empty.txt: the file is empty"):
        tag_files([folder], out, model=tiny_model)
    with pytest.raises(ReadError, match="missing.txt: no such file"):
        tag_files([tmp_path / "missing.txt"], out, model=tiny_model)
    assert out.read_text(encoding="utf-8") == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["in", "out.csv"]


def test_nothing_is_written_when_every_input_was_skipped(tiny_model, tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    out = tmp_path / "out.csv"
    summary = tag_files([tmp_path / "empty.txt", tmp_path / "missing.txt"], out, model=tiny_model, on_error="skip")
    assert summary["status"].tolist() == ["skipped", "skipped"] and not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.txt"]


def test_the_command_reports_the_summary_and_exits_by_it(tiny_model, folder, tmp_path):
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["tag", str(folder), "--model", str(tiny_model), "-o", str(out)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"lowcarbon: warning: skipped {folder}/b-empty.txt: the file is empty; give a file with report text",
        f"lowcarbon: read 2 file(s), skipped 1: {folder}/b-empty.txt",
        f"wrote 3 sentences to {out}",
    ]
    result = CliRunner().invoke(main, ["tag", str(folder / "b-empty.txt"), str(tmp_path / "no.txt"),
                                       "--model", str(tiny_model), "-o", str(out), "--keep-going"])
    assert result.exit_code == 2 and result.stderr.splitlines()[-1].endswith("nothing could be read; see the warnings above")
    assert len(pd.read_csv(out)) == 3  # the earlier output stays


def test_stream_in_chunks_equals_stream_whole_and_counts_rows(folder):
    whole = SentenceStream([folder], on_error="skip", chunk_size=None)
    chunks = SentenceStream([folder], on_error="skip", chunk_size=1)
    assert len(list(chunks)) == 3
    pd.testing.assert_frame_equal(pd.concat(list(chunks), ignore_index=True), whole.read())
    pd.testing.assert_frame_equal(chunks.summary, whole.summary)  # read twice, listed once
    assert chunks.summary["sentences"].tolist() == [2, 0, 1]


def test_unknown_on_error_is_refused(tiny_model):
    with pytest.raises(ValueError, match="on_error must be one of raise, skip"):
        tag_files([SAMPLE], io.StringIO(), model=tiny_model, on_error="warn")
