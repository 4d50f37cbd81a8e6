"""The benchmark scripts: each run once with the tiniest settings, their JSON checked; helpers by hand."""

import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import keras
import pytest
from keras import layers

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import floors  # noqa: E402
import machine  # noqa: E402
import modern_gan  # noqa: E402
import throughput  # noqa: E402
import time_to_quality  # noqa: E402

from ganlib import dcgan  # noqa: E402


def run_script(name, *arguments):
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    completed = subprocess.run([sys.executable, str(BENCHMARKS / name), *arguments], cwd=ROOT,
                               env=environment, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout)


@pytest.mark.slow
def test_throughput_script_prints_both_rates_ratio_and_flop_rates():
    report = run_script("throughput.py", "--networks", "dcgan", "--batch-size", "8", "--steps", "2",
                        "--repeats", "2", "--warmup-steps", "2", "--data-batches", "2",
                        "--matmul-size", "128", "--steps-per-execution", "2")
    assert report["machine"]["cores"] >= 1 and report["machine"]["tensorflow"]
    pair = report["pairs"]["dcgan"]
    assert set(pair["images_per_second"]) == {"ganlib", "plain"}
    assert all(rate > 0 for rate in pair["images_per_second"].values())
    assert all(len(rates) == 2 for rates in pair["images_per_second_all"].values())
    assert pair["ratio_ganlib_over_plain"] > 0 and pair["ratio_median_of_rounds"] > 0
    assert pair["steps_per_execution"] == 2
    flops = pair["flops"]
    assert flops["per_training_step"] == throughput.training_step_flops(
        *throughput.build_networks("dcgan"), batch_size=8)
    assert all(check["agree"] for check in flops["check_against_tf_profiler"].values())
    assert flops["ganlib_effective_gflops"] > 0 and report["matmul_gflops_float32"] > 0


def test_every_model_under_test_gets_the_same_steps_per_execution():
    models = throughput.make_models("mlp", seed=0, simultaneous=True, steps_per_execution=3)
    assert set(models) == {"plain", "simultaneous", "ganlib"}
    assert all(model.steps_per_execution == 3 for model in models.values())


@pytest.mark.slow
def test_time_to_quality_script_prints_the_curve_and_says_when_the_rung_is_not_reached():
    # An FD target no generator reaches and a cap shorter than a first step: the course
    # configuration evaluates at 0 s and once more when it stops.
    report = run_script("time_to_quality.py", "--configs", "course", "--source", "subset",
                        "--max-minutes", "0.01", "--eval-every", "100", "--rung-fd", "1e-9")
    assert report["evaluation"]["sample_size"] == 1000 and report["evaluation"]["rung_fd"] == 1e-9
    config = report["configs"]["course"]
    seconds = [point["seconds"] for point in config["curve"]]
    assert len(seconds) == 2 and seconds[0] == 0 < seconds[1] == config["training_seconds"]
    assert all(point["fd"] > 0 for point in config["curve"])
    assert config["steps"] >= 1 and config["images_per_second"] > 0 and config["batch_size"] == 32
    assert "Adam 2e-3 beta_1 0.5 (cosine to 0 over" in config["description"]
    assert config["seconds_to_rung"] is None and "did not reach" in config["note"]
    assert report["ratio_tutorial_over_course"] is None and report["note"] == "only one configuration ran"


@pytest.mark.slow
def test_precision_levers_script_reports_raw_and_averaged_generator():
    report = run_script("precision_levers.py", "--source", "subset", "--epochs", "1",
                        "--steps-per-epoch", "2", "--filters", "8", "--d-filters", "16",
                        "--loss", "hinge")
    assert report["sample_size"] == 1000 and report["rung_fd"] > 0
    assert report["arguments"]["d_filters"] == 16 and report["arguments"]["loss"] == "hinge"
    assert report["training_minutes"] > 0
    for name in ("raw", "average"):
        assert report[name]["fd"] > 0 and 0 <= report[name]["precision"] <= 1
        assert report[name]["fd_vs_rung"] == pytest.approx(report[name]["fd"] / report["rung_fd"])
    assert report["raw"]["fd"] != report["average"]["fd"]  # two steps of averaging moved the weights


@pytest.mark.slow
def test_precision_levers_script_scales_a_saved_generators_noise(tmp_path):
    path = tmp_path / "generator.keras"
    dcgan.build_generator(latent_dim=100, filters=8).save(path)
    report = run_script("precision_levers.py", "--source", "subset", "--generator", str(path),
                        "--truncation", "1", "0.5")
    assert set(report) >= {"noise_scale_1", "noise_scale_0.5"}
    assert report["noise_scale_1"]["fd"] != report["noise_scale_0.5"]["fd"]


@pytest.mark.slow
def test_precision_levers_script_rejects_an_impossible_momentum():
    completed = subprocess.run([sys.executable, str(BENCHMARKS / "precision_levers.py"),
                                "--ema-momentum", "1.5"], capture_output=True, text=True)
    assert completed.returncode == 2 and "--ema-momentum must be in (0, 1), got 1.5" in completed.stderr


def test_tutorial_networks_have_the_tutorials_parameter_counts():
    # The model summaries of tensorflow.org/tutorials/generative/dcgan: 2,330,944 and 212,865.
    generator = time_to_quality.build_tutorial_generator()
    discriminator = time_to_quality.build_tutorial_discriminator()
    assert generator.count_params() == 2_330_944 and discriminator.count_params() == 212_865
    assert generator.output_shape == (None, 28, 28, 1) and discriminator.output_shape == (None, 1)


def test_quality_clock_records_the_first_time_at_the_rung_and_stops_there():
    fds = iter([30.0, 10.0, 3.0, 1.0])
    clock = time_to_quality.QualityClock(lambda generator: next(fds), target_fd=5.0,
                                         eval_every=1e-9, max_seconds=1e9)
    clock.set_model(SimpleNamespace(generator=None, stop_training=False))
    clock.on_train_begin()
    for batch in range(2):
        time.sleep(0.02)  # a "training step"
        clock.on_train_batch_end(batch)
    assert [point["fd"] for point in clock.curve] == [30.0, 10.0, 3.0]
    assert [point["steps"] for point in clock.curve] == [0, 1, 2]
    assert clock.seconds_to_rung == clock.curve[-1]["seconds"] > 0
    assert clock.model.stop_training


def test_layer_flops_by_hand():
    network = keras.Sequential([keras.Input((4, 4, 1)), layers.Conv2D(2, 3, strides=2, padding="same"),
                                layers.Conv2DTranspose(3, 5, strides=2, padding="same"),
                                layers.Flatten(), layers.Dense(5)])
    counts = dict(throughput.layer_flops(network, batch_size=2))
    # 2 per multiply-accumulate x batch x positions x kernel area x channels in x out
    assert list(counts.values()) == [2 * 2 * (2 * 2) * 9 * 1 * 2,      # 2x2 outputs
                                     2 * 2 * (2 * 2) * 25 * 2 * 3,     # 2x2 inputs spread
                                     2 * 2 * (4 * 4 * 3) * 5]


def test_time_to_rung_ratio_or_bound():
    compare = time_to_quality.compare
    assert compare({"course": {"seconds_to_rung": 60.0}, "tutorial": {"seconds_to_rung": 240.0}},
                   1800)["ratio_tutorial_over_course"] == 4.0
    bound = compare({"course": {"seconds_to_rung": 60.0}, "tutorial": {"seconds_to_rung": None}}, 1800)
    assert bound["ratio_tutorial_over_course"] is None and bound["ratio_at_least"] == 30.0
    assert "course" in compare({"course": {"seconds_to_rung": None},
                                "tutorial": {"seconds_to_rung": 5.0}}, 1800)["note"]


@pytest.mark.parametrize("module, argv, message", [
    (throughput, ["--steps", "0"], "--steps must be an integer >= 1, got 0"),
    (throughput, ["--networks", "vgg"], "invalid choice: 'vgg'"),
    (throughput, ["--steps-per-execution", "4", "--steps", "6"],
     "--steps must be a multiple of --steps-per-execution (4), got 6"),
    (time_to_quality, ["--configs", "course,gpu"], "subset of course, tutorial, got gpu"),
    (time_to_quality, ["--max-minutes", "0"], "--max-minutes must be > 0, got 0.0"),
    (modern_gan, ["--configs", "dcgan,stylegan"], "subset of dcgan, rpgan, r1, r2, resnet, average, got stylegan"),
    (modern_gan, ["--g-widths", "64,wide"], "--g-widths expects comma-separated integers, got '64,wide'"),
])
def test_bad_arguments_are_refused_with_a_clear_message(module, argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        module.parse_args(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.slow
def test_modern_gan_script_scores_every_step_of_the_roadmap():
    report = run_script("modern_gan.py", "--steps", "2", "--eval-at", "1", "--source", "subset",
                        "--g-widths", "8,4,2", "--d-widths", "2,4,8", "--penalty-every", "2")
    configs = report["configs"]
    assert list(configs) == list(modern_gan.ROADMAP)
    assert datetime.date.fromisoformat(report["date"]) and report["arguments"]["networks"] == "roadmap"
    for name, result in configs.items():
        assert [point["steps"] for point in result["points"]] == [1, 2], name
        assert result["fd"] > 0 and 0 <= result["precision"] <= 1 and result["cpu_seconds"] > 0, name
    # The residual networks replace notebook 04's from "resnet" on; the widths are the ones asked for.
    assert configs["r2"]["parameters"] == configs["dcgan"]["parameters"]
    assert configs["resnet"]["parameters"] == configs["average"]["parameters"] != configs["r2"]["parameters"]
    built = modern_gan.build("resnet", modern_gan.parse_args(["--g-widths", "8,4,2", "--d-widths", "2,4,8"]))
    assert built.generator.count_params() == configs["resnet"]["parameters"]["generator"]
    assert built.r1_weight == built.r2_weight == 0.1 and built.average_generator is None
    assert modern_gan.build("average", modern_gan.parse_args([])).average_generator is not None
    on_dcgan = modern_gan.build("average", modern_gan.parse_args(["--networks", "dcgan"]))
    assert on_dcgan.generator.count_params() == configs["dcgan"]["parameters"]["generator"]
    assert on_dcgan.average_generator is not None and on_dcgan.r2_weight == 0.1
    # notebook 08's roadmap: notebook 04's generator throughout, r3gan's discriminator from "resnet" on
    recipe = {config: modern_gan.build(config, modern_gan.parse_args(["--networks", "recipe", "--d-widths", "2,4,8"]))
              for config in ("r2", "resnet")}
    assert recipe["resnet"].generator.count_params() == configs["dcgan"]["parameters"]["generator"]
    assert recipe["r2"].discriminator.count_params() == configs["dcgan"]["parameters"]["discriminator"]
    assert recipe["resnet"].discriminator.count_params() == configs["resnet"]["parameters"]["discriminator"]
    assert recipe["resnet"].d_optimizer.beta_1 == 0.0 and recipe["r2"].d_optimizer.beta_1 == 0.5


@pytest.mark.slow
def test_modern_gan_script_times_the_penalties_side_by_side():
    report = run_script("modern_gan.py", "--penalty-cost", "--configs", "r2", "--penalty-every", "4",
                        "--source", "subset")
    cost = report["penalty_cost"]
    assert cost["config"] == "r2"
    assert set(cost["cpu_ms_per_step"]) == {"every step", "every 4 steps", "no penalty"}
    assert all(len(values) == 3 and min(values) > 0 for values in cost["cpu_ms_per_step_all"].values())


def test_reports_name_no_machine_folder_inside_the_repository(tmp_path):
    arguments = machine.portable_arguments(SimpleNamespace(cache_dir=str(ROOT / "build"), out=str(tmp_path), steps=3))
    assert arguments == {"cache_dir": "build", "out": str(tmp_path), "steps": 3}


# floors.py

def test_floors_reads_the_floors_a_notebook_asserts():
    assert floors.asserted_floors("03_vanilla_gan")["classes_hit"] == ">= 9"
    assert floors.asserted_floors("03_vanilla_gan", preset="smoke") == {}


def test_floors_report_finds_each_floors_worst_run_and_margin(monkeypatch, tmp_path):
    runs = [(1, "0", 0.42, 10), (1, "1", 0.61, 10), (2, "0", 0.50, 9)]
    for seed, onednn, fd, classes in runs:
        path = tmp_path / "03_vanilla_gan" / f"seed{seed}_onednn{onednn}.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps({"seed": seed, "onednn": onednn, "status": "passed",
                                    "results": {"fd_vs_pca_gmm": fd, "classes_hit": classes}}))
    monkeypatch.setattr(floors, "RESULTS", tmp_path)
    monkeypatch.setattr(floors, "asserted_floors", lambda stem: {"fd_vs_pca_gmm": "<= 0.8", "classes_hit": ">= 10"})
    rows = {row["measure"]: row for row in floors.summarise(floors.load_records())}
    assert rows["fd_vs_pca_gmm"]["worst"] == 0.61 and rows["fd_vs_pca_gmm"]["worst_run"] == "seed 1, oneDNN 1"
    assert rows["fd_vs_pca_gmm"]["margin"] == pytest.approx(0.19)
    assert rows["classes_hit"]["worst"] == 9 and rows["classes_hit"]["margin"] == -1  # broken by seed 2
    assert rows["classes_hit"]["runs"] == 3 and rows["classes_hit"]["onednn"] == ["0", "1"]
