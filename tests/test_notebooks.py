"""Every notebook runs end to end with the fast "smoke" preset, and nbval catches changed outputs.

The full default runs are checked by nbval itself (`pytest --nbval`), against the outputs
stored in notebooks/.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import build_course  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MACHINE_PATH = re.compile(r"/(root|tmp|work|home)/|[A-Z]:\\\\Users")


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS][:1] == ["01_intuition.ipynb"]


def check_lines(nb):
    """The one-line reports of the notebook's "your turn" checks, in order."""
    return [line for cell in nb.cells if cell.cell_type == "code" for output in cell.outputs
            if output.output_type == "stream" for line in output.text.splitlines() if line.startswith("check ")]


# The smoke runs use the worked solutions: every check passes and the cells after them run on the learner's
# version. The stubs' path is the stored notebooks' (solutions = False): test_stored_notebook_conventions
# reads their "not yet" lines, and nbval re-runs them at the default preset and compares those lines.
@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_smoke_run(notebook, tmp_path, capfd):
    output = tmp_path / notebook.name
    before = set(notebook.parent.iterdir())
    build_course.run(notebook, output, parameters={"preset": "smoke", "build_dir": str(tmp_path),
                                                   "solutions": True})
    assert set(notebook.parent.iterdir()) == before, "the run left files in notebooks/"
    # ipykernel warns about unencrypted TCP unless the kernel runs over local sockets
    assert "Kernel is running over TCP" not in capfd.readouterr().err
    executed = nbformat.read(output, as_version=4)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    checks = check_lines(executed)
    assert checks, "every notebook has at least one checked 'your turn' cell"
    assert all(line.endswith(": passed") for line in checks), checks
    results = json.loads((tmp_path / "results" / f"{notebook.stem}.json").read_text())
    assert results, "the notebook saved no numbers"
    for path in (tmp_path / "models").glob(f"{notebook.stem}*.keras"):
        assert path.stat().st_size > 1000


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_notebook_conventions(notebook):
    nb = nbformat.read(notebook, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    parameters = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1, "exactly one cell tagged 'parameters'"
    compile(parameters[0].source, "parameters", "exec")
    assert 'preset = "cpu"' in parameters[0].source and "build_dir" in parameters[0].source
    assert nb.cells[0].source.startswith(f"# {notebook.name[:2]} ·")
    assert "colab.research.google.com" in nb.cells[0].source
    # execution_count, not outputs: the parameters cell and cells that only define things print nothing.
    assert all(c.execution_count or not c.source.strip() for c in code), "stored unexecuted"
    assert not any(o.output_type == "error" for c in code for o in c.outputs)
    checks = check_lines(nb)  # stored with the stubs: each check says "not yet" and gives its hint
    assert checks and all(re.fullmatch(r"check [^:]+: not yet - \S.{10,}", line) for line in checks), checks
    assert not MACHINE_PATH.search(json.dumps([c.outputs for c in code])), "machine path in outputs"
    assert nb.metadata.kernelspec.name == "python3"
    assert all("slideshow" in c.metadata for c in nb.cells), "every cell needs slide metadata"


def _pytest_nbval(notebook_dir):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "-p", "no:cacheprovider", "-q",
         f"--rootdir={notebook_dir}", "-c", os.devnull,
         f"--nbval-sanitize-with={ROOT / 'tests' / 'sanitize.cfg'}", "--nbval-current-env",
         str(notebook_dir)],
        capture_output=True, text=True, timeout=300)


@pytest.mark.slow
@pytest.mark.parametrize("stored, passes", [("2\n", True), ("3\n", False)])
def test_nbval_goes_red_when_a_checked_output_changes(tmp_path, stored, passes):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(1 + 1)", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored)]
    ignored = nbformat.v4.new_code_cell("import time; print(time.time())", execution_count=2)
    ignored.metadata["tags"] = ["nbval-ignore-output"]
    ignored.outputs = [nbformat.v4.new_output("stream", name="stdout", text="0.0\n")]
    nb.cells = [cell, ignored]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "check.ipynb")
    result = _pytest_nbval(tmp_path)
    assert (result.returncode == 0) == passes, result.stdout[-2000:]


def test_progress_bar_redraws_are_stored_as_jupyter_shows_them():
    cell = nbformat.v4.new_code_cell("fit()")
    stream = nbformat.v4.new_output
    cell.outputs = [stream("stream", name="stdout", text="start\n"),
                    stream("stream", name="stdout", text="\rtraining:   0%| 0/9"),
                    stream("stream", name="stdout", text="\rtraining:  50%| 4/9"),
                    stream("stream", name="stdout", text="\rtraining: 100%| 9/9\n"),
                    stream("stream", name="stderr", text="a warning\n"),
                    stream("stream", name="stdout", text="trained in 3 s\r\n")]
    nb = nbformat.v4.new_notebook(cells=[cell, nbformat.v4.new_markdown_cell("text")])
    build_course.tidy_streams(nb)
    assert [(o.name, o.text) for o in cell.outputs] == [
        ("stdout", "start\ntraining: 100%| 9/9\n"), ("stderr", "a warning\n"), ("stdout", "trained in 3 s\n")]


# The introductory articles are "the introductory articles", not "the seeds" (a learner reads seed as the
# random seed); no slide label or development word in the text a learner reads.
LEARNER_TEXT_FORBIDDEN = re.compile(r"\bthe seeds\b|\bseeds'|\bas in the seeds\b|Speaker notes\.|\bissue\b", re.I)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_markdown_speaks_to_learners(notebook):
    cells = nbformat.read(notebook, as_version=4).cells
    found = [(index, match.group(0)) for index, cell in enumerate(cells) if cell.cell_type == "markdown"
             for match in LEARNER_TEXT_FORBIDDEN.finditer(cell.source)]
    assert not found, f"cells (index, words): {found}"
