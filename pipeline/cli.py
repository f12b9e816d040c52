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
import traceback
import warnings
from pathlib import Path

import click

from .errors import LowcarbonError


def _warn_line(message, category, filename, lineno, file=None, line=None):
    click.echo(f"lowcarbon: warning: {message}", err=True)


class Terminated(BaseException):
    """SIGTERM (timeout, docker stop, CI cancel), raised like Ctrl-C so that workers are stopped."""


def _on_sigterm(signum, frame):
    raise Terminated


def run_safely(func):
    """Turn library exceptions into the CLI's exit codes and one-line messages.

    Warnings are shown as `lowcarbon: warning: …` lines and SIGTERM raises Terminated only
    while the command runs: both are put back as they were afterwards (the CLI may be called
    from Python, e.g. by click's test runner or a notebook)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        import signal
        import threading

        ctx = click.get_current_context()
        debug = ctx.find_root().params.get("debug", False)
        in_main_thread = threading.current_thread() is threading.main_thread()  # only it may set handlers
        old_sigterm = signal.signal(signal.SIGTERM, _on_sigterm) if in_main_thread else None
        try:
            with warnings.catch_warnings():
                warnings.showwarning = _warn_line
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
        finally:
            if old_sigterm is not None:
                signal.signal(signal.SIGTERM, old_sigterm)

    return wrapper


# Options several commands share: declared once, with one help text each.
MODEL = click.option("--model", "model_path", type=click.Path(),
                     help="Model file (default: the shipped model, models/default.joblib).")
TRUST_MODEL = click.option("--trust-model", is_flag=True,
                           help="Load a model that has no manifest (only from a source you trust).")
REGION = click.option("--region", help="The region of every input (e.g. 江苏), instead of headings and inference.")
TEXT_COLUMN = click.option("--text-column", default="text", show_default=True, help="Text column of table inputs.")
KEEP_GOING = click.option("--keep-going", is_flag=True, help="Exit 0 even when some files of a batch were skipped.")
QUIET = click.option("--quiet", is_flag=True, help="No progress bar.")
N_JOBS = click.option("--n-jobs", default=1, show_default=True,
                      help="Worker processes (-1: all cores); results are identical.")
CHUNK_SIZE = click.option("--chunk-size", default=20_000, show_default=True, type=click.IntRange(min=1),
                          help="Sentences per chunk: memory stays bounded on huge tables.")


def _batch(inputs) -> tuple[list[str], str]:
    """The inputs to read and what a bad one does: a lone file's error is the error (raise);
    in a batch (several inputs, or a folder of several files) a bad file is skipped."""
    from .errors import ReadError
    from .reading import expand_inputs

    if len(inputs) > 1:
        return list(inputs), "skip"
    try:
        files = expand_inputs(inputs)
    except ReadError:  # the library says so, after the model has been checked
        return list(inputs), "raise"
    return files, "skip" if len(files) > 1 else "raise"


def _report_skipped(summary, keep_going: bool) -> int:
    """Warn about each skipped input and sum up; the exit code is 1 unless --keep-going."""
    skipped = summary[summary["status"] == "skipped"]
    for reason in skipped["error"]:
        click.echo(f"lowcarbon: warning: skipped {reason}", err=True)
    if skipped.empty:
        return 0
    names = skipped["input"].tolist()
    click.echo(f"lowcarbon: read {len(summary) - len(skipped)} file(s), skipped {len(skipped)}: "
               f"{', '.join(names[:5])}{' …' if len(names) > 5 else ''}", err=True)
    return 0 if keep_going else 1


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--debug", is_flag=True, help="Show the traceback of internal errors.")
@click.version_option(package_name="lowcarbon")
def main(debug):
    """Tag the low-carbon themes of Chinese government work reports and compare regions.

    \b
    Example:
      lowcarbon report corpus/samples/2025-provinces-lowcarbon-digest.txt -o out/
    """


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", type=click.Path(), help="Output file: .csv (default, UTF-8 with BOM), .jsonl, .parquet or .xlsx. Without it, CSV goes to standard output.")
@MODEL
@TRUST_MODEL
@REGION
@TEXT_COLUMN
@click.option("--explain", is_flag=True, help="Add a `why` column: the words that drove each theme.")
@click.option("--all-rows/--report-only", default=True, show_default=True, help="Keep preface, links and disclaimers as rows with kept=false, or drop them.")
@KEEP_GOING
@N_JOBS
@CHUNK_SIZE
@click.option("--dask", "dask_address", metavar="local|ADDRESS", help="Tag on a Dask cluster: `local` starts one here, or give a scheduler address like tcp://10.0.0.5:8786 (needs the [dask] extra).")
@QUIET
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
    from .streaming import tag_files

    files, on_error = _batch(inputs)
    summary = tag_files(files, output, model=model_path, trust_model=trust_model, n_jobs=n_jobs, chunk_size=chunk_size,
                        on_error=on_error, region=region, text_column=text_column, explain=explain, all_rows=all_rows,
                        dask=dask_address, progress=not quiet)
    code = _report_skipped(summary, keep_going)
    written = int(summary["sentences"].sum())
    if written == 0 and (summary["status"] == "skipped").any():  # tag_files wrote nothing
        raise ReadError(f"{' '.join(inputs)}: nothing could be read; see the warnings above")
    if output and not quiet:
        click.echo(f"wrote {written} sentences to {output}", err=True)
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
    from .corpus import load_corpus
    from .persistence import save_model
    from .training import train as train_model

    data = load_corpus(corpus)
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
@MODEL
@TRUST_MODEL
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--record", metavar="NAME", help="Also keep the scores in the model's manifest under NAME (quoted by the report).")
@run_safely
def evaluate(corpus, model_path, trust_model, as_json, record):
    """Score a model on labelled sentences beside a keyword-list baseline on the same rows.

    With --record, the scores are also kept in the model's manifest under that name, and the
    HTML report's note on method quotes them.

    \b
    Examples:
      lowcarbon evaluate corpus/test.csv
      lowcarbon evaluate ../shared/real-dev/province-2025.csv --record "real sentences, 2025 provincial reports"
    """
    from .corpus import load_corpus
    from .evaluation import evaluate as evaluate_model
    from .persistence import load_model, record_evaluation

    model = load_model(model_path, trust=trust_model)
    data = load_corpus(corpus, drop_duplicates=False)
    table, summary = evaluate_model(model, data)
    if record:
        record_evaluation(model_path, record, table, summary, source=" ".join(corpus))
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
@MODEL
@TRUST_MODEL
@REGION
@TEXT_COLUMN
@KEEP_GOING
@QUIET
@run_safely
def report(inputs, output, force, model_path, trust_model, region, text_column, keep_going, quiet):
    """Tag reports and write per-region tables, quantified targets, an Excel workbook and an HTML report.

    The folder gets sentences.csv, by_region.csv, by_region_section.csv, by_region_year.csv,
    targets.csv, report.xlsx and report.html (self-contained: open it with no network).

    \b
    Example:
      lowcarbon report corpus/samples/2025-provinces-lowcarbon-digest.txt -o out/
    """
    from .errors import OutputError, ReadError
    from .persistence import load_model
    from .report import build_report
    from .streaming import SentenceStream
    from .tagging import tag as tag_frame

    if Path(output).exists() and not force:  # refuse before any work is done
        raise OutputError(f"{output}: already exists; choose another folder or pass --force to replace it")
    model = load_model(model_path, trust=trust_model)
    files, on_error = _batch(inputs)
    stream = SentenceStream(files, region=region, text_column=text_column, chunk_size=None, on_error=on_error,
                            progress=not quiet)
    try:
        frame = stream.read()
    except ReadError:
        if on_error == "raise":
            raise
        _report_skipped(stream.summary, keep_going)
        raise ReadError(f"{' '.join(inputs)}: none of the {len(stream.summary)} input(s) could be read; "
                        "see the warnings above") from None
    code = _report_skipped(stream.summary, keep_going)
    tagged = tag_frame(frame, model)
    tables = build_report(tagged, output, force=force, model_name=Path(model_path).name if model_path else "default")
    regions = tables["by_region"]["region"].nunique()
    click.echo(f"wrote {output}: {len(tagged)} sentences, {regions} region(s), {len(tables['targets'])} targets")
    sys.exit(code)


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", required=True, type=click.Path(), help="Folder to write the comparison into.")
@click.option("--force", is_flag=True, help="Replace the output folder if it exists.")
@click.option("--all-targets", is_flag=True, help="Compare every quantified plan target, not only those in low-carbon sentences.")
@MODEL
@TRUST_MODEL
@REGION
@TEXT_COLUMN
@KEEP_GOING
@QUIET
@run_safely
def promises(inputs, output, force, all_targets, model_path, trust_model, region, text_column, keep_going, quiet):
    """Compare each year's plan with the next year's review of it: targets met, exceeded, short or not reported.

    Give consecutive reports of a region: the report of Y plans Y, the report of Y+1 reviews
    Y. Years come from file names (2024年江苏省政府工作报告.txt) or section headings
    (2024年工作回顾, 2025年重点任务); regions from headings or file names, or --region for
    all inputs. The folder gets promises.csv (one row per plan target), promises_by_theme.csv,
    promises_sentences.csv, promises_pairs.csv and promises.html (self-contained).

    \b
    Example:
      lowcarbon promises tests/data/promises/reports/ -o promises/
    """
    from .errors import OutputError, ReadError
    from .persistence import load_model
    from .promises import build_promises, promise_pairs
    from .streaming import SentenceStream
    from .tagging import tag as tag_frame

    if Path(output).exists() and not force:  # refuse before any work is done
        raise OutputError(f"{output}: already exists; choose another folder or pass --force to replace it")
    model = load_model(model_path, trust=trust_model)
    files, on_error = _batch(inputs)
    stream = SentenceStream(files, region=region, text_column=text_column, chunk_size=None, on_error=on_error,
                            progress=not quiet)
    try:
        frame = stream.read()
    except ReadError:
        if on_error == "raise":
            raise
        _report_skipped(stream.summary, keep_going)
        raise ReadError(f"{' '.join(inputs)}: none of the {len(stream.summary)} input(s) could be read; "
                        "see the warnings above") from None
    code = _report_skipped(stream.summary, keep_going)
    pairs = promise_pairs(frame)
    if not pairs["compared"].any():
        seen = ", ".join(f"{r.region} {r.year} {'plan' if r.plan_docs else 'review'}" for r in pairs.itertuples()) or "none"
        raise ReadError(f"{' '.join(inputs)}: no region has both the plan for a year and the review of it (sections "
                        f"found: {seen}); give consecutive reports of a region, e.g. 2024年江苏省政府工作报告.txt and "
                        "2025年江苏省政府工作报告.txt")
    tables = build_promises(tag_frame(frame, model), output, force=force, low_carbon_only=not all_targets)
    done = tables["pairs"][tables["pairs"]["compared"]]
    results = tables["promises"]
    counts = ", ".join(f"{n} {status}" for status, n in results["status"].value_counts().items())
    click.echo(f"wrote {output}: {len(done)} region-year(s) compared, {len(results)} plan targets ({counts})")
    if not quiet:
        for row in tables["pairs"][~tables["pairs"]["compared"]].itertuples():
            click.echo(f"  {row.region} {row.year}: {row.note}", err=True)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
