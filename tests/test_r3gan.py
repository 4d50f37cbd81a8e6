"""The residual networks and optimizers of ganlib.r3gan, and one tiny fit of the whole recipe."""

import keras
import numpy as np
import pytest
from keras import layers

from ganlib import GAN, losses, r3gan


def layer_types(model):
    return {type(layer).__name__ for layer in model.layers}


def test_default_networks_map_noise_to_28x28_images_and_images_to_one_logit():
    generator, discriminator = r3gan.build_generator(), r3gan.build_discriminator()
    images = generator(np.random.default_rng(0).normal(size=(3, 64)).astype("float32"))
    assert images.shape == (3, 28, 28, 1)
    assert float(keras.ops.max(keras.ops.abs(images))) <= 1.0
    assert discriminator(images).shape == (3, 1)
    # The stages: 7x7x64 -> 14x14x32 -> 28x28x16 in G, the mirror in D.
    assert generator.get_layer("first_map").output.shape[1:] == (7, 7, 64)
    assert generator.get_layer("stage2_channels").output.shape[1:] == (28, 28, 16)
    assert discriminator.get_layer("stage2_channels").output.shape[1:] == (7, 7, 64)


def test_no_normalization_and_resizing_instead_of_strides():
    generator, discriminator = r3gan.build_generator(), r3gan.build_discriminator()
    for model in (generator, discriminator):
        assert not any("Normalization" in kind for kind in layer_types(model)), model.name
        assert "Conv2DTranspose" not in layer_types(model)
        assert all(layer.strides == (1, 1) for layer in model.layers if isinstance(layer, layers.Conv2D))
    assert all(layer.interpolation == "bilinear" for layer in generator.layers
               if isinstance(layer, layers.UpSampling2D))
    assert sum(isinstance(layer, layers.AveragePooling2D) for layer in discriminator.layers) == 2


def test_blocks_per_stage():
    generator = r3gan.build_generator(blocks=(2, 0, 1))
    names = [layer.name for layer in generator.layers if isinstance(layer, layers.Add)]
    assert names == ["stage0_block0_add", "stage0_block1_add", "stage2_block0_add"]


def test_every_residual_block_starts_as_the_identity():
    generator = r3gan.build_generator(blocks=2)
    noise = np.random.default_rng(1).normal(size=(2, 64)).astype("float32")
    adds = [layer for layer in generator.layers if isinstance(layer, layers.Add)]
    assert len(adds) == 6  # 3 stages x 2 blocks
    probe = keras.Model(generator.input, [(add.input[0], add.output) for add in adds])
    for block_input, block_output in probe(noise):
        np.testing.assert_array_equal(block_input.numpy(), block_output.numpy())
        assert float(keras.ops.std(block_input)) > 0


@pytest.mark.parametrize("kwargs, message", [
    ({"image_shape": (30, 30, 1)}, "divisible by 2\\*\\*\\(len\\(widths\\) - 1\\) = 4"),
    ({"widths": ()}, "Expected widths as a non-empty tuple"),
    ({"widths": (16, 0)}, "Each of widths must be an integer >= 1, got 0"),
    ({"blocks": -1}, "blocks must be an integer >= 0, got -1"),
    ({"blocks": (1, 1)}, "Expected one number of blocks per stage \\(3\\), got \\(1, 1\\)"),
    ({"image_shape": (28, 28)}, "Expected an image shape \\(height, width, channels\\)"),
])
def test_impossible_architectures_are_refused(kwargs, message):
    for build in (r3gan.build_generator, r3gan.build_discriminator):
        with pytest.raises(ValueError, match=message):
            build(**kwargs)


def test_optimizers_have_no_momentum_and_are_two_instances():
    optimizers = r3gan.optimizers(decay_steps=100)
    d_optimizer, g_optimizer = optimizers["d_optimizer"], optimizers["g_optimizer"]
    assert d_optimizer is not g_optimizer
    assert d_optimizer.beta_1 == 0.0 and d_optimizer.beta_2 == 0.99
    assert isinstance(d_optimizer.learning_rate, keras.optimizers.schedules.CosineDecay) or \
        float(d_optimizer.learning_rate) == pytest.approx(1e-3)
    with pytest.raises(ValueError, match="beta_1 must be in \\[0, 1\\), got 1.0"):
        r3gan.optimizers(beta_1=1.0)


def test_the_whole_recipe_trains_both_networks_and_the_average():
    rng = np.random.default_rng(0)
    images = np.tanh(rng.normal(size=(32, 8, 8, 1))).astype("float32")
    keras.utils.set_random_seed(0)
    gan = GAN(r3gan.build_generator(8, (8, 8, 1), widths=(8, 4)), r3gan.build_discriminator((8, 8, 1), (4, 8)),
              latent_dim=8, r1_weight=1.0, r2_weight=1.0, average_momentum=0.9, seed=0)
    gan.compile(**r3gan.optimizers(), d_loss_fn=losses.relativistic_discriminator_loss,
                g_loss_fn=losses.relativistic_generator_loss)
    before = {model.name: [weight.numpy() for weight in model.weights]
              for model in (gan.generator, gan.discriminator, gan.average_generator)}
    history = gan.fit(images, batch_size=16, epochs=2, verbose=0).history
    assert all(np.isfinite(values).all() for values in history.values())
    for model in (gan.generator, gan.discriminator, gan.average_generator):
        for old, new in zip(before[model.name], model.weights):
            if model is gan.discriminator and new.path == "logit/bias":
                # The relativistic loss sees only differences of scores, the penalties only
                # gradients: nothing moves D's output bias.
                np.testing.assert_array_equal(old, new.numpy())
            else:
                assert not np.array_equal(old, new.numpy()), new.path
