"""ganlib.lapgan: the Laplacian pyramid (exact round trip) and the LAPGAN built on it."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from ganlib import lapgan
from ganlib.gan import METRIC_NAMES


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


# ---------------------------------------------------------------------------------------------
# The LAPGAN model: 8x8 images, 3 levels (2x2 low-pass, 4x4 and 8x8 bands), tiny networks
# ---------------------------------------------------------------------------------------------

SMALL = dict(image_shape=(8, 8, 1), levels=3, latent_dim=4, hidden_units=(8,), filters=4, depth=2,
             kernel_size=3)


def small_lapgan(seed=0):
    keras.utils.set_random_seed(seed)
    return lapgan.build_lapgan(**SMALL, seed=seed)


def zero_layer(network, name):
    layer = network.get_layer(name)
    layer.set_weights([np.zeros_like(weight) for weight in layer.get_weights()])


def test_band_levels_can_have_their_own_sizes():
    model = lapgan.build_lapgan(**{**SMALL, "filters": (6, 4), "kernel_size": (5, 3)})
    convolutions = [network.generator.get_layer("conv_1") for network in model.levels[1:]]
    assert [(layer.filters, layer.kernel_size) for layer in convolutions] == [(6, (5, 5)), (4, (3, 3))]


def test_level_data_is_what_each_level_learns():
    model, real = small_lapgan(), images(size=8, count=16)
    low_pass = model.level_data(real, 0)
    np.testing.assert_allclose(low_pass, lapgan.downsample(lapgan.downsample(real)), atol=1e-6)
    band, coarse = model.level_data(real, 1)
    np.testing.assert_allclose(coarse, lapgan.upsample(low_pass), atol=1e-6)
    np.testing.assert_allclose(band + coarse, lapgan.downsample(real), atol=1e-6)
    band, coarse = model.level_data(real, 2)
    assert band.shape == coarse.shape == (16, 8, 8, 1)
    np.testing.assert_allclose(band + coarse, real, atol=1e-6)  # the finest level rebuilds the image
    assert model.shapes == [(2, 2, 1), (4, 4, 1), (8, 8, 1)]


@pytest.mark.slow
def test_each_level_fits_and_changes_its_networks():
    model, real = small_lapgan(), images(size=8, count=64)
    for level, network in enumerate(model.levels):
        network.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
        before = [w.copy() for w in network.generator.get_weights() + network.discriminator.get_weights()]
        history = network.fit(model.dataset(real, level, batch_size=16, seed=0), epochs=1, verbose=0)
        after = network.generator.get_weights() + network.discriminator.get_weights()
        assert set(history.history) == set(METRIC_NAMES)
        assert all(np.isfinite(values[-1]) for values in history.history.values())
        changed = [not np.array_equal(b, a) for b, a in zip(before, after)]
        assert sum(changed) >= len(changed) - 2, f"level {level}: {changed}"  # all but BN statistics


def test_bands_beyond_the_image_range_are_accepted():
    # a band is a difference of images, up to 2 in size: GAN.fit's [-1, 1] check must not apply
    model = small_lapgan()
    network = model.levels[2]
    network.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    bands = np.full((16, 8, 8, 1), 1.5, np.float32)
    history = network.fit(bands, np.zeros_like(bands), batch_size=8, epochs=1, verbose=0)
    assert len(history.history["d_loss"]) == 1


def test_band_step_losses_match_hand_values_at_zero_logits():
    model, real = small_lapgan(), images(size=8, count=16)
    network = model.levels[1]
    network.compile(keras.optimizers.SGD(0.0), keras.optimizers.SGD(0.0))
    zero_layer(network.discriminator.get_layer("discriminator"), "logit")
    history = network.fit(*model.level_data(real, 1), batch_size=16, epochs=1, verbose=0).history
    assert history["d_loss"][0] == pytest.approx(2 * np.log(2), rel=1e-5)
    assert history["g_loss"][0] == pytest.approx(np.log(2), rel=1e-5)


def test_the_coarse_image_enters_both_band_networks():
    network = small_lapgan().levels[2]
    rng = np.random.default_rng(1)
    noise = rng.normal(size=(2, 64)).astype(np.float32)
    band, coarse_a, coarse_b = (rng.uniform(-1, 1, (2, 8, 8, 1)).astype(np.float32) for _ in range(3))
    assert not np.allclose(network.generate(coarse_a, noise=noise), network.generate(coarse_b, noise=noise))
    assert not np.allclose(network.discriminator([band, coarse_a]), network.discriminator([band, coarse_b]))


def test_sampling_runs_coarse_to_fine():
    model = small_lapgan()
    drawn = model.generate_levels(5)
    assert [level.shape for level in drawn] == [(5, 2, 2, 1), (5, 4, 4, 1), (5, 8, 8, 1)]
    assert all(level.min() >= -1 and level.max() <= 1 for level in drawn)
    assert not np.allclose(drawn[2], np.clip(lapgan.upsample(drawn[1]), -1, 1))  # a band was added
    # with the band generators' output layers zeroed, each level is the upsampled one below it
    for network in model.levels[1:]:
        zero_layer(network.generator, "band")
    drawn = model.generate_levels(5)
    np.testing.assert_allclose(drawn[1], np.clip(lapgan.upsample(drawn[0]), -1, 1), atol=1e-6)
    np.testing.assert_allclose(drawn[2], lapgan.upsample(drawn[1]), atol=1e-6)
    assert model.generate(3).shape == (3, 8, 8, 1)


def test_refine_draws_the_finer_levels_on_given_coarse_images():
    model = small_lapgan()
    coarse = images(size=4, count=3)
    refined = model.refine(coarse, start_level=2)  # 4x4 real low-pass images + the finest band
    assert refined.shape == (3, 8, 8, 1) and refined.min() >= -1 and refined.max() <= 1
    assert not np.allclose(refined, np.clip(lapgan.upsample(coarse), -1, 1))  # a band was added
    assert model.refine(images(size=2, count=3)).shape == (3, 8, 8, 1)  # from the bottom level
    for network in model.levels[1:]:  # zeroed band generators: only upsampling is left
        zero_layer(network.generator, "band")
    np.testing.assert_allclose(model.refine(coarse, start_level=2), np.clip(lapgan.upsample(coarse), -1, 1),
                               atol=1e-6)
    low = images(size=2, count=3)
    np.testing.assert_allclose(model.refine(low), lapgan.upsample(lapgan.upsample(low)), atol=1e-6)


@pytest.mark.parametrize("call, message", [
    (lambda m: m.level_data(images(size=8), 3), r"level must be an integer in 0\.\.2, got 3"),
    (lambda m: m.refine(images(size=2), 0), r"start_level must be an integer in 1\.\.2 \(a band level\), got 0"),
    (lambda m: m.refine(images(size=2), 2), r"coarse images of shape \(batch, 4, 4, 1\) for start_level 2, got \(3, 2, 2, 1\)"),
    (lambda m: m.level_data(images(size=16), 0), r"images of shape \(batch, 8, 8, 1\), got \(3, 16, 16, 1\)"),
    (lambda m: m.dataset(images(size=8), 0, batch_size=0), "batch_size must be an integer >= 1"),
    (lambda m: m.level_data(images(size=8) * 127.5 + 127.5, 1), r"scaled to \[-1, 1\] .*got values in \[[0-9.]+, 2[0-9.]+\]"),
    (lambda m: m.levels[1].fit(np.zeros((4, 4, 4, 1), np.float32)), r"BandGAN needs \(bands, coarse\).*got the bands alone"),
    (lambda m: m.levels[1].fit(tf.data.Dataset.from_tensor_slices(np.zeros((4, 4, 4, 1), np.float32)).batch(2)),
     r"dataset of \(bands, coarse\) batches, as LAPGAN.dataset gives.*got the bands alone"),
    (lambda m: m.levels[1].fit(np.zeros((4, 4, 4, 1), np.float32), np.zeros((3, 4, 4, 1), np.float32)),
     "one coarse image per band, got 4 bands and 3 coarse images"),
    (lambda m: m.levels[1].fit(np.zeros((4, 8, 8, 1), np.float32), np.zeros((4, 8, 8, 1), np.float32)),
     r"bands have shape \(8, 8, 1\) but the discriminator expects \(4, 4, 1\)"),
    (lambda m: m.levels[2].generate(np.zeros((2, 8, 8, 1), np.float32), noise=np.zeros((2, 3))),
     r"noise of shape \(2, 64\)"),
    (lambda m: lapgan.LAPGAN(m.levels[1:]), "levels\\[0\\] to be a GAN on the low-pass images"),
    (lambda m: lapgan.LAPGAN([m.levels[0], m.levels[2]]),
     r"twice the size of the one below: a \(8, 8, 1\) band above \(2, 2, 1\) images"),
    (lambda m: lapgan.build_lapgan((12, 12, 1), levels=4), "divisible by 2 \\*\\* \\(levels - 1\\) = 8"),
    (lambda m: lapgan.build_band_generator((8, 8, 1), depth=1), "depth must be an integer >= 2"),
    (lambda m: lapgan.build_lapgan(filters=(8, 8, 8)), r"filters as one number or one per band level \(2\), got \(8, 8, 8\)"),
])
def test_bad_model_input_is_named(call, message):
    model = small_lapgan()
    with pytest.raises(ValueError, match=message):
        call(model)
