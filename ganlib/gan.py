"""The GAN training algorithm (Goodfellow et al. 2014, Algorithm 1) as a Keras Model.

A DCGAN is this same class with convolutional networks (see ``ganlib.dcgan``); the
multilayer perceptrons of the original paper are built here.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from ganlib import losses

METRIC_NAMES = ("d_loss", "g_loss", "d_real", "d_fake", "d_accuracy")


def build_mlp_generator(latent_dim: int, image_shape, hidden_units=(256,), batch_norm: bool = False,
                        activation="relu", name="generator"):
    """Multilayer-perceptron generator: noise -> Dense layers -> tanh image in [-1, 1].

    Args:
        latent_dim: length of the noise vector z.
        image_shape: shape of one generated image, e.g. ``(28, 28, 1)``.
        hidden_units: widths of the hidden layers; ``()`` gives a one-layer generator.
        batch_norm: batch normalization (momentum 0.8) before each hidden activation. On the
            4,000-image MNIST subset it is what keeps a ReLU generator from collapsing onto
            one digit within 10 epochs (measured in notebook 03's preparation).
        activation: activation of the hidden layers, e.g. ``"relu"`` or ``"leaky_relu"``
            (slope 0.2).

    Returns:
        A Functional ``keras.Model`` mapping ``(batch, latent_dim)`` to ``(batch, *image_shape)``.
    """
    _check_positive_int("latent_dim", latent_dim)
    noise = keras.Input((latent_dim,), name="noise")
    x = noise
    for units in hidden_units:
        x = layers.Dense(units)(x)
        if batch_norm:
            x = layers.BatchNormalization(momentum=0.8)(x)
        x = layers.Activation(activation)(x)
    x = layers.Dense(int(np.prod(image_shape)), activation="tanh")(x)
    images = layers.Reshape(tuple(image_shape), name="image")(x)
    return keras.Model(noise, images, name=name)


def build_mlp_discriminator(image_shape, hidden_units=(256,), dropout=0.0, name="discriminator"):
    """Multilayer-perceptron discriminator: image -> Dense/LeakyReLU layers -> one logit.

    Args:
        image_shape: shape of one input image.
        hidden_units: widths of the hidden layers; ``()`` gives a one-layer (logistic) discriminator.
        dropout: dropout rate after each hidden layer (active only with ``training=True``).

    Returns:
        A Functional ``keras.Model`` mapping images to logits of shape ``(batch, 1)``.
    """
    images = keras.Input(tuple(image_shape), name="image")
    x = layers.Flatten()(images)
    for units in hidden_units:
        x = layers.Dense(units)(x)
        x = layers.LeakyReLU(0.2)(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    logits = layers.Dense(1, name="logit")(x)
    return keras.Model(images, logits, name=name)


class GAN(keras.Model):
    """Generator and discriminator trained against each other with ``fit()``.

    Each ``train_step`` runs Algorithm 1 of Goodfellow et al. (2014): ``d_steps`` (the
    paper's k) discriminator updates, each on the batch's real images and freshly
    sampled fakes, then one generator update on fresh noise. Algorithm 1 draws a new
    real minibatch for each of the k steps; here the k steps share the batch that
    ``fit()`` delivered (identical for k = 1, the paper's setting).

    Each gradient tape differentiates only its own network's weights, so nothing is
    frozen by toggling ``trainable``: the discriminator is fixed during the generator's
    update simply because its weights are not in that update.

    Saving and resuming: ``save_weights`` (and so ``keras.callbacks.BackupAndRestore``)
    stores both networks, both optimizers' state and the state of every random number
    generator (noise and dropout), so a run killed mid-epoch and restarted with
    ``BackupAndRestore(backup_dir)`` (default ``save_freq="epoch"``) resumes from the end of
    the last complete epoch and ends with the same weights as an uninterrupted run, as
    long as the data order of an epoch does not depend on how many epochs ran before.
    Keras' ``BackupAndRestore`` restores the epoch, not the batch, so batch-level
    ``save_freq`` would replay the batches of the interrupted epoch.

    Several devices: build and compile inside ``strategy.scope()`` (for example
    ``tf.distribute.MirroredStrategy()``); ``compile`` builds the optimizers there. Each
    replica draws its own slice of the global batch's noise and its gradients are scaled
    so that one update equals a single device's on the same global batch (exactly so
    without dropout and gradient penalty, whose random draws repeat across replicas).

    Args:
        generator: model mapping ``(batch, latent_dim)`` noise to images in [-1, 1].
        discriminator: model mapping images to logits ``(batch, 1)``.
        latent_dim: length of the noise vector.
        d_steps: discriminator updates per generator update (k >= 1).
        gp_weight: weight of the gradient penalty on the discriminator (0 disables it).
        seed: seed of the noise sampler.

    Example:
        >>> gan = GAN(build_mlp_generator(8, (2, 2, 1)), build_mlp_discriminator((2, 2, 1)), latent_dim=8)
        >>> gan.compile(keras.optimizers.Adam(2e-4), keras.optimizers.Adam(2e-4))
        >>> history = gan.fit(dataset, epochs=5)
    """

    def __init__(self, generator, discriminator, latent_dim: int, d_steps: int = 1,
                 gp_weight: float = 0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        _check_positive_int("latent_dim", latent_dim)
        _check_positive_int("d_steps", d_steps)
        if gp_weight < 0:
            raise ValueError(f"gp_weight must be >= 0, got {gp_weight}.")
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim)
        self.d_steps = int(d_steps)
        self.gp_weight = float(gp_weight)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in METRIC_NAMES}
        self.built = True  # the networks come built; save_weights and BackupAndRestore need this

    def compile(self, d_optimizer, g_optimizer, d_loss_fn=losses.discriminator_loss,
                g_loss_fn=losses.generator_loss, **kwargs):
        """Set the two optimizers and the pair of losses.

        Args:
            d_optimizer: optimizer of the discriminator.
            g_optimizer: optimizer of the generator.
            d_loss_fn: ``f(real_logits, fake_logits) -> scalar``.
            g_loss_fn: ``f(fake_logits) -> scalar``.
            **kwargs: passed to ``keras.Model.compile`` (e.g. ``jit_compile``,
                ``steps_per_execution``).
        """
        super().compile(optimizer=None, **kwargs)  # no third, unused optimizer
        set_optimizers_and_losses(self, d_optimizer, g_optimizer, d_loss_fn, g_loss_fn)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, noise, training=False):
        return self.generator(noise, training=training)

    def sample_noise(self, batch_size):
        """Noise of shape ``(batch_size, latent_dim)`` from N(0, I).

        Under a distribution strategy every replica draws the noise of the whole global
        batch from the same seed and keeps its own rows, so replicas get different noise
        and the run matches a single device's.
        """
        replica = tf.distribute.get_replica_context()  # None outside a replica (cross-replica)
        replicas = replica.num_replicas_in_sync if replica else 1
        noise = keras.random.normal((batch_size * replicas, self.latent_dim),
                                    seed=self.seed_generator)
        if replicas == 1:
            return noise
        start = replica.replica_id_in_sync_group * batch_size
        return noise[start:start + batch_size]

    def generate(self, num_images: int = None, noise=None):
        """Generated images as a NumPy array, from ``noise`` or ``num_images`` fresh draws."""
        if noise is None:
            _check_positive_int("num_images", num_images)
            noise = self.sample_noise(num_images)
        return ops.convert_to_numpy(self.generator(noise, training=False))

    def train_step(self, data):
        real_images = data[0] if isinstance(data, tuple) else data
        batch_size = ops.shape(real_images)[0]

        for _ in range(self.d_steps):
            fake_images = self.generator(self.sample_noise(batch_size), training=True)
            with tf.GradientTape() as tape:
                real_logits = self.discriminator(real_images, training=True)
                fake_logits = self.discriminator(fake_images, training=True)
                d_loss = self.d_loss_fn(real_logits, fake_logits)
                if self.gp_weight > 0:
                    d_loss += self.gp_weight * losses.gradient_penalty(
                        self.discriminator, real_images, fake_images, self.seed_generator)
            self.apply_update(self.d_optimizer, tape, d_loss, self.discriminator)

        with tf.GradientTape() as tape:
            generated = self.generator(self.sample_noise(batch_size), training=True)
            g_loss = self.g_loss_fn(self.discriminator(generated, training=True))
        self.apply_update(self.g_optimizer, tape, g_loss, self.generator)

        d_real = ops.sigmoid(real_logits)
        d_fake = ops.sigmoid(fake_logits)
        correct = ops.concatenate([ops.cast(real_logits > 0, "float32"),
                                   ops.cast(fake_logits < 0, "float32")], axis=0)
        for name, value in (("d_loss", d_loss), ("g_loss", g_loss), ("d_real", ops.mean(d_real)),
                            ("d_fake", ops.mean(d_fake)), ("d_accuracy", ops.mean(correct))):
            self.trackers[name].update_state(value)
        return {m.name: m.result() for m in self.metrics}

    def apply_update(self, optimizer, tape, loss, network):
        """One optimizer step on ``network``'s trainable weights, down the gradient of ``loss``.

        Under a distribution strategy Keras sums the replicas' gradients; each replica's
        loss is a mean over its share of the batch, so dividing by the number of replicas
        makes the update equal one device's on the global batch.
        """
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        weights = network.trainable_weights
        # scalar_mul also scales the IndexedSlices gradients of Embedding layers (ConditionalGAN)
        gradients = [tf.math.scalar_mul(1.0 / replicas, gradient)
                     for gradient in tape.gradient(loss, weights)]
        optimizer.apply_gradients(zip(gradients, weights))

    def save_own_variables(self, store):
        # Keras saves weights and optimizer state but not random number generators; their
        # state makes a resumed run draw the same noise (and dropout masks) as an unbroken one.
        for index, state in enumerate(self._random_states()):
            store[f"random_state_{index}"] = state

    def load_own_variables(self, store):
        states = self._random_states()
        if len(store.keys()) != len(states):
            raise ValueError(f"Expected {len(states)} random-generator states in the weights "
                             f"file, got {len(store.keys())}; was it saved from another model?")
        for index, state in enumerate(states):
            state.assign(store[f"random_state_{index}"])

    def _random_states(self):
        weights = {id(weight) for weight in self.weights}
        return [variable for variable in self.variables if id(variable) not in weights]

    def fit(self, x=None, *args, **kwargs):
        """``keras.Model.fit`` after checking the data against the discriminator's input.

        The first batch is inspected before any step runs: its rank, image shape,
        dtype and value range must suit the discriminator. Mistakes raise
        ``ValueError`` saying what was expected and what came.
        """
        check_images(_first_images(x, kwargs.get("batch_size")), self.discriminator)
        if isinstance(x, tf.data.Dataset):
            kwargs.setdefault("shuffle", False)  # a Dataset shuffles itself; Keras would warn
        return super().fit(x, *args, **kwargs)


def set_optimizers_and_losses(model, d_optimizer, g_optimizer, d_loss_fn, g_loss_fn):
    """The part of ``compile`` every two-network model shares: optimizers built, losses set."""
    if d_optimizer is g_optimizer:
        raise ValueError("Expected two optimizer instances, one per network, got the same "
                         "object twice; each keeps its own state (e.g. Adam's moments).")
    # Built now, inside any distribution strategy's scope, and before BackupAndRestore
    # or load_weights look for their variables.
    for optimizer, network in ((d_optimizer, model.discriminator), (g_optimizer, model.generator)):
        if not optimizer.built:
            optimizer.build(network.trainable_variables)
    model.d_optimizer, model.g_optimizer = d_optimizer, g_optimizer
    model.d_loss_fn, model.g_loss_fn = d_loss_fn, g_loss_fn


def check_images(images, discriminator):
    """Raise ``ValueError`` unless ``images`` is a float batch in [-1, 1] the discriminator accepts."""
    input_shape = discriminator.input_shape  # a list for [image, labels] (ConditionalGAN)
    expected = tuple((input_shape[0] if isinstance(input_shape, list) else input_shape)[1:])
    shape = tuple(images.shape)
    if len(shape) != len(expected) + 1:
        raise ValueError(f"Expected a batch of images of rank {len(expected) + 1} "
                         f"(batch, {', '.join(map(str, expected))}), got shape {shape}.")
    if any(e is not None and e != s for e, s in zip(expected, shape[1:])):
        raise ValueError(f"Data images have shape {shape[1:]} but the discriminator expects "
                         f"{expected}; resize the data or build the networks for its shape.")
    dtype = keras.backend.standardize_dtype(images.dtype)
    if not dtype.startswith(("float", "bfloat")):
        raise ValueError(f"Expected float images scaled to [-1, 1], got dtype {dtype}; "
                         "ganlib.data.load returns them ready to use.")
    check_range(images)


def check_range(images, what="images"):
    """Raise ``ValueError`` unless every value of ``images`` is finite and in [-1, 1] (within 1e-3)."""
    values = ops.convert_to_numpy(images)
    low, high = float(values.min()), float(values.max())
    if not (low >= -1.0 - 1e-3 and high <= 1.0 + 1e-3):  # written so that NaN fails too
        raise ValueError(f"Expected {what} scaled to [-1, 1] (the generator's tanh range), "
                         f"got values in [{low:.3g}, {high:.3g}].")


def _first_images(x, batch_size):
    if isinstance(x, tf.data.Dataset):
        for element in x.take(1):
            return element[0] if isinstance(element, tuple) else element
        raise ValueError("The dataset is empty: expected at least one batch of images.")
    if isinstance(x, tuple):
        x = x[0]
    if x is None or len(x) == 0:
        raise ValueError("Expected training images, got none (empty array or None).")
    return x[: batch_size or 32]


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}.")
