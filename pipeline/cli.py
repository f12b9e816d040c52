"""The `lowcarbon` command: parses arguments, calls the library, prints.

Error policy: a user error (bad path, unreadable file, bad corpus, bad option, untrusted
model) exits 2 with one line; an internal error exits 1 and points to --debug; Ctrl-C
exits 130. In a batch a bad file is skipped with a warning and a summary; the exit code is
then 1 unless --keep-going.
"""
from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
import traceback
import warnings

import click

from .errors import LowcarbonError


def _warn_line(message, category, filename, lineno, file=None, line=None):
    click.echo(f"lowcarbon: warning: {message}", err=True)


class Terminated(BaseException):
    """SIGTERM (timeout, docker stop, CI cancel), raised like Ctrl-C so that workers are stopped."""


def _on_sigterm(signum, frame):
    raise Terminated


def run_safely(func):
    """Turn library exceptions into the CLI's exit codes and one-line messages."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        ctx = click.get_current_context()
        debug = ctx.find_root().params.get("debug", False)
        warnings.showwarning = _warn_line
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _on_sigterm)
        try:
            return func(*args, **kwargs)
        except Terminated:
            click.echo("lowcarbon: terminated; no output was written", err=True)
            ctx.exit(143)
        except LowcarbonError as exc:
            click.echo(f"lowcarbon: error: {exc}", err=True)
            ctx.exit(2)
        except BrokenPipeError:  # `lowcarbon tag x.txt | head`: the reader has gone, that is fine
            sys.stderr.close()
            ctx.exit(0)
        except (PermissionError, IsADirectoryError, NotADirectoryError) as exc:  # an output we may not write
            click.echo(f"lowcarbon: error: {exc.filename or ''}: {exc.strerror}; choose another output path", err=True)
            ctx.exit(2)
        except KeyboardInterrupt:
            click.echo("lowcarbon: interrupted; no output was written", err=True)
            ctx.exit(130)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # an internal error: say so, keep the traceback for --debug
            if debug:
                traceback.print_exc()
            else:
                first = str(exc).splitlines()[0][:200] if str(exc) else ""
                click.echo(f"lowcarbon: internal error: {type(exc).__name__}: {first} (run with --debug for the traceback)", err=True)
            ctx.exit(1)

    return wrapper


def _report_skipped(skipped, total, keep_going) -> int:
    """Warn about each skipped file and sum up; the exit code is 1 unless --keep-going."""
    for name, reason in skipped:
        click.echo(f"lowcarbon: warning: skipped {reason}", err=True)
    if skipped:
        read = f"read {total - len(skipped)} file(s), " if total is not None else ""
        click.echo(f"lowcarbon: {read}skipped {len(skipped)}: {', '.join(n for n, _ in skipped[:5])}"
                   f"{' …' if len(skipped) > 5 else ''}", err=True)
        return 0 if keep_going else 1
    return 0


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--debug", is_flag=True, help="Show the traceback of internal errors.")
@click.version_option(package_name="lowcarbon")
def main(debug):
    """Tag the low-carbon themes of Chinese government work reports and compare regions.

    \b
    Example:
      lowcarbon report corpus/samples/2025-provinces-lowcarbon-digest.txt -o out/
    """


def _load(model_path, trust):
    from .model import load_model

    return load_model(model_path, trust=trust)


def _read(inputs, region, text_column, keep_going, quiet=True):
    """The sentence table of the inputs and the exit code their skipped files call for."""
    from .errors import ReadError
    from .reading import expand_inputs
    from .structure import read_sentences

    skipped: list = []
    files = expand_inputs(inputs, None if len(inputs) == 1 else skipped)
    if len(files) == 1 and not skipped:  # one file: its error is the error
        return read_sentences(files, region=region, text_column=text_column), 0
    missing = len(skipped)
    try:
        frame = read_sentences(files, region=region, text_column=text_column, skipped=skipped, progress=not quiet)
    except ReadError:
        _report_skipped(skipped, len(files) + missing, keep_going)
        raise ReadError(f"{' '.join(inputs)}: none of the {len(files) + missing} input(s) could be read; see the warnings above") from None
    return frame, _report_skipped(skipped, len(files) + missing, keep_going)


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", type=click.Path(), help="Output file: .csv (default, UTF-8 with BOM), .jsonl, .parquet or .xlsx. Without it, CSV goes to standard output.")
@click.option("--model", "model_path", type=click.Path(), help="Model file (default: models/default.joblib).")
@click.option("--trust-model", is_flag=True, help="Load a model that has no manifest (only from a source you trust).")
@click.option("--region", help="The region of every input (e.g. 江苏), instead of headings and inference.")
@click.option("--text-column", default="text", show_default=True, help="Text column of table inputs.")
@click.option("--explain", is_flag=True, help="Add a `why` column: the words that drove each theme.")
@click.option("--all-rows/--report-only", default=True, show_default=True, help="Keep preface, links and disclaimers as rows with kept=false, or drop them.")
@click.option("--keep-going", is_flag=True, help="Exit 0 even when some files of a batch were skipped.")
@click.option("--n-jobs", default=1, show_default=True, help="Worker processes (-1: all cores); results are identical.")
@click.option("--chunk-size", default=20_000, show_default=True, type=click.IntRange(min=1), help="Sentences per chunk: memory stays bounded on huge tables.")
@click.option("--dask", "dask_address", metavar="local|ADDRESS", help="Tag on a Dask cluster: `local` starts one here, or give a scheduler address like tcp://10.0.0.5:8786 (needs the [dask] extra).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@run_safely
def tag(inputs, output, model_path, trust_model, region, text_column, explain, all_rows, keep_going, n_jobs, chunk_size, dask_address, quiet):
    """Split reports into sentences, find regions and sections, and tag themes.

    INPUT is a report (.txt .md .html .docx .pdf), a table (.csv .jsonl .parquet .xlsx with a
    text column; rows are kept in order, never re-split), a folder, or - for standard input.

    \b
    Examples:
      lowcarbon tag corpus/samples/2025-provinces-lowcarbon-digest.txt -o sentences.xlsx
      lowcarbon tag all-sentences.parquet -o tagged.parquet --n-jobs -1
    """
    from .errors import ReadError
    from .model import DEFAULT_MODEL
    from .reading import expand_inputs
    from .report import ChunkWriter
    from .tagging import sentence_chunks, tag_chunks

    model = _load(model_path, trust_model)  # checked here, once, before any work
    if len(inputs) == 1:  # a lone missing path or empty folder is the error itself
        inputs = expand_inputs(inputs)
    batch = len(inputs) > 1
    skipped: list | None = [] if batch else None
    chunks = sentence_chunks(inputs, region, text_column, chunk_size, skipped)
    if not all_rows:
        chunks = (c[c["kept"]].reset_index(drop=True) for c in chunks)
    if dask_address:
        from .tagging import dask_tag_chunks

        tagged = dask_tag_chunks(chunks, model, dask_address, explain)
    else:
        tagged = tag_chunks(chunks, model, n_jobs, explain, model_path=str(model_path or DEFAULT_MODEL), trust=trust_model)
    from tqdm import tqdm

    bar = tqdm(unit=" sentences", disable=quiet or not sys.stderr.isatty(), leave=False, desc="tagging")
    with ChunkWriter(output) as writer:
        for frame in tagged:
            writer.write(frame)
            bar.update(len(frame))
        bar.close()
        if batch and writer.rows == 0 and skipped:
            _report_skipped(skipped, len(skipped), keep_going)
            raise ReadError(f"{' '.join(inputs)}: nothing could be read; see the warnings above")
    code = _report_skipped(skipped, None, keep_going) if skipped else 0
    if output and not quiet:
        click.echo(f"wrote {writer.rows} sentences to {output}", err=True)
    sys.exit(code)


def _per_label_table(table, title):
    lines = [title, f"{'label':<12}{'P':>7}{'R':>7}{'F1':>7}{'n':>6}   {'F1 keywords':>11}"]
    for row in table.itertuples():
        kw = f"{row.f1_keywords:>11.3f}" if hasattr(row, "f1_keywords") else ""
        lines.append(f"{row.label:<12}{row.precision:>7.3f}{row.recall:>7.3f}{row.f1:>7.3f}{row.support:>6}   {kw}")
    return "\n".join(lines)


@main.command()
@click.argument("corpus", nargs=-1, required=True)
@click.option("-o", "--output", required=True, type=click.Path(), help="Model file to write, e.g. models/default.joblib.")
@click.option("--seed", default=0, show_default=True, help="Random seed: the same corpus and seed give the same model.")
@click.option("--no-cv", is_flag=True, help="Skip the cross-validated report (faster).")
@run_safely
def train(corpus, output, seed, no_cv):
    """Train a ThemeClassifier on labelled CSV/JSONL/Parquet/XLSX files (text, themes, low_carbon).

    Prints a 5-fold cross-validated per-label report and stores it in the model's manifest.

    \b
    Example:
      lowcarbon train corpus/train.csv -o models/default.joblib --seed 0
    """
    from .model import load_corpus, save_model, train as train_model

    data = load_corpus(corpus, warn=lambda m: click.echo(f"lowcarbon: warning: {m}", err=True))
    click.echo(f"training on {len(data)} sentences from {len(corpus)} file(s)…", err=True)
    model, metadata = train_model(data, random_state=seed, cv=not no_cv)
    save_model(model, output, metadata)
    if "cross_validation" in metadata:
        import pandas as pd

        cv = metadata["cross_validation"]
        click.echo(_per_label_table(pd.DataFrame(cv["per_label"]), "5-fold cross-validation"))
        s = cv["summary"]
        click.echo(f"macro-F1 {s['macro_f1']:.3f}  micro-F1 {s['micro_f1']:.3f}  exact match {s['exact_match']:.3f}  low_carbon F1 {s['low_carbon_f1']:.3f}")
    click.echo(f"wrote {output}")


@main.command()
@click.argument("corpus", nargs=-1, required=True)
@click.option("--model", "model_path", type=click.Path(), help="Model file (default: models/default.joblib).")
@click.option("--trust-model", is_flag=True, help="Load a model that has no manifest.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@run_safely
def evaluate(corpus, model_path, trust_model, as_json):
    """Score a model on labelled sentences beside a keyword-list baseline on the same rows.

    \b
    Example:
      lowcarbon evaluate corpus/test.csv
    """
    from .model import evaluate as evaluate_model, load_corpus

    model = _load(model_path, trust_model)
    data = load_corpus(corpus, drop_duplicates=False)
    table, summary = evaluate_model(model, data)
    if as_json:
        click.echo(json.dumps({"per_label": table.round(4).to_dict(orient="records"), **summary}, ensure_ascii=False, indent=2))
        return
    click.echo(_per_label_table(table, f"{len(data)} sentences"))
    for name in ("model", "keywords"):
        s = summary[name]
        click.echo(f"{name:<9} macro-F1 {s['macro_f1']:.3f}  micro-F1 {s['micro_f1']:.3f}  exact match {s['exact_match']:.3f}  low_carbon F1 {s['low_carbon_f1']:.3f}")


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", required=True, type=click.Path(), help="Folder to write the report into.")
@click.option("--force", is_flag=True, help="Replace the output folder if it exists.")
@click.option("--model", "model_path", type=click.Path(), help="Model file (default: models/default.joblib).")
@click.option("--trust-model", is_flag=True, help="Load a model that has no manifest.")
@click.option("--region", help="The region of every input, instead of headings and inference.")
@click.option("--text-column", default="text", show_default=True, help="Text column of table inputs.")
@click.option("--keep-going", is_flag=True, help="Exit 0 even when some files of a batch were skipped.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@run_safely
def report(inputs, output, force, model_path, trust_model, region, text_column, keep_going, quiet):
    """Tag reports and write per-region tables, quantified targets, an Excel workbook and an HTML report.

    The folder gets sentences.csv, by_region.csv, by_region_section.csv, by_region_year.csv,
    targets.csv, report.xlsx and report.html (self-contained: open it with no network).

    \b
    Example:
      lowcarbon report corpus/samples/2025-provinces-lowcarbon-digest.txt -o out/
    """
    from pathlib import Path

    from .errors import OutputError
    from .report import build_report
    from .tagging import tag as tag_frame

    if Path(output).exists() and not force:  # refuse before any work is done
        raise OutputError(f"{output}: already exists; choose another folder or pass --force to replace it")
    model = _load(model_path, trust_model)
    frame, code = _read(inputs, region, text_column, keep_going, quiet)
    tagged = tag_frame(frame, model)
    tables = build_report(tagged, output, force=force, model_name=Path(model_path).name if model_path else "default")
    regions = tables["by_region"]["region"].nunique()
    click.echo(f"wrote {output}: {len(tagged)} sentences, {regions} region(s), {len(tables['targets'])} targets")
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
