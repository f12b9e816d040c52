"""The package as a whole: imports run one way, `import pipeline` is cheap, its exports are
what it says, and the default model is package data."""
import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import pipeline

from .conftest import ROOT

PACKAGE = ROOT / "pipeline"

# The direction of every arrow: a module may import only the modules listed for it, and
# ORDER lists each module after everything it may import. Reading -> structure; text ->
# features -> classifier; tagging -> aggregation / targets -> report; writing and
# persistence beside; promises (a plan against the next year's review) after targets; the CLI
# on top. __init__ holds the version and lazy names only.
ALLOWED = {
    "__init__": set(),
    "errors": set(),
    "labels": set(),
    "text": set(),
    "segmentation": set(),
    "places": {"segmentation"},
    "reading": {"errors"},
    "structure": {"labels", "places", "reading", "text"},
    "features": {"segmentation"},
    "classifier": {"features", "labels", "text"},
    "baseline": {"labels", "text"},
    "model": {"classifier", "features"},
    "corpus": {"errors", "labels", "reading", "text"},
    "evaluation": {"baseline", "classifier", "labels"},
    "training": {"classifier", "corpus", "errors", "evaluation", "labels"},
    "writing": {"errors"},
    "persistence": {"classifier", "errors", "writing"},
    "tagging": {"labels"},
    "parallel": {"classifier", "errors", "persistence", "tagging"},
    "streaming": {"errors", "parallel", "persistence", "reading", "structure", "writing"},
    "aggregation": {"labels", "places"},
    "targets": {"aggregation", "labels", "places"},
    "promises": {"aggregation", "errors", "labels", "places", "targets", "writing"},
    "report": {"__init__", "aggregation", "errors", "labels", "places", "targets", "writing"},
    "cli": {"corpus", "errors", "evaluation", "persistence", "promises", "reading", "report", "streaming", "tagging",
            "training"},
}
ORDER = ["__init__", "errors", "labels", "text", "segmentation", "places", "reading", "structure", "features",
         "classifier", "baseline", "model", "corpus", "evaluation", "training", "writing", "persistence", "tagging",
         "parallel", "streaming", "aggregation", "targets", "promises", "report", "cli"]


def imports_of(path: Path) -> set[str]:
    """The package's modules a module imports, at the top or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:  # from . import x: a module, or a name of __init__
                found.update(a.name if (PACKAGE / f"{a.name}.py").exists() else "__init__" for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("pipeline"):
            parts = node.module.split(".")
            found.update([parts[1]] if len(parts) > 1 else ["__init__"])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("pipeline."))
    return found


def test_every_module_has_a_place_in_the_order():
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    assert modules == set(ALLOWED) == set(ORDER)


def test_allowed_imports_point_one_way():
    for module, deps in ALLOWED.items():
        later = [d for d in deps if ORDER.index(d) >= ORDER.index(module)]
        assert not later, f"{module} may not import {later}: they come after it"


@pytest.mark.parametrize("module", ORDER)
def test_no_module_imports_backwards(module):
    extra = imports_of(PACKAGE / f"{module}.py") - ALLOWED[module]
    assert not extra, f"pipeline/{module}.py imports {sorted(extra)}; its concern allows {sorted(ALLOWED[module])}"


def test_the_model_side_knows_nothing_of_files_sentences_or_outputs():
    io_side = {"reading", "structure", "writing", "streaming", "report", "cli", "tagging"}
    for module in ("text", "features", "classifier", "baseline", "evaluation"):
        assert not imports_of(PACKAGE / f"{module}.py") & io_side, module


def test_the_checker_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text("from .labels import THEMES\ndef f():\n    from .structure import x\n    from . import __version__\n",
                      encoding="utf-8")
    assert imports_of(sample) == {"labels", "structure", "__init__"}


def test_import_is_quiet_and_loads_nothing_heavy():
    code = ("import sys, pipeline; heavy = sorted({m.split('.')[0] for m in sys.modules} & "
            "{'sklearn', 'pandas', 'numpy', 'scipy', 'rjieba', 'jieba', 'matplotlib', 'joblib'}); print(heavy)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]" and done.stderr == ""


def test_all_is_what_the_package_exports():
    assert len(set(pipeline.__all__)) == len(pipeline.__all__)
    assert set(dir(pipeline)) == set(pipeline.__all__) | {"__version__"}
    import inspect

    for name in pipeline.__all__:
        value = getattr(pipeline, name)
        if inspect.isclass(value) or inspect.isfunction(value):  # defined here, not re-exported from elsewhere
            assert value.__module__.startswith("pipeline."), (name, value.__module__)
    with pytest.raises(AttributeError):
        pipeline.no_such_name  # noqa: B018
    namespace = {}
    exec("from pipeline import *", namespace)
    assert set(pipeline.__all__) <= set(namespace)


def test_version_comes_from_the_installed_metadata():
    from importlib import metadata

    assert pipeline.__version__ == metadata.version("lowcarbon")


def test_default_model_is_package_data_beside_its_manifest():
    from importlib import resources

    from pipeline.persistence import DEFAULT_MODEL, manifest_path

    data = resources.files("pipeline.models")
    assert data.joinpath("default.joblib").is_file() and data.joinpath("default.manifest.json").is_file()
    assert DEFAULT_MODEL.is_file() and manifest_path(DEFAULT_MODEL).is_file()
    if (ROOT / "models").is_dir():  # run from the source tree (editable install): models/ is the package data
        assert DEFAULT_MODEL == ROOT / "models" / "default.joblib"


def test_a_source_tree_that_was_never_installed_finds_models_beside_the_package():
    code = ("import sys, importlib.util; sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f)]; "
            "import pipeline.persistence as p; print(p.DEFAULT_MODEL, p.DEFAULT_MODEL.is_file(), "
            "importlib.util.find_spec('pipeline.models') is None)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.split() == [str(ROOT / "models" / "default.joblib"), "True", "True"]


@pytest.mark.slow
def test_wheel_ships_the_model_the_divisions_and_every_module(tmp_path):
    """`pip install .` (not editable) must find the default model: it has to be in the wheel."""
    import zipfile

    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                          capture_output=True, text=True)
    if done.returncode != 0 and "No matching distribution" in done.stderr:
        pytest.skip("no index to build the wheel with (setuptools)")
    assert done.returncode == 0, done.stderr
    (wheel,) = tmp_path.glob("lowcarbon-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"pipeline/models/default.joblib", "pipeline/models/default.manifest.json",
            "pipeline/data/divisions.csv"} <= names
    assert {f"pipeline/{p.name}" for p in PACKAGE.glob("*.py")} <= names
    manifest = json.loads(zipfile.ZipFile(wheel).read("pipeline/models/default.manifest.json"))
    assert manifest["sha256"] == json.loads((ROOT / "models" / "default.manifest.json").read_text())["sha256"]
