"""Laplacian pyramid utilities of ganlib.lapgan."""

import numpy as np
import pytest

from ganlib import lapgan


def images(size=28, count=3, channels=1, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (count, size, size, channels)).astype(np.float32)


def test_round_trip_is_exact():
    original = images()
    pyramid = lapgan.build_pyramid(original, levels=3)
    assert [level.shape for level in pyramid] == [(3, 28, 28, 1), (3, 14, 14, 1), (3, 7, 7, 1)]
    assert np.abs(lapgan.reconstruct(pyramid) - original).max() < 1e-6


def test_low_pass_is_the_block_average_and_bands_are_what_upsampling_misses():
    original = images(size=4, count=1)
    low_pass = lapgan.downsample(original)
    expected = original.reshape(1, 2, 2, 2, 2, 1).mean(axis=(2, 4))
    np.testing.assert_allclose(low_pass, expected, atol=1e-6)
    band, coarse = lapgan.build_pyramid(original, levels=2)
    np.testing.assert_allclose(band, original - lapgan.upsample(expected), atol=1e-6)
    np.testing.assert_allclose(coarse, expected, atol=1e-6)


def test_a_flat_image_has_empty_bands():
    flat = np.full((2, 16, 16, 3), 0.25, np.float32)
    *bands, low_pass = lapgan.build_pyramid(flat, levels=4)
    assert all(np.abs(band).max() < 1e-6 for band in bands)
    np.testing.assert_allclose(low_pass, np.full((2, 2, 2, 3), 0.25), atol=1e-6)


def test_one_level_is_the_image_itself():
    original = images(size=6)
    (only,) = lapgan.build_pyramid(original, levels=1)
    np.testing.assert_array_equal(only, original)


@pytest.mark.parametrize("call, message", [
    (lambda: lapgan.build_pyramid(images(), levels=4),
     r"divisible by 2 \*\* \(levels - 1\) = 8 for 4 levels, got 28x28"),
    (lambda: lapgan.build_pyramid(images(), levels=0), "levels must be an integer >= 1, got 0"),
    (lambda: lapgan.build_pyramid(np.zeros((28, 28, 1)), levels=2), r"got shape \(28, 28, 1\)"),
    (lambda: lapgan.downsample(images(size=7)), "even height and width to halve, got 7x7"),
    (lambda: lapgan.reconstruct([]), "non-empty list of levels"),
    (lambda: lapgan.reconstruct([images(size=28), images(size=7)]),
     "twice the size of the level below it: a 28x28 band above a 7x7 level"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
