"""Natural photos for super-resolution, offline: ``ganlib.data.load("sr_photos", split=...)``.

The photos ship inside installed packages, so nothing is downloaded: eight of scikit-image's
``skimage.data`` images and scikit-learn's two sample photos (``load_sample_images``).
They are split by photo, never by crop, so no test pixel is seen in training:

- train: astronaut, coffee, rocket, motorcycle (the left view of ``stereo_motorcycle``),
  china (scikit-learn), and the grey textures brick, grass and gravel;
- test: chelsea (the cat), flower (scikit-learn) and camera (the grey cameraman).

Grey photos are repeated into three channels. A folder of your own photos works too
(``folder=...`` or ``$GANLIB_DATA_DIR/sr_photos``): its ``train/`` and ``test/`` subfolders
if it has them, otherwise every fifth photo in name order is held out for test.

Training pairs are random square crops of a photo (the high-resolution, HR, image) with
their low-resolution (LR) version made by antialiased bicubic downscaling, augmented by the
eight flips and quarter-turn rotations. Every image is float32 in [-1, 1].
"""

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from ganlib import checks

NAME = "sr_photos"
SPLITS = ("train", "test")
SOURCES = ("auto", "user", "packages")
DATA_DIR_ENV = "GANLIB_DATA_DIR"
PHOTO_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
SPLIT_PHOTOS = {
    "train": ("astronaut", "coffee", "rocket", "motorcycle", "china", "brick", "grass", "gravel"),
    "test": ("chelsea", "flower", "camera"),
}


@dataclass
class Photos:
    """Whole photos (float32, HxWx3, [-1, 1], sizes differ), their names and where they came from."""

    images: list
    names: list
    source: str

    def __len__(self):
        return len(self.images)


@dataclass
class Pairs:
    """Low- and high-resolution crops (float32, NHWC, [-1, 1]) and where they came from."""

    low_res: np.ndarray
    high_res: np.ndarray
    source: str

    def __len__(self):
        return len(self.high_res)


def read_photos(split: str = "train", source: str = "auto", folder=None,
                limit: int | None = None) -> Photos:
    """The whole photos of one split.

    Args:
        split: ``"train"`` or ``"test"``.
        source: ``"auto"`` (``folder``, else ``$GANLIB_DATA_DIR/sr_photos`` if it exists,
            else the packaged photos), ``"user"`` (a folder, required) or ``"packages"``.
        folder: a folder of your own photos (see the module docstring for its split).
        limit: keep only the first ``limit`` photos of the split.

    Returns:
        ``Photos`` with RGB float32 images in [-1, 1].
    """
    if split not in SPLITS:
        raise ValueError(f"Unknown split {split!r} for {NAME!r}; expected one of {', '.join(SPLITS)}.")
    if source not in SOURCES:
        raise ValueError(f"Unknown source {source!r} for {NAME!r}; expected one of {', '.join(SOURCES)}.")
    check_limit(limit)
    if folder is None and source != "packages" and os.environ.get(DATA_DIR_ENV):
        candidate = Path(os.environ[DATA_DIR_ENV]) / NAME
        folder = candidate if candidate.is_dir() else None
    if source == "user" and folder is None:
        raise FileNotFoundError(f"source='user' needs folder=... or a folder ${DATA_DIR_ENV}/{NAME} "
                                "holding your photos.")
    if folder is not None and source != "packages":
        names, pixels = _from_folder(Path(folder), split)
        where = f"{len(names)} photos from {folder}"
    else:
        names = list(SPLIT_PHOTOS[split])
        pixels = [_packaged_photo(name) for name in names]
        where = f"{len(names)} photos shipped with scikit-image and scikit-learn"
    names, pixels = names[:limit], pixels[:limit]
    images = [_to_rgb(p).astype(np.float32) / 127.5 - 1.0 for p in pixels]
    return Photos(images, names, f"{NAME} {split}: {where} ({', '.join(names)})")


def downscale(images, scale: int):
    """LR images: antialiased bicubic downscaling by ``scale``, clipped to [-1, 1].

    ``antialias=True`` widens the bicubic kernel by ``scale`` so that it also low-pass
    filters (as MATLAB's ``imresize``, used to make the benchmarks of the SR papers);
    without it the downscaled image aliases.

    Args:
        images: one image ``(H, W, C)`` or a batch ``(N, H, W, C)``; H and W multiples of ``scale``.
        scale: the integer downscaling factor.

    Returns:
        A float32 tensor ``(…, H / scale, W / scale, C)``.
    """
    _check_scale(scale)
    images = tf.convert_to_tensor(images, tf.float32)
    height, width = images.shape[-3], images.shape[-2]
    if height % scale or width % scale:
        raise ValueError(f"Image height and width must be multiples of scale={scale}, "
                         f"got {height}x{width}; crop them first (see crop_to_multiple).")
    small = tf.image.resize(images, (height // scale, width // scale), method="bicubic", antialias=True)
    return tf.clip_by_value(small, -1.0, 1.0)


def upscale_bicubic(images, scale: int):
    """Bicubic upscaling by ``scale``, clipped to [-1, 1]: the baseline that SR must beat."""
    _check_scale(scale)
    images = tf.convert_to_tensor(images, tf.float32)
    size = (images.shape[-3] * scale, images.shape[-2] * scale)
    return tf.clip_by_value(tf.image.resize(images, size, method="bicubic"), -1.0, 1.0)


def crop_to_multiple(image, scale: int):
    """``image`` (H, W, C) with its bottom and right edges cropped to multiples of ``scale``."""
    _check_scale(scale)
    height, width = image.shape[0] // scale * scale, image.shape[1] // scale * scale
    return image[:height, :width]


def load(split: str = "train", scale: int = 4, crop_size: int = 96, batch_size: int = 16,
         num_crops: int = 800, augment: bool | None = None, shuffle: bool = True, seed: int = 0,
         limit: int | None = None, drop_remainder: bool = False, source: str = "auto",
         folder=None) -> tf.data.Dataset:
    """A ``tf.data.Dataset`` of ``(low_res, high_res)`` batches of random crops.

    Each element is one crop: a photo chosen uniformly at random, a ``crop_size`` square
    at a uniformly random place in it (HR), then, when ``augment``, one of the eight
    flips and rotations, and its LR version ``downscale(HR, scale)``.

    Args:
        split: ``"train"`` or ``"test"``.
        scale: the super-resolution factor; LR crops are ``crop_size / scale`` wide.
        crop_size: side of the HR crops, a multiple of ``scale``.
        batch_size: crops per batch.
        num_crops: crops per epoch.
        augment: random flips and rotations; by default on for train, off for test.
        shuffle: new random crops every epoch; ``False`` repeats the same crops (for evaluation).
        seed: seed of the crops.
        limit, source, folder: which photos, as in ``read_photos``.
        drop_remainder: drop a last partial batch.

    Returns:
        The dataset; ``dataset.source`` says which photos were used.

    Example:
        >>> pairs = load("train", scale=4, crop_size=96, batch_size=16)
        >>> low_res, high_res = next(iter(pairs))   # (16, 24, 24, 3), (16, 96, 96, 3)
    """
    for name, value in (("batch_size", batch_size), ("num_crops", num_crops)):
        checks.integer(name, value)
    _check_crop(crop_size, scale)
    photos = read_photos(split, source=source, folder=folder, limit=limit)
    augment = split == "train" if augment is None else augment
    make_pair = _pair_maker(photos, crop_size, scale, augment, seed)
    from ganlib import data  # data imports this module

    # Crop i of epoch e is drawn from (seed, e * num_crops + i): new crops every epoch, the same
    # for the same epoch of a resumed run; shuffle=False keeps epoch 0's crops.
    numbers = data.epochs()
    draws = numbers.flat_map(lambda epoch: tf.data.Dataset.range(num_crops).map(
        lambda index: (epoch if shuffle else tf.constant(0, tf.int64)) * num_crops + index))
    dataset = draws.map(make_pair, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    dataset = data.with_epochs(dataset.batch(batch_size, drop_remainder=drop_remainder), numbers,
                               num_crops, batch_size, drop_remainder)
    dataset.source = photos.source
    return dataset


def load_arrays(split: str = "train", scale: int = 4, crop_size: int = 96, num_crops: int = 800,
                augment: bool | None = None, seed: int = 0, limit: int | None = None,
                source: str = "auto", folder=None) -> Pairs:
    """The crops of ``load`` (one epoch, same seed, same crops) as NumPy arrays."""
    dataset = load(split, scale=scale, crop_size=crop_size, batch_size=num_crops, num_crops=num_crops,
                   augment=augment, shuffle=False, seed=seed, limit=limit, source=source, folder=folder)
    low_res, high_res = next(iter(dataset))
    return Pairs(low_res.numpy(), high_res.numpy(), dataset.source)


def _pair_maker(photos, crop_size, scale, augment, seed):
    """A tf.data map function: an int64 random draw -> one (low_res, high_res) crop pair."""
    sizes = np.array([image.shape[:2] for image in photos.images], np.int32)
    too_small = [name for name, size in zip(photos.names, sizes) if min(size) < crop_size]
    if too_small:
        raise ValueError(f"crop_size={crop_size} is larger than these photos: {', '.join(too_small)} "
                         f"(smallest side {int(sizes.min())}); use a smaller crop_size.")
    # One padded tensor holds every photo; crops are only taken inside each photo's own size.
    stacked = np.zeros((len(sizes), *sizes.max(axis=0), 3), np.float32)
    for index, image in enumerate(photos.images):
        stacked[index, :image.shape[0], :image.shape[1]] = image
    stacked, sizes = tf.constant(stacked), tf.constant(sizes)

    def make_pair(draw):
        seeds = tf.random.experimental.stateless_split(tf.stack([draw, tf.constant(seed, tf.int64)]), 5)
        index = tf.random.stateless_uniform([], seeds[0], 0, len(photos), tf.int32)
        top = tf.random.stateless_uniform([], seeds[1], 0, sizes[index, 0] - crop_size + 1, tf.int32)
        left = tf.random.stateless_uniform([], seeds[2], 0, sizes[index, 1] - crop_size + 1, tf.int32)
        high_res = stacked[index, top:top + crop_size, left:left + crop_size]
        if augment:
            turns = tf.random.stateless_uniform([], seeds[3], 0, 4, tf.int32)
            high_res = tf.image.rot90(high_res, turns)
            flip = tf.random.stateless_uniform([], seeds[4]) < 0.5
            high_res = tf.cond(flip, lambda: tf.reverse(high_res, axis=[1]), lambda: high_res)
        high_res = tf.ensure_shape(high_res, (crop_size, crop_size, 3))
        return downscale(high_res, scale), high_res

    return make_pair


def _packaged_photo(name):
    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image
        return load_sample_image(f"{name}.jpg")
    import skimage.data
    if name == "motorcycle":
        return skimage.data.stereo_motorcycle()[0]
    return getattr(skimage.data, name)()


def _from_folder(folder, split):
    if not folder.is_dir():
        raise FileNotFoundError(f"Photo folder {folder} does not exist.")
    if (folder / "train").is_dir() and (folder / "test").is_dir():
        paths = _photo_paths(folder / split)
    else:
        every = _photo_paths(folder)
        if len(every) < 2:
            raise ValueError(f"Expected at least 2 photos ({', '.join(PHOTO_SUFFIXES)}) in {folder} "
                             f"to split into train and test, got {len(every)}.")
        held_out = every[4::5] or every[-1:]  # every fifth photo in name order, at least one
        paths = held_out if split == "test" else [p for p in every if p not in held_out]
    if not paths:
        raise ValueError(f"No photos ({', '.join(PHOTO_SUFFIXES)}) in {folder / split}.")
    from PIL import Image

    pixels = []
    for path in paths:
        with Image.open(path) as image:
            pixels.append(np.asarray(image.convert("RGB")))
    return [p.stem for p in paths], pixels


def _photo_paths(folder):
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)


def _to_rgb(pixels):
    pixels = np.asarray(pixels)
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=-1)
    return pixels[..., :3]


def _check_scale(scale):
    return checks.integer("scale", scale)


def _check_crop(crop_size, scale):
    scale = _check_scale(scale)
    if checks.integer("crop_size", crop_size) < scale:
        raise ValueError(f"crop_size must be an integer >= scale={scale}, got {crop_size!r}.")
    if crop_size % scale:
        raise ValueError(f"crop_size must be a multiple of scale: got crop_size={crop_size}, "
                         f"scale={scale} (try {crop_size // scale * scale}).")


def check_limit(limit):
    """Raise ``ValueError`` unless ``limit`` is None or a positive integer (shared with ganlib.data)."""
    if limit is not None and (isinstance(limit, (bool, np.bool_)) or not isinstance(limit, (int, np.integer))
                              or limit < 1):
        raise ValueError(f"limit must be None or an integer >= 1, got {limit!r}.")
