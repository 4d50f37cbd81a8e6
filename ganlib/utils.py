"""Run bookkeeping for notebooks: seeding, device report, saving results and generators."""

import json
import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf


def seed_everything(seed: int, deterministic: bool = True) -> None:
    """Seed Python, NumPy and TensorFlow once, and make TensorFlow ops deterministic.

    The same seed on the same machine then gives the same losses and samples.
    Op determinism costs a little speed on CPU and more on GPU, and Keras then ignores
    ``compile(jit_compile=True)`` (it warns "Model doesn't support jit_compile=True"): pass
    ``deterministic=False`` to train with XLA. The setting lasts for the whole process.
    """
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def device_summary() -> str:
    """One line saying what TensorFlow will run on, e.g. ``"CPU (2 cores)"``."""
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        names = [tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus]
        return f"GPU: {', '.join(names)}"
    return f"CPU ({os.cpu_count()} cores), no GPU found"


def save_run(build_dir, stem: str, results: dict, generator=None) -> dict:
    """Write a notebook's measured numbers and its trained generator under ``build_dir``.

    Numbers go to ``<build_dir>/results/<stem>.json`` (the main job merges them into
    ``build/results.json``); the generator to ``<build_dir>/models/<stem>_generator.keras``.

    Returns:
        ``results`` with NumPy scalars turned into plain Python numbers.
    """
    build_dir = Path(build_dir)
    clean = {key: _plain(value) for key, value in results.items()}
    (build_dir / "results").mkdir(parents=True, exist_ok=True)
    write_atomically(build_dir / "results" / f"{stem}.json", json.dumps(clean, indent=2) + "\n")
    if generator is not None:
        (build_dir / "models").mkdir(parents=True, exist_ok=True)
        write_atomically(build_dir / "models" / f"{stem}_generator.keras", generator.save)
    return clean


def write_atomically(path, content) -> None:
    """Write ``path`` so that a reader sees the old file or the whole new one, never a part.

    ``content`` is text, or a function that writes a given path (e.g. ``model.save``). Two
    notebooks run at once (two Jupyter tabs, or ``pytest -n 2``) share ``build/``: notebook 07
    reads the generator notebook 04 saves, and 04, 05 and 07 share a cached ladder.
    """
    path = Path(path)
    partial = path.with_name(f".{path.stem}.{os.getpid()}.partial{path.suffix}")
    try:
        if callable(content):
            content(partial)
        else:
            partial.write_text(content)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _plain(value):
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


_COMPARISONS = {">=": lambda value, bound: value >= bound, "<=": lambda value, bound: value <= bound}


def check_run(results: dict, floors: dict | None = None, goals: dict | None = None,
              build_dir=None, stem: str | None = None) -> dict:
    """Report a run's goals as met or missed, then assert its floors.

    A *goal* is what the course aims for; a run that misses it says so and goes on. A
    *floor* is what every run of this preset has reached on the machines and seeds it was
    measured on (``benchmarks/floors.py``), with room to spare; a run below a floor is a
    regression and raises. Numbers of a trained model vary with the machine, so only floors
    are asserted.

    Args:
        results: the run's measured numbers, e.g. ``{"fd": 3.4, "recall": 0.64}``.
        floors: ``{name: "<op> <number>"}`` with op ``>=`` or ``<=``, e.g. ``{"recall": ">= 0.55"}``.
        goals: the same form.
        build_dir, stem: when given, the report is also added, as ``"checks"``, to the
            numbers ``save_run`` wrote to ``<build_dir>/results/<stem>.json`` (before any
            floor raises, so a failed run still leaves its numbers).

    Returns:
        ``{"floors": {...}, "goals": {...}}``: per name the bound, the value and whether it held.

    Raises:
        AssertionError: naming every floor the run fell below.

    Example:
        >>> report = check_run({"recall": 0.64}, floors={"recall": ">= 0.55"}, goals={"recall": ">= 0.65"})
        floor recall >= 0.55: held, 0.64 (margin 0.09)
        goal  recall >= 0.65: missed, 0.64 (short by 0.01)
    """
    report = {kind: {name: _judge(results, name, bound) for name, bound in (bounds or {}).items()}
              for kind, bounds in (("floors", floors), ("goals", goals))}
    words = {"floors": ("floor", "held", "BROKEN"), "goals": ("goal ", "met", "missed")}
    for kind, checks in report.items():
        label, good, bad = words[kind]
        for name, check in checks.items():
            gap = abs(check["value"] - check["threshold"])
            detail = f"margin {gap:.3g}" if check["held"] else f"short by {gap:.3g}"
            print(f"{label} {name} {check['bound']}: {good if check['held'] else bad}, "
                  f"{check['value']:.4g} ({detail})")
    if not floors and not goals:
        print("no floors or goals for this run")
    if build_dir is not None and stem is not None:
        path = Path(build_dir) / "results" / f"{stem}.json"
        saved = json.loads(path.read_text()) if path.exists() else {}
        save_run(build_dir, stem, {**saved, "checks": report})
    broken = [f"{name} {check['value']:.4g} (floor {check['bound']})"
              for name, check in report["floors"].items() if not check["held"]]
    if broken:
        raise AssertionError("below its floor: " + "; ".join(broken))
    return report


def _judge(results, name, bound):
    """One check: ``{"bound", "threshold", "value", "held"}`` from a bound such as ``">= 0.55"``."""
    parts = str(bound).split()
    if len(parts) != 2 or parts[0] not in _COMPARISONS:
        raise ValueError(f"Expected a bound such as '>= 0.55' or '<= 4.5' for {name!r}, got {bound!r}.")
    try:
        threshold = float(parts[1])
    except ValueError:
        raise ValueError(f"Expected a number after {parts[0]!r} in the bound for {name!r}, "
                         f"got {parts[1]!r}.") from None
    if name not in results:
        raise ValueError(f"No measured value named {name!r}; the results have: {', '.join(results)}.")
    value = float(results[name])
    held = bool(_COMPARISONS[parts[0]](value, threshold))  # NaN compares False: not held
    return {"bound": f"{parts[0]} {parts[1]}", "threshold": threshold, "value": value, "held": held}
