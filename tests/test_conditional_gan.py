"""ganlib.conditional_gan: labels reach both networks, are checked before training, and survive saving."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from ganlib import conditional_gan
from ganlib.conditional_gan import ConditionalGAN, check_labels
from ganlib.gan import METRIC_NAMES

NUM_CLASSES = 3
LATENT_DIM = 4
SMALL_IMAGE = (8, 8, 1)
CONV = {"filters": 4, "depth": 2, "kernel_size": 3}


def _data(count=32, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, size=(count, *SMALL_IMAGE)).astype("float32")
    return images, rng.integers(0, NUM_CLASSES, size=count)


def _model(kind="conv", seed=0, **kwargs):
    keras.utils.set_random_seed(seed)
    if kind == "mlp":
        generator = conditional_gan.build_mlp_generator(LATENT_DIM, NUM_CLASSES, SMALL_IMAGE, (16,))
        discriminator = conditional_gan.build_mlp_discriminator(SMALL_IMAGE, NUM_CLASSES, (16,))
    else:
        generator = conditional_gan.build_conv_generator(LATENT_DIM, NUM_CLASSES, SMALL_IMAGE, **CONV)
        discriminator = (conditional_gan.build_acgan_discriminator(SMALL_IMAGE, NUM_CLASSES, **CONV)
                         if kind == "acgan"
                         else conditional_gan.build_conv_discriminator(SMALL_IMAGE, NUM_CLASSES, **CONV))
        kwargs.setdefault("classifier_weight", 1.0 if kind == "acgan" else 0.0)
    return ConditionalGAN(generator, discriminator, LATENT_DIM, NUM_CLASSES, seed=seed, **kwargs)


def _compile(model, learning_rate=1e-2):
    model.compile(keras.optimizers.Adam(learning_rate), keras.optimizers.Adam(learning_rate))
    return model


def _weights(network):
    return [w.copy() for w in network.get_weights()]


def _changed(before, network):
    return [not np.array_equal(b, a) for b, a in zip(before, network.get_weights())]


@pytest.mark.parametrize("kind, options", [("mlp", {}), ("conv", {}), ("acgan", {}),
                                           ("mlp", {"gp_weight": 1.0, "d_steps": 2})])
def test_tiny_fit_changes_both_networks_and_their_label_embeddings(kind, options):
    model = _compile(_model(kind, **options))
    images, labels = _data()
    generator_before, discriminator_before = _weights(model.generator), _weights(model.discriminator)
    if kind == "mlp":  # arrays, and labels of shape (batch, 1)
        history = model.fit(images, labels[:, None], batch_size=16, epochs=1, verbose=0)
    else:
        dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(16)
        history = model.fit(dataset, epochs=1, verbose=0)

    assert set(history.history) == set(METRIC_NAMES)
    assert all(math.isfinite(values[-1]) for values in history.history.values())
    # every weight moved, the label embeddings included (the AC-GAN discriminator has none)
    assert all(_changed(generator_before, model.generator))
    assert all(_changed(discriminator_before, model.discriminator))
    embeddings = [layer.name for network in (model.generator, model.discriminator)
                  for layer in network.layers if isinstance(layer, keras.layers.Embedding)]
    assert embeddings == ["label_embedding"] * (1 if kind == "acgan" else 2)


@pytest.mark.parametrize("kind, classifier_weight, classify_fakes",
                         [("conv", 0.0, True), ("acgan", 0.5, True), ("acgan", 0.5, False)])
def test_first_step_losses_match_hand_values_at_zero_logits(kind, classifier_weight, classify_fakes):
    # With zeroed output heads every logit is 0: the GAN losses are 2 ln 2 and ln 2, and the
    # cross-entropy of a uniform class guess is ln(num_classes) on real and on fake images
    # (D counts the fakes' only with classify_fakes; G always counts its own).
    model = _model(kind, classifier_weight=classifier_weight, classify_fakes=classify_fakes)
    model.compile(keras.optimizers.SGD(0.0), keras.optimizers.SGD(0.0))  # nothing moves
    network = model.discriminator if kind == "acgan" else model.discriminator.get_layer("discriminator")
    for name in ["logit"] + (["class_logits"] if kind == "acgan" else []):
        head = network.get_layer(name)
        head.set_weights([np.zeros_like(weight) for weight in head.get_weights()])
    images, labels = _data(16)

    history = model.fit(images, labels, batch_size=16, epochs=1, verbose=0).history

    class_loss = math.log(NUM_CLASSES)
    expected_d_loss = 2 * math.log(2) + classifier_weight * (2 if classify_fakes else 1) * class_loss
    assert history["d_loss"][0] == pytest.approx(expected_d_loss, rel=1e-5)
    assert history["g_loss"][0] == pytest.approx(math.log(2) + classifier_weight * class_loss, rel=1e-5)
    assert history["d_real"][0] == pytest.approx(0.5) and history["d_fake"][0] == pytest.approx(0.5)


def test_labels_enter_both_networks():
    model = _model("conv")
    images, _ = _data(2)
    noise = np.random.default_rng(1).normal(size=(2, LATENT_DIM)).astype("float32")
    class_0, class_1 = np.zeros(2, "int32"), np.ones(2, "int32")
    assert not np.allclose(model.generate(class_0, noise=noise), model.generate(class_1, noise=noise),
                           rtol=1e-3, atol=0)
    logits_0 = model.discriminator([images, class_0]).numpy()
    logits_1 = model.discriminator([images, class_1]).numpy()
    assert not np.allclose(logits_0, logits_1, rtol=1e-3, atol=0)


@pytest.mark.parametrize("labels, message", [
    (np.full(32, NUM_CLASSES), r"labels in 0\.\.2 \(num_classes=3\), got values in 3\.\.3"),
    (np.full(32, -1), r"labels in 0\.\.2 .*got values in -1\.\.-1"),
    (np.zeros(32, "float32"), r"integer class labels 0\.\.2, got dtype float32"),
    (np.eye(NUM_CLASSES, dtype="int64")[np.zeros(32, int)], r"shape \(32, 3\), which looks one-hot"),
    (np.zeros((32, 2), "int64"), r"shape \(batch,\) or \(batch, 1\), got shape \(32, 2\)"),
])
def test_wrong_labels_raise_before_any_training_step(labels, message):
    model = _compile(_model("mlp"))
    images, _ = _data()
    generator_before = _weights(model.generator)
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(32)
    for fit in (lambda: model.fit(images, labels, batch_size=32, epochs=1, verbose=0),
                lambda: model.fit(dataset, epochs=1, verbose=0)):
        with pytest.raises(ValueError, match=message):
            fit()
    assert not any(_changed(generator_before, model.generator))
    assert int(model.d_optimizer.iterations) == int(model.g_optimizer.iterations) == 0


def test_images_are_checked_too():
    model = _compile(_model("conv"))
    images, labels = _data()
    with pytest.raises(ValueError, match=r"images have shape \(4, 4, 1\) but the discriminator expects \(8, 8, 1\)"):
        model.fit(images[:, :4, :4], labels, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"one label per image \(32\), got 31 labels"):
        model.fit(images, labels[:31], batch_size=32, epochs=1, verbose=0)


def test_data_without_labels_raises_saying_labels_are_needed():
    model = _compile(_model("mlp"))
    images, _ = _data()
    with pytest.raises(ValueError, match=r"ConditionalGAN needs labels.*got batches of images only"):
        model.fit(tf.data.Dataset.from_tensor_slices(images).batch(8), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"ConditionalGAN needs labels.*got batches of images only"):
        model.fit(images, epochs=1, verbose=0)


def test_generate_checks_labels_and_noise():
    model = _model("mlp")
    assert model.generate([0, 1, 2, 2]).shape == (4, *SMALL_IMAGE)
    assert model.generate(np.array([[0], [2]])).shape == (2, *SMALL_IMAGE)
    with pytest.raises(ValueError, match=r"labels in 0\.\.2 \(num_classes=3\), got values in 0\.\.5"):
        model.generate([0, 5])
    with pytest.raises(ValueError, match=r"shape \(batch,\) or \(batch, 1\), got shape \(\)"):
        model.generate(1)
    with pytest.raises(ValueError, match=r"noise of shape \(2, 4\), one row per label, got \(3, 4\)"):
        model.generate([0, 1], noise=np.zeros((3, LATENT_DIM), "float32"))


def test_networks_must_match_the_mode():
    generator = conditional_gan.build_conv_generator(LATENT_DIM, NUM_CLASSES, SMALL_IMAGE, **CONV)
    acgan_discriminator = conditional_gan.build_acgan_discriminator(SMALL_IMAGE, NUM_CLASSES, **CONV)
    conditional_discriminator = conditional_gan.build_conv_discriminator(SMALL_IMAGE, NUM_CLASSES, **CONV)
    with pytest.raises(ValueError, match=r"inputs \[image, labels\] and one output, got 1 input\(s\) and 2"):
        ConditionalGAN(generator, acgan_discriminator, LATENT_DIM, NUM_CLASSES)
    with pytest.raises(ValueError, match=r"AC-GAN\) expects .* got 2 input\(s\) and 1 output"):
        ConditionalGAN(generator, conditional_discriminator, LATENT_DIM, NUM_CLASSES, classifier_weight=1.0)
    with pytest.raises(ValueError, match=r"generator with two inputs \[noise, labels\], got 1"):
        ConditionalGAN(acgan_discriminator, conditional_discriminator, LATENT_DIM, NUM_CLASSES)
    with pytest.raises(ValueError, match=r"num_classes must be an integer >= 1, got 0"):
        ConditionalGAN(generator, conditional_discriminator, LATENT_DIM, 0)


def test_saved_generator_reloads_and_honours_labels(tmp_path):
    model = _compile(_model("conv"))
    images, labels = _data()
    model.fit(images, labels, batch_size=16, epochs=1, verbose=0)  # moves batch-norm statistics too
    noise = np.random.default_rng(2).normal(size=(4, LATENT_DIM)).astype("float32")
    class_a, class_b = np.array([0, 0, 0, 0]), np.array([2, 2, 2, 2])
    images_a, images_b = model.generate(class_a, noise=noise), model.generate(class_b, noise=noise)
    assert not np.allclose(images_a, images_b, rtol=1e-3, atol=0)  # far beyond float rounding

    path = tmp_path / "conditional_generator.keras"
    model.generator.save(path)
    reloaded = keras.models.load_model(path)

    assert [tuple(i.shape) for i in reloaded.inputs] == [(None, LATENT_DIM), (None,)]
    # A reloaded model is a new graph of the same weights: equal within float32 rounding.
    np.testing.assert_allclose(reloaded([noise, class_a]).numpy(), images_a, rtol=0, atol=1e-5)
    np.testing.assert_allclose(reloaded([noise, class_b]).numpy(), images_b, rtol=0, atol=1e-5)


def test_check_labels_returns_flat_int32():
    labels = check_labels(tf.constant([[1], [0]], dtype=tf.int64), NUM_CLASSES, num_images=2)
    assert labels.dtype == np.int32 and labels.tolist() == [1, 0]


def test_interpolate_classes_runs_from_one_class_to_the_other_with_the_noise_held():
    model = _compile(_model("conv"))
    images, labels = _data()
    model.fit(images, labels, batch_size=16, epochs=1, verbose=0)
    noise = np.random.default_rng(3).normal(size=(2, LATENT_DIM)).astype("float32")

    path = conditional_gan.interpolate_classes(model.generator, noise, start_class=0, end_class=2, steps=5)

    assert path.shape == (2 * 5, *SMALL_IMAGE)
    rows = path.reshape(2, 5, *SMALL_IMAGE)  # row i: noise[i], t = 0, 1/4, ..., 1
    np.testing.assert_allclose(rows[:, 0], model.generate([0, 0], noise=noise), atol=1e-6)
    np.testing.assert_allclose(rows[:, -1], model.generate([2, 2], noise=noise), atol=1e-6)
    assert not np.allclose(rows[:, 2], rows[:, 0], atol=1e-3)  # the middle is neither end
    assert not np.allclose(rows[:, 2], rows[:, -1], atol=1e-3)


def test_interpolate_classes_checks_its_arguments():
    generator = _model("mlp").generator
    noise = np.zeros((1, LATENT_DIM), "float32")
    with pytest.raises(ValueError, match=r"labels in 0\.\.2 \(num_classes=3\), got values in 0\.\.3"):
        conditional_gan.interpolate_classes(generator, noise, 0, 3)
    with pytest.raises(ValueError, match=r"steps must be an integer >= 2 .*got 1"):
        conditional_gan.interpolate_classes(generator, noise, 0, 1, steps=1)
    with pytest.raises(ValueError, match=r"noise of shape \(n, 4\), got \(4,\)"):
        conditional_gan.interpolate_classes(generator, noise[0], 0, 1)


@pytest.mark.parametrize("bad_label", [7, -3])
def test_a_bad_label_in_a_later_batch_fails_before_any_step(bad_label):
    model = _compile(_model("conv"))
    images, labels = _data()
    labels[20] = bad_label  # the second batch of 16
    with pytest.raises(ValueError, match=r"Expected labels in 0..2 \(num_classes=3\)"):
        model.fit(images, labels, batch_size=16, epochs=1, verbose=0)
    assert int(model.d_optimizer.iterations) == 0


def test_a_bad_label_later_in_a_dataset_stops_training_with_the_reason():
    model = _compile(_model("conv"))
    images, labels = _data()
    labels[20] = 7
    finished = []
    count = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: finished.append(batch))
    with pytest.raises(Exception, match=r"Expected labels in 0..2"):
        model.fit(tf.data.Dataset.from_tensor_slices((images, labels)).batch(16), epochs=1, verbose=0,
                  callbacks=[count])
    assert finished == [0], "stopped at the second batch, the bad one"


@pytest.mark.parametrize("network", ["generator", "discriminator"])
def test_networks_built_for_another_number_of_classes_are_refused(network):
    generator = conditional_gan.build_conv_generator(LATENT_DIM, 5 if network == "generator" else NUM_CLASSES,
                                                     SMALL_IMAGE, **CONV)
    discriminator = conditional_gan.build_conv_discriminator(
        SMALL_IMAGE, 5 if network == "discriminator" else NUM_CLASSES, **CONV)
    with pytest.raises(ValueError, match=r"embeds 5 classes .* but num_classes is 3"):
        ConditionalGAN(generator, discriminator, LATENT_DIM, NUM_CLASSES)


def test_an_acgan_head_for_another_number_of_classes_is_refused():
    generator = conditional_gan.build_conv_generator(LATENT_DIM, NUM_CLASSES, SMALL_IMAGE, **CONV)
    discriminator = conditional_gan.build_acgan_discriminator(SMALL_IMAGE, 5, **CONV)
    with pytest.raises(ValueError, match="class head has 5 outputs but num_classes is 3"):
        ConditionalGAN(generator, discriminator, LATENT_DIM, NUM_CLASSES, classifier_weight=1.0)


def test_r1_r2_and_the_weight_average_work_with_labels():
    model = _compile(_model("mlp", r1_weight=1.0, r2_weight=1.0, average_momentum=0.9))
    images, labels = _data()
    history = model.fit(images, labels, batch_size=16, epochs=1, verbose=0)
    assert all(np.isfinite(values[0]) for values in history.history.values())
    noise = np.random.default_rng(0).normal(size=(6, LATENT_DIM)).astype("float32")
    classes = np.arange(6) % NUM_CLASSES
    averaged = model.average_generator([noise, classes], training=False).numpy()
    np.testing.assert_allclose(model.generate(classes, noise=noise), averaged, rtol=1e-6)
    assert not np.allclose(averaged, model.generator([noise, classes], training=False).numpy())


def test_projection_discriminator_adds_the_class_vector_times_the_features():
    keras.utils.set_random_seed(0)
    discriminator = conditional_gan.build_projection_discriminator(SMALL_IMAGE, NUM_CLASSES, **CONV)
    images, labels = _data(6)
    logits = discriminator([images, labels]).numpy()
    assert logits.shape == (6, 1)
    trunk = discriminator.get_layer("trunk")
    unconditional, features = (output.numpy() for output in trunk(images))
    class_vectors = discriminator.get_layer("class_projection").get_weights()[0]
    expected = unconditional[:, 0] + np.sum(class_vectors[labels] * features, axis=1)
    np.testing.assert_allclose(logits[:, 0], expected, rtol=1e-5, atol=1e-6)
    other = discriminator([images, (labels + 1) % NUM_CLASSES]).numpy()
    assert not np.allclose(other, logits), "the label changes the score"


def test_projection_discriminator_trains_in_a_conditional_gan():
    keras.utils.set_random_seed(0)
    generator = conditional_gan.build_conv_generator(LATENT_DIM, NUM_CLASSES, SMALL_IMAGE, **CONV)
    discriminator = conditional_gan.build_projection_discriminator(SMALL_IMAGE, NUM_CLASSES, **CONV)
    model = _compile(ConditionalGAN(generator, discriminator, LATENT_DIM, NUM_CLASSES, seed=0))
    before = _weights(discriminator)
    images, labels = _data()
    history = model.fit(images, labels, batch_size=16, epochs=1, verbose=0)
    assert all(np.isfinite(values[0]) for values in history.history.values())
    assert all(_changed(before, discriminator))
