"""Reading every format and encoding, from files the tests write, and refusing bad input."""
import json
from pathlib import Path

import pandas as pd
import pytest

from pipeline.errors import ReadError
from pipeline.reading import expand_inputs, read_path
from pipeline.streaming import SentenceStream

REPORT = "2024年主要任务：\n推动深远海海上风电建设，新建1万个电动汽车公共充电桩。\n加强“无废城市”建设；发展绿电！\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_text_encodings_are_detected(tmp_path, encoding):
    path = tmp_path / f"report-{encoding}.txt"
    path.write_bytes(REPORT.encode(encoding))
    assert read_path(path).text.replace("\r\n", "\n").lstrip("\ufeff") == REPORT


def test_short_gbk_file_is_not_mistaken_for_a_western_encoding(tmp_path):
    path = tmp_path / "short.md"
    path.write_bytes("加强生态环境保护。".encode("gbk"))
    assert read_path(path).text == "加强生态环境保护。"


def test_html_keeps_page_text_without_scripts_styles_navigation(tmp_path):
    html = """<html><head><meta charset="gbk"><style>p{color:red}</style><script>var x="脚本";</script></head>
    <body><nav>首页 | 导航栏目</nav><h1>2024年主要任务</h1><p>新建公园120座。</p><footer>版权所有</footer></body></html>"""
    path = tmp_path / "page.html"
    path.write_bytes(html.encode("gbk"))
    text = read_path(path).text
    assert text.splitlines() == ["2024年主要任务", "新建公园120座。"]


def test_docx_paragraphs_and_tables(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("2023年工作回顾")
    document.add_paragraph("新增光伏装机94.6万千瓦。")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "充电桩"
    table.rows[0].cells[1].text = "1万个"
    path = tmp_path / "report.docx"
    document.save(path)
    assert read_path(path).text.splitlines() == ["2023年工作回顾", "新增光伏装机94.6万千瓦。", "充电桩\t1万个"]


def _pdf(path, text=None):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(4, 2))
    if text:
        fig.text(0.1, 0.5, text)
    else:
        fig.add_axes([0, 0, 1, 1]).imshow([[0, 1], [1, 0]])  # an image only, like a scan
        fig.axes[0].axis("off")
    fig.savefig(path, format="pdf")
    plt.close(fig)


def test_pdf_with_text_layer(tmp_path):
    path = tmp_path / "report.pdf"
    _pdf(path, "GDP grew 5.2% in 2023")
    assert "GDP grew 5.2% in 2023" in read_path(path).text


def test_pdf_without_text_layer_asks_for_ocr(tmp_path):
    path = tmp_path / "scan.pdf"
    _pdf(path)
    with pytest.raises(ReadError, match=r"scan\.pdf: .*no text layer.*OCR"):
        read_path(path)


def test_tables_keep_rows_order_and_columns(tmp_path):
    frame = pd.DataFrame({"id": ["b", "a", "c"], "text": ["第二句。第二句后半。", "第一句", "第三句"], "score": ["1", "2", "3"]})
    for suffix in (".csv", ".jsonl", ".parquet", ".xlsx"):
        path = tmp_path / f"table{suffix}"
        if suffix == ".csv":
            frame.to_csv(path, index=False)
        elif suffix == ".jsonl":
            path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in frame.to_dict("records")), encoding="utf-8")
        elif suffix == ".parquet":
            frame.to_parquet(path)
        else:
            frame.to_excel(path, index=False)
        table = read_path(path).table
        assert table["text"].tolist() == frame["text"].tolist(), suffix
        assert table["id"].astype(str).tolist() == ["b", "a", "c"], suffix


def test_table_text_column_option_and_missing_column(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"sentence": ["新建公园。"]}).to_csv(path, index=False)
    assert read_path(path, text_column="sentence").table["sentence"].tolist() == ["新建公园。"]
    with pytest.raises(ReadError, match=r"t\.csv: no column 'text' \(columns: sentence\).*--text-column"):
        read_path(path)


def test_folders_are_walked_recursively_in_stable_order(tmp_path):
    for name in ["b/2.txt", "a/1.txt", "a/z/0.md", "c.txt", "skip.bin", ".hidden/x.txt"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("新建公园。", encoding="utf-8")
    files = [p.replace(str(tmp_path) + "/", "") for p in expand_inputs([tmp_path])]
    assert files == ["a/1.txt", "a/z/0.md", "b/2.txt", "c.txt"]


@pytest.mark.parametrize("name,content,message", [
    ("empty.txt", b"", "the file is empty"),
    ("blank.txt", b"  \n\n ", "the file is empty"),
    ("binary.txt", bytes(range(256)) * 40, "binary file"),
    ("mixed.txt", "新建公园".encode("utf-8") + b"\xff\xfe\x00\x81" * 500 + "\x00".encode() * 300, "binary|encoding"),
])
def test_bad_files_give_one_line_naming_the_file(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ReadError, match=message) as info:
        read_path(path)
    assert str(info.value).startswith(str(path)) and "\n" not in str(info.value)


def test_huge_file_without_line_breaks_is_refused(tmp_path):
    path = tmp_path / "dump.txt"
    path.write_bytes(b"a" * (50 * 1024 * 1024))
    with pytest.raises(ReadError, match=r"dump\.txt: a line of 52,428,800 characters"):
        read_path(path)


def test_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(ReadError, match="no such file or folder"):
        read_path(tmp_path / "nope.txt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ReadError, match="no readable report files"):
        expand_inputs([tmp_path / "empty"])


def test_batch_skips_bad_files_and_says_why(tmp_path):
    (tmp_path / "good.txt").write_text("新建公园。推进光伏。", encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    stream = SentenceStream([tmp_path, tmp_path / "missing.txt"], on_error="skip")
    frame = stream.read()
    assert frame["doc"].unique().tolist() == [str(tmp_path / "good.txt")]
    summary = stream.summary
    assert [Path(p).name for p in summary["input"]] == ["missing.txt", "empty.txt", "good.txt"]
    assert summary["status"].tolist() == ["skipped", "skipped", "ok"] and summary["sentences"].tolist() == [0, 0, 2]
    assert "no such file or folder" in summary["error"][0] and "the file is empty" in summary["error"][1]
    assert summary["error"][2] == ""


def test_a_bad_input_raises_by_default_and_names_the_file(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(ReadError, match="empty.txt: the file is empty"):
        SentenceStream([tmp_path / "empty.txt"]).read()
    with pytest.raises(ReadError, match="missing.txt: no such file"):  # at once, before any reading
        SentenceStream([tmp_path / "missing.txt"])
    with pytest.raises(ValueError, match="on_error"):
        SentenceStream([tmp_path], on_error="ignore")


def test_nul_bytes_are_binary_even_when_valid_utf8(tmp_path):
    path = tmp_path / "nul.txt"
    path.write_bytes(b"\x00" * 100)
    with pytest.raises(ReadError, match="binary file"):
        read_path(path)
