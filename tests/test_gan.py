"""The GAN model: one tiny fit per setting, on 2x2 "faces" so that each runs in about a second."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from ganlib import data, losses
from ganlib.gan import GAN, METRIC_NAMES, build_mlp_discriminator, build_mlp_generator

IMAGE_SHAPE = (2, 2, 1)
LATENT_DIM = 4


def make_gan(learning_rate=1e-2, d_loss_fn=losses.discriminator_loss,
             g_loss_fn=losses.generator_loss, compile_kwargs=None, **gan_kwargs):
    keras.utils.set_random_seed(0)
    gan = GAN(build_mlp_generator(LATENT_DIM, IMAGE_SHAPE, hidden_units=(8,)),
              build_mlp_discriminator(IMAGE_SHAPE, hidden_units=(8,)),
              latent_dim=LATENT_DIM, seed=0, **gan_kwargs)
    gan.compile(keras.optimizers.Adam(learning_rate), keras.optimizers.Adam(learning_rate),
                d_loss_fn, g_loss_fn, **(compile_kwargs or {}))
    return gan


def weights_of(model):
    return [weight.numpy() for weight in model.weights]


def all_changed(before, model):
    return all(not np.array_equal(old, new) for old, new in zip(before, weights_of(model)))


class BatchCounter(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches = 0
        self.began = False

    def on_train_begin(self, logs=None):
        self.began = True

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


@pytest.fixture(scope="module")
def faces():
    return data.make_faces2x2(64)


def test_fit_updates_both_networks_and_reports_finite_losses(faces):
    gan = make_gan()
    generator_before, discriminator_before = weights_of(gan.generator), weights_of(gan.discriminator)
    history = gan.fit(faces, batch_size=16, epochs=2, verbose=0)
    assert sorted(history.history) == sorted(METRIC_NAMES)
    for name, values in history.history.items():
        assert len(values) == 2 and np.all(np.isfinite(values)), name
    assert all_changed(generator_before, gan.generator)
    assert all_changed(discriminator_before, gan.discriminator)
    assert int(gan.d_optimizer.iterations) == int(gan.g_optimizer.iterations) == 8  # 2 epochs x 4 batches
    for name in ("d_real", "d_fake", "d_accuracy"):
        assert all(0.0 <= value <= 1.0 for value in history.history[name])


def test_d_steps_updates_the_discriminator_k_times_per_generator_update(faces):
    gan = make_gan(d_steps=3)
    gan.fit(faces, batch_size=16, epochs=1, verbose=0)
    assert int(gan.d_optimizer.iterations) == 3 * 4
    assert int(gan.g_optimizer.iterations) == 4


@pytest.mark.parametrize("as_dataset", [False, True], ids=["arrays", "dataset"])
def test_partial_last_batch_is_trained_on(faces, as_dataset):
    images = faces[:10]  # batches of 4, 4 and 2
    counter = BatchCounter()
    gan = make_gan()
    if as_dataset:
        history = gan.fit(tf.data.Dataset.from_tensor_slices(images).batch(4), epochs=1,
                          verbose=0, callbacks=[counter])
    else:
        history = gan.fit(images, batch_size=4, epochs=1, verbose=0, callbacks=[counter])
    assert counter.batches == 3 and int(gan.g_optimizer.iterations) == 3
    assert all(np.isfinite(values[0]) for values in history.history.values())


def test_dataset_of_images_and_labels_trains_like_images_only(faces):
    # The labels are ignored by the unconditional GAN: same seed, same losses.
    labels = np.arange(len(faces)) % 3
    with_labels = tf.data.Dataset.from_tensor_slices((faces, labels)).batch(16)
    images_only = tf.data.Dataset.from_tensor_slices(faces).batch(16)
    history_labels = make_gan().fit(with_labels, epochs=1, verbose=0).history
    history_images = make_gan().fit(images_only, epochs=1, verbose=0).history
    for name in METRIC_NAMES:
        assert history_labels[name] == pytest.approx(history_images[name]), name
    assert np.isfinite(history_labels["g_loss"][0])


def test_jit_compile(faces):
    gan = make_gan(compile_kwargs={"jit_compile": True})
    before = weights_of(gan)
    history = gan.fit(faces, batch_size=16, epochs=1, verbose=0)
    assert gan.jit_compile
    assert all(np.isfinite(values[0]) for values in history.history.values())
    assert all_changed(before, gan)


@pytest.mark.parametrize("name", sorted(losses.PAIRS))
def test_every_loss_pair_trains_a_step(faces, name):
    d_loss_fn, g_loss_fn = losses.PAIRS[name]
    gan = make_gan(d_loss_fn=d_loss_fn, g_loss_fn=g_loss_fn, gp_weight=10.0 if name == "wgan" else 0.0)
    kernels = [weight for weight in gan.weights if "kernel" in weight.path]
    before = [kernel.numpy() for kernel in kernels]
    history = gan.fit(faces[:16], batch_size=16, epochs=1, verbose=0)
    assert all(np.isfinite(values[0]) for values in history.history.values())
    # Kernels only: the critic's output bias gets zero gradient from the Wasserstein and
    # (inside the margin) hinge losses, whose real and fake terms cancel on it.
    assert all(not np.array_equal(old, new.numpy())
               for old, new in zip(before, kernels))


def test_data_shape_that_does_not_fit_the_discriminator_fails_before_training():
    gan = make_gan()
    counter = BatchCounter()
    wrong = np.zeros((8, 3, 3, 1), dtype=np.float32)
    with pytest.raises(ValueError, match=r"\(3, 3, 1\).*\(2, 2, 1\)"):
        gan.fit(wrong, batch_size=4, epochs=1, verbose=0, callbacks=[counter])
    assert not counter.began and int(gan.d_optimizer.iterations) == 0


def test_generate_gives_images_in_the_tanh_range():
    gan = make_gan()
    images = gan.generate(5)
    assert images.shape == (5, *IMAGE_SHAPE)
    assert images.min() >= -1.0 and images.max() <= 1.0
    noise = np.ones((2, LATENT_DIM), dtype=np.float32)
    np.testing.assert_array_equal(gan.generate(noise=noise), gan(noise))


def test_one_optimizer_for_both_networks_is_refused():
    gan = make_gan()
    shared = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="two optimizer instances"):
        gan.compile(shared, shared)
