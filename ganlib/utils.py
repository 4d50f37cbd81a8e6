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
    Op determinism costs a little speed on CPU and more on GPU.
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
    (build_dir / "results" / f"{stem}.json").write_text(json.dumps(clean, indent=2) + "\n")
    if generator is not None:
        (build_dir / "models").mkdir(parents=True, exist_ok=True)
        generator.save(build_dir / "models" / f"{stem}_generator.keras")
    return clean


def _plain(value):
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
