"""The install files agree: environment.yml pins exactly what requirements.txt pins."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pins(lines):
    return {m.group(1).lower(): m.group(2) for m in (re.match(r"^\s*-?\s*([A-Za-z0-9_.\-\[\]]+)==(\S+)", line)
                                                     for line in lines) if m}


def test_environment_yml_has_the_same_pins_as_requirements():
    requirements = pins((ROOT / "requirements.txt").read_text().splitlines())
    environment = pins((ROOT / "environment.yml").read_text().splitlines())
    assert len(requirements) >= 15
    assert environment == requirements
    assert requirements["tensorflow-cpu"].startswith("2.21") and requirements["keras"].startswith("3.")
    assert "importlib_resources" in requirements and "nbval" in requirements and "papermill" in requirements
    assert "ipywidgets" in requirements  # the notebooks' interactive views (ganlib.widgets)


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make course" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_the_readmes_counts_are_current():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "readme_facts.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
