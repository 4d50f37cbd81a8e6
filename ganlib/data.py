"""Datasets, offline first.

``load(name, split)`` gives a batched, shuffled, prefetched ``tf.data.Dataset`` of float32
NHWC images in [-1, 1] (with int64 labels where the dataset has them); ``load_arrays``
gives the same data as NumPy arrays. Sources are tried in this order, none of them online:

1. ``$GANLIB_DATA_DIR/<name>.npz`` (keys ``x_train, y_train, x_test, y_test``, uint8 images);
2. a full copy installed on the machine: Fashion-MNIST from the Debian package
   ``dataset-fashion-mnist`` or the Keras cache, MNIST from the Keras cache
   (``~/.keras/datasets/mnist.npz``);
3. the small real subsets shipped in the repository's ``data/`` folder, checked against
   ``data/MANIFEST.sha256``.

``"sr_photos"`` (natural photos for super-resolution, as ``(low_res, high_res)`` crop pairs)
is handled by ``ganlib.photos``, which documents its own sources, split and options.

``source="download"`` fetches the full dataset with Keras, failing within seconds when offline.
"""

import gzip
import hashlib
import os
import socket
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from ganlib import checks, photos
from ganlib.photos import DATA_DIR_ENV  # one name for the user data folder, photos included

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
FASHION_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
KERAS_CACHE = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"
NAMES = ("mnist", "fashion_mnist", "faces2x2", photos.NAME)
SPLITS = ("train", "test")
SOURCES = ("auto", "user", "full", "subset", "download")
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
CLASS_NAMES = {"mnist": tuple(str(d) for d in range(10)), "fashion_mnist": FASHION_CLASSES}


@dataclass
class Arrays:
    """Images (float32, NHWC, [-1, 1]), labels (int64 or None) and where they came from."""

    images: np.ndarray
    labels: np.ndarray | None
    source: str

    def __len__(self):
        return len(self.images)


def load(name: str, split: str = "train", batch_size: int = 128, shuffle: bool = True,
         seed: int = 0, with_labels: bool = True, limit: int | None = None,
         drop_remainder: bool = False, source: str = "auto", **options) -> tf.data.Dataset:
    """A ``tf.data.Dataset`` of image batches (and labels, where the dataset has them).

    Args:
        name: one of ``"mnist"``, ``"fashion_mnist"``, ``"faces2x2"``, ``"sr_photos"``.
        split: ``"train"`` or ``"test"``.
        batch_size: images per batch; the last batch may be smaller unless ``drop_remainder``.
        shuffle: reshuffle every epoch, from ``seed``.
        seed: seed of the shuffle (and of the generated ``faces2x2`` data).
        with_labels: yield ``(images, labels)`` when the dataset has labels.
        limit: keep only the first ``limit`` examples.
        drop_remainder: drop a last partial batch.
        source: ``"auto"`` (the order in the module docstring), ``"user"``, ``"full"``,
            ``"subset"`` or ``"download"``.
        **options: for ``"sr_photos"`` only, the further arguments of ``ganlib.photos.load``
            (``scale``, ``crop_size``, ``num_crops``, ``augment``, ``folder``); it yields
            ``(low_res, high_res)`` and ignores ``with_labels``.

    Returns:
        The dataset; ``dataset.source`` says which source was used.

    Example:
        >>> ds = load("fashion_mnist", batch_size=64)
        >>> images, labels = next(iter(ds))   # (64, 28, 28, 1) float32, (64,) int64
    """
    if name == photos.NAME:
        return photos.load(split, batch_size=batch_size, shuffle=shuffle, seed=seed, limit=limit,
                           drop_remainder=drop_remainder, source=source, **options)
    _check_no_options(name, options)
    checks.integer("batch_size", batch_size)
    arrays = load_arrays(name, split, seed=seed, limit=limit, source=source)
    tensors = arrays.images if arrays.labels is None or not with_labels else (arrays.images, arrays.labels)
    dataset = batches(tensors, batch_size, seed=seed if shuffle else None, drop_remainder=drop_remainder)
    dataset.source = arrays.source
    return dataset


class EpochCounter:
    """The epoch a dataset of ``epochs`` serves next; ``GAN.fit`` sets it to Keras' epoch."""

    def __init__(self):
        self.next = 0

    def take(self):
        epoch, self.next = self.next, self.next + 1
        return np.int64(epoch)


def epochs() -> tf.data.Dataset:
    """A dataset of one element, the epoch number, counting up each time it is iterated.

    ``dataset.ganlib_epochs`` holds the counter; ``GAN.fit`` sets it to Keras' epoch before
    each epoch, so a run resumed at epoch 3 draws what an unbroken run draws at epoch 3.
    Build a pipeline on it and copy the attribute to the final dataset.
    """
    counter = EpochCounter()
    dataset = tf.data.Dataset.from_tensors(0).map(
        lambda _: tf.reshape(tf.numpy_function(counter.take, [], tf.int64, stateful=True), []))
    dataset.ganlib_epochs = counter
    return dataset


def batches(tensors, batch_size: int, seed: int | None = 0, drop_remainder: bool = False) -> tf.data.Dataset:
    """Batches of ``tensors`` (an array or a tuple of arrays of equal length), shuffled per epoch.

    Each pass over the data is one epoch, in an order that depends only on ``(seed, epoch)``
    (see ``epochs``), so a resumed run sees the same batches as an unbroken one. Each further
    pass outside ``fit`` is the next epoch. ``seed=None`` keeps the stored order.
    """
    checks.integer("batch_size", batch_size)
    count = len(tf.nest.flatten(tensors)[0])
    if seed is None:
        return tf.data.Dataset.from_tensor_slices(tensors).batch(batch_size, drop_remainder).prefetch(tf.data.AUTOTUNE)
    numbers, seed = epochs(), int(seed)
    orders = numbers.map(lambda epoch: tf.random.experimental.stateless_shuffle(
        tf.range(count, dtype=tf.int64), seed=tf.stack([tf.constant(seed, tf.int64), epoch])))

    def epoch_batches(arrays, order):
        # The arrays arrive as this function's input: captured instead, they would be copied into
        # the dataset's graph (seconds for the full Fashion-MNIST, at every epoch's start).
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size, drop_remainder).map(
            lambda indices: tf.nest.map_structure(lambda array: tf.gather(array, indices), arrays))

    dataset = tf.data.Dataset.zip((tf.data.Dataset.from_tensors(tensors), orders)).flat_map(epoch_batches)
    return with_epochs(dataset, numbers, count, batch_size, drop_remainder)


def with_epochs(dataset, numbers, count: int, batch_size: int, drop_remainder: bool):
    """``dataset`` prefetched, with its number of batches stated and the epoch counter of ``numbers``."""
    steps = count // batch_size if drop_remainder else -(-count // batch_size)
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(steps)).prefetch(tf.data.AUTOTUNE)
    dataset.ganlib_epochs = numbers.ganlib_epochs
    return dataset


def load_arrays(name: str, split: str = "train", seed: int = 0, limit: int | None = None,
                source: str = "auto", **options) -> Arrays:
    """The dataset as NumPy arrays (see ``load`` for the arguments).

    For ``"sr_photos"`` a ``ganlib.photos.Pairs`` of fixed crops (``low_res``, ``high_res``).
    """
    if name == photos.NAME:
        return photos.load_arrays(split, seed=seed, limit=limit, source=source, **options)
    _check_no_options(name, options)
    if name not in NAMES:
        raise ValueError(f"Unknown dataset {name!r}; expected one of {', '.join(NAMES)}.")
    if split not in SPLITS:
        raise ValueError(f"Unknown split {split!r} for {name!r}; expected one of {', '.join(SPLITS)}.")
    if source not in SOURCES:
        raise ValueError(f"Unknown source {source!r}; expected one of {', '.join(SOURCES)}.")
    photos.check_limit(limit)
    if name == "faces2x2":
        images = make_faces2x2(1000 if split == "train" else 200, seed=seed + (split == "test"))
        return Arrays(images[:limit], None, f"faces2x2 generated with seed {seed}")
    images, labels, description = _load_uint8(name, split, source)
    images, labels = images[:limit], labels[:limit]
    scaled = (images.astype(np.float32) / 127.5 - 1.0)[..., None]
    return Arrays(scaled, labels.astype(np.int64), description)


def _check_no_options(name, options):
    if options:
        raise ValueError(f"Unexpected arguments {', '.join(sorted(options))} for {name!r}; "
                         f"only {photos.NAME!r} takes further options.")


def make_faces2x2(count: int, seed: int = 0) -> np.ndarray:
    """Faces of "slanted land": 2x2 images, dark-light-light-dark on the diagonal.

    In [0, 1] units pixels 1 and 4 (the diagonal) are large, drawn from U(0.7, 1), and
    pixels 2 and 3 small, from U(0, 0.3); returned scaled to [-1, 1] as ``(count, 2, 2, 1)``.
    """
    rng = np.random.default_rng(seed)
    large = rng.uniform(0.7, 1.0, size=(count, 2))
    small = rng.uniform(0.0, 0.3, size=(count, 2))
    pixels = np.stack([large[:, 0], small[:, 0], small[:, 1], large[:, 1]], axis=1)
    return (pixels * 2.0 - 1.0).reshape(count, 2, 2, 1).astype(np.float32)


def ring_centres(modes: int = 8, radius: float = 0.8) -> np.ndarray:
    """Centres of the ring of Gaussians: ``modes`` points evenly spaced on a circle, the first at (radius, 0).

    Returns:
        float32 array ``(modes, 2)``.
    """
    checks.integer("modes", modes)
    if not 0 < radius <= 1:
        raise ValueError(f"radius must be in (0, 1] so the ring fits a tanh generator's [-1, 1], got {radius!r}.")
    angles = 2 * np.pi * np.arange(modes) / modes
    return (radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)).astype(np.float32)


def make_ring(count: int, modes: int = 8, radius: float = 0.8, std: float = 0.05,
              seed: int = 0) -> np.ndarray:
    """Points of a 2-D mixture of ``modes`` Gaussians on a circle: the toy data of mode collapse.

    Each point picks a mode uniformly at random and adds isotropic Gaussian noise of
    standard deviation ``std`` to its centre (``ring_centres``). The unrolled-GAN paper
    (Metz et al. 2017) uses 8 modes, radius 2 and std 0.02; here the ring is scaled into
    the [-1, 1] square of a tanh generator (and clipped to it).

    Returns:
        float32 array ``(count, 2)``.

    Example:
        >>> points = make_ring(1000)                  # 8 modes of std 0.05 on a circle of radius 0.8
        >>> ganlib.metrics.modes_covered(points, ring_centres(), std=0.05)["modes_covered"]
        8
    """
    checks.integer("count", count)
    if not std > 0:
        raise ValueError(f"std must be positive, got {std!r}.")
    centres = ring_centres(modes, radius)
    rng = np.random.default_rng(seed)
    points = centres[rng.integers(modes, size=count)] + rng.normal(0.0, std, size=(count, 2))
    return np.clip(points, -1.0, 1.0).astype(np.float32)  # a far tail point must not fail fit's range check


def _load_uint8(name, split, source):
    attempts = {"user": _from_user_dir, "full": _from_installed, "subset": _from_subset,
                "download": _from_download}
    order = ("user", "full", "subset") if source == "auto" else (source,)
    for kind in order:
        found = attempts[kind](name, split)
        if found is not None:
            return found
    if source == "user":
        raise FileNotFoundError(f"No {name}.npz in ${DATA_DIR_ENV}; set it to a folder holding "
                                f"{name}.npz with keys x_train, y_train, x_test, y_test.")
    raise FileNotFoundError(f"No installed full copy of {name} was found; install the Debian "
                            "package dataset-fashion-mnist, put the Keras file in "
                            f"{KERAS_CACHE}, or use source='subset'.")


def _from_user_dir(name, split):
    folder = os.environ.get(DATA_DIR_ENV)
    if not folder or not (Path(folder) / f"{name}.npz").exists():
        return None
    images, labels = _read_npz(Path(folder) / f"{name}.npz", split)
    return images, labels, f"{name} {split} from ${DATA_DIR_ENV} ({len(images):,} images)"


def _from_installed(name, split):
    prefix = "train" if split == "train" else "t10k"
    if name == "fashion_mnist":
        for folder, where in ((FASHION_SYSTEM_DIR, "Debian package dataset-fashion-mnist"),
                              (KERAS_CACHE / "fashion-mnist", "Keras cache")):
            images_file = folder / f"{prefix}-images-idx3-ubyte.gz"
            if images_file.exists():
                images = read_idx(images_file)
                labels = read_idx(folder / f"{prefix}-labels-idx1-ubyte.gz")
                return images, labels, f"full Fashion-MNIST {split} from the {where} ({len(images):,} images)"
    if name == "mnist" and (KERAS_CACHE / "mnist.npz").exists():
        images, labels = _read_npz(KERAS_CACHE / "mnist.npz", split)
        return images, labels, f"full MNIST {split} from the Keras cache ({len(images):,} images)"
    return None


def _from_subset(name, split):
    path = DATA_DIR / f"{name}_subset.npz"
    verify_checksum(path)
    images, labels = _read_npz(path, split)
    return images, labels, f"shipped {name} subset, {split} ({len(images):,} images)"


def _from_download(name, split, timeout: float = 10.0):
    import keras

    module = {"mnist": keras.datasets.mnist, "fashion_mnist": keras.datasets.fashion_mnist}[name]
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        (x_train, y_train), (x_test, y_test) = module.load_data()
    except Exception as error:  # offline: DNS failure, refused or timed-out connection
        raise ConnectionError(f"Downloading {name} failed ({type(error).__name__}: {error}). "
                              "Without network use source='auto', which needs no download.") from error
    finally:
        socket.setdefaulttimeout(previous)
    images, labels = (x_train, y_train) if split == "train" else (x_test, y_test)
    return images, labels, f"full {name} {split}, downloaded with Keras ({len(images):,} images)"


def _read_npz(path, split):
    try:
        with np.load(path) as archive:
            images, labels = archive[f"x_{split}"], archive[f"y_{split}"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"Could not read {path}: {type(error).__name__}: {error}. Expected an .npz "
                         f"with x_{split} and y_{split}; replace the file with a good copy.") from error
    return _check_uint8_images(images, labels, f"{path} ({split})")


def _check_uint8_images(images, labels, where):
    """Grey images as uint8 ``(N, H, W)`` (or ``(N, H, W, 1)``) with one integer label each."""
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError(f"Expected grey images of shape (N, height, width) in {where}, got shape "
                         f"{images.shape}" + (" (flat rows: reshape them to (N, 28, 28))" if images.ndim == 2 else "")
                         + (" (colour images: this loader takes grey ones)" if images.ndim == 4 else "") + ".")
    if images.dtype != np.uint8:
        low, high = (float(images.min()), float(images.max())) if images.size else (0.0, 0.0)
        raise ValueError(f"Expected uint8 pixels 0..255 in {where}, got dtype {images.dtype} with values "
                         f"in [{low:.3g}, {high:.3g}]; save (images * 255).round().astype('uint8') for "
                         "images in [0, 1].")
    if labels.shape != (len(images),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"Expected one integer label per image in {where}: {len(images)} images, got "
                         f"labels of shape {labels.shape} and dtype {labels.dtype}.")
    return images, labels


def read_idx(path) -> np.ndarray:
    """Read a gzipped IDX file (the MNIST format) into a uint8 array."""
    try:
        with gzip.open(path, "rb") as handle:
            data = handle.read()
        zero, dtype, ndim = struct.unpack(">HBB", data[:4])
        shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
        if zero != 0 or dtype != 0x08:
            raise ValueError("not an unsigned-byte IDX file")
        return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)
    except (OSError, EOFError, ValueError, struct.error) as error:
        raise ValueError(f"{path} is corrupt ({error}); reinstall it (for the Debian copy: "
                         "apt-get install --reinstall dataset-fashion-mnist).") from error


def verify_checksum(path, manifest=None):
    """Check ``path`` against its sha256 in ``data/MANIFEST.sha256``; raise if missing or altered."""
    path = Path(path)
    manifest = Path(manifest or path.parent / "MANIFEST.sha256")
    if not path.exists():
        raise FileNotFoundError(f"Missing data file {path}; restore it with `git checkout -- data/` "
                                "or rebuild it with `python data/make_subsets.py`.")
    expected = dict(line.split()[::-1] for line in manifest.read_text().splitlines() if line.strip())
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    if expected.get(path.name) != actual:
        raise ValueError(f"Checksum mismatch for {path}: expected {expected.get(path.name)}, got "
                         f"{actual}. The file is corrupt or was changed; restore it with "
                         "`git checkout -- data/` or rebuild it with `python data/make_subsets.py`.")
