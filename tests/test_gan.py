"""The GAN model: one tiny fit per setting, on 2x2 "faces" so that each runs in about a second."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import IMAGE_SHAPE, LATENT_DIM, make_gan
from ganlib import losses
from ganlib.gan import GAN, METRIC_NAMES, build_mlp_discriminator, build_mlp_generator


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


@pytest.mark.slow
def test_jit_compile(faces):
    from tensorflow.python.framework.config import is_op_determinism_enabled

    # Keras drops jit_compile under op determinism; the root conftest resets it after every test
    assert not is_op_determinism_enabled(), "a test that ran before this one left op determinism on"
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


# Networks and data that do not fit the algorithm: refused when the model is built or before a step

def logistic_discriminator(units=1, activation=None):
    images = keras.Input(IMAGE_SHAPE)
    return keras.Model(images, keras.layers.Dense(units, activation=activation)(keras.layers.Flatten()(images)))


@pytest.mark.parametrize("discriminator, message", [
    (lambda: logistic_discriminator(units=2), r"one logit per image, shape \(batch, 1\), got \(batch, 2\)"),
    (lambda: logistic_discriminator(activation="sigmoid"), "ends in a sigmoid, but ganlib's losses take logits"),
    (lambda: keras.Sequential([keras.Input(IMAGE_SHAPE), keras.layers.Flatten(), keras.layers.Dense(1),
                               keras.layers.Activation("sigmoid")]), "ends in a sigmoid"),
])
def test_a_discriminator_that_does_not_give_one_logit_is_refused(discriminator, message):
    with pytest.raises(ValueError, match=message):
        GAN(build_mlp_generator(LATENT_DIM, IMAGE_SHAPE), discriminator(), latent_dim=LATENT_DIM)


def test_a_generator_for_another_latent_dim_is_refused():
    with pytest.raises(ValueError, match="takes noise of length 8 but latent_dim is 4"):
        GAN(build_mlp_generator(8, IMAGE_SHAPE), build_mlp_discriminator(IMAGE_SHAPE), latent_dim=LATENT_DIM)


def test_networks_for_different_image_shapes_are_refused():
    with pytest.raises(ValueError, match=r"makes images of shape \(2, 2, 1\) but the discriminator takes \(3, 3, 1\)"):
        GAN(build_mlp_generator(LATENT_DIM, IMAGE_SHAPE), build_mlp_discriminator((3, 3, 1)), latent_dim=LATENT_DIM)


@pytest.mark.parametrize("gp_weight", ["10", float("nan"), -1.0])
def test_a_gradient_penalty_weight_that_is_not_a_number_is_refused(gp_weight):
    with pytest.raises(ValueError, match="gp_weight must be a finite number >= 0"):
        make_gan(gp_weight=gp_weight)


def test_optimizers_given_by_name_are_two_instances():
    gan = GAN(build_mlp_generator(LATENT_DIM, IMAGE_SHAPE), build_mlp_discriminator(IMAGE_SHAPE), latent_dim=LATENT_DIM)
    gan.compile("adam", "adam")
    assert gan.d_optimizer is not gan.g_optimizer and isinstance(gan.d_optimizer, keras.optimizers.Adam)


@pytest.mark.parametrize("spoil, message", [
    (lambda x: x.__setitem__((40, 0, 0, 0), np.nan), "Expected finite images, got 1 NaN"),
    (lambda x: x.__setitem__((40, 0, 0, 0), 250.0), r"got values in \[-[\d.]+, 250\]"),
])
def test_bad_values_in_a_later_batch_of_arrays_fail_before_any_step(faces, spoil, message):
    gan, counter = make_gan(), BatchCounter()
    images = faces.copy()
    spoil(images)  # row 40: in the third batch of 16
    with pytest.raises(ValueError, match=message):
        gan.fit(images, batch_size=16, epochs=1, verbose=0, callbacks=[counter])
    assert not counter.began and int(gan.d_optimizer.iterations) == 0


def test_images_in_zero_to_one_are_refused(faces):
    with pytest.raises(ValueError, match=r"look scaled to \[0, 1\]"):
        make_gan().fit((faces + 1) / 2, batch_size=16, epochs=1, verbose=0)


def test_a_bad_batch_later_in_a_dataset_stops_training_with_the_reason(faces):
    images = faces.copy()
    images[40, 0, 0, 0] = np.nan
    gan, counter = make_gan(), BatchCounter()
    batches = tf.data.Dataset.from_tensor_slices(images).batch(16)  # the first batch is fine
    with pytest.raises(Exception, match="Expected finite images"):
        gan.fit(batches, epochs=1, verbose=0, callbacks=[counter])
    assert counter.batches == 2, "stopped at the third batch, the bad one"
    assert all(np.isfinite(weight.numpy()).all() for weight in gan.weights), "nothing learned from it"


# R3GAN's pieces in the shared step: R1 and R2, the relativistic pair, the generator's weight average.

def linear_discriminator(seed=None):
    """D(x) = w . x + b (no hidden layer), whose input gradient is w everywhere."""
    if seed is not None:
        keras.utils.set_random_seed(seed)
    return build_mlp_discriminator(IMAGE_SHAPE, hidden_units=())


@pytest.mark.parametrize("penalty", ["r1_weight", "r2_weight"])
def test_zero_centred_penalty_adds_gamma_over_2_norm_squared_and_its_gradient_gamma_w(faces, penalty):
    gamma, rate = 4.0, 0.05
    runs = {}
    for weight in (0.0, gamma):
        keras.utils.set_random_seed(0)
        gan = GAN(build_mlp_generator(LATENT_DIM, IMAGE_SHAPE, hidden_units=(8,)), linear_discriminator(),
                  latent_dim=LATENT_DIM, seed=0, **{penalty: weight})
        gan.compile(keras.optimizers.SGD(rate), keras.optimizers.SGD(rate))
        kernel = gan.discriminator.get_layer("logit").kernel
        start = kernel.numpy().copy()
        logs = gan.fit(faces[:16], batch_size=16, epochs=1, verbose=0).history
        runs[weight] = (start, kernel.numpy(), logs["d_loss"][0])
    (start, plain, plain_loss), (same_start, penalised, penalised_loss) = runs[0.0], runs[gamma]
    np.testing.assert_array_equal(start, same_start)
    # The penalty is gamma / 2 ||w||^2; plain SGD moves w by -rate * gamma * w more.
    assert penalised_loss - plain_loss == pytest.approx(gamma / 2 * np.sum(start ** 2), rel=1e-4)
    np.testing.assert_allclose(penalised - plain, -rate * gamma * start, rtol=1e-4, atol=1e-7)


def test_the_relativistic_generator_loss_gets_the_real_logits(faces):
    seen = []

    def relativistic(fake_logits, real_logits):
        seen.append((tuple(fake_logits.shape), tuple(real_logits.shape)))
        return losses.relativistic_generator_loss(fake_logits, real_logits)

    relativistic.takes_real_logits = True
    gan = make_gan(d_loss_fn=losses.relativistic_discriminator_loss, g_loss_fn=relativistic,
                   compile_kwargs={"run_eagerly": True})
    history = gan.fit(faces[:16], batch_size=16, epochs=1, verbose=0)
    assert seen == [((16, 1), (16, 1))]
    assert np.isfinite(history.history["g_loss"][0])


def test_weight_average_follows_the_generator_with_a_warm_up(faces):
    gan = make_gan(average_momentum=0.999)
    generator, average = gan.generator, gan.average_generator
    assert average is not generator and gan.sampler is average
    first = weights_of(generator)
    np.testing.assert_array_equal(np.concatenate([w.ravel() for w in weights_of(average)]),
                                  np.concatenate([w.ravel() for w in first]))
    gan.fit(faces[:16], batch_size=16, epochs=1, verbose=0)
    second = weights_of(generator)
    # First update: momentum min(0.999, (1 + 0) / (10 + 0)) = 0.1.
    for old, new, mean in zip(first, second, weights_of(average)):
        np.testing.assert_allclose(mean, 0.1 * old + 0.9 * new, rtol=1e-5, atol=1e-7)
    previous = weights_of(average)
    gan.fit(faces[:16], batch_size=16, epochs=1, verbose=0)
    momentum = 2.0 / 11.0  # second update: (1 + 1) / (10 + 1)
    for old, new, mean in zip(previous, weights_of(generator), weights_of(average)):
        np.testing.assert_allclose(mean, momentum * old + (1 - momentum) * new, rtol=1e-5, atol=1e-7)
    assert int(gan.average_updates.numpy()) == 2
    noise = np.random.default_rng(0).normal(size=(4, LATENT_DIM)).astype(np.float32)
    np.testing.assert_allclose(gan.generate(noise=noise), average(noise, training=False).numpy(), rtol=1e-6)
    assert not np.allclose(gan.generate(noise=noise), generator(noise, training=False).numpy())


def test_weight_average_is_saved_and_restored(faces, tmp_path):
    gan = make_gan(average_momentum=0.99)
    gan.fit(faces[:32], batch_size=16, epochs=1, verbose=0)
    gan.save_weights(tmp_path / "gan.weights.h5")
    restored = make_gan(average_momentum=0.99)
    restored.load_weights(tmp_path / "gan.weights.h5")
    for saved, loaded in zip(weights_of(gan.average_generator), weights_of(restored.average_generator)):
        np.testing.assert_array_equal(saved, loaded)
    assert int(restored.average_updates.numpy()) == 2


@pytest.mark.parametrize("momentum", [0.0, 1.0, -0.5, 1.5])
def test_an_impossible_average_momentum_is_refused(momentum):
    with pytest.raises(ValueError, match=r"average_momentum must be in \(0, 1\)"):
        make_gan(average_momentum=momentum)


def test_weights_without_the_average_do_not_load_into_a_model_with_one(faces, tmp_path):
    make_gan().save_weights(tmp_path / "plain.weights.h5")
    with pytest.raises(ValueError, match="Expected the states .*average_updates.* was it saved from another model"):
        make_gan(average_momentum=0.99).load_weights(tmp_path / "plain.weights.h5")


def test_lazy_penalty_is_added_every_nth_step_times_n(faces):
    gamma, every = 4.0, 3
    # Step size 0: every step sees the same weights, so the losses differ by the penalty alone.
    plain, lazy = (make_gan(learning_rate=0.0, discriminator=linear_discriminator(seed=5), **options)
                   for options in ({}, {"r1_weight": gamma, "penalty_every": every}))
    kernel = lazy.discriminator.get_layer("logit").kernel.numpy()
    extra = []
    for _ in range(4):  # one batch per fit: D updates 0, 1, 2, 3
        losses_of = [gan.fit(faces[:16], batch_size=16, epochs=1, verbose=0).history["d_loss"][0]
                     for gan in (plain, lazy)]
        extra.append(losses_of[1] - losses_of[0])
    penalty = every * gamma / 2 * np.sum(kernel ** 2)
    assert extra == pytest.approx([penalty, 0.0, 0.0, penalty], rel=1e-4, abs=1e-6)
