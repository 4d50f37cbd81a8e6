"""Evidence for the notebooks' floors: each default run over several seeds and both numeric paths.

    python benchmarks/floors.py run 03 --seeds 0 1 2 --onednn 0 1   # 6 runs of notebook 03
    python benchmarks/floors.py record 03                            # the run make course just made
    python benchmarks/floors.py report                               # every floor: worst run, margin
    python benchmarks/floors.py report --markdown                    # the README's table

A notebook's numbers are one trajectory on one machine. ``run`` executes a notebook at its
default preset with papermill (``seed`` injected) once per seed and per value of
``TF_ENABLE_ONEDNN_OPTS``: TensorFlow's oneDNN kernels change the order of floating-point
operations, so turning them on or off stands in for another CPU (on Intel CPUs with AVX-512
they are on by default, on AMD CPUs off). Each run's numbers, its floors and goals
(``ganlib.utils.check_run`` writes them into the notebook's results) and the machine are
written to ``benchmarks/results/floors/<notebook>/seed<N>_onednn<0|1>.json``; a run that
breaks a floor is recorded too, with the error.

``report`` reads every recorded run and prints, for each floor a notebook asserts, the worst
run and its margin to the floor: a floor is backed by evidence when every run clears it with
room to spare.
"""

import argparse
import ast
import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "floors"
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import machine  # noqa: E402


def notebook_path(prefix: str) -> Path:
    matches = sorted((ROOT / "notebooks").glob(f"{prefix}*.ipynb"))
    if len(matches) != 1:
        raise SystemExit(f"Expected one notebook starting with {prefix!r}, found "
                         f"{[p.name for p in matches] or 'none'}.")
    return matches[0]


def run_once(notebook: Path, seed: int, onednn: str, parameters=None) -> dict:
    """Run ``notebook`` at its default preset with ``seed``; return the record written for it."""
    import build_course
    from papermill.exceptions import PapermillExecutionError

    previous = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = onednn  # inherited by the notebook's kernel
    record = {"notebook": notebook.stem, "seed": seed, "onednn": onednn, "date": date.today().isoformat(),
              "parameters": parameters or {}}
    try:
        record["machine"] = machine.summary()
        with tempfile.TemporaryDirectory() as build:
            start = time.perf_counter()
            try:
                build_course.run(notebook, Path(build) / notebook.name,
                                 {"seed": seed, "build_dir": build, **(parameters or {})},
                                 kernel_log=Path(build) / "kernel.log")
                record["status"] = "passed"
            except PapermillExecutionError as error:
                record["status"] = "failed: " + build_course.describe_failure(notebook, error)
            record["minutes"] = (time.perf_counter() - start) / 60
            results_file = Path(build) / "results" / f"{notebook.stem}.json"
            results = json.loads(results_file.read_text()) if results_file.exists() else {}
    finally:
        if previous is None:
            os.environ.pop("TF_ENABLE_ONEDNN_OPTS", None)
        else:
            os.environ["TF_ENABLE_ONEDNN_OPTS"] = previous
    record["checks"] = results.pop("checks", None)
    record["results"] = {key: value for key, value in results.items() if isinstance(value, (int, float, str))}
    return record


def record_path(notebook_stem: str, seed: int, onednn: str) -> Path:
    return RESULTS / notebook_stem / f"seed{seed}_onednn{onednn}.json"


def command_run(args):
    notebook = notebook_path(args.notebook)
    parameters = json.loads(args.parameters) if args.parameters else None
    for seed in args.seeds:
        for onednn in args.onednn:
            print(f"{notebook.stem}: seed {seed}, TF_ENABLE_ONEDNN_OPTS={onednn} ...", flush=True)
            record = run_once(notebook, seed, onednn, parameters)
            path = record_path(notebook.stem, seed, onednn)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(record, indent=2) + "\n")
            print(f"  {record['status']} in {record['minutes']:.1f} min -> {path.relative_to(ROOT)}", flush=True)


def command_record(args):
    """Record the run ``make course`` (or ``build_course.py``) made: seed 0, the default numeric path."""
    notebook = notebook_path(args.notebook)
    results_file = ROOT / "build" / "results" / f"{notebook.stem}.json"
    if not results_file.exists():
        raise SystemExit(f"No {results_file.relative_to(ROOT)}: run `make course` (or build_course.py "
                         f"{args.notebook}) first.")
    results = json.loads(results_file.read_text())
    onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS", args.onednn)
    record = {"notebook": notebook.stem, "seed": results.get("seed", 0), "onednn": onednn,
              "date": date.today().isoformat(), "parameters": {}, "machine": machine.summary(),
              "status": "passed" if all(c["held"] for c in results.get("checks", {}).get("floors", {}).values())
              else "failed: below a floor", "minutes": None, "source": "build/results (make course)",
              "checks": results.pop("checks", None),
              "results": {k: v for k, v in results.items() if isinstance(v, (int, float, str))}}
    path = record_path(notebook.stem, record["seed"], onednn)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"{notebook.stem}: recorded {results_file.relative_to(ROOT)} -> {path.relative_to(ROOT)}")


def load_records(prefixes=()) -> dict:
    """``{notebook stem: [record, ...]}`` for every run recorded under benchmarks/results/floors/."""
    records = {}
    for path in sorted(RESULTS.glob("*/*.json")):
        if prefixes and not path.parent.name.startswith(tuple(prefixes)):
            continue
        records.setdefault(path.parent.name, []).append(json.loads(path.read_text()))
    return records


def asserted_floors(notebook_stem: str, preset: str = "cpu") -> dict:
    """The floors the notebook asserts now for ``preset``: the literal ``FLOORS = {...}`` of its checks cell."""
    import nbformat

    for cell in nbformat.read(ROOT / "notebooks" / f"{notebook_stem}.ipynb", as_version=4).cells:
        if cell.cell_type != "code" or "FLOORS = {" not in cell.source:
            continue
        for node in ast.parse(cell.source).body:
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "FLOORS":
                return ast.literal_eval(node.value).get(preset, {})
    return {}


def summarise(records: dict) -> list:
    """One row per (notebook, floor): the floor, the worst run, its margin, the number of runs.

    The floors are those the notebook asserts now (read from it), so runs recorded before a floor
    changed count through their measured values.
    """
    rows = []
    for stem, runs in records.items():
        for name, bound in asserted_floors(stem).items():
            op, threshold = bound.split()[0], float(bound.split()[1])
            floor = {"bound": bound, "threshold": threshold}
            values = [(r["results"].get(name), r) for r in runs if r["results"].get(name) is not None]
            if not values:
                rows.append({"notebook": stem, "measure": name, "floor": bound, "worst": float("nan"),
                             "worst_run": "no run measured it", "margin": float("nan"),
                             "relative_margin": float("nan"), "runs": 0, "seeds": 0, "onednn": [],
                             "all_values": []})
                continue
            lower_is_better = op == "<="
            value, worst = (max if lower_is_better else min)(values, key=lambda item: item[0])
            margin = (floor["threshold"] - value) if lower_is_better else (value - floor["threshold"])
            paths = sorted({r["onednn"] for _, r in values})
            rows.append({"notebook": stem, "measure": name, "floor": floor["bound"], "worst": value,
                         "worst_run": f"seed {worst['seed']}, oneDNN {worst['onednn']}",
                         "margin": margin, "relative_margin": margin / abs(floor["threshold"] or 1),
                         "runs": len(values), "seeds": len({r["seed"] for _, r in values}),
                         "onednn": paths, "all_values": sorted(v for v, _ in values)})
    return rows


def command_report(args):
    records = load_records(args.prefixes)
    if not records:
        raise SystemExit(f"No runs recorded under {RESULTS.relative_to(ROOT)}; run `floors.py run NN` first.")
    rows = summarise(records)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    if args.markdown:
        print("| notebook | measure | floor | worst run | margin | runs (seeds; oneDNN off/on) |")
        print("|---|---|---|---|---|---|")
        for row in rows:
            paths = "/".join(("off" if p == "0" else "on") for p in row["onednn"])
            print(f"| {row['notebook'][:2]} | {row['measure']} | {row['floor']} | {row['worst']:.3g} "
                  f"({row['worst_run']}) | {row['margin']:.3g} | {row['runs']} ({row['seeds']}; {paths}) |")
        return
    for stem, runs in records.items():
        failed = [r for r in runs if r["status"] != "passed"]
        print(f"{stem}: {len(runs)} runs, {len(failed)} failed"
              + "".join(f"\n  seed {r['seed']} oneDNN {r['onednn']}: {r['status']}" for r in failed))
    for row in rows:
        flag = "   <- BELOW THE FLOOR" if row["margin"] < 0 else ("   (held, no room)" if row["margin"] == 0 else "")
        print(f"{row['notebook']:<20} {row['measure']:<22} floor {row['floor']:<8} worst {row['worst']:<9.4g} "
              f"({row['worst_run']}) margin {row['margin']:+.3g} ({row['relative_margin']:+.0%}), "
              f"{row['runs']} runs{flag}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a notebook over seeds and numeric paths")
    run.add_argument("notebook", help="the notebook's number, e.g. 03")
    run.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    run.add_argument("--onednn", nargs="+", default=["0", "1"], choices=["0", "1"],
                     help="values of TF_ENABLE_ONEDNN_OPTS")
    run.add_argument("--parameters", help="further papermill parameters as JSON (not the default run)")
    run.set_defaults(handler=command_run)
    record = commands.add_parser("record", help="record the run make course made (build/results)")
    record.add_argument("notebook", help="the notebook's number, e.g. 03")
    record.add_argument("--onednn", default="0", choices=["0", "1"],
                        help="the numeric path it ran on, when TF_ENABLE_ONEDNN_OPTS is not set "
                             "(0: this AMD box's default)")
    record.set_defaults(handler=command_record)
    report = commands.add_parser("report", help="each floor's worst run and margin")
    report.add_argument("prefixes", nargs="*", help="only notebooks whose name starts so")
    report.add_argument("--markdown", action="store_true", help="a Markdown table")
    report.add_argument("--json", action="store_true", help="the rows as JSON")
    report.set_defaults(handler=command_report)
    args = parser.parse_args(argv)
    args.handler(args)


if __name__ == "__main__":
    main()
