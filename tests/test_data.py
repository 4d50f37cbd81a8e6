"""ganlib.data: offline loaders, shipped subsets, and clear errors."""

import gzip
import shutil
import time

import numpy as np
import pytest
import tensorflow as tf

from ganlib import data


@pytest.fixture
def no_installed_copies(monkeypatch, tmp_path):
    """Hide full copies on this machine so the shipped subsets are what loads."""
    monkeypatch.setattr(data, "FASHION_SYSTEM_DIR", tmp_path / "none")
    monkeypatch.setattr(data, "KERAS_CACHE", tmp_path / "none")
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)


@pytest.mark.parametrize("name, train, test", [("mnist", 4000, 1000), ("fashion_mnist", 6000, 1000)])
def test_shipped_subsets_are_balanced_real_images(no_installed_copies, name, train, test):
    for split, count in (("train", train), ("test", test)):
        arrays = data.load_arrays(name, split)
        assert arrays.source.startswith(f"shipped {name} subset")
        assert arrays.images.shape == (count, 28, 28, 1) and arrays.images.dtype == np.float32
        assert arrays.images.min() == -1.0 and arrays.images.max() == 1.0
        assert np.bincount(arrays.labels).tolist() == [count // 10] * 10
        # real digits and clothes: mostly background with a bright object in the middle
        assert arrays.images[:, 10:18, 10:18].mean() > arrays.images[:, :3, :3].mean() + 0.5


def test_load_gives_batched_shuffled_float_dataset(no_installed_copies):
    dataset = data.load("mnist", batch_size=64, seed=1)
    images, labels = next(iter(dataset))
    assert images.shape == (64, 28, 28, 1) and images.dtype == tf.float32
    assert labels.dtype == tf.int64
    first_epoch = np.concatenate([batch_labels.numpy() for _, batch_labels in dataset])
    second_epoch = np.concatenate([batch_labels.numpy() for _, batch_labels in dataset])
    assert len(first_epoch) == 4000 and not np.array_equal(first_epoch, second_epoch)
    assert sorted(first_epoch.tolist()) == sorted(second_epoch.tolist())
    assert "shipped mnist subset" in dataset.source


def test_partial_last_batch_and_limit(no_installed_copies):
    sizes = [int(x.shape[0]) for x in data.load("mnist", batch_size=64, limit=100, with_labels=False)]
    assert sizes == [64, 36]
    assert [int(x.shape[0]) for x in data.load("mnist", batch_size=64, limit=100,
                                               with_labels=False, drop_remainder=True)] == [64]


def test_faces2x2_have_the_face_pattern_and_depend_on_seed():
    faces = data.load_arrays("faces2x2").images.reshape(-1, 4)
    assert faces.shape == (1000, 4) and faces.min() >= -1 and faces.max() <= 1
    assert (np.minimum(faces[:, 0], faces[:, 3]) > np.maximum(faces[:, 1], faces[:, 2])).all()
    assert np.array_equal(faces, data.load_arrays("faces2x2", seed=0).images.reshape(-1, 4))
    assert not np.array_equal(faces, data.load_arrays("faces2x2", seed=1).images.reshape(-1, 4))
    assert data.load_arrays("faces2x2").labels is None
    batch = next(iter(data.load("faces2x2", batch_size=10)))
    assert batch.shape == (10, 2, 2, 1)


def test_user_data_dir_comes_first(monkeypatch, tmp_path):
    images = np.full((5, 28, 28), 255, np.uint8)
    np.savez(tmp_path / "mnist.npz", x_train=images, y_train=np.arange(5), x_test=images[:2],
             y_test=np.arange(2))
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    arrays = data.load_arrays("mnist", "test")
    assert arrays.images.shape == (2, 28, 28, 1) and (arrays.images == 1.0).all()
    assert "GANLIB_DATA_DIR" in arrays.source


def test_full_fashion_mnist_from_idx_files(monkeypatch, tmp_path):
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    images = np.arange(3 * 28 * 28, dtype=np.uint32).astype(np.uint8).reshape(3, 28, 28)
    labels = np.array([7, 8, 9], np.uint8)
    with gzip.open(tmp_path / "t10k-images-idx3-ubyte.gz", "wb") as f:
        f.write(b"\x00\x00\x08\x03" + np.array([3, 28, 28], ">u4").tobytes() + images.tobytes())
    with gzip.open(tmp_path / "t10k-labels-idx1-ubyte.gz", "wb") as f:
        f.write(b"\x00\x00\x08\x01" + np.array([3], ">u4").tobytes() + labels.tobytes())
    monkeypatch.setattr(data, "FASHION_SYSTEM_DIR", tmp_path)
    arrays = data.load_arrays("fashion_mnist", "test")
    assert arrays.labels.tolist() == [7, 8, 9]
    np.testing.assert_allclose(arrays.images[..., 0], images / 127.5 - 1, atol=1e-6)
    assert arrays.source.startswith("full Fashion-MNIST test")


@pytest.mark.parametrize("kwargs, message", [
    (dict(name="cifar10"), "Unknown dataset 'cifar10'; expected one of mnist, fashion_mnist, faces2x2"),
    (dict(name="mnist", split="validation"), "Unknown split 'validation'"),
    (dict(name="mnist", source="internet"), "Unknown source 'internet'"),
    (dict(name="mnist", limit=0), "limit must be None or an integer >= 1, got 0"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        data.load_arrays(**kwargs)


def test_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got 0"):
        data.load("faces2x2", batch_size=0)


@pytest.fixture
def copied_data_dir(monkeypatch, tmp_path, no_installed_copies):
    folder = tmp_path / "data"
    shutil.copytree(data.DATA_DIR, folder, ignore=shutil.ignore_patterns("*.py"))
    monkeypatch.setattr(data, "DATA_DIR", folder)
    return folder


def test_missing_subset_file_says_how_to_restore(copied_data_dir):
    (copied_data_dir / "mnist_subset.npz").unlink()
    with pytest.raises(FileNotFoundError, match=r"Missing data file .*mnist_subset.npz.*make_subsets.py"):
        data.load_arrays("mnist")


def test_corrupt_subset_file_fails_its_checksum(copied_data_dir):
    path = copied_data_dir / "fashion_mnist_subset.npz"
    blob = bytearray(path.read_bytes())
    blob[1000] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.raises(ValueError, match=r"Checksum mismatch for .*fashion_mnist_subset.npz"):
        data.load_arrays("fashion_mnist")


def test_corrupt_idx_file_is_named(monkeypatch, tmp_path):
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
    monkeypatch.setattr(data, "FASHION_SYSTEM_DIR", tmp_path)
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte.gz is corrupt"):
        data.load_arrays("fashion_mnist")


def test_manifest_matches_the_shipped_files():
    for name in ("mnist_subset.npz", "fashion_mnist_subset.npz"):
        data.verify_checksum(data.DATA_DIR / name)


def test_download_fails_fast_and_clearly_when_offline(monkeypatch, tmp_path):
    import socket

    def unreachable(*args, **kwargs):
        raise socket.gaierror("Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", unreachable)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    start = time.perf_counter()
    with pytest.raises(ConnectionError, match="Downloading mnist failed.*source='auto'"):
        data.load_arrays("mnist", source="download")
    assert time.perf_counter() - start < 10


# --- the ring of Gaussians (notebook 03's mode-collapse demo) --------------------------------------

def test_ring_centres_are_evenly_spaced_on_the_circle():
    centres = data.ring_centres(modes=4, radius=0.5)
    np.testing.assert_allclose(centres, [[0.5, 0], [0, 0.5], [-0.5, 0], [0, -0.5]], atol=1e-7)
    assert centres.dtype == np.float32
    with pytest.raises(ValueError, match=r"radius must be in \(0, 1\].*got 2"):
        data.ring_centres(radius=2)
    with pytest.raises(ValueError, match="modes must be an integer >= 1, got 0"):
        data.ring_centres(modes=0)


def test_make_ring_draws_every_mode_with_the_given_spread():
    points = data.make_ring(8000, modes=8, radius=0.8, std=0.05, seed=0)
    assert points.shape == (8000, 2) and points.dtype == np.float32
    assert points.min() >= -1 and points.max() <= 1
    centres = data.ring_centres(8, 0.8)
    nearest = np.linalg.norm(points[:, None] - centres[None], axis=2).argmin(axis=1)
    assert np.bincount(nearest, minlength=8).min() > 900  # about 1000 per mode
    offsets = points - centres[nearest]
    np.testing.assert_allclose(offsets.std(axis=0), [0.05, 0.05], rtol=0.05)
    np.testing.assert_allclose(offsets.mean(axis=0), [0, 0], atol=0.005)
    assert np.array_equal(points, data.make_ring(8000, seed=0))
    assert not np.array_equal(points, data.make_ring(8000, seed=1))
    with pytest.raises(ValueError, match="std must be positive, got 0"):
        data.make_ring(10, std=0)
    with pytest.raises(ValueError, match="count must be an integer >= 1, got 0"):
        data.make_ring(0)


def test_a_bool_batch_size_is_refused():
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got True"):
        data.load("faces2x2", batch_size=True)


def test_each_epoch_order_depends_only_on_seed_and_epoch():
    def epoch_of(dataset, epoch):
        dataset.ganlib_epochs.next = epoch  # what GAN.fit does before each epoch
        return np.concatenate([batch.numpy() for batch in dataset])

    first, again = data.load("faces2x2", batch_size=100), data.load("faces2x2", batch_size=100)
    assert np.array_equal(epoch_of(first, 2), epoch_of(again, 2))  # a fresh loader, the same epoch
    assert not np.array_equal(epoch_of(first, 2), epoch_of(first, 3))
    assert int(first.cardinality()) == 10


def write_user_npz(folder, images, labels=None, **arrays):
    labels = np.arange(len(images)) % 10 if labels is None else labels
    np.savez(folder / "mnist.npz", x_train=images, y_train=labels, x_test=images, y_test=labels, **arrays)


@pytest.mark.parametrize("images, labels, message", [
    (np.zeros((5, 784), np.uint8), None, r"shape \(5, 784\) \(flat rows: reshape them to \(N, 28, 28\)\)"),
    (np.zeros((5, 28, 28, 3), np.uint8), None, r"\(colour images: this loader takes grey ones\)"),
    (np.full((5, 28, 28), 0.5, np.float32), None, r"uint8 pixels 0..255 .* got dtype float32 with values in \[0.5, 0.5\]"),
    (np.zeros((5, 28, 28), np.uint8), np.arange(4), r"one integer label per image .* 5 images, got labels of shape \(4,\)"),
])
def test_user_files_of_the_wrong_form_are_refused_with_the_file_named(monkeypatch, tmp_path, images, labels, message):
    write_user_npz(tmp_path, images, labels)
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(ValueError, match=message) as error:
        data.load_arrays("mnist")
    assert str(tmp_path / "mnist.npz") in str(error.value)


@pytest.mark.parametrize("content, kind", [(b"", "EOFError|BadZipFile"), (None, "BadZipFile")])
def test_truncated_or_empty_user_files_are_named(monkeypatch, tmp_path, content, kind):
    write_user_npz(tmp_path, np.zeros((5, 28, 28), np.uint8))
    path = tmp_path / "mnist.npz"
    path.write_bytes(path.read_bytes()[:200] if content is None else content)
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(ValueError, match=rf"Could not read {path}: ({kind})"):
        data.load_arrays("mnist")
