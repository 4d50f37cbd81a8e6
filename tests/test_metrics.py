"""ganlib.metrics: hand-computable cases on tiny arrays, then the shipped reference classifiers."""

import json
import re
import shutil

import numpy as np
import pytest
from scipy import linalg

import ganlib
from ganlib import data, metrics

# --- Frechet distance -------------------------------------------------------------------------

def test_frechet_distance_of_a_set_with_itself_is_zero():
    features = np.random.default_rng(0).normal(size=(300, 8))
    assert metrics.frechet_distance(features, features) == pytest.approx(0.0, abs=1e-9)


def test_frechet_distance_in_one_dimension_is_mean_gap_squared_plus_std_gap_squared():
    # [-1, 1]: mean 0, variance 2; [1, 5]: mean 3, variance 8.  9 + (sqrt 2 - sqrt 8)^2 = 9 + 2.
    assert metrics.frechet_distance([[-1.0], [1.0]], [[1.0], [5.0]]) == pytest.approx(11.0)


def test_frechet_distance_agrees_with_the_scipy_sqrtm_formula():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(400, 5)) @ rng.normal(size=(5, 5))
    b = rng.normal(1.0, 2.0, size=(300, 5)) @ rng.normal(size=(5, 5))
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    expected = (np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(cov_a + cov_b)
                - 2 * np.trace(linalg.sqrtm(cov_a @ cov_b).real))
    assert metrics.frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)


def test_frechet_distance_grows_with_added_noise():
    rng = np.random.default_rng(2)
    features = rng.normal(size=(500, 6))
    distances = [metrics.frechet_distance(features, features + rng.normal(0, sigma, features.shape))
                 for sigma in (0.1, 0.3, 1.0)]
    assert 0 < distances[0] < distances[1] < distances[2]


def test_feature_metrics_reject_mismatched_shapes():
    with pytest.raises(ValueError, match=r"same D, got \(10, 3\) and \(10, 4\)"):
        metrics.frechet_distance(np.zeros((10, 3)), np.zeros((10, 4)))
    with pytest.raises(ValueError, match="same D"):
        metrics.kernel_distance(np.zeros(10), np.zeros((10, 1)))
    with pytest.raises(ValueError, match="at least 4 feature vectors"):
        metrics.precision_recall(np.zeros((3, 2)), np.zeros((10, 2)))
    with pytest.raises(ValueError, match=r"labels \(N,\), got \(4, 10\) and \(3,\)"):
        metrics.label_accuracy(np.zeros((4, 10)), np.zeros(3))


# --- kernel distance, classifier score ---------------------------------------------------------

def test_kernel_distance_matches_a_hand_computed_case():
    # D = 1, k(x, y) = (x y + 1)^3.  Within [0, 1]: k(0, 1) = 1; within [0, 2]: 1;
    # between: k(0,0) = k(0,2) = k(1,0) = 1 and k(1,2) = 27, mean 7.5.  1 + 1 - 2 * 7.5 = -13.
    assert metrics.kernel_distance([[0.0], [1.0]], [[0.0], [2.0]]) == pytest.approx(-13.0)


def test_kernel_distance_is_near_zero_for_one_distribution_and_positive_for_two():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(600, 4)), rng.normal(size=(600, 4))
    same = metrics.kernel_distance(a, b)
    shifted = metrics.kernel_distance(a, b + 1.0)
    assert abs(same) < 0.01 < shifted


def test_classifier_score_is_the_number_of_classes_for_confident_balanced_predictions():
    confident = 50.0 * np.eye(10)[np.arange(1000) % 10]
    assert metrics.classifier_score(confident) == pytest.approx(10.0, rel=1e-6)
    assert metrics.classifier_score(50.0 * np.eye(10)[np.zeros(1000, int)]) == pytest.approx(1.0)
    assert metrics.classifier_score(np.zeros((1000, 10))) == pytest.approx(1.0)


def test_classifier_score_shuffles_before_splitting():
    sorted_by_class = 50.0 * np.eye(10)[np.repeat(np.arange(10), 100)]
    # Unshuffled, every split of 100 would be a single class and score 1.
    assert metrics.classifier_score(sorted_by_class, split_size=100) > 8.0


def test_classifier_score_needs_a_full_split():
    with pytest.raises(ValueError, match="N >= 1000"):
        metrics.classifier_score(np.zeros((999, 10)))


# --- precision and recall, histogram, memorisation ----------------------------------------------

def test_precision_and_recall_match_a_hand_computed_case():
    reals = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])  # with k = 1 every real ball has radius 1
    fakes = np.array([[0.5], [10.0], [10.5], [11.0]])      # the fake at 0.5 has radius 9.5
    precision, recall = metrics.precision_recall(reals, fakes, k=1)
    assert (precision, recall) == (0.25, 1.0)  # only 0.5 is realistic; its big ball covers all reals


def test_precision_and_recall_with_k_3():
    reals = np.arange(8.0)[:, None]             # radius 2 in the middle, 3 at the ends
    fakes = np.array([[-2.9], [-3.5], [9.0], [20.0], [21.0], [22.0], [23.0]])
    # precision: -2.9 lies within 3 of 0 and 9 within 3 of 7; the other five fakes in no ball: 2/7.
    # recall: the 3rd neighbour of the fake -2.9 is 22.9 away, a ball that covers every real.
    precision, recall = metrics.precision_recall(reals, fakes)
    assert precision == pytest.approx(2 / 7)
    assert recall == 1.0
    assert metrics.precision_recall(reals, reals) == (1.0, 1.0)


def test_class_histogram_counts_hits_and_kl_to_uniform():
    logits = np.eye(10)[[0] * 50 + [1] * 50]
    histogram = metrics.class_histogram(logits)
    assert histogram["class_counts"] == [50, 50] + [0] * 8
    assert histogram["classes_hit"] == 2
    assert histogram["kl_to_uniform"] == pytest.approx(np.log(10) - np.log(2))
    balanced = metrics.class_histogram(np.eye(10)[np.arange(100) % 10])
    assert (balanced["classes_hit"], balanced["kl_to_uniform"]) == (10, pytest.approx(0.0))


def test_class_histogram_ignores_a_stray_prediction():
    logits = np.eye(10)[[3] * 999 + [7]]  # one image of 1,000 in class 7 is below the 1% share
    assert metrics.class_histogram(logits)["classes_hit"] == 1


def test_memorisation_flags_near_copies_only():
    train = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    fakes = np.array([[0.1, 0.0],   # d1 = 0.1, d2 = 9.9: a copy
                      [4.0, 0.0],   # d1 = 4, d2 = 6: not 3x closer
                      [0.0, 0.0],   # exact copy
                      [5.0, 5.0]])  # equally far from all three
    assert metrics.memorisation(fakes, train) == 0.5


# --- the results table ---------------------------------------------------------------------------

def _row(fd):
    return dict(fd=fd, kid=fd / 100, classifier_score=5.0, precision=0.5, recall=0.5, classes_hit=10,
                kl_to_uniform=0.1, memorisation=0.0)


def test_results_table_places_the_model_among_the_rungs_by_fd():
    ladder = {"real (floor)": _row(1.0), "uniform noise (ceiling)": _row(900.0), "blurred": _row(50.0)}
    table = metrics.results_table(_row(20.0), ladder, model_name="DCGAN", extractor="mnist_cnn",
                                  note="1,000 images per row")
    lines = table.splitlines()
    names = [re.split(r"\s{2,}", line.strip())[0] for line in lines[6:]]
    assert names == ["real (floor)", ">> DCGAN", "blurred", "uniform noise (ceiling)"]
    assert lines[0].startswith("FD (mnist_cnn)") and "not FID" in lines[1]
    assert lines[3] == "1,000 images per row" and lines[4].split()[:2] == ["FD", "KID"]
    assert lines[7].split()[2:5] == ["20", "0.2", "5.00"]  # FD, KID and score of the model
    assert "label acc." not in table  # no row has a label accuracy


def test_results_table_takes_several_models():
    table = metrics.results_table({"a": _row(3.0), "b": _row(0.5)}, {"real (floor)": _row(1.0)})
    assert [line[:6] for line in table.splitlines()[5:]] == [">> b  ", "   rea", ">> a  "]


# --- the shipped reference classifiers -----------------------------------------------------------

@pytest.fixture(scope="module")
def mnist_classifier():
    return metrics.load_classifier("mnist")


def test_records_say_how_each_classifier_was_made():
    records = metrics.classifier_records()
    assert set(records) == set(metrics.CLASSIFIER_NAMES)
    for record in records.values():
        path = metrics.CLASSIFIER_DIR / record["file"]
        assert path.exists() and path.stat().st_size < 1_000_000
        assert 10_000 <= record["parameters"] == metrics.build_reference_classifier().count_params() <= 100_000
        assert {"seed", "train_data", "test_data", "check_data"} <= set(record)
    assert records["fashion_mnist"]["test_accuracy"] >= 0.89
    assert records["mnist"]["test_accuracy"] >= 0.95


def test_loaded_classifier_reproduces_its_recorded_accuracy(mnist_classifier):
    record = metrics.classifier_records()["mnist"]
    check = data.load_arrays("mnist", "test", source="subset")
    outputs = metrics.classifier_outputs(mnist_classifier, check.images)
    assert {name: array.shape for name, array in outputs.items()} == {
        "features": (1000, 64), "logits": (1000, 10), "conv_features": (1000, 576)}
    assert metrics.label_accuracy(outputs["logits"], check.labels) == pytest.approx(
        record["check_accuracy"], abs=0.005)


def test_load_classifier_notices_a_changed_record_or_file(tmp_path, monkeypatch):
    shutil.copytree(metrics.CLASSIFIER_DIR, tmp_path, dirs_exist_ok=True)
    monkeypatch.setattr(metrics, "CLASSIFIER_DIR", tmp_path)
    monkeypatch.setattr(metrics, "RECORDS_FILE", tmp_path / metrics.RECORDS_FILE.name)
    records = metrics.classifier_records()
    records["mnist"]["check_accuracy"] -= 0.02  # as if a retrained classifier had been recorded
    metrics.RECORDS_FILE.write_text(json.dumps(records))
    with pytest.raises(ValueError, match="was recorded"):
        metrics.load_classifier("mnist")
    with open(tmp_path / records["mnist"]["file"], "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ValueError, match="replaced without updating its record"):
        metrics.load_classifier("mnist")
    with pytest.raises(ValueError, match="expected one of fashion_mnist, mnist"):
        metrics.load_classifier("cifar10")


def test_classifier_outputs_reject_wrong_images(mnist_classifier):
    with pytest.raises(ValueError, match=r"shape \(N, 28, 28, 1\), got \(5, 28, 28\)"):
        metrics.classifier_outputs(mnist_classifier, np.zeros((5, 28, 28), np.float32))
    pixels_0_to_255 = np.zeros((2, 28, 28, 1), np.float32)
    pixels_0_to_255[0, 14, 14] = 255.0
    with pytest.raises(ValueError, match=r"scaled to \[-1, 1\].*got values in \[0, 255\]"):
        metrics.classifier_outputs(mnist_classifier, pixels_0_to_255)


# --- the evaluator and its ladder (MNIST: the shipped subset, 1,000 images per evaluation) -------

@pytest.fixture(scope="module")
def mnist_evaluator():
    return metrics.Evaluator("mnist")


def test_evaluator_scores_held_out_images_far_better_than_noise(mnist_evaluator):
    held_out = data.load_arrays("mnist", "test", source="subset")
    noise = np.random.default_rng(0).uniform(-1, 1, (1000, 28, 28, 1)).astype(np.float32)
    real = mnist_evaluator.evaluate(held_out.images, held_out.labels)
    fake = mnist_evaluator.evaluate(noise)
    assert mnist_evaluator.sample_size == 1000
    assert list(real) == ["fd", "kid", "classifier_score", "precision", "recall", "classes_hit",
                          "kl_to_uniform", "memorisation", "class_counts", "label_accuracy"]
    assert real["fd"] < 0.02 * fake["fd"] and real["kid"] < 0.02 * fake["kid"]
    assert real["classifier_score"] > 9 > 1.1 > fake["classifier_score"]
    assert real["precision"] > 0.8 > 0.05 > fake["precision"]
    assert (real["classes_hit"], real["memorisation"]) == (10, 0.0)
    # The held-out images are the classifier's check set, so label accuracy is its recorded accuracy.
    assert real["label_accuracy"] == pytest.approx(metrics.classifier_records()["mnist"]["check_accuracy"],
                                                   abs=0.005)


def test_evaluator_flags_training_images_as_copies(mnist_evaluator):
    assert mnist_evaluator.evaluate(mnist_evaluator.train.images[:1000])["memorisation"] == 1.0


def test_evaluator_rejects_too_few_or_wrong_images(mnist_evaluator):
    with pytest.raises(ValueError, match="at least 1000 images .* got 999"):
        mnist_evaluator.evaluate(np.zeros((999, 28, 28, 1), np.float32))
    with pytest.raises(ValueError, match=r"shape \(N, 28, 28, 1\), got \(1000, 32, 32, 3\)"):
        mnist_evaluator.evaluate(np.zeros((1000, 32, 32, 3), np.float32))
    with pytest.raises(ValueError, match="sample_size must be between 1000 .* and 1000 .* got 2000"):
        metrics.Evaluator("mnist", sample_size=2000)


@pytest.mark.slow
def test_ladder_orders_its_rungs_and_is_cached(mnist_evaluator, tmp_path, monkeypatch, capsys):
    mnist_evaluator.cache_dir = tmp_path
    monkeypatch.setattr(metrics, "_LADDER_CACHE", {})
    ladder = mnist_evaluator.ladder()
    assert "reference ladder: 100%" in capsys.readouterr().out  # a progress bar while computing
    assert tuple(ladder) == metrics.RUNGS
    fd = {rung: numbers["fd"] for rung, numbers in ladder.items()}
    assert (fd["real (floor)"] < fd["real + noise 0.1"] < fd["real + noise 0.3"] < fd["PCA + GMM"]
            < fd["uniform noise (ceiling)"] == max(fd.values()))
    assert ladder["50 training images"]["memorisation"] == 1.0 > ladder["real (floor)"]["memorisation"]
    assert ladder["one class"]["classes_hit"] == 1 and ladder["half the classes"]["classes_hit"] == 5
    assert mnist_evaluator.ladder() is ladder  # kept in memory
    monkeypatch.setattr(metrics, "_LADDER_CACHE", {})
    assert mnist_evaluator.ladder() == json.loads(json.dumps(ladder))  # read back from tmp_path
    assert "reference ladder" not in capsys.readouterr().out  # no bar when nothing is computed
    table = mnist_evaluator.results_table(ladder["real blurred"], model_name="blurry model")
    assert table.startswith("FD (mnist_cnn)") and "1,000 images per row" in table
    assert ">> blurry model" in table


# --- GAN-train and per-class metrics -----------------------------------------------------------

def _bars(count, seed):
    """Two classes anyone can tell apart: a bright left half (0) or right half (1), with noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, count)
    images = rng.uniform(-1, -0.5, (count, 28, 28, 1)).astype(np.float32)
    for index, label in enumerate(labels):
        images[index, :, 14 * label:14 * label + 14] = 0.8
    return images, labels


def test_train_classifier_learns_an_easy_task_and_checks_labels():
    images, labels = _bars(256, seed=0)
    test_images, test_labels = _bars(100, seed=1)
    classifier = metrics.train_classifier(images, labels, epochs=2, batch_size=32, num_classes=2)
    logits = metrics.classifier_outputs(classifier, test_images)["logits"]
    assert metrics.label_accuracy(logits, test_labels) == 1.0
    with pytest.raises(ValueError, match=r"integer labels of shape \(256,\), one per image, got float64"):
        metrics.train_classifier(images, labels.astype(float), num_classes=2)


@pytest.mark.slow
def test_train_classifier_prints_nothing_under_op_determinism(capfd):
    # Keras' array input logged a TensorFlow C++ error line here ("NodeDef mentions attribute
    # use_unbounded_threadpool ..."): harmless, and nothing a learner could act on.
    ganlib.utils.seed_everything(0)
    images, labels = _bars(10_000, seed=0)  # with arrays this size Keras slices by a parallel map
    metrics.train_classifier(images, labels, epochs=1, batch_size=128, num_classes=2)
    captured = capfd.readouterr()
    assert "NodeDef" not in captured.err and "Warning" not in captured.err, captured.err


@pytest.mark.slow
def test_gan_train_ratio_is_one_for_real_data_and_low_for_wrong_labels():
    images, labels = _bars(256, seed=0)
    test_images, test_labels = _bars(100, seed=1)
    options = dict(epochs=2, batch_size=32, num_classes=2)
    same = metrics.gan_train_accuracy(images, labels, images, labels, test_images, test_labels, **options)
    assert same == {"gan_train_accuracy": 1.0, "real_train_accuracy": 1.0, "gan_train_ratio": 1.0}
    swapped = metrics.gan_train_accuracy(images, 1 - labels, images, labels, test_images, test_labels, **options)
    assert swapped["gan_train_accuracy"] == 0.0 and swapped["gan_train_ratio"] == 0.0
    with pytest.raises(ValueError, match="as many real training images as generated ones.*255 real and 256"):
        metrics.gan_train_accuracy(images, labels, images[:255], labels[:255], test_images, test_labels)


def test_per_class_metrics_find_the_floor_and_a_wrongly_labelled_class(mnist_evaluator):
    held_out = mnist_evaluator.test
    floor = mnist_evaluator.per_class(held_out.images, held_out.labels, count=60)
    assert set(floor) == {"fd", "precision", "recall", "label_accuracy"}
    assert all(len(values) == 10 for values in floor.values())
    assert min(floor["label_accuracy"]) > 0.9 and min(floor["recall"]) > 0.5
    # The same images, each filed under the next digit: every class is now the wrong digit.
    shifted = mnist_evaluator.per_class(held_out.images, (held_out.labels + 1) % 10, count=60)
    assert max(shifted["label_accuracy"]) < 0.1
    assert min(np.array(shifted["fd"]) / np.array(floor["fd"])) > 3
    assert max(shifted["recall"]) < min(floor["recall"])
    with pytest.raises(ValueError, match=r"at least count=500 images of class 0, got \d+"):
        mnist_evaluator.per_class(held_out.images, held_out.labels, count=500)


# --- modes covered (the ring of Gaussians) ------------------------------------------------------

def test_modes_covered_counts_a_hand_made_case():
    centres = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    samples = np.array([[0.0, 0.05]] * 50 + [[1.0, 0.0]] * 49 + [[0.0, 1.0]] + [[0.5, 0.5]] * 100)
    covered = metrics.modes_covered(samples, centres, std=0.1, min_share=0.01)
    # mode 3 has 1 sample of 200 (< 1%), and the 100 points half-way are no mode's
    assert covered == {"modes_covered": 2, "high_quality": 0.5, "mode_counts": [50, 49, 1]}
    assert metrics.modes_covered(samples, centres, std=0.1, min_share=0.005)["modes_covered"] == 3
    # a wider mode (num_stds x std reaches the half-way points) counts them as high quality
    assert metrics.modes_covered(samples, centres, std=0.1, num_stds=8)["high_quality"] == 1.0


def test_modes_covered_tells_the_ring_from_a_collapsed_sampler():
    ring, centres = data.make_ring(2000, std=0.05, seed=0), data.ring_centres()
    real = metrics.modes_covered(ring, centres, std=0.05)
    assert real["modes_covered"] == 8 and real["high_quality"] > 0.98  # 3 std holds 98.9% in 2-D
    collapsed = np.clip(centres[2] + np.random.default_rng(0).normal(0, 0.05, (2000, 2)), -1, 1)
    assert metrics.modes_covered(collapsed, centres, std=0.05)["modes_covered"] == 1
    spread = np.random.default_rng(0).uniform(-1, 1, (2000, 2))  # everywhere, so mostly nowhere
    discs_share_of_square = 8 * np.pi * 0.15 ** 2 / 4  # eight discs of radius 3 std in the [-1, 1] square
    assert metrics.modes_covered(spread, centres, std=0.05)["high_quality"] == pytest.approx(
        discs_share_of_square, abs=0.02)


def test_modes_covered_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"samples \(N, D\) and centres \(modes, D\).*got \(5, 3\) and \(8, 2\)"):
        metrics.modes_covered(np.zeros((5, 3)), np.zeros((8, 2)), std=0.1)
    with pytest.raises(ValueError, match="std must be positive, got -1"):
        metrics.modes_covered(np.zeros((5, 2)), np.zeros((8, 2)), std=-1)


def test_nan_features_are_named_not_a_linear_algebra_error():
    features = np.random.default_rng(0).normal(size=(10, 3))
    spoiled = features.copy()
    spoiled[3, 1] = np.nan
    with pytest.raises(ValueError, match="Expected finite features, got NaN or infinite values in the second set"):
        metrics.frechet_distance(features, spoiled)


def test_a_dataset_without_a_reference_classifier_is_named():
    with pytest.raises(ValueError, match="There is no reference classifier for 'faces2x2'"):
        metrics.Evaluator("faces2x2")


def test_images_in_zero_to_one_are_flagged_by_the_metrics():
    images = data.load_arrays("fashion_mnist", "test", source="subset").images[:50]
    with pytest.warns(UserWarning, match=r"look scaled to \[0, 1\]"):
        metrics.check_images((images + 1) / 2)


def test_nearest_training_images_find_a_copy_and_its_ratio():
    evaluator = metrics.Evaluator("mnist", source="subset")
    copies = evaluator.train.images[[5, 17]]
    nearest, ratios = evaluator.nearest_training_images(copies, count=3)
    assert nearest.shape == (2, 3, 28, 28, 1)
    np.testing.assert_array_equal(nearest[:, 0], copies)  # each image's nearest is itself
    assert np.all(ratios < metrics.COPY_RATIO)  # d1 = 0: a copy
    fresh, fresh_ratios = evaluator.nearest_training_images(evaluator.test.images[:2], count=2)
    assert np.all(fresh_ratios > 0)
