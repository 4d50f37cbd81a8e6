"""The main job: run every notebook at its default parameters and collect the numbers.

    python scripts/build_course.py                 # all notebooks -> build/, then the slides
    python scripts/build_course.py 01 03           # only notebooks whose name starts so
    python scripts/build_course.py --store 01      # maintainers: refresh the stored notebook

Each notebook runs with papermill from the notebooks/ folder, so its default
``build_dir = "../build"`` is this repository's build/. Executed copies go to
build/notebooks/, trained generators to build/models/, and every notebook's numbers are
merged into build/results.json and printed as a table. Slides are exported from the
executed copies (``scripts/export_slides.py``).

A notebook that fails does not stop the job: the others still run, their slides are
exported and the table printed; then each failure is listed (notebook, cell and the
error's last line, the executed copy kept in build/notebooks/ to read it) and the job
exits with status 1. TensorFlow's C++ log lines (the kernel's own stderr) go to
build/logs/<notebook>.kernel.log, not into the notebooks or this job's output.
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
from papermill.exceptions import PapermillExecutionError

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

    kernel_log = None  # a path: the kernel's own stdout and stderr (C++ libraries' output) go there

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        if self.kernel_log is None:
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        with open(self.kernel_log, "ab") as log:  # the kernel process keeps its own copy
            return await super()._async_launch_kernel(kernel_cmd, **{"stdout": log, "stderr": log, **kw})


def run(notebook: Path, output: Path, parameters=None, cwd=NOTEBOOKS, kernel_log=None):
    """Execute ``notebook`` with papermill into ``output``; return the wall time in seconds.

    ``kernel_log``: a file for the kernel process's own output (by default it is this
    process's). Raises papermill's ``PapermillExecutionError`` when a cell fails, after
    writing the executed notebook with its error to ``output``.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    os.environ.setdefault("GANLIB_STATIC_WIDGETS", "1")  # no widget front end: ganlib.widgets draws figures
    manager = type("KernelManager", (LocalKernelManager,), {"kernel_log": kernel_log})
    start = time.perf_counter()
    try:
        papermill.execute_notebook(str(notebook), str(output), parameters=parameters or {},
                                   cwd=str(cwd), kernel_name="python3", progress_bar=False,
                                   kernel_manager_class=manager)
    finally:
        if Path(output).exists():
            nb = nbformat.read(output, as_version=4)
            tidy_streams(nb)
            nbformat.write(nb, output)
    return time.perf_counter() - start


def describe_failure(notebook: Path, error: PapermillExecutionError) -> str:
    """One line: the notebook, the failing cell (index in the stored notebook) and the error's last line."""
    stored = nbformat.read(notebook, as_version=4).cells
    index = next((i for i, cell in enumerate(stored) if cell.source == error.source), None)
    where = f"cell {index}" if index is not None else f"an injected cell ({error.cell_index})"
    message = (str(error.evalue).strip().splitlines() or [""])[-1]
    return f"{notebook.name}, {where} (In [{error.exec_count}]): {error.ename}: {message}"


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
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS, help="folder of the notebooks to run")
    parser.add_argument("--build", type=Path, default=ROOT / "build", help="folder of everything written")
    parser.add_argument("--no-slides", action="store_true", help="skip the slide export")
    parser.add_argument("--no-pdf", action="store_true", help="slides as HTML only")
    args = parser.parse_args(argv)
    build = args.build.resolve()
    for folder in ("notebooks", "logs"):
        (build / folder).mkdir(parents=True, exist_ok=True)
    notebooks = [p for p in sorted(args.notebooks.glob("[0-9][0-9]_*.ipynb"))
                 if not args.prefixes or p.name.startswith(tuple(args.prefixes))]
    if not notebooks:
        sys.exit(f"No notebook in {args.notebooks} matches {args.prefixes}.")
    # build_dir is injected only when it differs from the notebooks' default ("../build").
    parameters = {} if build == (args.notebooks.resolve().parent / "build") else {"build_dir": str(build)}
    ran, failures = [], []
    for notebook in notebooks:
        output = build / "notebooks" / notebook.name
        print(f"running {notebook.name} ...", flush=True)
        try:
            seconds = run(notebook, output, parameters, cwd=args.notebooks,
                          kernel_log=build / "logs" / f"{notebook.stem}.kernel.log")
        except PapermillExecutionError as error:
            failures.append(describe_failure(notebook, error))
            print(f"  FAILED: {failures[-1]}", flush=True)
            continue
        print(f"  done in {seconds:.0f} s -> {os.path.relpath(output)}", flush=True)
        ran.append(notebook)
        if args.store:
            store(notebook, output)
    results = {}
    for path in sorted((build / "results").glob("*.json")):
        results[path.stem] = json.loads(path.read_text())
    (build / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"\n{os.path.relpath(build / 'results.json')}\n{table(results)}", flush=True)
    if ran and not args.no_slides:
        import export_slides  # scripts/, next to this file

        print("\nslides", flush=True)
        export_slides.main([notebook.name[:2] for notebook in ran]
                           + ["--source", str(build / "notebooks"), "--output", str(build / "slides")]
                           + (["--no-pdf"] if args.no_pdf else []))
    if failures:
        print(f"\n{len(failures)} of {len(notebooks)} notebooks failed (executed copies with the "
              f"error kept in {os.path.relpath(build / 'notebooks')}):")
        for failure in failures:
            print(f"- {failure}")
        sys.exit(1)


if __name__ == "__main__":
    main()
