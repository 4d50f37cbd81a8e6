"""What a benchmark ran on: CPU model, cores, load and library versions (shared by the scripts)."""

import os
import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def summary() -> dict:
    """The CPU model from /proc/cpuinfo, core count, load averages and Python/TF/Keras versions."""
    import keras
    import tensorflow as tf

    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo
                        if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "load_average_1_5_15_min_at_start": load(),
            "python": platform.python_version(), "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "TensorFlow's default")}


def load() -> list:
    """The 1, 5 and 15 minute load averages (other processes compete for the cores)."""
    return [round(value, 2) for value in os.getloadavg()]


def portable_arguments(args) -> dict:
    """A script's arguments for its report, with paths inside the repository made relative to it
    (a report names no machine's folders)."""
    arguments = dict(vars(args))
    for name, value in arguments.items():
        if isinstance(value, str) and os.path.isabs(value) and Path(value).resolve().is_relative_to(ROOT):
            arguments[name] = str(Path(value).resolve().relative_to(ROOT))
    return arguments


def chosen_configs(parser, text: str, allowed) -> list:
    """The configurations named in a comma-separated ``--configs``; a parser error for unknown ones."""
    configs = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in configs if name not in allowed]
    if unknown or not configs:
        parser.error(f"--configs expects a comma-separated subset of {', '.join(allowed)}, "
                     f"got {','.join(unknown) or 'nothing'}.")
    return configs
