"""The GAN training algorithm (Goodfellow et al. 2014, Algorithm 1) as a Keras Model.

A DCGAN is this same class with convolutional networks (see ``ganlib.dcgan``); the
multilayer perceptrons of the original paper are built here.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from ganlib import checks, losses

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
    checks.integer("latent_dim", latent_dim)
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
    generated fakes, then one generator update on fresh noise. Algorithm 1 draws a new
    real minibatch for each of the k steps; here the k steps share the batch that
    ``fit()`` delivered (identical for k = 1, the paper's setting).

    Options of the step: WGAN-GP's gradient penalty (``gp_weight``), the zero-centred
    penalties R1 and R2 (``r1_weight``, ``r2_weight``, lazily with ``penalty_every``), a
    loss pair that compares each fake with a real image (``losses.PAIRS["relativistic"]``),
    and a weight-averaged generator to sample from (``average_momentum``).

    It is the one training step of every model in ganlib. What differs between models
    is small and sits in four hooks: ``unpack`` (a batch -> real images and their
    *condition*: nothing here, class labels in ``ConditionalGAN``, the upsampled coarser
    image in a LAPGAN level, the low-resolution photo in ``SRGAN``), ``generator_inputs``
    (noise, with the condition when there is one), ``discriminator_inputs`` (the images,
    with the condition) and the extra loss terms ``discriminator_terms`` and
    ``generator_terms`` (AC-GAN's class loss, SRGAN's content loss).

    Each gradient tape differentiates only its own network's weights, so nothing is
    frozen by toggling ``trainable``: the discriminator is fixed during the generator's
    update simply because its weights are not in that update.

    Saving and resuming: ``save_weights`` (and so ``keras.callbacks.BackupAndRestore``)
    stores both networks, both optimizers' state and the state of every random number
    generator (noise and dropout), so a run killed mid-epoch and restarted with
    ``BackupAndRestore(backup_dir)`` resumes from the end of the last complete epoch and
    ends with the same weights as an uninterrupted run. ``ganlib.data.load`` shuffles each
    epoch as a function of (seed, epoch), and ``fit`` tells it the epoch, so a resumed run
    sees the same batches as an unbroken one. Keras restores the epoch, not the batch, so
    the interrupted epoch is replayed from its start.

    Several devices or machines: build and compile inside ``strategy.scope()``
    (``tf.distribute.MirroredStrategy()``, ``MultiWorkerMirroredStrategy()``);
    ``compile`` builds the optimizers there. Each replica draws its own slice of the
    global batch's noise and its gradients are scaled so that one update equals a single
    device's on the same global batch (exactly so without dropout and gradient penalty,
    whose random draws repeat across replicas).

    Data are checked before the first step: arrays whole (shape, dtype, finite values in
    [-1, 1], not [0, 1]), a ``tf.data.Dataset`` batch by batch as it streams.

    Args:
        generator: model mapping ``(batch, latent_dim)`` noise to images in [-1, 1].
        discriminator: model mapping images to logits ``(batch, 1)`` (no sigmoid).
        latent_dim: length of the noise vector.
        d_steps: discriminator updates per generator update (k >= 1).
        gp_weight: weight of WGAN-GP's gradient penalty on the discriminator (0 disables it).
        r1_weight: gamma of the zero-centred penalty R1 on real images (Mescheder et al. 2018):
            D's loss gains ``r1_weight / 2 * mean(||grad_x D(x)||^2)``; 0 disables it.
        r2_weight: the same penalty on generated images, R2.
        penalty_every: compute R1 and R2 only on every n-th discriminator update, scaled by n
            ("lazy regularization", Karras et al. 2020, StyleGAN2); 1 computes them every step.
        average_momentum: if given (e.g. 0.999), the model keeps ``average_generator``, an
            exponential moving average of the generator's weights updated after every
            generator step, and ``generate`` samples from it (Karras et al. 2018; Yazici
            et al. 2019). Early steps average with ``min(momentum, (1 + t) / (10 + t))``
            after t updates, so the random initial weights are forgotten quickly.
        seed: seed of the noise sampler.

    Example:
        >>> gan = GAN(build_mlp_generator(8, (2, 2, 1)), build_mlp_discriminator((2, 2, 1)), latent_dim=8)
        >>> gan.compile(keras.optimizers.Adam(2e-4), keras.optimizers.Adam(2e-4))
        >>> history = gan.fit(ganlib.data.load("faces2x2", batch_size=32), epochs=1, verbose=0)
    """

    extra_metric_names = ()  # metrics a model reports besides METRIC_NAMES (SRGAN's content loss, ...)
    adversarial_weight = 1.0  # the weight of the adversarial term in the generator's loss

    def __init__(self, generator, discriminator, latent_dim: int | None, d_steps: int = 1,
                 gp_weight: float = 0.0, r1_weight: float = 0.0, r2_weight: float = 0.0, penalty_every: int = 1,
                 average_momentum: float | None = None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        # None: a generator without noise (SRGAN's maps a low-resolution photo to a high one).
        self.latent_dim = None if latent_dim is None else checks.integer("latent_dim", latent_dim)
        self.d_steps = checks.integer("d_steps", d_steps)
        self.gp_weight = checks.number("gp_weight", gp_weight)
        self.r1_weight = checks.number("r1_weight", r1_weight)
        self.r2_weight = checks.number("r2_weight", r2_weight)
        self.penalty_every = checks.integer("penalty_every", penalty_every)
        self.average_generator = None
        if average_momentum is not None:
            if not 0 < average_momentum < 1:
                raise ValueError(f"average_momentum must be in (0, 1), e.g. 0.999, got {average_momentum!r}.")
            self.average_momentum = float(average_momentum)
            self.average_generator = keras.models.clone_model(generator)
            self.average_generator.set_weights(generator.get_weights())
            self.average_generator.trainable = False
            self.average_updates = self.add_weight(shape=(), initializer="zeros", dtype="int64",
                                                   trainable=False, name="average_updates")
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.trackers = {name: keras.metrics.Mean(name=name)
                         for name in METRIC_NAMES + tuple(self.extra_metric_names)}
        self.check_networks()
        self.built = True  # the networks come built; save_weights and BackupAndRestore need this

    def compile(self, d_optimizer, g_optimizer, d_loss_fn=losses.discriminator_loss,
                g_loss_fn=losses.generator_loss, **kwargs):
        """Set the two optimizers and the pair of losses.

        Args:
            d_optimizer: optimizer of the discriminator (an instance, or a name such as ``"adam"``).
            g_optimizer: optimizer of the generator; a second instance, not the same object.
            d_loss_fn: ``f(real_logits, fake_logits) -> scalar``.
            g_loss_fn: ``f(fake_logits) -> scalar``, or ``f(fake_logits, real_logits)`` when the
                function's attribute ``takes_real_logits`` is true (``losses.relativistic_generator_loss``).
            **kwargs: passed to ``keras.Model.compile`` (e.g. ``jit_compile``,
                ``steps_per_execution``).
        """
        super().compile(optimizer=None, **kwargs)  # no third, unused optimizer
        d_optimizer, g_optimizer = keras.optimizers.get(d_optimizer), keras.optimizers.get(g_optimizer)
        if d_optimizer is g_optimizer:
            raise ValueError("Expected two optimizer instances, one per network, got the same "
                             "object twice; each keeps its own state (e.g. Adam's moments).")
        # Built now, inside any distribution strategy's scope, and before BackupAndRestore
        # or load_weights look for their variables.
        for optimizer, network in ((d_optimizer, self.discriminator), (g_optimizer, self.generator)):
            if not optimizer.built:
                optimizer.build(network.trainable_variables)
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        self.d_loss_fn, self.g_loss_fn = d_loss_fn, g_loss_fn

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

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

    @property
    def sampler(self):
        """The network to sample from: the weight average when the model keeps one, else the generator."""
        return self.generator if self.average_generator is None else self.average_generator

    def generate(self, num_images: int = None, noise=None):
        """Generated images as a NumPy array, from ``noise`` or ``num_images`` fresh draws (``sampler``)."""
        if noise is None:
            noise = self.sample_noise(checks.integer("num_images", num_images))
        return ops.convert_to_numpy(self.sampler(noise, training=False))

    # Algorithm 1, the one training step of every model -----------------------------------

    def train_step(self, data):
        real_images, condition = self.unpack(data)
        batch_size = ops.shape(real_images)[0]

        for _ in range(self.d_steps):
            fake_images = self.generator(self.generator_inputs(batch_size, condition), training=True)
            with tf.GradientTape() as tape:
                real_logits, real_extra = self.discriminate(real_images, condition)
                fake_logits, fake_extra = self.discriminate(fake_images, condition)
                d_loss = self.d_loss_fn(real_logits, fake_logits)
                d_loss += self.discriminator_terms(real_extra, fake_extra, condition)
                d_loss += self.penalties(real_images, fake_images, condition)
            self.apply_update(self.d_optimizer, tape, d_loss, self.discriminator)

        with tf.GradientTape() as tape:
            generated = self.generator(self.generator_inputs(batch_size, condition), training=True)
            generated_logits, generated_extra = self.discriminate(generated, condition)
            adversarial_loss = self.generator_adversarial_loss(
                generated_logits, lambda: self.discriminate(real_images, condition)[0])
            terms = self.generator_terms(real_images, generated, generated_extra, condition)
            g_loss = sum(terms.values(), self.adversarial_weight * adversarial_loss)
        self.apply_update(self.g_optimizer, tape, g_loss, self.generator)
        self.update_average()

        correct = ops.concatenate([ops.cast(real_logits > 0, "float32"),
                                   ops.cast(fake_logits < 0, "float32")], axis=0)
        values = {"d_loss": d_loss, "g_loss": g_loss, "d_real": ops.mean(ops.sigmoid(real_logits)),
                  "d_fake": ops.mean(ops.sigmoid(fake_logits)), "d_accuracy": ops.mean(correct),
                  "adversarial_loss": adversarial_loss, **terms,
                  **self.extra_metrics(real_images, generated)}
        for name, tracker in self.trackers.items():
            tracker.update_state(values[name])
        results = {name: tracker.result() for name, tracker in self.trackers.items()}
        if _across_workers():  # Keras 3 averages these over workers along axis 0, so give them one
            results = {name: ops.reshape(value, (1,)) for name, value in results.items()}
        return results

    def generator_adversarial_loss(self, fake_logits, real_logits):
        """``g_loss_fn`` on the fakes' logits, and on the real images' when it pairs them.

        ``real_logits`` is a function that gives them: only a loss whose ``takes_real_logits``
        is true (the relativistic pair) needs them, and only then is D run on the real images.
        """
        if getattr(self.g_loss_fn, "takes_real_logits", False):
            return self.g_loss_fn(fake_logits, real_logits())
        return self.g_loss_fn(fake_logits)

    def penalties(self, real_images, fake_images, condition):
        """D's gradient penalties: WGAN-GP's and the zero-centred R1 and R2, each when its weight is set."""
        def critic(images, training=True):
            return self.discriminate(images, condition)[0]

        total = 0.0
        if self.gp_weight > 0:
            total += self.gp_weight * losses.gradient_penalty(critic, real_images, fake_images, self.seed_generator)
        if self.r1_weight > 0 or self.r2_weight > 0:
            total += self.zero_centred_penalties(critic, real_images, fake_images)
        return total

    def zero_centred_penalties(self, critic, real_images, fake_images):
        """``r1_weight / 2 * R1 + r2_weight / 2 * R2``, on every ``penalty_every``-th D update (times n)."""
        def penalties():
            total = 0.0
            for weight, images in ((self.r1_weight, real_images), (self.r2_weight, fake_images)):
                if weight > 0:
                    total += weight / 2 * losses.zero_centred_penalty(critic, images)
            return total * float(self.penalty_every)

        if self.penalty_every == 1:
            return penalties()
        due = ops.equal(self.d_optimizer.iterations % self.penalty_every, 0)
        return ops.cond(due, penalties, lambda: ops.zeros((), "float32"))

    def update_average(self):
        """Move ``average_generator``'s weights toward the generator's: a <- m a + (1 - m) w.

        Trainable weights are averaged; the others (batch norm's moving statistics) copied.
        Nothing to do when the model keeps no average.
        """
        if self.average_generator is None:
            return
        updates = ops.cast(self.average_updates, "float32")
        momentum = ops.minimum(self.average_momentum, (1.0 + updates) / (10.0 + updates))
        for average, weight in zip(self.average_generator.weights, self.generator.weights):
            if weight.trainable:
                average.assign(momentum * average + (1.0 - momentum) * weight)
            else:
                average.assign(weight)
        self.average_updates.assign_add(1)

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

    # The hooks: what differs between models ------------------------------------------------

    def unpack(self, data):
        """A batch -> ``(real_images, condition)``; a plain GAN has no condition."""
        return (data[0] if isinstance(data, tuple) else data), None

    def generator_inputs(self, batch_size, condition):
        """What the generator is called on: fresh noise, with the condition when there is one."""
        noise = self.sample_noise(batch_size)
        return noise if condition is None else [noise, condition]

    def discriminator_inputs(self, images, condition):
        """What the discriminator is called on: the images, with the condition when there is one."""
        return images if condition is None else [images, condition]

    def discriminate(self, images, condition):
        """The discriminator's logits and its further outputs (None, or AC-GAN's class logits)."""
        outputs = self.discriminator(self.discriminator_inputs(images, condition), training=True)
        return (outputs[0], outputs[1]) if isinstance(outputs, (list, tuple)) else (outputs, None)

    def discriminator_terms(self, real_extra, fake_extra, condition):
        """Extra terms of the discriminator's loss (0 here)."""
        return 0.0

    def generator_terms(self, real_images, generated, generated_extra, condition) -> dict:
        """Extra, weighted terms of the generator's loss by name (none here); each is also a metric."""
        return {}

    def extra_metrics(self, real_images, generated) -> dict:
        """Further metrics of the step, not part of any loss (none here)."""
        return {}

    def check_data(self, element):
        """Check one batch (or whole arrays) against the networks; raise ``ValueError`` if unfit."""
        images = element[0] if isinstance(element, tuple) else element
        checks.images(images, image_shape(self.discriminator))

    def check_networks(self):
        """Check the networks against the algorithm when the model is built."""
        check_generator(self.generator, self.latent_dim)
        check_discriminator(self.discriminator)
        produced, judged = tuple(self.generator.outputs[0].shape[1:]), image_shape(self.discriminator)
        if produced != judged:
            raise ValueError(f"The generator makes images of shape {produced} but the discriminator "
                             f"takes {judged}; build both for the same image shape.")

    # Data ---------------------------------------------------------------------------------

    def fit(self, x=None, y=None, *args, **kwargs):
        """``keras.Model.fit`` after checking the data against the networks.

        Arrays are checked whole and a ``tf.data.Dataset`` batch by batch as it streams
        (its first batch before any step), so wrong shapes, dtypes, labels or value ranges
        raise an error saying what was expected and what came, instead of training on them.
        """
        if isinstance(x, tf.data.Dataset):
            callbacks = list(kwargs.pop("callbacks", None) or [])
            epochs = getattr(x, "ganlib_epochs", None)  # ganlib.data.load: order of (seed, epoch)
            if epochs is not None:
                callbacks.append(_TellEpoch(epochs))
            kwargs.setdefault("shuffle", False)  # a Dataset shuffles itself; Keras would warn
            return super().fit(self._checked_dataset(x), y, *args, callbacks=callbacks, **kwargs)
        if x is None or len(x) == 0:
            raise ValueError("Expected training images, got none (empty array or None).")
        self.check_data(_to_numpy(x if y is None else (x, y)))
        return super().fit(x, y, *args, **kwargs)

    def _checked_dataset(self, dataset):
        """``dataset`` checked batch by batch; its first batch checked now. Kept for the next ``fit``."""
        if getattr(self, "_last_checked", (None,))[0] is not dataset:
            first = next(iter(dataset.take(1)), None)
            if first is None:
                raise ValueError("The dataset is empty: expected at least one batch.")
            self.check_data(_to_numpy(first))
            self._last_checked = (dataset, _checked(dataset, self.check_data))
        return self._last_checked[1]

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Nothing to build: the networks come built, compile builds the optimizers and the
        # trackers exist. Keras' version first averages a distributed batch, which fails for
        # batches of two tensors across workers (MultiWorkerMirroredStrategy, Keras 3.15).
        pass

    # Saving -------------------------------------------------------------------------------

    def save_own_variables(self, store):
        # Keras saves the networks' weights and optimizer state but not random number
        # generators; their state makes a resumed run draw the same noise (and dropout masks)
        # as an unbroken one. The weight average's update count sets its warm-up.
        for name, state in self._own_states().items():
            store[name] = state

    def load_own_variables(self, store):
        states = self._own_states()
        if sorted(store.keys()) != sorted(states):
            raise ValueError(f"Expected the states {sorted(states)} in the weights file, got "
                             f"{sorted(store.keys())}; was it saved from another model?")
        for name, state in states.items():
            state.assign(store[name])

    def _own_states(self):
        states = {f"random_state_{index}": state for index, state in enumerate(self._random_states())}
        if self.average_generator is not None:
            states["average_updates"] = self.average_updates
        return states

    def _random_states(self):
        weights = {id(weight) for weight in self.weights}
        return [variable for variable in self.variables if id(variable) not in weights]


class _TellEpoch(keras.callbacks.Callback):
    """Tells a ``ganlib.data`` dataset which epoch ``fit`` is at, so its order follows (seed, epoch)."""

    def __init__(self, epochs):
        super().__init__()
        self.epochs = epochs

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.next = epoch


def _across_workers():
    """Whether training runs on several workers (MultiWorkerMirroredStrategy with a cluster)."""
    strategy = tf.distribute.get_strategy()
    return (isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
            and strategy.extended._in_multi_worker_mode())  # tensorflow/tensorflow#72388


def _checked(dataset, check):
    """``dataset`` with ``check`` run on every batch as it streams (a ValueError stops ``fit``)."""
    def check_batch(*element):
        flat = tf.nest.flatten(element)

        def run(*arrays):
            check(tf.nest.pack_sequence_as(element, list(arrays)) if len(element) > 1 else arrays[0])
            return np.bool_(True)

        passed = tf.numpy_function(run, flat, tf.bool, stateful=True)  # stateless would be pruned
        with tf.control_dependencies([passed]):
            return tf.nest.map_structure(tf.identity, element if len(element) > 1 else element[0])

    return dataset.map(check_batch)


def _to_numpy(element):
    if isinstance(element, (tuple, list)):
        return tuple(np.asarray(ops.convert_to_numpy(part)) for part in element)
    return np.asarray(ops.convert_to_numpy(element))


def image_shape(network, index: int = 0):
    """The image shape a network takes (its first input, or input ``index``), without the batch."""
    shapes = network.input_shape
    return tuple((shapes[index] if isinstance(shapes, list) else shapes)[1:])


def check_generator(generator, latent_dim):
    """``ValueError`` unless the generator's first input takes noise of ``latent_dim``."""
    if latent_dim is None:
        return
    length = generator.inputs[0].shape[-1]
    if length != latent_dim:
        raise ValueError(f"The generator takes noise of length {length} but latent_dim is {latent_dim}; "
                         "build it with the same latent_dim.")


def check_discriminator(discriminator, outputs: int = 1):
    """``ValueError`` unless the discriminator ends in one logit per image: shape (batch, 1), no sigmoid."""
    if len(discriminator.outputs) != outputs:
        raise ValueError(f"Expected a discriminator with {outputs} output(s), got {len(discriminator.outputs)}.")
    shape = tuple(discriminator.outputs[0].shape[1:])
    if shape != (1,):
        raise ValueError(f"Expected the discriminator to output one logit per image, shape (batch, 1), "
                         f"got (batch, {', '.join(map(str, shape))}).")
    if _final_activation(discriminator) == "sigmoid":
        raise ValueError("The discriminator ends in a sigmoid, but ganlib's losses take logits (they "
                         "apply the sigmoid themselves, stably): remove the sigmoid from its last layer.")


def _final_activation(model):
    """Name of the activation that produces the model's first output, looking inside nested models."""
    operation = model.outputs[0]._keras_history.operation
    while isinstance(operation, keras.Model) and getattr(operation, "outputs", None):
        operation = operation.outputs[0]._keras_history.operation
    activation = getattr(operation, "activation", None)
    return getattr(activation, "__name__", None)
