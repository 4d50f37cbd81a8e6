"""ganlib.srgan: SRResNet and discriminator shapes, both training stages, checks, and SR metrics."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import ganlib
from ganlib import photos, srgan
from ganlib.gan import METRIC_NAMES


def tiny_pairs(count=8, low=4, scale=4, channels=3, seed=0):
    """Smooth random HR images in [-1, 1] and their LR downscales."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(-0.8, 0.8, (count, low, low, channels)).astype(np.float32)
    high_res = photos.upscale_bicubic(coarse, scale).numpy()
    return photos.downscale(high_res, scale).numpy(), high_res


def tiny_networks(scale=4, hr_size=16, channels=3):
    generator = srgan.build_generator(scale, channels=channels, num_blocks=1, filters=8)
    discriminator = srgan.build_discriminator((hr_size, hr_size, channels), filters=4, dense_units=8)
    return generator, discriminator


def weights_of(model):
    return [w.numpy().copy() for w in model.trainable_weights]


def changed(before, model):
    return all(not np.array_equal(b, a.numpy()) for b, a in zip(before, model.trainable_weights))


@pytest.mark.parametrize("scale", [2, 4])
def test_generator_output_is_scale_times_input_of_any_size(scale):
    generator = srgan.build_generator(scale, num_blocks=2, filters=8)
    low_res = np.random.default_rng(0).uniform(-1, 1, (2, 7, 9, 3)).astype(np.float32)
    assert generator(low_res).shape == (2, 7 * scale, 9 * scale, 3)
    assert srgan.super_resolve(generator, low_res[0]).shape == (7 * scale, 9 * scale, 3)
    pixel_shuffles = [layer for layer in generator.layers if isinstance(layer, srgan.PixelShuffle)]
    assert len(pixel_shuffles) == {2: 1, 4: 2}[scale]
    adds = [layer for layer in generator.layers if isinstance(layer, keras.layers.Add)]
    assert len(adds) == 2 + 1  # one per residual block, plus the long skip


def test_bicubic_skip_starts_as_bicubic_and_adds_the_learned_detail():
    generator = srgan.build_generator(4, num_blocks=1, filters=8, bicubic_skip=True)
    low_res = np.random.default_rng(2).uniform(-0.5, 0.5, (2, 6, 5, 3)).astype(np.float32)
    bicubic = photos.upscale_bicubic(low_res, 4)
    np.testing.assert_allclose(generator(low_res), bicubic, atol=1e-5)  # untrained: exactly bicubic
    output_layer = generator.get_layer("super_res")
    kernel, bias = output_layer.get_weights()
    output_layer.set_weights([kernel, bias + 0.25])
    np.testing.assert_allclose(generator(low_res), bicubic.numpy() + 0.25, atol=1e-5)
    assert np.abs(srgan.build_generator(4, num_blocks=1, filters=8).get_layer("super_res").get_weights()[0]).max() > 0


def test_pixel_shuffle_puts_channels_into_blocks_and_round_trips(tmp_path):
    channels = np.arange(8, dtype=np.float32).reshape(1, 1, 1, 8)
    blocks = srgan.PixelShuffle(2)(channels).numpy()
    assert blocks.shape == (1, 2, 2, 2)
    assert blocks[0, :, :, 0].tolist() == [[0, 2], [4, 6]] and blocks[0, :, :, 1].tolist() == [[1, 3], [5, 7]]
    generator = srgan.build_generator(2, num_blocks=1, filters=4)
    generator.save(tmp_path / "srresnet.keras")
    restored = keras.models.load_model(tmp_path / "srresnet.keras")
    low_res = np.random.default_rng(1).uniform(-1, 1, (1, 5, 6, 3)).astype(np.float32)
    np.testing.assert_allclose(restored(low_res), generator(low_res), atol=1e-6)


def test_discriminator_is_the_papers_strided_stack():
    discriminator = srgan.build_discriminator((32, 48, 3), filters=4, dense_units=16)
    convolutions = [layer for layer in discriminator.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.strides[0] for c in convolutions] == [1, 2, 1, 2, 1, 2, 1, 2]
    assert [c.filters for c in convolutions] == [4, 4, 8, 8, 16, 16, 32, 32]
    assert discriminator.get_layer("features_7").output.shape == (None, 2, 3, 32)
    assert discriminator(np.zeros((5, 32, 48, 3), np.float32)).shape == (5, 1)
    with pytest.raises(ValueError, match="multiples of 16, got 40x48"):
        srgan.build_discriminator((40, 48, 3))


@pytest.mark.parametrize("kwargs, message", [
    (dict(scale=3), r"scale must be one of \(2, 4\), got 3"),
    (dict(channels=0), "channels must be an integer >= 1, got 0"),
    (dict(num_blocks=1.5), "num_blocks must be an integer >= 1, got 1.5"),
])
def test_generator_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        srgan.build_generator(**kwargs)


def test_pretraining_stage_is_plain_fit_on_pixel_mse(tmp_path):
    keras.utils.set_random_seed(0)
    low_res, high_res = tiny_pairs()
    generator = srgan.build_generator(4, num_blocks=1, filters=8)
    before = weights_of(generator)
    generator.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=[srgan.psnr],
                      run_eagerly=True)  # plain Keras fit; eager skips the tracing time
    history = generator.fit(low_res, high_res, batch_size=4, epochs=3, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    assert changed(before, generator)
    # the PSNR metric is 10 log10(1 / MSE) in [0, 1] units, i.e. 10 log10(4 / MSE) in [-1, 1] units
    super_res = generator.predict(low_res, verbose=0)
    mse_01 = np.mean((super_res - high_res) ** 2, axis=(1, 2, 3)) / 4
    expected = np.mean(10 * np.log10(1 / mse_01))
    np.testing.assert_allclose(float(srgan.psnr(high_res, super_res)), expected, rtol=1e-4)
    # the trained network saves and loads as notebook 06 leaves it, compiled with srgan.psnr
    generator.save(tmp_path / "srresnet.keras")
    restored = keras.models.load_model(tmp_path / "srresnet.keras")
    np.testing.assert_allclose(restored.predict(low_res, verbose=0), super_res, atol=1e-6)
    assert restored.evaluate(low_res, high_res, verbose=0, return_dict=True)["psnr"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("content_loss", ["pixel+features", "pixel"])
def test_tiny_srgan_fit_changes_both_networks(content_loss):
    keras.utils.set_random_seed(0)
    generator, discriminator = tiny_networks()
    g_before, d_before = weights_of(generator), weights_of(discriminator)
    model = ganlib.SRGAN(generator, discriminator, content_loss=content_loss)
    # tracing train_step into a graph costs ~15 s of CPU: one of the two runs does it
    model.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3),
                  run_eagerly=content_loss == "pixel")
    if content_loss == "pixel":
        history = model.fit(*tiny_pairs(), batch_size=4, epochs=2, verbose=0).history
    else:  # crops of the packaged photos, as a notebook trains
        pairs = ganlib.data.load("sr_photos", "train", batch_size=4, crop_size=16, num_crops=8)
        history = model.fit(pairs, epochs=2, verbose=0).history
    assert set(history) == set(METRIC_NAMES) | set(srgan.EXTRA_METRIC_NAMES)
    assert all(np.isfinite(values).all() for values in history.values())
    assert changed(g_before, generator) and changed(d_before, discriminator)
    content, pixel = np.array(history["content_loss"]), np.array(history["pixel_mse"])
    if content_loss == "pixel":
        np.testing.assert_allclose(content, pixel, rtol=1e-5)
    else:
        assert (content > pixel).all()  # the feature-matching term adds to the pixel MSE
    expected_g_loss = content + srgan.ADVERSARIAL_WEIGHT * np.array(history["adversarial_loss"])
    np.testing.assert_allclose(history["g_loss"], expected_g_loss, rtol=1e-4)


@pytest.mark.parametrize("change, message", [
    ("hr_not_divisible", "upsamples by 4: expected high_res of size 16x16 for low_res of size 4x4, got 18x18"),
    ("grey_images", "expects 3-channel images, got low_res with 1 channels"),
    ("out_of_range", r"Expected high_res images scaled to \[-1, 1\] .*got values in \[0, 255\]"),
    ("crop_size", r"discriminator expects HR images of shape \(16, 16, 3\), got \(32, 32, 3\)"),
    ("not_pairs", r"Expected \(low_res, high_res\) pairs"),
])
def test_fit_rejects_unsuitable_pairs(change, message):
    low_res, high_res = tiny_pairs()
    if change == "hr_not_divisible":
        high_res = np.pad(high_res, ((0, 0), (1, 1), (1, 1), (0, 0)))
    elif change == "grey_images":
        low_res, high_res = low_res[..., :1], high_res[..., :1]
    elif change == "out_of_range":
        high_res = np.linspace(0, 255, high_res.size, dtype=np.float32).reshape(high_res.shape)
    elif change == "crop_size":
        low_res, high_res = tiny_pairs(low=8)
    model = ganlib.SRGAN(*tiny_networks())
    model.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    with pytest.raises(ValueError, match=message):
        if change == "not_pairs":
            model.fit(low_res, batch_size=4, verbose=0)
        else:
            model.fit(low_res, high_res, batch_size=4, verbose=0)


def test_content_loss_options():
    generator, discriminator = tiny_networks()
    with pytest.raises(ValueError, match="content_loss must be 'pixel\\+features', 'pixel' or a function"):
        ganlib.SRGAN(generator, discriminator, content_loss="vgg")
    plain = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Flatten(), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="layers named 'features_<n>'"):
        ganlib.SRGAN(generator, plain)
    features = srgan.DiscriminatorFeatureLoss(discriminator)
    assert features.layer_names == [f"features_{n}" for n in range(8)]
    _, high_res = tiny_pairs()
    assert float(features(high_res, high_res)) == 0.0
    assert float(features(high_res, high_res * 0.5)) > 0.0
    with pytest.raises(FileNotFoundError, match="No VGG19 weights file at 'missing.h5'"):
        srgan.VGGFeatureLoss("missing.h5")


@pytest.mark.slow
def test_vgg_content_loss_from_a_weights_file(tmp_path):
    """Builds VGG19 (20M weights) twice; random weights stand in for the ImageNet file."""
    path = tmp_path / "vgg19_notop.weights.h5"
    saved = keras.applications.VGG19(include_top=False, weights=None)
    saved.save_weights(path)
    loss = srgan.VGGFeatureLoss(str(path))
    np.testing.assert_array_equal(loss.features.get_layer("block5_conv4").kernel.numpy(),
                                  saved.get_layer("block5_conv4").kernel.numpy())
    low_res, high_res = tiny_pairs()
    assert float(loss(high_res, high_res)) == 0.0 and float(loss(high_res, -high_res)) > 0.0
    with pytest.raises(ValueError, match="needs RGB images \\(3 channels\\), got 1"):
        loss(high_res[..., :1], high_res[..., :1])
    generator, discriminator = tiny_networks()
    before = weights_of(generator)
    model = ganlib.SRGAN(generator, discriminator, content_loss=loss)
    model.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3), run_eagerly=True)
    model.fit(low_res, high_res, batch_size=4, epochs=1, verbose=0)
    assert changed(before, generator)


# Measuring ---------------------------------------------------------------------------------


def grey_image(size=64, seed=0):
    """A mid-grey RGB image with texture in [-0.5, 0.5], so small changes are never clipped."""
    values = np.random.default_rng(seed).uniform(-0.5, 0.5, (size, size, 1))
    return np.repeat(values, 3, axis=-1)


def test_luminance_is_bt601_in_the_papers_range():
    black, white = -np.ones((1, 1, 3)), np.ones((1, 1, 3))
    assert srgan.to_luminance(black).item() == pytest.approx(16 / 255)
    assert srgan.to_luminance(white).item() == pytest.approx(235 / 255)
    pure_green = np.array([[[-1.0, 1.0, -1.0]]])
    assert srgan.to_luminance(pure_green).item() == pytest.approx((16 + 128.553) / 255)
    with pytest.raises(ValueError, match="got 4 channels"):
        srgan.to_luminance(np.zeros((2, 2, 4)))


def test_psnr_and_ssim_of_identical_images():
    image = grey_image()
    assert srgan.psnr_y(image, image) == float("inf")
    assert srgan.ssim_y(image, image) == pytest.approx(1.0, abs=1e-6)


def test_psnr_follows_the_formula_for_known_errors():
    image = grey_image(size=256)
    # a constant offset d in [-1, 1] units is d/2 in [0, 1] RGB and 219/255 * d/2 in Y
    offset = 0.02
    expected = -20 * np.log10(219 / 255 * offset / 2)
    assert srgan.psnr_y(image, image + offset) == pytest.approx(expected, abs=1e-9)
    # Gaussian noise of standard deviation sigma ([0, 1] units), the same in R, G and B
    sigma = 0.01
    noise = np.random.default_rng(1).normal(0, sigma, (256, 256, 1)) * 2
    measured = srgan.psnr_y(image, image + noise)
    assert measured == pytest.approx(-20 * np.log10(219 / 255 * sigma), abs=0.05)
    assert srgan.ssim_y(image, image + noise) < srgan.ssim_y(image, image + noise / 4) < 1.0


def test_ssim_matches_tensorflows_definition():
    image = grey_image(size=48)
    noisy = image + np.random.default_rng(3).normal(0, 0.1, image.shape)
    for other in (noisy, 0.5 * image + 0.2, -image):
        reference_y, other_y = srgan.to_luminance(image), srgan.to_luminance(other)
        expected = tf.image.ssim(tf.constant(reference_y[..., None], tf.float32),
                                 tf.constant(other_y[..., None], tf.float32), max_val=1.0)
        assert srgan.ssim_y(image, other) == pytest.approx(float(expected), abs=1e-5)
    with pytest.raises(ValueError, match="at least 11x11 pixels after the border crop, got 8x8"):
        srgan.ssim_y(image[:16, :16], image[:16, :16], border=4)


def test_border_is_left_out():
    image = grey_image()
    spoiled = image.copy()
    spoiled[:4], spoiled[:, -4:] = 0.9, -0.9
    assert srgan.psnr_y(image, spoiled, border=4) == float("inf")
    assert srgan.psnr_y(image, spoiled, border=3) < 30
    with pytest.raises(ValueError, match="same shape"):
        srgan.psnr_y(image, image[:32])
    with pytest.raises(ValueError, match="border must be >= 0 and leave pixels inside, got 32"):
        srgan.psnr_y(image, image, border=32)


def test_high_frequency_ratio_on_known_cases():
    image = grey_image(size=128)
    assert srgan.high_frequency_ratio(image, image, 4) == pytest.approx(1.0)
    # twice the contrast around the mean: twice the amplitude, four times the energy
    assert srgan.high_frequency_ratio(image, 2 * image, 4) == pytest.approx(4.0)
    blurred = photos.upscale_bicubic(photos.downscale(image, 4), 4).numpy()
    assert srgan.high_frequency_ratio(image, blurred, 4) < 0.1  # bicubic keeps no fine detail


def test_evaluate_compares_the_generator_with_bicubic():
    test = photos.read_photos("test", limit=2)

    def bicubic_generator(low_res, training=False):
        return photos.upscale_bicubic(low_res, 4)

    scores = srgan.evaluate(bicubic_generator, test.images, 4, names=test.names)
    assert set(scores["per_image"]) == {"chelsea", "flower"}
    for row in scores["per_image"].values():
        assert row["psnr"] == pytest.approx(row["psnr_bicubic"])
        assert row["hf_ratio_bicubic"] < 0.2
    high_res = photos.crop_to_multiple(test.images[0], 4)
    upscaled = photos.upscale_bicubic(photos.downscale(high_res, 4), 4).numpy()
    assert scores["per_image"]["chelsea"]["psnr_bicubic"] == pytest.approx(
        srgan.psnr_y(high_res, upscaled, border=4))
    rows = scores["per_image"].values()
    assert scores["psnr_bicubic"] == pytest.approx(np.mean([row["psnr_bicubic"] for row in rows]))
    assert 25 < scores["psnr_bicubic"] < 35 and 0.6 < scores["ssim_bicubic"] < 1.0
    only_bicubic = srgan.evaluate(None, test.images, 4)
    assert "psnr" not in only_bicubic
    assert only_bicubic["psnr_bicubic"] == pytest.approx(scores["psnr_bicubic"])


def test_evaluate_refuses_a_photo_that_is_not_in_minus_one_to_one_and_an_empty_list():
    photo = np.random.default_rng(0).integers(0, 256, (32, 32, 3)).astype(np.uint8)
    with pytest.raises(ValueError, match=r"Expected float HR image \(image_0\) scaled to \[-1, 1\], got dtype uint8"):
        srgan.evaluate(None, [photo], scale=4)
    with pytest.raises(ValueError, match="Expected at least one HR image to evaluate, got none"):
        srgan.evaluate(None, [], scale=4)
