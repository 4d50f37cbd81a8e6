"""The main job: run every notebook at its default parameters and collect the numbers.

    python scripts/build_course.py                 # all notebooks -> build/
    python scripts/build_course.py 01 03           # only notebooks whose name starts so
    python scripts/build_course.py --store 01      # maintainers: refresh the stored notebook

Each notebook runs with papermill from the notebooks/ folder, so its default
``build_dir = "../build"`` is this repository's build/. Executed copies go to
build/notebooks/, trained generators to build/models/, and every notebook's numbers are
merged into build/results.json and printed as a table.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.paths import jupyter_runtime_dir

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


class LocalKernelManager(AsyncKernelManager):
    """Kernels talking over local sockets (IPC) instead of TCP.

    The kernel is on this machine, so nothing needs a network port; over TCP ipykernel 7
    warns at every start that traffic is unencrypted, a warning a learner cannot act on.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.transport = "ipc"
        # The sockets go to Jupyter's runtime folder; by default they would land in the
        # notebook's working folder (notebooks/) as kernel-ipc-1, kernel-ipc-2, ...
        runtime = Path(jupyter_runtime_dir())
        runtime.mkdir(parents=True, exist_ok=True)
        self.ip = str(runtime / f"ganlib-kernel-{os.getpid()}-{id(self)}")


def run(notebook: Path, output: Path, parameters=None, cwd=NOTEBOOKS):
    """Execute ``notebook`` with papermill into ``output``; return the wall time in seconds."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    start = time.perf_counter()
    papermill.execute_notebook(str(notebook), str(output), parameters=parameters or {},
                               cwd=str(cwd), kernel_name="python3", progress_bar=False,
                               kernel_manager_class=LocalKernelManager)
    seconds = time.perf_counter() - start
    nb = nbformat.read(output, as_version=4)
    tidy_streams(nb)
    nbformat.write(nb, output)
    return seconds


def tidy_streams(nb):
    """Store text output as Jupyter shows it: one output per stream run, carriage returns applied.

    A progress bar redraws its line with ``\r`` every few seconds; the kernel sends each redraw
    as its own message, so a stored notebook would keep hundreds of stale bars. Consecutive
    outputs of the same stream are merged and each line keeps only its last redraw.
    """
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        merged = []
        for output in cell.outputs:
            if (output.output_type == "stream" and merged and merged[-1].output_type == "stream"
                    and merged[-1].name == output.name):
                merged[-1].text += output.text
            else:
                merged.append(output)
        for output in merged:
            if output.output_type == "stream" and "\r" in output.text:
                output.text = "\n".join(([part for part in line.split("\r") if part] or [""])[-1]
                                        for line in output.text.split("\n"))
        cell.outputs = merged


def store(notebook: Path, executed: Path):
    """Copy an executed notebook over the stored one, without papermill's machine paths."""
    nb = nbformat.read(executed, as_version=4)
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    nbformat.write(nb, notebook)


def table(results: dict) -> str:
    rows = [(stem, key, value) for stem, numbers in results.items() for key, value in numbers.items()
            if not isinstance(value, (dict, list))]
    width = max((len(f"{s}  {k}") for s, k, _ in rows), default=10)
    lines = [f"{'notebook  measure':<{width}}  value", "-" * (width + 14)]
    for stem, key, value in rows:
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        lines.append(f"{stem + '  ' + key:<{width}}  {shown}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="run only notebooks whose name starts with these")
    parser.add_argument("--store", action="store_true", help="also overwrite notebooks/ with the outputs")
    args = parser.parse_args(argv)
    build = ROOT / "build"
    (build / "notebooks").mkdir(parents=True, exist_ok=True)
    notebooks = [p for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
                 if not args.prefixes or p.name.startswith(tuple(args.prefixes))]
    if not notebooks:
        sys.exit(f"No notebook in {NOTEBOOKS} matches {args.prefixes}.")
    for notebook in notebooks:
        output = build / "notebooks" / notebook.name
        print(f"running {notebook.name} ...", flush=True)
        seconds = run(notebook, output)
        print(f"  done in {seconds:.0f} s -> {output.relative_to(ROOT)}", flush=True)
        if args.store:
            store(notebook, output)
    results = {}
    for path in sorted((build / "results").glob("*.json")):
        results[path.stem] = json.loads(path.read_text())
    (build / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nbuild/results.json\n{table(results)}")


if __name__ == "__main__":
    main()
