"""The main job (`make course`, scripts/build_course.py): it finishes, reports failures, stays quiet."""

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
TENSORFLOW_LOG_LINES = ("oneDNN custom operations", "absl::InitializeLog", "cpu_feature_guard")


def write_notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {path.stem}")]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def build_course(*args, env=None):
    # As `make course` runs it: without PYTEST_CURRENT_TEST, which makes ipykernel leave the
    # kernel's own stderr alone (it would hide what the kernel configuration has to handle).
    environment = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "build_course.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT,
                          env={**environment, **(env or {})})


def outputs_text(path):
    return json.dumps([cell.get("outputs", []) for cell in nbformat.read(path, as_version=4).cells])


@pytest.mark.slow
def test_a_failing_notebook_does_not_stop_the_others(tmp_path):
    notebooks, build = tmp_path / "notebooks", tmp_path / "build"
    notebooks.mkdir()
    save = "import ganlib\nganlib.utils.save_run(build_dir, '{stem}', {{'answer': 42}})"
    for stem in ("01_first", "03_third"):
        write_notebook(notebooks / f"{stem}.ipynb", "build_dir = '../build'", save.format(stem=stem))
    write_notebook(notebooks / "02_broken.ipynb", "x = 1",
                   "assert x == 2, 'a deliberate failure\\nwhose last line is this'")

    result = build_course("--notebooks", notebooks, "--build", build, "--no-pdf")

    assert result.returncode == 1, result.stdout + result.stderr
    report = result.stdout
    assert "02_broken.ipynb, cell 2 (In [2]): AssertionError: whose last line is this" in report
    assert report.index("answer") < report.index("slides") < report.index("1 of 3 notebooks failed")
    assert json.loads((build / "results.json").read_text()) == {"01_first": {"answer": 42},
                                                                "03_third": {"answer": 42}}
    assert sorted(p.name for p in (build / "slides").glob("*.html")) == [
        "01_first.slides.html", "03_third.slides.html"]
    assert "a deliberate failure" in outputs_text(build / "notebooks" / "02_broken.ipynb")


@pytest.mark.slow
def test_tensorflow_start_up_lines_stay_out_of_notebooks_and_the_job_output(tmp_path):
    notebooks, build = tmp_path / "notebooks", tmp_path / "build"
    notebooks.mkdir()
    write_notebook(notebooks / "01_tf.ipynb",
                   "import tensorflow as tf\nprint('sum', float(tf.reduce_sum(tf.ones((2, 2)))))")
    # oneDNN's "custom operations are on" line is printed whatever TF_CPP_MIN_LOG_LEVEL says: forcing
    # oneDNN on makes this CPU print it as Intel CPUs with AVX-512 do by default.
    result = build_course("--notebooks", notebooks, "--build", build, "--no-slides",
                          env={"TF_ENABLE_ONEDNN_OPTS": "1", "TF_CPP_MIN_LOG_LEVEL": "0"})

    assert result.returncode == 0, result.stdout + result.stderr
    executed = outputs_text(build / "notebooks" / "01_tf.ipynb")
    assert "sum 4.0" in executed
    kernel_log = (build / "logs" / "01_tf.kernel.log").read_text()
    assert "oneDNN custom operations" in kernel_log, "the lines were printed, to the kernel's log"
    for line in TENSORFLOW_LOG_LINES:
        assert line not in executed and line not in result.stdout + result.stderr, line
