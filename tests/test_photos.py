"""ganlib.photos: offline natural photos, split by photo, crop pairs, augmentation, user folders."""

import socket

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from ganlib import data, photos


@pytest.fixture
def offline(monkeypatch):
    """Any attempt to reach the network fails at once."""
    def unreachable(*args, **kwargs):
        raise socket.gaierror("no network in this test")

    monkeypatch.setattr(socket, "getaddrinfo", unreachable)
    monkeypatch.delenv(photos.DATA_DIR_ENV, raising=False)


@pytest.fixture
def coordinate_folder(tmp_path):
    """A folder with one 40x60 photo whose red and green channels are its row and column."""
    rows, cols = np.meshgrid(np.arange(40), np.arange(60), indexing="ij")
    pixels = np.stack([rows * 4, cols * 4, np.full_like(rows, 128)], axis=-1).astype(np.uint8)
    for split in ("train", "test"):
        (tmp_path / split).mkdir()
        Image.fromarray(pixels).save(tmp_path / split / "grid.png")
    return tmp_path


def _rows_and_cols(high_res):
    """Recover the photo coordinates encoded by ``coordinate_folder`` (exact for uint8 images)."""
    pixels = np.rint((high_res + 1.0) * 127.5).astype(int)
    return pixels[..., 0] // 4, pixels[..., 1] // 4


def test_packaged_photos_load_offline_and_are_split_by_photo(offline):
    train, test = photos.read_photos("train"), photos.read_photos("test")
    assert train.names == ["astronaut", "coffee", "rocket", "motorcycle", "china", "brick", "grass", "gravel"]
    assert test.names == ["chelsea", "flower", "camera"]
    assert "scikit-image and scikit-learn" in train.source and "chelsea" in test.source
    shapes = {name: image.shape for name, image in zip(train.names + test.names, train.images + test.images)}
    assert shapes["chelsea"] == (300, 451, 3) and shapes["flower"] == (427, 640, 3)
    assert shapes["motorcycle"] == (500, 741, 3) and shapes["brick"] == (512, 512, 3)
    for image in train.images + test.images:
        assert image.dtype == np.float32 and -1.0 <= image.min() < image.max() <= 1.0
    # no test photo is also a training photo
    test_fingerprints = {image[:8, :8].tobytes() for image in test.images}
    assert not test_fingerprints & {image[:8, :8].tobytes() for image in train.images}
    grey = test.images[test.names.index("camera")]
    assert np.array_equal(grey[..., 0], grey[..., 2])  # grey photos repeated into RGB


def test_load_gives_crop_pairs_whose_low_res_is_the_bicubic_downscale(offline):
    dataset = data.load("sr_photos", "train", batch_size=8, scale=4, crop_size=48, num_crops=20)
    batches = list(dataset)
    assert [int(hr.shape[0]) for _, hr in batches] == [8, 8, 4]
    low_res, high_res = batches[0]
    assert low_res.shape == (8, 12, 12, 3) and high_res.shape == (8, 48, 48, 3)
    assert low_res.dtype == tf.float32
    np.testing.assert_allclose(low_res, photos.downscale(high_res, 4), atol=1e-6)
    assert float(tf.reduce_min(high_res)) >= -1 and float(tf.reduce_max(low_res)) <= 1
    assert "sr_photos train" in dataset.source


def test_crops_are_reproducible_and_fresh_each_epoch(offline):
    def first_crops(dataset):
        return next(iter(dataset))[1].numpy()

    def crops(seed, **kwargs):
        return photos.load("train", crop_size=32, batch_size=4, num_crops=4, seed=seed, **kwargs)

    dataset = crops(seed=3)
    epoch_one, epoch_two = first_crops(dataset), first_crops(dataset)
    assert not np.array_equal(epoch_one, epoch_two)               # shuffle=True: new crops each epoch
    assert np.array_equal(epoch_one, first_crops(crops(seed=3)))  # same seed, same crops
    assert not np.array_equal(epoch_one, first_crops(crops(seed=4)))
    fixed = crops(seed=3, shuffle=False)
    assert np.array_equal(first_crops(fixed), first_crops(fixed))  # shuffle=False: the same crops


def test_crops_come_from_inside_the_photo_without_augmentation(coordinate_folder):
    pairs = photos.load_arrays("train", crop_size=16, scale=2, num_crops=50, augment=False,
                               folder=coordinate_folder)
    rows, cols = _rows_and_cols(pairs.high_res)
    tops, lefts = rows[:, 0, 0], cols[:, 0, 0]
    offsets = np.arange(16)
    assert np.array_equal(rows, np.broadcast_to(tops[:, None, None] + offsets[None, :, None], rows.shape))
    assert np.array_equal(cols, np.broadcast_to(lefts[:, None, None] + offsets[None, None, :], cols.shape))
    assert tops.min() >= 0 and tops.max() <= 40 - 16 and lefts.max() <= 60 - 16
    assert len(set(zip(tops, lefts))) > 40  # places spread over the photo


def test_augmentation_gives_all_eight_flips_and_rotations(coordinate_folder):
    pairs = photos.load_arrays("train", crop_size=16, scale=2, num_crops=200, folder=coordinate_folder)
    rows, cols = _rows_and_cols(pairs.high_res)
    seen = set()
    for row, col in zip(rows, cols):
        # the crop's first row runs along the photo's rows or columns, up or down
        along_rows = row[0, 1] != row[0, 0]
        step_first = (row if along_rows else col)[0, 1] - (row if along_rows else col)[0, 0]
        step_second = (col if along_rows else row)[1, 0] - (col if along_rows else row)[0, 0]
        assert abs(step_first) == 1 and abs(step_second) == 1
        seen.add((bool(along_rows), int(step_first), int(step_second)))
    assert len(seen) == 8


def test_downscale_is_antialiased_bicubic():
    checkerboard = np.indices((32, 32)).sum(axis=0) % 2 * 1.6 - 0.8  # the finest detail, +-0.8
    small = photos.downscale(checkerboard[..., None].astype(np.float32), 4).numpy()
    assert small.shape == (8, 8, 1)
    assert np.abs(small).max() < 0.05  # low-passed to its mean 0, not aliased to +-0.8
    constant = np.full((1, 8, 12, 3), 0.25, np.float32)
    np.testing.assert_allclose(photos.downscale(constant, 2), np.full((1, 4, 6, 3), 0.25), atol=1e-6)
    with pytest.raises(ValueError, match="multiples of scale=4, got 30x32"):
        photos.downscale(np.zeros((30, 32, 3), np.float32), 4)


@pytest.mark.parametrize("kwargs, message", [
    (dict(crop_size=50, scale=4), "crop_size must be a multiple of scale: got crop_size=50, scale=4"),
    (dict(crop_size=2, scale=4), "crop_size must be an integer >= scale=4, got 2"),
    (dict(crop_size=600), "crop_size=600 is larger than these photos: astronaut, coffee"),
    (dict(num_crops=0), "num_crops must be an integer >= 1, got 0"),
    (dict(split="validation"), "Unknown split 'validation' for 'sr_photos'"),
    (dict(source="subset"), "Unknown source 'subset' for 'sr_photos'"),
])
def test_bad_arguments_are_named(offline, kwargs, message):
    with pytest.raises(ValueError, match=message):
        photos.load(**kwargs)


def test_flat_user_folder_holds_out_every_fifth_photo(tmp_path, monkeypatch):
    for index in range(7):
        Image.fromarray(np.full((40, 40), index * 30, np.uint8)).save(tmp_path / f"photo_{index}.jpg")
    (tmp_path / "notes.txt").write_text("not a photo")
    assert photos.read_photos("test", folder=tmp_path).names == ["photo_4"]
    train = photos.read_photos("train", folder=tmp_path)
    assert train.names == ["photo_0", "photo_1", "photo_2", "photo_3", "photo_5", "photo_6"]
    assert train.images[0].shape == (40, 40, 3) and str(tmp_path) in train.source
    # the same folder is found through $GANLIB_DATA_DIR/sr_photos
    (tmp_path / "root").mkdir()
    (tmp_path / "photo_0.jpg").rename(tmp_path / "root" / "a.jpg")
    (tmp_path / "photo_1.jpg").rename(tmp_path / "root" / "b.jpg")
    (tmp_path / "root").rename(tmp_path / "sr_photos")
    monkeypatch.setenv(photos.DATA_DIR_ENV, str(tmp_path))
    assert photos.read_photos("test").names == ["b"]
    assert photos.read_photos("test", source="packages").names == ["chelsea", "flower", "camera"]


def test_user_folder_errors(tmp_path, monkeypatch):
    monkeypatch.delenv(photos.DATA_DIR_ENV, raising=False)
    Image.fromarray(np.zeros((40, 40), np.uint8)).save(tmp_path / "only.png")
    with pytest.raises(ValueError, match="Expected at least 2 photos .* got 1"):
        photos.read_photos("train", folder=tmp_path)
    with pytest.raises(FileNotFoundError, match="Photo folder .*missing does not exist"):
        photos.read_photos("train", folder=tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="source='user' needs folder="):
        photos.read_photos("train", source="user")


def test_data_load_arrays_dispatches_and_rejects_options_elsewhere(coordinate_folder):
    pairs = data.load_arrays("sr_photos", "test", crop_size=8, scale=2, num_crops=3, folder=coordinate_folder)
    assert pairs.low_res.shape == (3, 4, 4, 3) and pairs.high_res.shape == (3, 8, 8, 3) and len(pairs) == 3
    with pytest.raises(ValueError, match="Unexpected arguments crop_size for 'mnist'"):
        data.load_arrays("mnist", crop_size=8)


def test_numpy_integers_are_accepted_where_integers_are(offline):
    pairs = photos.load("train", scale=np.int64(2), crop_size=np.int64(16), batch_size=np.int64(4),
                        num_crops=np.int64(8))
    low_res, high_res = next(iter(pairs))
    assert low_res.shape == (4, 8, 8, 3) and high_res.shape == (4, 16, 16, 3)
