"""Measuring generated images offline: reference classifiers, distances and a calibrated ladder.

The usual FID needs Inception weights, which cannot be downloaded here. Every metric below
uses a small CNN trained on the dataset itself instead: it ships in ``ganlib/classifiers/``
with its test accuracy recorded beside it (``scripts/train_reference_classifiers.py`` made
it). The Frechet distance on its features is called "FD" with the extractor's name, e.g.
"FD (fashion_mnist_cnn)", never FID: the numbers are not comparable with published FIDs.

What each number asks of the generated images:

- ``fd``, ``kid``: how far their feature distribution is from the real one (lower is better);
- ``classifier_score``: is each image clearly one class, and are the classes varied?
- ``precision`` / ``recall``: are the images realistic / is all of the data covered?
- ``classes_hit``, ``kl_to_uniform``: which classes appear, and how evenly (mode dropping);
- ``memorisation``: how many are near-copies of a training image;
- ``label_accuracy``: for a conditional model, does each image show the class asked for?
- ``modes_covered``: on toy data with known modes (the ring of Gaussians), how many modes get samples.

A number alone means little, so ``Evaluator`` also computes a *ladder*: the same metrics,
on the same features and the same sample size, for references from perfect (real held-out
images, the floor) to useless (uniform noise, the ceiling). ``results_table`` prints a model
among these rungs.

Example:
    >>> evaluator = Evaluator("fashion_mnist", source="subset")
    >>> model_metrics = evaluator.evaluate(generator.predict(noise, verbose=0))  # an untrained DCGAN
    >>> model_metrics["classes_hit"] < 10
    True
"""

import hashlib
import json
import sys
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers
from scipy import ndimage
from tqdm import tqdm

from ganlib import checks, data, utils

CLASSIFIER_DIR = Path(__file__).resolve().parent / "classifiers"
RECORDS_FILE = CLASSIFIER_DIR / "records.json"
CLASSIFIER_NAMES = ("fashion_mnist", "mnist")
IMAGE_SHAPE = (28, 28, 1)
ACCURACY_TOLERANCE = 0.005  # 5 of the 1,000 check images: room for float differences between machines
CLASSIFIER_SCORE_SPLIT = 1000  # images per split of the classifier score
NEAREST_NEIGHBOURS = 3  # k of improved precision and recall (Kynkaanniemi et al. 2019)
COPY_RATIO = 1 / 3  # memorised: nearest training image 3x closer than the second nearest
MIN_SHARE_OF_HIT_CLASS = 0.01  # a class is "hit" when it gets at least 1% of the samples
SAMPLE_SIZES = {"full": 2000, "subset": 1000}  # fixed per kind of data: FD is biased at small n
RUNGS = ("real (floor)", "real + noise 0.1", "real + noise 0.3", "real blurred", "half the classes",
         "one class", "50 training images", "PCA + GMM", "uniform noise (ceiling)")

_LADDER_CACHE = {}  # (dataset, data sources, sample size, seed) -> ladder


# ---------------------------------------------------------------------------------------------
# The reference classifiers
# ---------------------------------------------------------------------------------------------

def build_reference_classifier(num_classes: int = 10, feature_units: int = 64, name="classifier"):
    """The small CNN whose features every metric uses (about 60,000 weights).

    Three 3x3 convolutions (16, 32, 64 filters, each followed by 2x2 max pooling) flattened
    into ``"conv_features"`` (3 x 3 x 64 = 576 numbers), dropout, a ReLU layer named
    ``"features"`` (the penultimate layer) and a layer of ``num_classes`` logits named ``"logits"``.

    Args:
        num_classes: number of classes (10 for MNIST and Fashion-MNIST).
        feature_units: width of the penultimate ``"features"`` layer.
        name: name of the model.

    Returns:
        A Functional ``keras.Model`` mapping ``(batch, 28, 28, 1)`` images in [-1, 1] to logits.
    """
    images = keras.Input(IMAGE_SHAPE, name="image")
    x = images
    for filters in (16, 32, 64):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten(name="conv_features")(x)
    x = layers.Dropout(0.3)(x)
    features = layers.Dense(feature_units, activation="relu", name="features")(x)
    logits = layers.Dense(num_classes, name="logits")(features)
    return keras.Model(images, logits, name=name)


def train_classifier(images, labels, epochs: int = 3, batch_size: int = 128, learning_rate: float = 1e-3,
                     initial_weights=None, num_classes: int = 10):
    """A fresh ``build_reference_classifier`` trained on ``images``, ``labels``.

    The recipe of ``scripts/train_reference_classifiers.py``: Adam with the learning rate
    decayed to 0 along a cosine over all steps, sparse cross-entropy on the logits, shuffled
    batches. Only the number of epochs (and the data) differ.

    Args:
        images: float array ``(N, 28, 28, 1)`` in [-1, 1].
        labels: integer classes ``(N,)``.
        epochs: passes over the images.
        batch_size: images per step.
        learning_rate: Adam's initial step size.
        initial_weights: ``get_weights()`` of a classifier of the same architecture to start
            from, so that two classifiers trained on different data start alike.
        num_classes: number of classes.

    Returns:
        The trained classifier (``keras.Model``, images to logits).
    """
    images = check_images(images)
    labels = np.asarray(labels)
    if labels.shape != (len(images),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"Expected integer labels of shape ({len(images)},), one per image, got "
                         f"{labels.dtype} labels of shape {labels.shape}.")
    classifier = build_reference_classifier(num_classes)
    if initial_weights is not None:
        classifier.set_weights(initial_weights)
    steps = epochs * -(-len(images) // batch_size)
    classifier.compile(keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(learning_rate, steps)),
                       keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    # A tf.data pipeline rather than arrays: for arrays Keras builds a parallel map that, under
    # op determinism (ganlib.utils.seed_everything), TensorFlow rewrites with an attribute its
    # sequential map lacks, and logs a C++ error line a learner can do nothing about.
    batches = (tf.data.Dataset.from_tensor_slices((images, labels))
               .shuffle(len(images), seed=0, reshuffle_each_iteration=True).batch(batch_size))
    classifier.fit(batches, epochs=epochs, verbose=0, shuffle=False)  # shuffled above
    return classifier


def gan_train_accuracy(generated_images, generated_labels, real_images, real_labels, test_images,
                       test_labels, **training) -> dict:
    """GAN-train (Shmelkov et al. 2018): a classifier trained on generated images, tested on real ones.

    Two classifiers of the reference architecture start from the same weights and are trained
    with the same recipe (``train_classifier``) on equally many images: one on generated,
    labelled images, one on real training images. Both are tested on the real test images.
    If the generated images of each class are as varied and as correct as the real ones, the
    two accuracies are equal (ratio 1); missing variety or wrong classes lower the first.

    Args:
        generated_images: generated images ``(N, 28, 28, 1)`` in [-1, 1].
        generated_labels: the class each was generated for, ``(N,)``.
        real_images: ``N`` real training images.
        real_labels: their classes.
        test_images: real held-out images.
        test_labels: their classes.
        **training: ``epochs``, ``batch_size``, ``learning_rate``, ``num_classes`` of ``train_classifier``.

    Returns:
        dict with ``gan_train_accuracy``, ``real_train_accuracy`` (both on the test images)
        and ``gan_train_ratio``, the first over the second.
    """
    if len(generated_images) != len(real_images):
        raise ValueError(f"Expected as many real training images as generated ones, so that both "
                         f"classifiers see the same amount of data, got {len(real_images)} real and "
                         f"{len(generated_images)} generated.")
    initial_weights = build_reference_classifier(training.get("num_classes", 10)).get_weights()
    accuracies = []
    for images, labels in ((generated_images, generated_labels), (real_images, real_labels)):
        classifier = train_classifier(images, labels, initial_weights=initial_weights, **training)
        accuracies.append(label_accuracy(classifier_outputs(classifier, test_images)["logits"], test_labels))
    return dict(gan_train_accuracy=accuracies[0], real_train_accuracy=accuracies[1],
                gan_train_ratio=accuracies[0] / accuracies[1])


def extractor_name(name: str) -> str:
    """The name metrics carry, e.g. ``"fashion_mnist_cnn"``: "FD (fashion_mnist_cnn)"."""
    return f"{name}_cnn"


def classifier_records() -> dict:
    """What ``scripts/train_reference_classifiers.py`` recorded: accuracies, data, seed, sha256."""
    return json.loads(RECORDS_FILE.read_text())


def load_classifier(name: str, verify: bool = True):
    """Load a shipped reference classifier and check that it is the one that was recorded.

    The check re-evaluates the classifier on the 1,000 test images shipped in ``data/`` (present
    on every machine) and compares the accuracy with the recorded one; it also compares the
    file's sha256. A classifier retrained or replaced without updating the record is noticed.

    Args:
        name: ``"fashion_mnist"`` or ``"mnist"``.
        verify: run the check (about a second).

    Returns:
        The classifier, a ``keras.Model`` mapping images in [-1, 1] to logits.

    Raises:
        ValueError: unknown name, or the file or its accuracy differs from the record.
    """
    if name not in CLASSIFIER_NAMES:
        raise ValueError(f"No reference classifier for {name!r}; expected one of "
                         f"{', '.join(CLASSIFIER_NAMES)}.")
    record = classifier_records()[name]
    path = CLASSIFIER_DIR / record["file"]
    if verify:
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        if actual != record["sha256"]:
            raise ValueError(f"{path.name} has sha256 {actual}, but {RECORDS_FILE.name} records "
                             f"{record['sha256']}: the classifier was replaced without updating its "
                             "record. Restore it, or run scripts/train_reference_classifiers.py.")
    classifier = keras.models.load_model(path, compile=False)
    if verify:
        check = data.load_arrays(name, "test", source="subset")
        accuracy = label_accuracy(classifier_outputs(classifier, check.images)["logits"], check.labels)
        if abs(accuracy - record["check_accuracy"]) > ACCURACY_TOLERANCE:
            raise ValueError(f"{path.name} scores {accuracy:.4f} on the shipped {name} test subset, but "
                             f"{record['check_accuracy']:.4f} was recorded (tolerance "
                             f"{ACCURACY_TOLERANCE}). Restore the file, or retrain it with "
                             "scripts/train_reference_classifiers.py.")
    return classifier


def classifier_outputs(classifier, images, batch_size: int = 500) -> dict:
    """What the metrics read from a reference classifier, as NumPy arrays.

    Args:
        classifier: a reference classifier (see ``build_reference_classifier``).
        images: float array ``(N, 28, 28, 1)`` in [-1, 1].
        batch_size: images per forward pass.

    Returns:
        dict with ``features`` (the penultimate layer, ``(N, 64)``), ``logits``
        (``(N, num_classes)``) and ``conv_features`` (the last convolutional block, ``(N, 576)``).
    """
    images = check_images(images)
    names = ("features", "logits", "conv_features")
    extractor = keras.Model(classifier.input, [classifier.get_layer(name).output for name in names])
    batches = [extractor(images[start:start + batch_size], training=False)
               for start in range(0, len(images), batch_size)]
    return {name: np.concatenate([keras.ops.convert_to_numpy(batch[i]) for batch in batches])
            for i, name in enumerate(names)}


def check_images(images) -> np.ndarray:
    """``images`` as float32 ``(N, 28, 28, 1)`` in [-1, 1]; ``ValueError`` when they are not."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[1:] != IMAGE_SHAPE or len(images) == 0:
        raise ValueError(f"Expected a batch of images of shape (N, 28, 28, 1), got {images.shape}.")
    # Generated images may be all bright by accident; real ones scaled to [0, 1] score FD ~150.
    return checks.value_range(images, zero_one="warn").astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Metrics on features and logits
# ---------------------------------------------------------------------------------------------

def frechet_distance(features_a, features_b) -> float:
    """Frechet distance between Gaussians fitted to two sets of features ("FD").

    FD = |mu_a - mu_b|^2 + trace(S_a + S_b - 2 (S_a S_b)^(1/2))  (Heusel et al. 2017, with
    the features of the reference classifier instead of Inception's). 0 for identical sets.
    The trace of the matrix square root is computed from the symmetric matrix
    S_a^(1/2) S_b S_a^(1/2), which has the same eigenvalues as S_a S_b.

    Args:
        features_a: array ``(N_a, D)``.
        features_b: array ``(N_b, D)``.

    Returns:
        The distance, >= 0.
    """
    features_a, features_b = _check_feature_pair(features_a, features_b, minimum=2)
    mean_a, mean_b = features_a.mean(axis=0), features_b.mean(axis=0)
    dims = features_a.shape[1]  # reshape: np.cov returns a scalar when D = 1
    covariance_a = np.cov(features_a, rowvar=False).reshape(dims, dims)
    covariance_b = np.cov(features_b, rowvar=False).reshape(dims, dims)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance_a)
    sqrt_a = eigenvectors @ np.diag(np.sqrt(np.clip(eigenvalues, 0, None))) @ eigenvectors.T
    trace_sqrt_product = np.sqrt(np.clip(np.linalg.eigvalsh(sqrt_a @ covariance_b @ sqrt_a), 0, None)).sum()
    distance = (np.sum((mean_a - mean_b) ** 2) + np.trace(covariance_a) + np.trace(covariance_b)
                - 2 * trace_sqrt_product)
    return float(max(distance, 0.0))


def kernel_distance(features_a, features_b) -> float:
    """Kernel distance ("KID"): unbiased squared MMD with the cubic polynomial kernel.

    k(x, y) = (x . y / D + 1)^3 (Binkowski et al. 2018). The unbiased estimator leaves out
    k(x_i, x_i), so its expectation is 0 for two samples of one distribution and a single
    estimate can be slightly negative.

    Args:
        features_a: array ``(N_a, D)``, N_a >= 2.
        features_b: array ``(N_b, D)``, N_b >= 2.

    Returns:
        mean_{i != j} k(a_i, a_j) + mean_{i != j} k(b_i, b_j) - 2 mean_{i, j} k(a_i, b_j).
    """
    features_a, features_b = _check_feature_pair(features_a, features_b, minimum=2)
    size_a, size_b, dims = len(features_a), len(features_b), features_a.shape[1]

    def kernel_sum(x, y):
        return sum((((x[start:start + 500] @ y.T) / dims + 1) ** 3).sum() for start in range(0, len(x), 500))

    def self_kernels(x):  # the left-out diagonal k(x_i, x_i)
        return (((x * x).sum(axis=1) / dims + 1) ** 3).sum()

    within_a = (kernel_sum(features_a, features_a) - self_kernels(features_a)) / (size_a * (size_a - 1))
    within_b = (kernel_sum(features_b, features_b) - self_kernels(features_b)) / (size_b * (size_b - 1))
    between = kernel_sum(features_a, features_b) / (size_a * size_b)
    return float(within_a + within_b - 2 * between)


def classifier_score(logits, split_size: int = CLASSIFIER_SCORE_SPLIT, seed: int = 0) -> float:
    """Classifier score, the Inception score of the reference classifier (Salimans et al. 2016).

    exp(E_x KL(p(y|x) || p(y))): high when each image is classified confidently and the
    classes are balanced; from 1 (one class, or no confident prediction) to the number of
    classes. The images are shuffled (so images sorted by class do not bias the splits) and
    cut into splits of ``split_size``, whose scores are averaged: p(y) estimated from fewer
    images would inflate the score, so the split size is fixed.

    Args:
        logits: array ``(N, num_classes)`` with N >= ``split_size``.
        split_size: images per split.
        seed: seed of the shuffle.

    Returns:
        The mean score over the ``N // split_size`` splits.
    """
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 2 or len(logits) < split_size:
        raise ValueError(f"Expected logits of shape (N, num_classes) with N >= {split_size} "
                         f"(the classifier score needs at least {split_size} images), got {logits.shape}.")
    probabilities = _softmax(logits[np.random.default_rng(seed).permutation(len(logits))])
    scores = []
    for start in range(0, len(probabilities) - split_size + 1, split_size):
        split = probabilities[start:start + split_size]
        marginal = split.mean(axis=0)
        kl = (split * (np.log(split + 1e-12) - np.log(marginal + 1e-12))).sum(axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores))


def precision_recall(real_features, fake_features, k: int = NEAREST_NEIGHBOURS):
    """Improved precision and recall (Kynkaanniemi et al. 2019).

    Each real point gets a ball reaching its k-th nearest real neighbour; precision is the
    share of fakes inside at least one real ball (are the samples realistic?). Recall swaps
    the roles: the share of reals inside at least one fake ball (is the data covered?).

    Args:
        real_features: array ``(N_real, D)``, N_real > k.
        fake_features: array ``(N_fake, D)``, N_fake > k.
        k: which neighbour sets a ball's radius (3 in the paper).

    Returns:
        ``(precision, recall)``, each in [0, 1].
    """
    real_features, fake_features = _check_feature_pair(real_features, fake_features, minimum=k + 1)
    precision = share_inside_balls(fake_features, real_features, kth_neighbour_distances(real_features, k))
    recall = share_inside_balls(real_features, fake_features, kth_neighbour_distances(fake_features, k))
    return precision, recall


def kth_neighbour_distances(points, k: int = NEAREST_NEIGHBOURS) -> np.ndarray:
    """Distance from each point to its k-th nearest other point: the radius of its ball."""
    points = np.asarray(points, np.float32)
    # Column 0 of the sorted distances is the point itself (distance 0), so column k is the k-th neighbour.
    squared = [np.partition(_squared_distances(points[start:start + 500], points), k, axis=1)[:, k]
               for start in range(0, len(points), 500)]
    return np.sqrt(np.concatenate(squared))


def share_inside_balls(queries, centres, radii) -> float:
    """Share of ``queries`` within ``radii[i]`` of at least one ``centres[i]``."""
    centres, squared_radii = np.asarray(centres, np.float32), np.asarray(radii, np.float32) ** 2
    inside = [(_squared_distances(queries[start:start + 500], centres) <= squared_radii).any(axis=1)
              for start in range(0, len(queries), 500)]
    return float(np.concatenate(inside).mean())


def class_histogram(logits, num_classes: int | None = None) -> dict:
    """How the classifier spreads the samples over the classes.

    Args:
        logits: array ``(N, num_classes)``.
        num_classes: defaults to the logits' width.

    Returns:
        dict with ``class_counts`` (list), ``classes_hit`` (classes that get at least 1% of the
        samples; a stray misclassification does not count) and ``kl_to_uniform``
        (KL(histogram || uniform) = log(num_classes) - entropy: 0 when balanced,
        log(num_classes) when every sample is one class).
    """
    logits = np.asarray(logits)
    if logits.ndim != 2:
        raise ValueError(f"Expected logits of shape (N, num_classes), got {logits.shape}.")
    num_classes = num_classes or logits.shape[1]
    counts = np.bincount(logits.argmax(axis=1), minlength=num_classes)
    shares = counts / counts.sum()
    nonzero = shares[shares > 0]  # 0 log 0 = 0
    return dict(class_counts=counts.tolist(),
                classes_hit=int((shares >= MIN_SHARE_OF_HIT_CLASS).sum()),
                kl_to_uniform=float(np.log(num_classes) + (nonzero * np.log(nonzero)).sum()))


def modes_covered(samples, centres, std: float, num_stds: float = 3.0,
                  min_share: float = MIN_SHARE_OF_HIT_CLASS) -> dict:
    """How many modes of a Gaussian mixture with known centres the samples cover (mode collapse).

    A sample is *high quality* when it lies within ``num_stds * std`` of its nearest centre
    (the measure of the unrolled-GAN and VEEGAN ring experiments); a mode is *covered* when
    at least ``min_share`` of all samples are high-quality samples of that mode, so a few
    stray samples do not count.

    Args:
        samples: array ``(N, D)``, e.g. generated 2-D points.
        centres: array ``(modes, D)`` of the mixture's means (``ganlib.data.ring_centres``).
        std: standard deviation of each mixture component.
        num_stds: radius of a mode, in standard deviations.
        min_share: share of the samples a mode needs to count as covered.

    Returns:
        dict with ``modes_covered`` (int), ``high_quality`` (share of samples near a centre)
        and ``mode_counts`` (list: high-quality samples per mode).

    Example:
        >>> modes_covered(ganlib.data.make_ring(1000), ganlib.data.ring_centres(), std=0.05)
        {'modes_covered': 8, 'high_quality': 0.99..., 'mode_counts': [...]}
    """
    samples, centres = np.asarray(samples, np.float64), np.asarray(centres, np.float64)
    if samples.ndim != 2 or centres.ndim != 2 or samples.shape[1] != centres.shape[1]:
        raise ValueError(f"Expected samples (N, D) and centres (modes, D) with the same D, got "
                         f"{samples.shape} and {centres.shape}.")
    if not len(samples) or not len(centres):
        raise ValueError(f"Expected at least one sample and one centre, got {len(samples)} and {len(centres)}.")
    if not std > 0:
        raise ValueError(f"std must be positive, got {std!r}.")
    distances = np.sqrt(((samples[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2))
    nearest = distances.argmin(axis=1)
    close = distances.min(axis=1) <= num_stds * std
    counts = np.bincount(nearest[close], minlength=len(centres))
    return dict(modes_covered=int((counts >= min_share * len(samples)).sum()),
                high_quality=float(close.mean()), mode_counts=counts.tolist())


def memorisation(fake_features, train_features, ratio: float = COPY_RATIO) -> float:
    """Share of samples that are near-copies of a training image.

    A sample counts as a copy when its nearest training image is more than 1/ratio times
    closer than the second nearest: d1 < ratio * d2 (the test of Yoon et al. 2023, here on
    the classifier's features). A sample that is merely typical lies about as far from
    several training images; an exact copy has d1 = 0.

    Args:
        fake_features: array ``(N, D)``.
        train_features: array ``(N_train, D)`` of the training images, N_train >= 2.
        ratio: the factor.

    Returns:
        The share of copies, in [0, 1].
    """
    fake_features, train_features = _check_feature_pair(fake_features, train_features, minimum=1)
    if len(train_features) < 2:
        raise ValueError(f"Expected at least 2 training images, got {len(train_features)}.")
    train_features = train_features.astype(np.float32)  # converted once, not per chunk
    copies = 0
    for start in range(0, len(fake_features), 250):
        squared = _squared_distances(fake_features[start:start + 250], train_features)
        two_smallest = np.partition(squared, 1, axis=1)[:, :2]
        nearest, second = np.sqrt(two_smallest[:, 0]), np.sqrt(two_smallest[:, 1])
        copies += int((nearest < ratio * second).sum())
    return copies / len(fake_features)


def label_accuracy(logits, labels) -> float:
    """Share of images the classifier puts in their intended class (for conditional models)."""
    logits, labels = np.asarray(logits), np.asarray(labels)
    if logits.ndim != 2 or labels.shape != (len(logits),):
        raise ValueError(f"Expected logits (N, num_classes) and labels (N,), got {logits.shape} "
                         f"and {labels.shape}.")
    return float((logits.argmax(axis=1) == labels).mean())


def _check_feature_pair(features_a, features_b, minimum: int):
    features_a = np.asarray(features_a, dtype=np.float64)
    features_b = np.asarray(features_b, dtype=np.float64)
    if features_a.ndim != 2 or features_b.ndim != 2 or features_a.shape[1] != features_b.shape[1]:
        raise ValueError(f"Expected two feature arrays (N, D) with the same D, got {features_a.shape} "
                         f"and {features_b.shape}.")
    if min(len(features_a), len(features_b)) < minimum:
        raise ValueError(f"Expected at least {minimum} feature vectors in each set, got "
                         f"{len(features_a)} and {len(features_b)}.")
    for which, features in (("first", features_a), ("second", features_b)):
        if not np.all(np.isfinite(features)):
            raise ValueError(f"Expected finite features, got NaN or infinite values in the {which} set "
                             f"({np.size(features) - np.isfinite(features).sum()} of them); were the "
                             "images finite?")
    return features_a, features_b


def _softmax(logits):
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _squared_distances(queries, points):
    # |q - p|^2 = |q|^2 + |p|^2 - 2 q.p, in float32 and in place: these arrays are the big ones.
    queries, points = np.asarray(queries, np.float32), np.asarray(points, np.float32)
    squared = queries @ points.T
    squared *= -2
    squared += (queries ** 2).sum(axis=1)[:, None]
    squared += (points ** 2).sum(axis=1)[None, :]
    return np.maximum(squared, 0, out=squared)


# ---------------------------------------------------------------------------------------------
# The evaluator and its reference ladder
# ---------------------------------------------------------------------------------------------

class Evaluator:
    """Every metric of generated images for one dataset, and the reference ladder to read them by.

    On creation it loads the dataset's reference classifier (checking its recorded accuracy)
    and computes the features of all training images (for the memorisation check) and of a
    fixed random sample of ``sample_size`` of them (the reference every metric compares with).

    Precision and recall use the classifier's last convolutional block (``conv_features``, 576
    numbers) instead of the penultimate layer: the classifier never saw noise and puts it right
    among real bags, so on the 64 penultimate features 97% of uniform-noise images counted as
    realistic on Fashion-MNIST; on the convolutional features 8% do (measured).

    Args:
        dataset_name: ``"fashion_mnist"`` or ``"mnist"``.
        sample_size: images per evaluation, the same for the model and every rung, since FD
            depends on it (it is biased upwards at small n). By default 2,000 when the test
            split has that many images (full data) and 1,000 on the shipped subsets; the
            real-vs-real floor needs that many held-out test images.
        source: where the data come from, passed to ``ganlib.data.load_arrays``.
        seed: seed of the reference sample and of every rung of the ladder.
        cache_dir: if given (e.g. ``"build"``), the ladder is also saved there as JSON and
            reused when the data, classifier, sample size and seed are the same.

    Example:
        >>> evaluator = Evaluator("mnist", source="subset")
        >>> metrics = evaluator.evaluate(generator.predict(noise, verbose=0))   # at least evaluator.sample_size images
        >>> sorted(metrics)[:4]  # print(evaluator.results_table(metrics)) shows them among the ladder's rungs
        ['class_counts', 'classes_hit', 'classifier_score', 'fd']
    """

    def __init__(self, dataset_name: str, sample_size: int | None = None, source: str = "auto",
                 seed: int = 0, cache_dir=None):
        if dataset_name not in CLASSIFIER_NAMES:
            raise ValueError(f"There is no reference classifier for {dataset_name!r}, so it cannot be "
                             f"evaluated; the Evaluator works with {', '.join(CLASSIFIER_NAMES)}.")
        self.dataset_name = dataset_name
        self.train = data.load_arrays(dataset_name, "train", source=source)
        self.test = data.load_arrays(dataset_name, "test", source=source)
        if sample_size is None:
            full = len(self.test) >= SAMPLE_SIZES["full"]
            sample_size = SAMPLE_SIZES["full" if full else "subset"]
        if not CLASSIFIER_SCORE_SPLIT <= sample_size <= len(self.test):
            raise ValueError(f"sample_size must be between {CLASSIFIER_SCORE_SPLIT} (the classifier "
                             f"score's split) and {len(self.test)} (the held-out test images of "
                             f"{self.test.source}), got {sample_size}.")
        self.sample_size = int(sample_size)
        self.seed = seed
        self.classifier = load_classifier(dataset_name)
        self.extractor = extractor_name(dataset_name)
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        train_outputs = classifier_outputs(self.classifier, self.train.images)
        self.train_features = train_outputs["features"]
        order = np.random.default_rng(seed).permutation(len(self.train))
        self.reference_features = self.train_features[order[:self.sample_size]]
        self.reference_conv_features = train_outputs["conv_features"][order[:self.sample_size]]

    def evaluate(self, images, labels=None) -> dict:
        """All metrics of the first ``sample_size`` of ``images``.

        Args:
            images: generated images ``(N, 28, 28, 1)`` in [-1, 1], N >= ``sample_size``.
            labels: for a conditional model, the class each image was generated for; adds
                ``label_accuracy``.

        Returns:
            dict with ``fd``, ``kid``, ``classifier_score``, ``precision``, ``recall``,
            ``classes_hit``, ``kl_to_uniform``, ``memorisation``, ``class_counts`` and, with
            labels, ``label_accuracy``.
        """
        images = check_images(images)
        if len(images) < self.sample_size:
            raise ValueError(f"Expected at least {self.sample_size} images (the fixed sample size for "
                             f"{self.dataset_name} here), got {len(images)}; generate "
                             "evaluator.sample_size images.")
        outputs = classifier_outputs(self.classifier, images[:self.sample_size])
        features, logits, conv_features = outputs["features"], outputs["logits"], outputs["conv_features"]
        precision, recall = precision_recall(self.reference_conv_features, conv_features)
        metrics = dict(fd=frechet_distance(self.reference_features, features),
                       kid=kernel_distance(self.reference_features, features),
                       classifier_score=classifier_score(logits, seed=self.seed),
                       precision=precision, recall=recall, **class_histogram(logits),
                       memorisation=memorisation(features, self.train_features))
        metrics["class_counts"] = metrics.pop("class_counts")  # the list last, after the numbers
        if labels is not None:
            metrics["label_accuracy"] = label_accuracy(logits, np.asarray(labels)[:self.sample_size])
        return metrics

    def nearest_training_images(self, images, count: int = 3):
        """The training images nearest to each of ``images`` in the classifier's features.

        What the memorisation check looks at: a sample whose nearest training image is much
        nearer than the second nearest (``d1 / d2 < COPY_RATIO``) counts as a copy.

        Returns:
            ``(nearest, ratios)``: ``(n, count, 28, 28, 1)`` training images, nearest first, and
            each sample's ``d1 / d2``.
        """
        checks.integer("count", count, minimum=2)
        features = classifier_outputs(self.classifier, check_images(images))["features"]
        squared = _squared_distances(features, self.train_features)
        order = np.argsort(squared, axis=1)[:, :count]
        distances = np.sqrt(np.take_along_axis(squared, order[:, :2], axis=1))
        return self.train.images[order], distances[:, 0] / np.maximum(distances[:, 1], 1e-12)

    def per_class(self, images, labels, count: int = 500) -> dict:
        """FD, precision, recall and label accuracy of each class on its own.

        For class c, ``count`` images with label c are compared with ``count`` training images
        of class c (a fixed random pick per seed): FD on the penultimate features, precision and
        recall on the convolutional features, as in ``evaluate``. A model can look fine overall
        while one class is blurred or collapsed; here it shows. Held-out real images
        (``per_class(evaluator.test.images, evaluator.test.labels)``) give each class's floor.

        Args:
            images: images ``(N, 28, 28, 1)`` in [-1, 1], at least ``count`` of every class.
            labels: their classes ``(N,)`` (for a conditional model, the classes asked for).
            count: images per class and per side; FD depends on it, so compare numbers
                computed with the same count only.

        Returns:
            dict of lists indexed by class: ``fd``, ``precision``, ``recall``, ``label_accuracy``.
        """
        images, labels = check_images(images), np.asarray(labels)
        if labels.shape != (len(images),):
            raise ValueError(f"Expected one label per image, shape ({len(images)},), got {labels.shape}.")
        classes = np.unique(self.train.labels)
        rng = np.random.default_rng(self.seed + 2)
        own, reference = [], []  # per class: indices into images, and into the training images
        for label in classes:
            own.append(np.flatnonzero(labels == label)[:count])
            candidates = np.flatnonzero(self.train.labels == label)
            if min(len(own[-1]), len(candidates)) < count:
                raise ValueError(f"Expected at least count={count} images of class {label}, got "
                                 f"{len(own[-1])} (and {len(candidates)} training images of it); "
                                 "generate more or pass a smaller count.")
            reference.append(rng.choice(candidates, count, replace=False))
        # One pass through the classifier per side; block i of `count` rows is class i.
        fake = classifier_outputs(self.classifier, images[np.concatenate(own)])
        real = classifier_outputs(self.classifier, self.train.images[np.concatenate(reference)])
        results = {"fd": [], "precision": [], "recall": [], "label_accuracy": []}
        for index in range(len(classes)):
            block = slice(index * count, (index + 1) * count)
            precision, recall = precision_recall(real["conv_features"][block], fake["conv_features"][block])
            results["fd"].append(frechet_distance(real["features"][block], fake["features"][block]))
            results["precision"].append(precision)
            results["recall"].append(recall)
            results["label_accuracy"].append(label_accuracy(fake["logits"][block], labels[own[index]]))
        return results

    def ladder_samples(self) -> dict:
        """The images of every rung of the ladder: rung name -> ``(images, labels or None)``.

        All rungs hold ``sample_size`` images. Rungs built from real images use held-out test
        images (training images would count as memorised), repeated only when a rung needs more
        images than the test split has (e.g. one class of the 1,000-image subsets).
        """
        rng = np.random.default_rng(self.seed + 1)
        size, test = self.sample_size, self.test

        def held_out(keep):
            pool = np.flatnonzero(keep)
            picks = rng.choice(pool, size, replace=len(pool) < size)
            return test.images[picks], test.labels[picks]

        classes = np.unique(self.train.labels)
        real, real_labels = held_out(np.ones(len(test), bool))
        few = np.resize(rng.choice(len(self.train), 50, replace=False), size)
        samples = {
            "real (floor)": (real, real_labels),
            "real + noise 0.1": (_add_noise(real, 0.1, rng), real_labels),
            "real + noise 0.3": (_add_noise(real, 0.3, rng), real_labels),
            "real blurred": (ndimage.gaussian_filter(real, sigma=(0, 1, 1, 0)), real_labels),
            "half the classes": held_out(np.isin(test.labels, classes[:len(classes) // 2])),
            "one class": held_out(test.labels == classes[0]),
            "50 training images": (self.train.images[few], self.train.labels[few]),
            "PCA + GMM": (pca_gmm_samples(self.train.images, size, seed=self.seed), None),
            "uniform noise (ceiling)": (rng.uniform(-1, 1, real.shape).astype(np.float32), None),
        }
        return samples

    def ladder(self) -> dict:
        """The metrics of every rung (see ``ladder_samples``): rung name -> metrics dict.

        Computed once per dataset, data source, sample size and seed, and kept in memory (and in
        ``cache_dir`` when given).
        """
        key = dict(dataset=self.dataset_name, train=self.train.source, test=self.test.source,
                   sample_size=self.sample_size, seed=self.seed,
                   classifier_sha256=classifier_records()[self.dataset_name]["sha256"])
        memory_key = tuple(key.values())
        if memory_key in _LADDER_CACHE:
            return _LADDER_CACHE[memory_key]
        path = None
        if self.cache_dir is not None:
            path = self.cache_dir / f"ladder_{self.dataset_name}_{self.sample_size}_seed{self.seed}.json"
            if path.exists() and json.loads(path.read_text()).get("key") == key:
                _LADDER_CACHE[memory_key] = json.loads(path.read_text())["ladder"]
                return _LADDER_CACHE[memory_key]
        # The first time for a dataset this takes a while (about half a minute on 2 CPU cores for
        # the full data): one bar over the rungs, on standard output like ganlib's ProgressBar.
        samples = self.ladder_samples()
        rungs = tqdm(samples.items(), desc="reference ladder", total=len(samples), unit="rung",
                     ascii=" #", file=sys.stdout, ncols=100, mininterval=1.0)
        ladder = {rung: self.evaluate(images, labels) for rung, (images, labels) in rungs}
        _LADDER_CACHE[memory_key] = ladder
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            utils.write_atomically(path, json.dumps(dict(key=key, ladder=ladder), indent=1) + "\n")
        return ladder

    def results_table(self, model_metrics: dict, model_name: str = "model") -> str:
        """``results_table`` for this evaluator's ladder, with its extractor and sample size noted."""
        note = f"{self.sample_size:,} images per row; reference: {self.train.source}"
        return results_table(model_metrics, self.ladder(), model_name=model_name,
                             extractor=self.extractor, note=note)


def pca_gmm_samples(images, count: int, components: int = 32, mixture_components: int = 10,
                    seed: int = 0, max_fit_images: int = 10_000) -> np.ndarray:
    """A classical generative model: a Gaussian mixture on the images' principal components.

    Fits PCA (``components`` directions) and a full-covariance Gaussian mixture to at most
    ``max_fit_images`` of ``images``, samples ``count`` points and maps them back to pixels.
    A GAN worth its training should beat it.

    Returns:
        float32 images of the input's shape in [-1, 1], ``(count, *images.shape[1:])``.
    """
    from sklearn.decomposition import PCA  # imported here: scikit-learn is slow to import
    from sklearn.mixture import GaussianMixture
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(seed)
    chosen = rng.permutation(len(images))[:max_fit_images]
    # float64: with float32 covariances, sampling warns that they are not positive semi-definite.
    fit = images[chosen].reshape(len(chosen), -1).astype(np.float64)
    # The mixture's many small matrix products run faster on one thread than on two that wait
    # for each other (20x faster on a busy 2-core machine, measured).
    with threadpool_limits(1):
        pca = PCA(components, random_state=seed).fit(fit)
        mixture = GaussianMixture(mixture_components, random_state=seed).fit(pca.transform(fit))
    codes = mixture.sample(count)[0][rng.permutation(count)]  # sample() returns components in order
    pixels = pca.inverse_transform(codes).clip(-1, 1)
    return pixels.reshape(count, *images.shape[1:]).astype(np.float32)


COLUMNS = (("fd", "FD", "{:.4g}"), ("kid", "KID", "{:.4g}"), ("classifier_score", "score", "{:.2f}"),
           ("precision", "precision", "{:.3f}"), ("recall", "recall", "{:.3f}"),
           ("classes_hit", "classes", "{}"), ("kl_to_uniform", "KL unif.", "{:.3f}"),
           ("memorisation", "copies", "{:.3f}"), ("label_accuracy", "label acc.", "{:.3f}"))


def results_table(model_metrics: dict, ladder: dict, model_name: str = "model",
                  extractor: str = "reference classifier", note: str = "") -> str:
    """A plain-text table placing models among the rungs of the ladder, sorted by FD.

    Args:
        model_metrics: one model's metrics (``Evaluator.evaluate``), or a dict
            model name -> metrics for several models.
        ladder: rung name -> metrics (``Evaluator.ladder``).
        model_name: the row name of a single model.
        extractor: name of the features, e.g. ``"mnist_cnn"``: the title says "FD (mnist_cnn)".
        note: a line printed under the title (how many images, what data).

    Returns:
        The table; model rows are marked with ``>>``.
    """
    models = {model_name: model_metrics} if "fd" in model_metrics else dict(model_metrics)
    rows = [(name, numbers, False) for name, numbers in ladder.items()]
    rows += [(name, numbers, True) for name, numbers in models.items()]
    rows.sort(key=lambda row: row[1]["fd"])
    columns = [column for column in COLUMNS if any(column[0] in numbers for _, numbers, _ in rows)]
    width = max(len(name) for name, _, _ in rows) + 3
    lines = [f"FD ({extractor}): Frechet distance and KID: kernel distance on the classifier's features,",
             "lower is better (not FID: not comparable with published numbers). score: classifier score,",
             "classes: classes hit, KL unif.: KL to uniform classes, copies: share of memorised samples."]
    if note:
        lines.append(note)
    header = f"{'':{width}}" + "".join(f"{title:>11}" for _, title, _ in columns)
    lines += [header, "-" * len(header)]
    for name, numbers, is_model in rows:
        cells = "".join(f"{shape.format(numbers[key]) if numbers.get(key) is not None else '-':>11}"
                        for key, _, shape in columns)
        lines.append(f"{('>> ' if is_model else '   ') + name:{width}}{cells}")
    return "\n".join(lines)


def _add_noise(images, sigma, rng):
    return np.clip(images + rng.normal(0.0, sigma, images.shape), -1, 1).astype(np.float32)
