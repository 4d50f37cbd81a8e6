"""Conditional GANs (Mirza and Osindero 2014) and the auxiliary-classifier variant (Odena et al. 2017).

The class label y enters both networks: the generator maps ``[noise, labels]`` to an
image, G(z|y), and the discriminator scores ``[image, labels]``, D(x|y). Training is the
GAN game of ``ganlib.GAN`` with y drawn from the data:

    min_G max_D  E_{(x,y)~data}[log D(x|y)] + E_{z~p(z), y~data}[log(1 - D(G(z|y)|y))]

Labels are integer class indices ``0 .. num_classes - 1``. The networks turn them into
vectors with an ``Embedding`` layer, which is the same as multiplying a one-hot vector by
a weight matrix (the paper's y input layer), without building the one-hot vector.

With ``classifier_weight > 0`` the model is an AC-GAN: the discriminator sees the image
only and returns two outputs, ``[logit, class_logits]``; both networks also minimise the
cross-entropy of the class head (the paper's L_C): the generator on its fakes, the
discriminator on real images and, unless ``classify_fakes=False``, on the fakes too.
``build_projection_discriminator`` gives the label to D at its last layer instead
(Miyato and Koyama 2018).
"""

import keras
import numpy as np
from keras import layers, ops

from ganlib import checks, dcgan, gan
from ganlib.gan import GAN


def build_mlp_generator(latent_dim: int, num_classes: int, image_shape, hidden_units=(256,),
                        embedding_dim: int = 16, name="conditional_generator"):
    """Conditional multilayer perceptron: ``ganlib.build_mlp_generator`` fed ``[z, embedding(y)]``.

    Args:
        latent_dim: length of the noise vector z.
        num_classes: number of classes; labels are ``0 .. num_classes - 1``.
        image_shape: shape of one generated image, e.g. ``(28, 28, 1)``.
        hidden_units: widths of the Dense/ReLU hidden layers.
        embedding_dim: length of the label embedding.
        name: name of the model.

    Returns:
        A Functional ``keras.Model`` with inputs ``[noise (batch, latent_dim), labels (batch,)]``
        and output ``(batch, *image_shape)`` in [-1, 1].
    """
    noise, labels, joined = _generator_inputs(latent_dim, num_classes, embedding_dim)
    body = gan.build_mlp_generator(latent_dim + embedding_dim, image_shape, hidden_units)
    return keras.Model([noise, labels], body(joined), name=name)


def build_mlp_discriminator(image_shape, num_classes: int, hidden_units=(256,),
                            embedding_dim: int = 16, dropout: float = 0.0,
                            name="conditional_discriminator"):
    """Conditional multilayer perceptron: ``ganlib.build_mlp_discriminator`` fed ``[x, embedding(y)]``.

    The label embedding is concatenated to the flattened image.

    Args:
        image_shape: shape of one input image.
        num_classes: number of classes.
        hidden_units: widths of the Dense/LeakyReLU hidden layers.
        embedding_dim: length of the label embedding.
        dropout: dropout rate after each hidden layer.
        name: name of the model.

    Returns:
        A Functional ``keras.Model`` with inputs ``[image, labels]`` and logits ``(batch, 1)``.
    """
    images, labels = _discriminator_inputs(image_shape, num_classes)
    embedded = _label_embedding(num_classes, embedding_dim)(labels)
    joined = layers.Concatenate(name="image_and_label")([layers.Flatten()(images), embedded])
    body = gan.build_mlp_discriminator((int(np.prod(image_shape)) + embedding_dim,), hidden_units, dropout)
    return keras.Model([images, labels], body(joined), name=name)


def build_conv_generator(latent_dim: int, num_classes: int, image_shape=(28, 28, 1),
                         embedding_dim: int = 16, name="conditional_generator", **dcgan_options):
    """Conditional DCGAN generator: ``dcgan.build_generator`` fed ``[z, embedding(y)]``.

    Args:
        latent_dim: length of the noise vector z.
        num_classes: number of classes.
        image_shape: shape of one generated image.
        embedding_dim: length of the label embedding.
        name: name of the model.
        **dcgan_options: ``filters``, ``depth``, ``kernel_size`` of ``dcgan.build_generator``.

    Returns:
        A Functional ``keras.Model`` with inputs ``[noise, labels]`` and output ``(batch, *image_shape)``.
    """
    noise, labels, joined = _generator_inputs(latent_dim, num_classes, embedding_dim)
    body = dcgan.build_generator(latent_dim + embedding_dim, image_shape, **dcgan_options)
    return keras.Model([noise, labels], body(joined), name=name)


def build_conv_discriminator(image_shape, num_classes: int, name="conditional_discriminator",
                             **dcgan_options):
    """Conditional DCGAN discriminator: ``dcgan.build_discriminator`` fed the image and a label channel.

    The label is embedded as an ``H x W`` map learned per class and concatenated to the
    image as one more channel, so that every convolution sees it.

    Args:
        image_shape: shape of one input image, ``(height, width, channels)``.
        num_classes: number of classes.
        name: name of the model.
        **dcgan_options: ``filters``, ``depth``, ``kernel_size`` of ``dcgan.build_discriminator``.

    Returns:
        A Functional ``keras.Model`` with inputs ``[image, labels]`` and logits ``(batch, 1)``.
    """
    height, width, channels = image_shape
    images, labels = _discriminator_inputs(image_shape, num_classes)
    label_map = _label_embedding(num_classes, height * width)(labels)
    label_map = layers.Reshape((height, width, 1), name="label_channel")(label_map)
    joined = layers.Concatenate(name="image_and_label")([images, label_map])
    body = dcgan.build_discriminator((height, width, channels + 1), **dcgan_options)
    return keras.Model([images, labels], body(joined), name=name)


def build_projection_discriminator(image_shape, num_classes: int, name="projection_discriminator",
                                   **dcgan_options):
    """Projection discriminator (Miyato and Koyama 2018): the label enters at the very end.

    ``D(x, y) = psi(phi(x)) + e_y . phi(x)``: ``phi`` is ``dcgan.build_discriminator``'s
    flattened last feature map, ``psi`` its ``Dense(1)`` logit, and ``e_y`` a learned vector
    per class, as long as ``phi(x)``. Where a label channel asks every convolution to use the
    label, the projection is the form the optimal D takes when p(y|x) is a softmax of
    features: the inner product scores how well the image's features fit its class.

    Returns:
        A Functional ``keras.Model`` with inputs ``[image, labels]`` and logits ``(batch, 1)``.
    """
    body = dcgan.build_discriminator(tuple(image_shape), **dcgan_options)
    trunk = keras.Model(body.input, [body.output, body.get_layer("flatten").output], name="trunk")
    images, labels = _discriminator_inputs(image_shape, num_classes)
    unconditional, features = trunk(images)
    class_vectors = layers.Embedding(num_classes, features.shape[-1], name="class_projection",
                                     embeddings_initializer=dcgan.weights_initializer())(labels)
    projection = layers.Dot(axes=1, name="projection")([class_vectors, features])
    logits = layers.Add(name="logit")([unconditional, projection])
    return keras.Model([images, labels], logits, name=name)


def build_acgan_discriminator(image_shape, num_classes: int, name="acgan_discriminator",
                              **dcgan_options):
    """AC-GAN discriminator (Odena et al. 2017): ``dcgan.build_discriminator`` with a class head.

    It does not see the label: a second ``Dense`` head on the flattened features gives
    ``num_classes`` class logits, so the class must be recognised from the image. Use it
    with ``ConditionalGAN(..., classifier_weight=1.0)``.

    Returns:
        A Functional ``keras.Model`` mapping images to
        ``[logits (batch, 1), class_logits (batch, num_classes)]``.
    """
    checks.integer("num_classes", num_classes)
    body = dcgan.build_discriminator(tuple(image_shape), **dcgan_options)
    features = body.get_layer("flatten").output
    class_logits = layers.Dense(num_classes, name="class_logits")(features)
    return keras.Model(body.inputs, [body.outputs[0], class_logits], name=name)


class ConditionalGAN(GAN):
    """A ``GAN`` whose generator and discriminator both receive the class label.

    ``fit`` takes ``(images, labels)``: a ``tf.data.Dataset`` of such batches (for example
    ``ganlib.data.load("fashion_mnist")``) or arrays as ``fit(images, labels)``. The label is
    the *condition* of ``GAN.train_step``: each step generates fakes for the labels of the
    real batch (so generated classes follow the data's class frequencies), ``G([z, y])``
    and ``D([x, y])``. The constructor's other arguments, ``compile`` and the metric names
    are those of ``GAN``.

    Args:
        generator: model mapping ``[noise (batch, latent_dim), labels (batch,)]`` to images.
        discriminator: model mapping ``[images, labels]`` to logits ``(batch, 1)``; with
            ``classifier_weight > 0``, a model mapping images to ``[logits, class_logits]``.
        latent_dim: length of the noise vector.
        num_classes: number of classes; labels are integers ``0 .. num_classes - 1``.
        classifier_weight: weight of the AC-GAN class loss (0, the default, is a plain
            conditional GAN).
        classify_fakes: whether the discriminator's class loss also counts generated images
            (Odena et al. 2017's L_C on both), or only real ones; the generator's class loss is
            on its fakes either way. Without it D's class head learns from real images alone
            and cannot be pleased by fakes that are easy to classify but unlike the data.
        **kwargs: ``d_steps``, ``gp_weight``, ``seed`` and the rest of ``GAN``'s arguments.

    Example:
        >>> generator = build_conv_generator(latent_dim=64, num_classes=10)
        >>> discriminator = build_conv_discriminator((28, 28, 1), num_classes=10)
        >>> cgan = ConditionalGAN(generator, discriminator, latent_dim=64, num_classes=10)
        >>> cgan.compile(**ganlib.dcgan.optimizers())
        >>> history = cgan.fit(ganlib.data.load("fashion_mnist", batch_size=32, limit=64), epochs=1, verbose=0)
        >>> cgan.generate(np.repeat(np.arange(10), 8)).shape  # 8 images of each class
        (80, 28, 28, 1)
    """

    def __init__(self, generator, discriminator, latent_dim: int, num_classes: int,
                 classifier_weight: float = 0.0, classify_fakes: bool = True, **kwargs):
        self.num_classes = checks.integer("num_classes", num_classes)
        self.classifier_weight = checks.number("classifier_weight", classifier_weight)
        self.classify_fakes = bool(classify_fakes)
        super().__init__(generator, discriminator, latent_dim, **kwargs)

    def generate(self, labels, noise=None):
        """Generated images of the given classes as a NumPy array.

        Args:
            labels: integer class indices, shape ``(n,)``; e.g. ``np.repeat(np.arange(10), 8)``.
            noise: optional ``(n, latent_dim)`` noise; fresh draws when omitted.

        Returns:
            ``n`` images, image ``i`` of class ``labels[i]``.
        """
        labels = checks.labels(ops.convert_to_numpy(labels), self.num_classes)
        if noise is None:
            noise = self.sample_noise(len(labels))
        elif tuple(noise.shape) != (len(labels), self.latent_dim):
            raise ValueError(f"Expected noise of shape ({len(labels)}, {self.latent_dim}), one row "
                             f"per label, got {tuple(noise.shape)}.")
        inputs = [ops.convert_to_tensor(noise, "float32"), ops.convert_to_tensor(labels)]
        return ops.convert_to_numpy(self.sampler(inputs, training=False))

    # GAN.train_step's hooks: the label is the condition; AC-GAN adds a class loss.

    def unpack(self, data):
        return data[0], ops.reshape(data[1], (-1,))  # (batch, 1) labels as (batch,)

    def discriminator_inputs(self, images, labels):
        return images if self.classifier_weight > 0 else [images, labels]

    def discriminator_terms(self, real_class_logits, fake_class_logits, labels):
        if self.classifier_weight == 0:
            return 0.0
        fake_term = class_loss(labels, fake_class_logits) if self.classify_fakes else 0.0
        return self.classifier_weight * (class_loss(labels, real_class_logits) + fake_term)

    def generator_terms(self, real_images, generated, generated_class_logits, labels):
        if self.classifier_weight == 0:
            return {}
        return {"class_loss": self.classifier_weight * class_loss(labels, generated_class_logits)}

    def check_data(self, element):
        if not isinstance(element, tuple) or len(element) < 2:
            raise ValueError("ConditionalGAN needs labels: expected a dataset of (images, labels) batches "
                             "or fit(images, labels), got batches of images only (ganlib.data.load gives labels "
                             "with with_labels=True).")
        super().check_data(element)
        checks.labels(element[1], self.num_classes, num_images=len(element[0]))

    def check_networks(self):
        if len(self.generator.inputs) != 2:
            raise ValueError(f"Expected a generator with two inputs [noise, labels], got "
                             f"{len(self.generator.inputs)} input(s); build it with build_conv_generator.")
        gan.check_generator(self.generator, self.latent_dim)
        acgan = self.classifier_weight > 0
        if not acgan and (len(self.discriminator.inputs) != 2 or len(self.discriminator.outputs) != 1):
            raise ValueError(f"Expected a discriminator with inputs [image, labels] and one output, got "
                             f"{len(self.discriminator.inputs)} input(s) and {len(self.discriminator.outputs)} "
                             "output(s); for an AC-GAN discriminator set classifier_weight > 0.")
        if acgan and (len(self.discriminator.inputs) != 1 or len(self.discriminator.outputs) != 2):
            raise ValueError(f"classifier_weight > 0 (AC-GAN) expects a discriminator with the image as "
                             f"its only input and outputs [logit, class_logits], got "
                             f"{len(self.discriminator.inputs)} input(s) and {len(self.discriminator.outputs)} "
                             "output(s); build it with build_acgan_discriminator.")
        gan.check_discriminator(self.discriminator, outputs=2 if acgan else 1)
        if acgan and self.discriminator.outputs[1].shape[-1] != self.num_classes:
            raise ValueError(f"The AC-GAN discriminator's class head has {self.discriminator.outputs[1].shape[-1]} "
                             f"outputs but num_classes is {self.num_classes}.")
        for network in (self.generator, self.discriminator):
            for layer in _sublayers(network):
                if isinstance(layer, layers.Embedding) and layer.input_dim != self.num_classes:
                    raise ValueError(f"The {network.name} embeds {layer.input_dim} classes (layer "
                                     f"{layer.name!r}) but num_classes is {self.num_classes}; build both "
                                     "networks with the same num_classes.")


def class_loss(labels, class_logits):
    """AC-GAN's class loss (Odena et al. 2017, L_C): mean cross-entropy of the class logits."""
    return ops.mean(keras.losses.sparse_categorical_crossentropy(labels, class_logits, from_logits=True))


def _sublayers(model):
    """Every layer of a model, looking inside nested models."""
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from _sublayers(layer)


def interpolate_classes(generator, noise, start_class: int, end_class: int, steps: int = 8) -> np.ndarray:
    """Images along the straight line from one class's label embedding to another's, noise fixed.

    The generator sees y only through its embedding e(y), so it can be fed points between two
    classes: (1 - t) e(start) + t e(end) for ``steps`` values of t from 0 to 1. At t = 0 and
    t = 1 the images are those of ``generate`` for the two classes.

    Args:
        generator: a generator from ``build_conv_generator`` or ``build_mlp_generator``
            (trained, or saved and reloaded), with layers ``label_embedding`` and ``noise_and_label``.
        noise: ``(n, latent_dim)`` noise; each row gives one row of images.
        start_class: class at t = 0.
        end_class: class at t = 1.
        steps: images per row, t = 0, 1 / (steps - 1), ..., 1; at least 2.

    Returns:
        ``(n * steps, *image_shape)`` images in [-1, 1], row by row: the ``steps`` images of
        the first noise vector, then those of the second, and so on.

    Example:
        >>> noise = np.random.default_rng(0).normal(size=(3, 64)).astype("float32")
        >>> images = interpolate_classes(cgan.generator, noise, start_class=7, end_class=9)  # sneaker -> boot
        >>> figure = ganlib.plotting.show_images(images, ncols=8)
    """
    checks.integer("steps", steps, minimum=2, why="t = 0 and t = 1 at least")
    embedding = generator.get_layer("label_embedding")
    start, end = check_labels([start_class, end_class], embedding.input_dim)
    noise = np.asarray(noise, dtype="float32")
    latent_dim = generator.inputs[0].shape[-1]
    if noise.ndim != 2 or noise.shape[1] != latent_dim:
        raise ValueError(f"Expected noise of shape (n, {latent_dim}), got {noise.shape}.")
    # The generator from its joined input [z, e(y)] on: the layers after the label embedding.
    from_joined = keras.Model(generator.get_layer("noise_and_label").output, generator.output)
    vectors = ops.convert_to_numpy(embedding.embeddings)
    weights = np.linspace(0.0, 1.0, steps, dtype="float32")[:, None]
    path = (1 - weights) * vectors[start] + weights * vectors[end]  # (steps, embedding_dim)
    joined = np.concatenate([np.repeat(noise, steps, axis=0), np.tile(path, (len(noise), 1))], axis=1)
    return ops.convert_to_numpy(from_joined(joined, training=False))


def check_labels(labels, num_classes: int, num_images: int | None = None) -> np.ndarray:
    """``ganlib.checks.labels``: integer class indices ``0 .. num_classes - 1`` as int32 ``(batch,)``."""
    return checks.labels(ops.convert_to_numpy(labels), num_classes, num_images)


def _generator_inputs(latent_dim, num_classes, embedding_dim):
    """Noise and label inputs, and their concatenation ``[z, embedding(y)]``."""
    for name, value in (("latent_dim", latent_dim), ("num_classes", num_classes), ("embedding_dim", embedding_dim)):
        checks.integer(name, value)
    noise = keras.Input((latent_dim,), name="noise")
    labels = keras.Input((), dtype="int32", name="label")
    embedded = _label_embedding(num_classes, embedding_dim)(labels)
    return noise, labels, layers.Concatenate(name="noise_and_label")([noise, embedded])


def _label_embedding(num_classes, length):
    # N(0, 1) like the noise and on the scale of the pixels: with Keras' default U(-0.05, 0.05)
    # the label starts 20 times weaker than z and the networks take long to start using it.
    return layers.Embedding(num_classes, length, name="label_embedding",
                            embeddings_initializer=keras.initializers.RandomNormal(stddev=1.0))


def _discriminator_inputs(image_shape, num_classes):
    checks.integer("num_classes", num_classes)
    return keras.Input(tuple(image_shape), name="image"), keras.Input((), dtype="int32", name="label")
