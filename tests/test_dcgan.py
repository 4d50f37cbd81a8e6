"""ganlib.dcgan: the networks follow Radford et al. (2016) and train inside ganlib.GAN."""

import inspect
import re

import keras
import numpy as np
import pytest
from keras import layers

from ganlib import GAN, dcgan
from ganlib.utils import seed_everything

SMALL = dict(filters=8, depth=2, kernel_size=3)  # the real architecture, narrow enough for tests


@pytest.fixture(autouse=True)
def seeded():
    seed_everything(0, deterministic=False)


@pytest.mark.parametrize("image_shape, depth", [((28, 28, 1), 2), ((32, 32, 3), 3), ((32, 32, 1), 1)])
def test_shapes_and_feature_map_sizes(image_shape, depth):
    generator = dcgan.build_generator(latent_dim=16, image_shape=image_shape, filters=8, depth=depth)
    discriminator = dcgan.build_discriminator(input_shape=image_shape, filters=8, depth=depth)
    images = generator(keras.random.normal((5, 16)))
    assert tuple(images.shape) == (5, *image_shape)
    assert tuple(discriminator(images).shape) == (5, 1)
    start = image_shape[0] // 2**depth
    assert generator.get_layer("feature_map").output.shape[1:] == (start, start, 8 * 2 ** (depth - 1))
    # the discriminator mirrors the generator: its last feature map is the generator's first
    assert discriminator.get_layer("flatten").input.shape[1:] == (start, start, 8 * 2 ** (depth - 1))


def test_default_sizes_for_28x28():
    generator, discriminator = dcgan.build_generator(), dcgan.build_discriminator()
    assert generator.input_shape == (None, 100) and generator.output_shape == (None, 28, 28, 1)
    assert [layer.output.shape[1:] for layer in generator.layers if isinstance(layer, layers.Conv2DTranspose)] == \
        [(14, 14, 24), (28, 28, 1)]
    assert [layer.output.shape[1:] for layer in discriminator.layers if isinstance(layer, layers.Conv2D)] == \
        [(14, 14, 24), (7, 7, 48)]


def test_generator_output_is_bounded_by_tanh():
    generator = dcgan.build_generator(latent_dim=16, **SMALL)
    assert generator.get_layer("image").activation is keras.activations.tanh
    # huge noise drives the output layer into saturation: bounded, but reaching +-1
    images = keras.ops.convert_to_numpy(generator(1e4 * keras.random.normal((8, 16))))
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert np.abs(images).max() > 0.99


def _layer_types(model):
    return [type(layer).__name__ for layer in model.layers]


def test_generator_follows_the_guidelines():
    generator = dcgan.build_generator(latent_dim=16, filters=8, depth=3, image_shape=(32, 32, 3))
    types = _layer_types(generator)
    assert not any("Pooling" in t or "UpSampling" in t for t in types)  # [1]
    assert types == ["InputLayer", "Dense", "Reshape", "BatchNormalization", "ReLU",
                     "Conv2DTranspose", "BatchNormalization", "ReLU",
                     "Conv2DTranspose", "BatchNormalization", "ReLU",
                     "Conv2DTranspose"]  # [2] no batch norm after the output, [3] one Dense, [4] ReLU
    assert all(layer.strides == (2, 2) for layer in generator.layers if isinstance(layer, layers.Conv2DTranspose))
    # a bias right before batch norm would be cancelled by its mean subtraction
    assert [layer.use_bias for layer in generator.layers if hasattr(layer, "use_bias")] == [False, False, False, True]


def test_discriminator_follows_the_guidelines():
    discriminator = dcgan.build_discriminator(input_shape=(32, 32, 3), filters=8, depth=3)
    types = _layer_types(discriminator)
    assert not any("Pooling" in t for t in types)  # [1]
    assert types == ["InputLayer", "Conv2D", "LeakyReLU",  # [2] no batch norm on the input layer
                     "Conv2D", "BatchNormalization", "LeakyReLU",
                     "Conv2D", "BatchNormalization", "LeakyReLU",
                     "Flatten", "Dense"]  # [3] one Dense, giving the logit
    assert all(layer.strides == (2, 2) for layer in discriminator.layers if isinstance(layer, layers.Conv2D))
    assert [layer.negative_slope for layer in discriminator.layers
            if isinstance(layer, layers.LeakyReLU)] == [0.2, 0.2, 0.2]  # [5]
    assert discriminator.get_layer("logit").activation is keras.activations.linear  # a logit


def test_weights_are_drawn_from_normal_0_002():
    generator = dcgan.build_generator(latent_dim=100)
    discriminator = dcgan.build_discriminator()
    kernels = [layer for model in (generator, discriminator) for layer in model.layers if hasattr(layer, "kernel")]
    assert len(kernels) == 6
    for layer in kernels:
        initializer = layer.kernel_initializer
        assert isinstance(initializer, keras.initializers.RandomNormal)
        assert (initializer.mean, initializer.stddev) == (0.0, 0.02)
    # the drawn values, on the layers with enough of them for a tight estimate
    for layer in (generator.get_layer("project"), generator.get_layer("upsample_1"),
                  discriminator.get_layer("downsample_2")):
        values = keras.ops.convert_to_numpy(layer.kernel)
        assert abs(values.mean()) < 0.001 and abs(values.std() - 0.02) < 0.001
    # each layer draws its own values, not copies of one shared draw
    assert not np.allclose(keras.ops.convert_to_numpy(generator.get_layer("upsample_1").kernel),
                           keras.ops.convert_to_numpy(discriminator.get_layer("downsample_2").kernel))


def test_optimizers_are_the_papers_adam_one_per_network():
    optimizers = dcgan.optimizers()
    assert set(optimizers) == {"d_optimizer", "g_optimizer"}
    assert optimizers["d_optimizer"] is not optimizers["g_optimizer"]
    for optimizer in optimizers.values():
        assert isinstance(optimizer, keras.optimizers.Adam)
        assert float(optimizer.learning_rate) == pytest.approx(2e-4) and optimizer.beta_1 == 0.5


def test_tiny_fit_changes_both_networks():
    generator = dcgan.build_generator(latent_dim=16, **SMALL)
    discriminator = dcgan.build_discriminator(**SMALL)
    gan = GAN(generator, discriminator, latent_dim=16, seed=0)
    gan.compile(**dcgan.optimizers())
    before = [[keras.ops.convert_to_numpy(w).copy() for w in model.trainable_weights]
              for model in (generator, discriminator)]
    real_images = np.random.default_rng(0).uniform(-1, 1, (32, 28, 28, 1)).astype("float32")
    history = gan.fit(real_images, batch_size=16, epochs=1, verbose=0)
    assert all(np.isfinite(values[-1]) for values in history.history.values())
    for model, old in zip((generator, discriminator), before):
        changed = [not np.array_equal(keras.ops.convert_to_numpy(w), o)
                   for w, o in zip(model.trainable_weights, old)]
        assert all(changed), f"{model.name}: weights left unchanged"
    # batch norm's moving statistics were updated in training mode
    assert np.abs(keras.ops.convert_to_numpy(generator.get_layer("project_bn").moving_mean)).max() > 0


def test_generator_keras_file_round_trip(tmp_path):
    generator = dcgan.build_generator(latent_dim=16, image_shape=(32, 32, 3), filters=8, depth=3)
    generator(keras.random.normal((64, 16)), training=True)  # move batch norm's statistics
    path = tmp_path / "generator.keras"
    generator.save(path)
    loaded = keras.models.load_model(path)
    noise = keras.random.normal((6, 16))
    expected = keras.ops.convert_to_numpy(generator(noise))
    assert np.abs(keras.ops.convert_to_numpy(generator.get_layer("project_bn").moving_mean)).max() > 0
    # A reloaded model is a new graph of the same weights: equal within float32 rounding.
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(noise)), expected, rtol=0, atol=1e-5)
    assert _layer_types(loaded) == _layer_types(generator)


@pytest.mark.parametrize("builder, kwargs, message", [
    (dcgan.build_generator, dict(depth=3), r"divisible by 2\*\*depth = 8 .* got 28x28 with depth=3"),
    (dcgan.build_discriminator, dict(input_shape=(30, 28, 1)), r"divisible by 2\*\*depth = 4 .* got 30x28"),
    (dcgan.build_generator, dict(latent_dim=0), r"latent_dim must be an integer >= 1, got 0"),
    (dcgan.build_generator, dict(image_shape=(28, 28)), r"\(height, width, channels\), got \(28, 28\)"),
    (dcgan.build_discriminator, dict(input_shape=(28, 28, 0)), r"Image channels must be .* got 0"),
    (dcgan.build_discriminator, dict(filters=2.5), r"filters must be an integer >= 1, got 2.5"),
    (dcgan.build_generator, dict(depth=0), r"depth must be an integer >= 1, got 0"),
    (dcgan.build_discriminator, dict(kernel_size=True), r"kernel_size must be an integer >= 1, got True"),
])
def test_bad_arguments_raise_clear_errors(builder, kwargs, message):
    with pytest.raises(ValueError, match=message):
        builder(**kwargs)


def test_bad_optimizer_settings_raise():
    with pytest.raises(ValueError, match=r"learning_rate must be > 0, got 0"):
        dcgan.optimizers(learning_rate=0)
    with pytest.raises(ValueError, match=r"beta_1 must be in \[0, 1\), got 1.0"):
        dcgan.optimizers(beta_1=1.0)
    with pytest.raises(ValueError, match=r"decay_steps must be an integer >= 1, got 0"):
        dcgan.optimizers(decay_steps=0)


def test_decayed_step_size_falls_along_a_cosine_to_zero():
    optimizer = dcgan.optimizers(2e-3, decay_steps=100)["g_optimizer"]
    rates = []
    for step in (0, 50, 100):
        optimizer.iterations.assign(step)
        rates.append(float(optimizer.learning_rate))
    assert rates == pytest.approx([2e-3, 1e-3, 0.0], abs=1e-9)
    assert float(dcgan.optimizers(2e-3)["g_optimizer"].learning_rate) == pytest.approx(2e-3)


@pytest.mark.parametrize("builder", [dcgan.build_generator, dcgan.build_discriminator])
def test_every_guideline_in_the_docstring_is_marked_in_the_code(builder):
    docstring = inspect.getdoc(builder)
    code = inspect.getsource(builder).replace(builder.__doc__, "")
    cited = set(re.findall(r"- \[(\d)\]", docstring))
    marked = set(re.findall(r"\[(\d)\]", " ".join(re.findall(r"#(.*)", code))))
    assert len(cited) == 5 and cited == marked


def test_interpolation_ends_at_both_vectors_and_slerp_stays_on_the_circle():
    start, end = np.array([2.0, 0.0]), np.array([0.0, 2.0])
    linear = dcgan.interpolate(start, end, steps=3, method="linear")
    spherical = dcgan.interpolate(start, end, steps=3, method="spherical")
    for path in (linear, spherical):
        assert path.shape == (3, 2) and path.dtype == np.float32
        np.testing.assert_allclose(path[[0, -1]], [start, end], atol=1e-6)
    np.testing.assert_allclose(linear[1], [1.0, 1.0])                 # norm sqrt(2): cut across
    np.testing.assert_allclose(spherical[1], [np.sqrt(2), np.sqrt(2)], rtol=1e-6)  # norm 2: on the circle
    np.testing.assert_allclose(np.linalg.norm(spherical, axis=1), 2.0, rtol=1e-6)


def test_slerp_keeps_the_norm_of_gaussian_noise_that_the_straight_line_loses():
    rng = np.random.default_rng(0)
    start, end = rng.standard_normal((2, 100))
    end *= np.linalg.norm(start) / np.linalg.norm(end)  # equal norms: slerp keeps them exactly
    middle_linear = dcgan.interpolate(start, end, steps=9, method="linear")[4]
    norms_spherical = np.linalg.norm(dcgan.interpolate(start, end, steps=9), axis=1)
    np.testing.assert_allclose(norms_spherical, np.linalg.norm(start), rtol=1e-5)
    # nearly orthogonal in 100 dimensions: the straight line's middle has about 1/sqrt(2) of the norm
    assert 0.6 < np.linalg.norm(middle_linear) / np.linalg.norm(start) < 0.8


def test_slerp_of_parallel_vectors_is_linear_and_of_opposite_vectors_an_error():
    path = dcgan.interpolate([1.0, 1.0], [3.0, 3.0], steps=3)
    np.testing.assert_allclose(path, [[1, 1], [2, 2], [3, 3]])
    with pytest.raises(ValueError, match=r"opposite vectors"):
        dcgan.interpolate([1.0, 0.0], [-1.0, 0.0])
    np.testing.assert_allclose(dcgan.interpolate([1.0, 0.0], [-1.0, 0.0], 3, "linear")[1], [0, 0])


@pytest.mark.parametrize("args, message", [
    (([1.0, 0.0], [0.0, 1.0, 0.0]), r"same shape \(latent_dim,\), got \(2,\) and \(3,\)"),
    (([1.0, 0.0], [0.0, 1.0], 1), r"steps must be at least 2 .* got 1"),
    (([1.0, 0.0], [0.0, 1.0], 2.5), r"steps must be an integer >= 1, got 2.5"),
    (([1.0, 0.0], [0.0, 1.0], 4, "cubic"), r"'linear' or 'spherical', got 'cubic'"),
])
def test_bad_interpolation_arguments_say_what_was_expected(args, message):
    with pytest.raises(ValueError, match=message):
        dcgan.interpolate(*args)


def test_class_mean_latents_average_the_noise_of_confidently_classified_images():
    noise = np.array([[1.0, 0.0], [3.0, 0.0], [0.0, 2.0], [5.0, 5.0], [9.0, 9.0]])
    probabilities = np.array([[0.95, 0.05, 0.0],   # class 0
                              [0.90, 0.10, 0.0],   # class 0, exactly at the threshold
                              [0.0, 1.0, 0.0],     # class 1
                              [0.5, 0.0, 0.5],     # unsure: no class
                              [0.2, 0.0, 0.8]])    # class 2 but below 0.9: no class
    means, counts = dcgan.class_mean_latents(noise, probabilities, min_confidence=0.9)
    assert counts.tolist() == [2, 1, 0]
    np.testing.assert_allclose(means[:2], [[2.0, 0.0], [0.0, 2.0]])
    assert np.isnan(means[2]).all()
    means, counts = dcgan.class_mean_latents(noise, probabilities, min_confidence=0.5)
    assert counts.tolist() == [3, 1, 1]  # the 0.5/0.5 tie goes to the first class, as argmax does
    np.testing.assert_allclose(means[0], [3.0, 5.0 / 3])


def test_class_mean_latents_reject_mismatched_inputs():
    with pytest.raises(ValueError, match=r"same n images, got \(3, 2\) and \(2, 10\)"):
        dcgan.class_mean_latents(np.zeros((3, 2)), np.full((2, 10), 0.1))
    with pytest.raises(ValueError, match=r"min_confidence must be in \(0, 1\], got 0"):
        dcgan.class_mean_latents(np.zeros((2, 2)), np.full((2, 10), 0.1), min_confidence=0)
