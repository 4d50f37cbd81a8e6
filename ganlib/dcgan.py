"""DCGAN networks (Radford, Metz and Chintala 2016) and the paper's optimizers.

A DCGAN is not a new training algorithm: it is ``ganlib.GAN`` with the convolutional
networks built here, trained with the paper's Adam settings::

    generator = dcgan.build_generator(latent_dim=100)
    discriminator = dcgan.build_discriminator(input_shape=(28, 28, 1))
    gan = GAN(generator, discriminator, latent_dim=100)
    gan.compile(**dcgan.optimizers())

The paper's guidelines, numbered as the builders' docstrings and code comments cite them:

- [1] no pooling: strided convolutions downsample in the discriminator, fractionally
  strided (transposed) convolutions upsample in the generator (Section 3);
- [2] batch normalization in both networks, except at the generator's output and the
  discriminator's input (Section 3);
- [3] no fully connected hidden layers: the generator's first layer is a projection of z
  reshaped into the first feature map, and the discriminator's last feature map is
  flattened into a single logit (Section 3);
- [4] ReLU in the generator, tanh at its output (Section 3);
- [5] LeakyReLU with slope 0.2 in every discriminator layer (Sections 3 and 4);
- [6] weights drawn from N(0, 0.02) (Section 4);
- [7] Adam with learning rate 0.0002 and beta_1 = 0.5 (Section 4), in ``optimizers()``.

The defaults are sized for a CPU run on 28x28 images (the DCGAN notebook measures the time
of an epoch). ``filters`` (width) and ``depth``
(number of stride-2 layers) grow them: ``filters=128, depth=4`` on 64x64x3 images gives the
layer sizes of the paper's LSUN networks (generator 4x4x1024 -> 8x8x512 -> 16x16x256 ->
32x32x128 -> 64x64x3, discriminator the mirror image).

The paper's look into the trained generator's latent space (Section 6) needs two small
helpers: ``interpolate`` (walks between two noise vectors, straight or along the sphere)
and ``class_mean_latents`` (the average noise vector of each class, for vector arithmetic).
"""

import keras
import numpy as np
from keras import layers

from ganlib import checks

LEAKY_SLOPE = 0.2           # [5]
WEIGHT_STDDEV = 0.02        # [6]
LEARNING_RATE = 2e-4        # [7]
BETA_1 = 0.5                # [7]
# Keras' default momentum of 0.99 lets the moving statistics (used by training=False, e.g.
# GAN.generate) trail the weights by ~100 steps; 0.9, as in the widely used DCGAN code
# (PyTorch's example, carpedm20/DCGAN-tensorflow), keeps them current in short runs.
BATCHNORM_MOMENTUM = 0.9


def build_generator(latent_dim: int = 100, image_shape=(28, 28, 1), filters: int = 24,
                    depth: int = 2, kernel_size: int = 5, name="generator"):
    """DCGAN generator: noise -> projected feature map -> transposed convolutions -> tanh image.

    The feature map starts at ``image_shape / 2**depth`` with ``filters * 2**(depth - 1)``
    channels; each of the ``depth`` transposed convolutions doubles its height and width,
    the hidden ones halving the channels down to ``filters``, the last one making the
    image's channels. Defaults for 28x28: 7x7x48 -> 14x14x24 -> 28x28x1.

    Guidelines of Radford et al. (2016) and the line applying each (marked in the code):

    - [1] upsampling only by ``Conv2DTranspose(..., strides=2)``, no pooling or resizing;
    - [2] ``BatchNormalization`` after the projection and every hidden transposed
      convolution, none after the output layer (its convolution keeps a bias instead);
    - [3] the projection ``Dense`` + ``Reshape`` is the only dense layer;
    - [4] ``layers.ReLU`` after every hidden layer, ``activation="tanh"`` at the output,
      matching images scaled to [-1, 1];
    - [6] every kernel from ``RandomNormal(0, 0.02)``.

    Args:
        latent_dim: length of the noise vector z (the paper uses 100).
        image_shape: ``(height, width, channels)`` of the images to generate; height and
            width must be divisible by ``2**depth``.
        filters: channels of the last hidden feature map; doubled at each step back
            toward the noise.
        depth: number of transposed convolutions (each doubles height and width).
        kernel_size: side of the square convolution kernels (the paper uses 5).
        name: name of the model.

    Returns:
        A Functional ``keras.Model`` mapping ``(batch, latent_dim)`` noise to
        ``(batch, *image_shape)`` images in [-1, 1].

    Raises:
        ValueError: for a non-positive size or an image size not divisible by ``2**depth``.

    Example:
        >>> generator = build_generator(latent_dim=100, image_shape=(28, 28, 1))
        >>> tuple(generator(keras.random.normal((16, 100))).shape)
        (16, 28, 28, 1)
    """
    checks.integer("latent_dim", latent_dim)
    height, width, channels = check_architecture(image_shape, filters, depth, kernel_size)
    start_height, start_width = height // 2**depth, width // 2**depth

    noise = keras.Input((latent_dim,), name="noise")
    start_filters = filters * 2 ** (depth - 1)
    x = layers.Dense(start_height * start_width * start_filters, use_bias=False,  # [3]
                     kernel_initializer=weights_initializer(), name="project")(noise)  # [6]
    x = layers.Reshape((start_height, start_width, start_filters), name="feature_map")(x)  # [3]
    x = batch_norm("project_bn")(x)  # [2]
    x = layers.ReLU(name="project_relu")(x)  # [4]
    for step in range(1, depth):
        x = layers.Conv2DTranspose(start_filters // 2**step, kernel_size, strides=2,  # [1]
                                   padding="same", use_bias=False,
                                   kernel_initializer=weights_initializer(), name=f"upsample_{step}")(x)  # [6]
        x = batch_norm(f"upsample_{step}_bn")(x)  # [2]
        x = layers.ReLU(name=f"upsample_{step}_relu")(x)  # [4]
    images = layers.Conv2DTranspose(channels, kernel_size, strides=2, padding="same",  # [1]
                                    activation="tanh",  # [4] and [2]: no batch norm here
                                    kernel_initializer=weights_initializer(), name="image")(x)  # [6]
    return keras.Model(noise, images, name=name)


def build_discriminator(input_shape=(28, 28, 1), filters: int = 24, depth: int = 2,
                        kernel_size: int = 5, name="discriminator"):
    """DCGAN discriminator: image -> strided convolutions -> one logit.

    The mirror of ``build_generator``: ``depth`` stride-2 convolutions, the first with
    ``filters`` channels, each next one doubling them while halving height and width.
    Defaults for 28x28: 28x28x1 -> 14x14x24 -> 7x7x48 -> logit.

    Guidelines of Radford et al. (2016) and the line applying each (marked in the code):

    - [1] downsampling only by ``Conv2D(..., strides=2)``, no pooling;
    - [2] ``BatchNormalization`` after every convolution except the first, the one that
      sees the input images (it keeps a bias instead);
    - [3] the last feature map is flattened into ``Dense(1)``, the only dense layer;
    - [5] ``LeakyReLU(negative_slope=0.2)`` after every convolution;
    - [6] every kernel from ``RandomNormal(0, 0.02)``.

    The output is a logit, not the paper's sigmoid probability: ``ganlib.losses`` apply the
    sigmoid inside the loss, which stays finite for any logit.

    Args:
        input_shape: ``(height, width, channels)`` of the images; height and width must be
            divisible by ``2**depth``, so that the network mirrors ``build_generator``.
        filters: channels of the first convolution; doubled at each next one.
        depth: number of strided convolutions (each halves height and width).
        kernel_size: side of the square convolution kernels (the paper uses 5).
        name: name of the model.

    Returns:
        A Functional ``keras.Model`` mapping ``(batch, *input_shape)`` images to logits of
        shape ``(batch, 1)``.

    Raises:
        ValueError: for a non-positive size or an image size not divisible by ``2**depth``.
    """
    check_architecture(input_shape, filters, depth, kernel_size)
    images = keras.Input(tuple(input_shape), name="image")
    x = images
    for step in range(1, depth + 1):
        x = layers.Conv2D(filters * 2 ** (step - 1), kernel_size, strides=2, padding="same",  # [1]
                          use_bias=step == 1,  # batch norm's offset replaces the bias
                          kernel_initializer=weights_initializer(), name=f"downsample_{step}")(x)  # [6]
        if step > 1:  # [2]: no batch norm on the input layer
            x = batch_norm(f"downsample_{step}_bn")(x)
        x = layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name=f"downsample_{step}_leaky_relu")(x)  # [5]
    x = layers.Flatten(name="flatten")(x)  # [3]
    logits = layers.Dense(1, kernel_initializer=weights_initializer(), name="logit")(x)  # [3], [6]
    return keras.Model(images, logits, name=name)


def optimizers(learning_rate: float = LEARNING_RATE, beta_1: float = BETA_1,
               decay_steps: int | None = None, beta_2: float = 0.999) -> dict:
    """The paper's two Adam optimizers [7], one per network, ready for ``GAN.compile``.

    Radford et al. found the Adam default learning rate of 0.001 too high and its
    beta_1 = 0.9 made training oscillate and become unstable; they use 0.0002 and 0.5.

    Args:
        learning_rate: Adam's step size.
        beta_1: decay rate of Adam's first-moment (momentum) estimate.
        decay_steps: if given, the step size falls from ``learning_rate`` to 0 along a cosine
            over this many steps (``keras.optimizers.schedules.CosineDecay``), the whole run.
            Not the paper's: the course's short CPU runs start 10x higher and decay (notebook 04
            measures why).
        beta_2: decay rate of Adam's second-moment estimate (Keras' and the paper's 0.999).

    Returns:
        ``{"d_optimizer": Adam, "g_optimizer": Adam}``, two separate instances (each
        keeps moment estimates for its own network's weights).

    Example:
        >>> gan.compile(**optimizers())
    """
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate!r}.")
    for label, beta in (("beta_1", beta_1), ("beta_2", beta_2)):
        if not 0 <= beta < 1:
            raise ValueError(f"{label} must be in [0, 1), got {beta!r}.")
    if decay_steps is not None:
        checks.integer("decay_steps", decay_steps)

    def step_size():
        if decay_steps is None:
            return learning_rate
        return keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps)

    return {role: keras.optimizers.Adam(learning_rate=step_size(), beta_1=beta_1, beta_2=beta_2)
            for role in ("d_optimizer", "g_optimizer")}


def interpolate(start, end, steps: int = 8, method: str = "spherical") -> np.ndarray:
    """Evenly spaced points on a path from one noise vector to another (a latent-space walk).

    Radford et al. (2016, Section 6.1) walk between two noise vectors to show that the
    generator changes its images smoothly, as it would not if it had memorised them. Paths:

    - ``"linear"``: ``(1 - t) start + t end``;
    - ``"spherical"`` (slerp; Shoemake 1985, proposed for GANs by White 2016):
      ``sin((1 - t) omega) / sin(omega) start + sin(t omega) / sin(omega) end``, where omega
      is the angle between the two vectors.

    Why the sphere: noise z ~ N(0, I) in d dimensions almost always has a norm close to
    sqrt(d) (10 for d = 100), so the generator trains on a thin shell. The straight line
    between two such vectors, nearly orthogonal, dips to about sqrt(d / 2) at its middle,
    where the generator saw almost no noise; slerp between vectors of equal norm keeps that
    norm all the way.

    Args:
        start: noise vector of shape ``(latent_dim,)``.
        end: noise vector of the same shape.
        steps: number of points, both ends included (at least 2).
        method: ``"linear"`` or ``"spherical"``.

    Returns:
        float32 array ``(steps, latent_dim)``; the first row is ``start``, the last ``end``.
        Nearly parallel vectors (angle below 1e-6 radians) are interpolated linearly.

    Raises:
        ValueError: for vectors of different shapes or not 1-D, ``steps`` < 2, an unknown
            ``method``, or (spherical) opposite vectors, between which no great circle is unique.

    Example:
        >>> path = interpolate(noise[0], noise[1], steps=8, method="spherical")
        >>> path.shape
        (8, 100)
        >>> images = generator.predict(path, verbose=0)
    """
    start, end = np.asarray(start, np.float64), np.asarray(end, np.float64)
    if start.ndim != 1 or start.shape != end.shape:
        raise ValueError(f"Expected two noise vectors of the same shape (latent_dim,), got "
                         f"{start.shape} and {end.shape}.")
    checks.integer("steps", steps)
    if steps < 2:
        raise ValueError(f"steps must be at least 2 (the two ends), got {steps}.")
    if method not in ("linear", "spherical"):
        raise ValueError(f"method must be 'linear' or 'spherical', got {method!r}.")
    fractions = np.linspace(0.0, 1.0, steps)[:, None]
    cosine = start @ end / (np.linalg.norm(start) * np.linalg.norm(end))
    omega = np.arccos(np.clip(cosine, -1.0, 1.0))
    if method == "linear" or omega < 1e-6:
        return ((1 - fractions) * start + fractions * end).astype(np.float32)
    if np.pi - omega < 1e-6:
        raise ValueError("Cannot slerp between opposite vectors (angle pi): every great circle "
                         "joins them. Use method='linear' or another pair.")
    path = (np.sin((1 - fractions) * omega) * start + np.sin(fractions * omega) * end) / np.sin(omega)
    return path.astype(np.float32)


def class_mean_latents(noise, class_probabilities, min_confidence: float = 0.9):
    """The average noise vector of each class, for the vector arithmetic of Radford et al. (2016).

    The paper averages the z of three hand-picked samples of a concept ("smiling woman")
    before adding and subtracting, as single vectors gave unstable results (Section 6.3).
    Here a classifier picks the samples: a noise vector counts for the class the classifier
    gives its generated image, if it does so with probability at least ``min_confidence``.
    Images the classifier is unsure about count for no class.

    Args:
        noise: noise vectors, ``(n, latent_dim)``.
        class_probabilities: the classifier's probabilities for the image generated from
            each noise vector, ``(n, num_classes)``, rows summing to 1.
        min_confidence: the probability a class needs to claim an image, in (0, 1].

    Returns:
        ``(means, counts)``: float32 ``(num_classes, latent_dim)`` averages (rows of NaN for
        classes that claimed no image) and int ``(num_classes,)`` numbers of images averaged.

    Example:
        >>> classifier = ganlib.metrics.load_classifier("fashion_mnist")
        >>> images = generator.predict(noise, verbose=0)
        >>> probabilities = scipy.special.softmax(classifier.predict(images, verbose=0), axis=1)
        >>> means, counts = class_mean_latents(noise, probabilities, min_confidence=0.5)
        >>> boot_like_sandal = means[9] - means[7] + means[5]   # ankle boot - sneaker + sandal
    """
    noise = np.asarray(noise, np.float64)
    probabilities = np.asarray(class_probabilities, np.float64)
    if noise.ndim != 2 or probabilities.ndim != 2 or len(noise) != len(probabilities):
        raise ValueError(f"Expected noise (n, latent_dim) and class probabilities (n, num_classes) "
                         f"for the same n images, got {noise.shape} and {probabilities.shape}.")
    if not 0 < min_confidence <= 1:
        raise ValueError(f"min_confidence must be in (0, 1], got {min_confidence!r}.")
    num_classes = probabilities.shape[1]
    classes = probabilities.argmax(axis=1)
    confident = probabilities.max(axis=1) >= min_confidence
    counts = np.bincount(classes[confident], minlength=num_classes)
    means = np.full((num_classes, noise.shape[1]), np.nan)
    for label in np.flatnonzero(counts):
        means[label] = noise[confident & (classes == label)].mean(axis=0)
    return means.astype(np.float32), counts


def weights_initializer():
    """[6]: a fresh N(0, 0.02) initializer."""
    # A fresh initializer per layer: one shared unseeded instance would repeat its draws.
    return keras.initializers.RandomNormal(mean=0.0, stddev=WEIGHT_STDDEV)


def batch_norm(name):
    """[2]: batch normalization with the course's momentum (BATCHNORM_MOMENTUM)."""
    return layers.BatchNormalization(momentum=BATCHNORM_MOMENTUM, name=name)


def check_architecture(image_shape, filters, depth, kernel_size):
    """Validate the shared arguments; return ``(height, width, channels)``."""
    if not isinstance(image_shape, (tuple, list)) or len(image_shape) != 3:
        raise ValueError(f"Expected an image shape (height, width, channels), got {image_shape!r}.")
    for axis, size in zip(("height", "width", "channels"), image_shape):
        checks.integer(f"Image {axis}", size)
    checks.integer("filters", filters)
    checks.integer("depth", depth)
    checks.integer("kernel_size", kernel_size)
    height, width, channels = (int(size) for size in image_shape)
    if height % 2**depth or width % 2**depth:
        raise ValueError(f"Image height and width must be divisible by 2**depth = {2**depth} "
                         f"(one halving per stride-2 layer), got {height}x{width} with depth={depth}; "
                         f"use a smaller depth or pad the images.")
    return height, width, channels
