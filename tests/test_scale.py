"""Streaming, chunks, processes and Dask give the same table as one process in one piece."""
import time

import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline.cli import main

from .conftest import TINY

SAMPLE = __import__("pathlib").Path(__file__).resolve().parents[1] / "corpus" / "samples" / "2025-provinces-lowcarbon-digest.txt"


def _tag(args, model):
    result = CliRunner().invoke(main, ["tag", *args, "--model", str(model), "--quiet"])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def big_table(tmp_path_factory):
    rows = [(f"R{i:04d}", f"{text[:-1]}（第{i}项）。" if text.endswith("。") else f"{text}{i}") for i, (text, _, _) in
            enumerate(TINY * 12)]
    path = tmp_path_factory.mktemp("scale") / "big.csv"
    pd.DataFrame(rows, columns=["id", "text"]).to_csv(path, index=False)
    return path


def test_chunked_table_keeps_order_ids_and_equals_one_piece(big_table, tiny_model):
    whole = _tag([str(big_table)], tiny_model)
    chunked = _tag([str(big_table), "--chunk-size", "50"], tiny_model)
    assert chunked == whole
    out = pd.read_csv(__import__("io").StringIO(chunked), dtype=str)
    assert out["id"].tolist() == [f"R{i:04d}" for i in range(len(TINY) * 12)]
    assert out["sent_id"].astype(int).tolist() == list(range(len(out)))


def test_report_split_across_chunks_keeps_regions_and_sections(tiny_model):
    whole = _tag([str(SAMPLE)], tiny_model)
    chunked = _tag([str(SAMPLE), "--chunk-size", "7"], tiny_model)
    assert chunked == whole
    out = pd.read_csv(__import__("io").StringIO(chunked), dtype=str, keep_default_na=False)
    assert list(dict.fromkeys(out.loc[out.kept == "true", "region"])) == ["浙江", "四川", "广东", "内蒙古", "重庆"]


def test_processes_give_identical_results(big_table, tiny_model):
    one = _tag([str(big_table), "--chunk-size", "100"], tiny_model)
    two = _tag([str(big_table), "--chunk-size", "100", "--n-jobs", "2"], tiny_model)
    assert two == one


def test_folder_in_parallel_keeps_file_order(tiny_model, tmp_path):
    for name, text in [("b/2025年江苏省政府工作报告.txt", "新建公园。"), ("a/2025年浙江省政府工作报告.txt", "推进光伏。"),
                       ("c.csv", "text\n新建充电桩。\n")]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    one = _tag([str(tmp_path)], tiny_model)
    two = _tag([str(tmp_path), "--n-jobs", "2", "--chunk-size", "1"], tiny_model)
    assert one == two
    out = pd.read_csv(__import__("io").StringIO(two), dtype=str, keep_default_na=False)
    assert out["text"].tolist() == ["推进光伏。", "新建公园。", "新建充电桩。"]
    assert out["region"].tolist() == ["浙江", "江苏", ""]


@pytest.mark.slow
def test_dask_local_cluster_gives_identical_results(big_table, tiny_model):
    pytest.importorskip("distributed")
    one = _tag([str(big_table), "--chunk-size", "100"], tiny_model)
    assert _tag([str(big_table), "--chunk-size", "100", "--dask", "local"], tiny_model) == one


@pytest.mark.slow
def test_tag_dask_dataframe_partition_by_partition(big_table, tiny_model):
    dd = pytest.importorskip("dask.dataframe")
    from distributed import Client, LocalCluster

    from pipeline import load_model
    from pipeline.reading import read_path
    from pipeline.structure import table_sentences
    from pipeline import tag, tag_dask

    model = load_model(tiny_model)
    sentences = table_sentences(read_path(big_table).table, "big.csv")
    expected = tag(sentences, model)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster):
        got = tag_dask(dd.from_pandas(sentences, npartitions=4), model).compute()
    # dask turns object columns into Arrow strings (None -> NA); as a table they are the same
    assert got.reset_index(drop=True).to_csv(index=False) == expected.to_csv(index=False)


def _chunks_of(big_table, size):
    from pipeline.reading import read_path
    from pipeline.structure import table_sentences
    from pipeline.streaming import split_rows

    return list(split_rows(table_sentences(read_path(big_table).table, "big.csv"), size))


CAN_FORK = "fork" in __import__("multiprocessing").get_all_start_methods()
WORKER_KINDS = pytest.mark.parametrize("fork", [pytest.param(True, marks=pytest.mark.skipif(not CAN_FORK, reason="no fork")),
                                                pytest.param(False, marks=pytest.mark.slow)],  # loky workers start in seconds
                                         ids=["fork", "loky"])


@pytest.mark.slow
@WORKER_KINDS
def test_both_worker_kinds_equal_one_process_in_memory_and_from_file(big_table, tiny_model, monkeypatch, fork):
    """Linux forks workers; elsewhere joblib's loky workers load the model themselves. Both must
    return one process's table, chunk for chunk, with --explain's column too."""
    from pipeline import parallel, tagging
    from pipeline import load_model

    monkeypatch.setattr(parallel, "FORK_WORKERS", fork)
    model = load_model(tiny_model)
    chunks = _chunks_of(big_table, 37)
    expected = [tagging.tag(c, model, explain=True) for c in chunks]
    from_memory = list(parallel.tag_chunks(iter(chunks), model, n_jobs=2, explain=True))
    from_file = list(parallel.tag_chunks(iter(chunks), None, n_jobs=-1, explain=True, model_path=str(tiny_model)))
    for got in (from_memory, from_file):
        assert len(got) == len(expected) > 5
        for g, e in zip(got, expected):
            pd.testing.assert_frame_equal(g, e)
    assert expected[0]["why"].str.len().gt(0).any()
    assert not [k for k in parallel._WORKER_MODELS if k[0] == "<in memory>"]  # in-memory models are not kept


@WORKER_KINDS
def test_a_bad_input_stops_parallel_tagging_after_what_was_read(big_table, tiny_model, monkeypatch, fork):
    """The chunks read before the failure come out tagged, as in one process; then the error."""
    from pipeline import parallel, tagging
    from pipeline.errors import ReadError
    from pipeline import load_model

    monkeypatch.setattr(parallel, "FORK_WORKERS", fork)
    model = load_model(tiny_model)
    good = _chunks_of(big_table, 50)[:3]

    def chunks():
        yield from good
        raise ReadError("bad.txt: cannot be read")

    for n_jobs in (1, 2):
        got = []
        with pytest.raises(ReadError, match="bad.txt"):
            for frame in parallel.tag_chunks(chunks(), model, n_jobs=n_jobs):
                got.append(frame)
        assert len(got) == 3
        for g, chunk in zip(got, good):
            pd.testing.assert_frame_equal(g, tagging.tag(chunk, model))


@pytest.mark.slow
def test_parallel_tagging_inside_a_daemon_process_falls_back_to_one(big_table, tiny_model):
    """Celery workers and multiprocessing pools are daemons, which may not start processes."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        rows = pool.apply(_tag_rows_with_two_jobs, (str(big_table), str(tiny_model)))
    assert rows == len(TINY) * 12


def _tag_rows_with_two_jobs(table, model_path):
    from pipeline import load_model
    from pipeline import SentenceStream, tag_chunks

    return sum(len(f) for f in tag_chunks(SentenceStream([table], chunk_size=50), load_model(model_path), n_jobs=2))


@pytest.mark.slow
def test_parallel_memory_stays_bounded_when_the_writer_is_slow(big_table, tiny_model, monkeypatch):
    """At most two chunks per worker are read ahead of the one being written (both worker kinds)."""
    from pipeline import parallel, tagging
    from pipeline import load_model

    model = load_model(tiny_model)
    for fork in ([True] if CAN_FORK else []) + [False]:
        monkeypatch.setattr(parallel, "FORK_WORKERS", fork)
        read = []

        def chunks():
            for chunk in _chunks_of(big_table, 10):
                read.append(1)
                yield chunk

        ahead = []
        for written, _ in enumerate(parallel.tag_chunks(chunks(), model, n_jobs=2), start=1):
            ahead.append(len(read) - written)
            time.sleep(0.05)  # a slow writer: workers finish long before their results are taken
        assert len(ahead) > 20 and max(ahead) <= 2 * 2, (fork, max(ahead))
