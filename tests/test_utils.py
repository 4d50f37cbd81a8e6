"""ganlib.utils: the goals-and-floors report every notebook ends with."""

import json
import math

import pytest

from ganlib import utils

RESULTS = {"fd": 3.5, "recall": 0.64, "classes_hit": 10}


def test_goals_are_reported_and_floors_asserted(capsys):
    report = utils.check_run(RESULTS, floors={"recall": ">= 0.55", "fd": "<= 4"},
                             goals={"recall": ">= 0.65", "classes_hit": ">= 10"})
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["floor recall >= 0.55: held, 0.64 (margin 0.09)",
                     "floor fd <= 4: held, 3.5 (margin 0.5)",
                     "goal  recall >= 0.65: missed, 0.64 (short by 0.01)",
                     "goal  classes_hit >= 10: met, 10 (margin 0)"]
    assert report["goals"]["recall"] == {"bound": ">= 0.65", "threshold": 0.65, "value": 0.64, "held": False}
    assert all(check["held"] for check in report["floors"].values())


def test_a_missed_goal_never_raises_but_a_broken_floor_does(capsys):
    utils.check_run(RESULTS, goals={"fd": "<= 1"})  # missed, and nothing raised
    with pytest.raises(AssertionError, match=r"below its floor: fd 3.5 \(floor <= 3\); recall 0.64 \(floor >= 0.7\)"):
        utils.check_run(RESULTS, floors={"fd": "<= 3", "recall": ">= 0.7", "classes_hit": ">= 10"})
    assert "floor fd <= 3: BROKEN, 3.5 (short by 0.5)" in capsys.readouterr().out


def test_nan_breaks_a_floor():
    with pytest.raises(AssertionError, match="recall nan"):
        utils.check_run({"recall": math.nan}, floors={"recall": ">= 0.1"})


def test_the_report_is_saved_with_the_run_before_a_floor_raises(tmp_path):
    utils.save_run(tmp_path, "run", {"fd": 3.5, "recall": 0.64})
    with pytest.raises(AssertionError):
        utils.check_run(RESULTS, floors={"fd": "<= 3"}, goals={"recall": ">= 0.6"}, build_dir=tmp_path, stem="run")
    saved = json.loads((tmp_path / "results" / "run.json").read_text())
    assert saved["fd"] == 3.5 and saved["checks"]["floors"]["fd"]["held"] is False
    assert saved["checks"]["goals"]["recall"]["held"] is True


def test_no_floors_or_goals_says_so(capsys):
    assert utils.check_run(RESULTS) == {"floors": {}, "goals": {}}
    assert capsys.readouterr().out == "no floors or goals for this run\n"


@pytest.mark.parametrize("bound, message", [
    ("> 0.5", r"Expected a bound such as '>= 0.55' or '<= 4.5' for 'recall', got '> 0.5'"),
    (">=0.5", r"got '>=0.5'"),
    (">= high", r"Expected a number after '>=' in the bound for 'recall', got 'high'"),
])
def test_malformed_bounds_are_refused(bound, message):
    with pytest.raises(ValueError, match=message):
        utils.check_run(RESULTS, floors={"recall": bound})


def test_an_unmeasured_name_is_refused():
    with pytest.raises(ValueError, match="No measured value named 'precision'; the results have: fd, recall"):
        utils.check_run(RESULTS, goals={"precision": ">= 0.5"})


def test_write_atomically_replaces_whole_files_and_leaves_no_part_behind(tmp_path):
    path = tmp_path / "results" / "03.json"
    path.parent.mkdir()
    utils.write_atomically(path, '{"fd": 1}\n')
    assert path.read_text() == '{"fd": 1}\n'

    def writer_that_dies(partial):
        partial.write_text('{"fd": ')  # half written, as when a save is interrupted
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        utils.write_atomically(path, writer_that_dies)
    assert path.read_text() == '{"fd": 1}\n', "a reader still sees the whole old file"
    assert sorted(p.name for p in path.parent.iterdir()) == ["03.json"]
    utils.write_atomically(path, lambda partial: partial.write_text('{"fd": 2}\n'))
    assert json.loads(path.read_text()) == {"fd": 2}
