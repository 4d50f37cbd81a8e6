"""Laplacian pyramids (Burt and Adelson 1983), the representation LAPGAN (Denton et al. 2015) generates.

A Laplacian pyramid stores an image as band-pass detail at each scale plus one small low-pass
image. With ``d`` a downsampling (here 2x2 averaging) and ``u`` an upsampling (here bilinear):

    I_0 = image,   I_{k+1} = d(I_k),   h_k = I_k - u(I_{k+1}),

and the pyramid is ``[h_0, h_1, ..., h_{K-1}, I_K]``. Reconstruction runs coarse to fine,
``I_k = u(I_{k+1}) + h_k``, and gives the image back exactly (up to float rounding) whatever
``d`` and ``u`` are, because each band stores precisely what ``u`` misses. LAPGAN generates the
low-pass image with a GAN and each band ``h_k`` with a GAN conditioned on ``u(I_{k+1})``:

    I_K = G_K(z_K),   I_k = u(I_{k+1}) + G_k(z_k, u(I_{k+1})),   k = K-1, ..., 0.

Each level is an ordinary two-network model of this library, compiled and fitted like the
others: the coarsest a ``ganlib.GAN`` on the low-pass images, each finer one a ``BandGAN``
(a ``ConditionalGAN`` whose condition is an image, not a label) on pairs ``(h_k, u(I_k+1))``
of real pyramids. The levels never see each other's samples while training, so they train
one after the other, or in any order; only sampling chains them, coarse to fine.

Example:
    >>> pyramid = lapgan.build_pyramid(images, levels=3)   # 28x28 -> bands 28, 14 and low-pass 7
    >>> float(np.abs(lapgan.reconstruct(pyramid) - images).max()) < 1e-5
    True
    >>> model = lapgan.build_lapgan((28, 28, 1), levels=3)  # model.levels: 7x7 GAN, 14 and 28 BandGANs
    >>> for level, network in enumerate(model.levels):
    ...     network.compile(**ganlib.dcgan.optimizers())
    ...     history = network.fit(model.dataset(images[:256], level, batch_size=32), epochs=1, verbose=0)
    >>> model.generate(16).shape
    (16, 28, 28, 1)
"""

import keras
import numpy as np
from keras import layers, ops

from ganlib import checks, data, dcgan, gan
from ganlib.gan import GAN


def downsample(images):
    """Halve the height and width by averaging 2x2 blocks: ``(N, H, W, C) -> (N, H/2, W/2, C)``, NumPy."""
    images = _check_images(images)
    height, width = images.shape[1], images.shape[2]
    if height % 2 or width % 2:
        raise ValueError(f"Expected an even height and width to halve, got {height}x{width}.")
    return ops.convert_to_numpy(ops.average_pool(images, pool_size=2, strides=2, padding="valid"))


def upsample(images):
    """Double the height and width by bilinear interpolation: ``(N, H, W, C) -> (N, 2H, 2W, C)``, NumPy."""
    images = _check_images(images)
    height, width = images.shape[1], images.shape[2]
    return ops.convert_to_numpy(ops.image.resize(images, (2 * height, 2 * width), interpolation="bilinear"))


def build_pyramid(images, levels: int) -> list:
    """The Laplacian pyramid of a batch of images, finest band first.

    Args:
        images: ``(N, H, W, C)`` images; ``H`` and ``W`` divisible by ``2 ** (levels - 1)``.
        levels: number of pyramid levels, at least 1 (1 gives just the image as its low-pass).

    Returns:
        ``[h_0, ..., h_{levels-2}, low_pass]``: the band-pass images from full size down, then
        the low-pass image of size ``H / 2 ** (levels - 1)``, as float32 NumPy arrays.
    """
    images = _check_images(images)
    checks.integer("levels", levels)
    _check_divisible(images.shape[1], images.shape[2], levels)
    pyramid, current = [], images
    for _ in range(levels - 1):
        coarser = downsample(current)
        pyramid.append(current - upsample(coarser))
        current = coarser
    pyramid.append(current)
    return pyramid


def reconstruct(pyramid):
    """The images a pyramid from ``build_pyramid`` stores: ``I_k = u(I_{k+1}) + h_k``, coarse to fine."""
    if not isinstance(pyramid, (list, tuple)) or not pyramid:
        raise ValueError(f"Expected a non-empty list of levels (bands, then the low-pass image), "
                         f"got {type(pyramid).__name__}.")
    images = _check_images(pyramid[-1])
    for band in reversed(pyramid[:-1]):
        band = _check_images(band)
        if band.shape[1:3] != (2 * images.shape[1], 2 * images.shape[2]):
            raise ValueError(f"Expected each band twice the size of the level below it: a "
                             f"{band.shape[1]}x{band.shape[2]} band above a "
                             f"{images.shape[1]}x{images.shape[2]} level.")
        images = upsample(images) + band
    return images


def _check_divisible(height, width, levels):
    """``2 ** (levels - 1)``, after checking that it divides the height and width."""
    factor = 2 ** (levels - 1)
    if height % factor or width % factor:
        raise ValueError(f"Expected a height and width divisible by 2 ** (levels - 1) = {factor} for "
                         f"{levels} levels, got {height}x{width}.")
    return factor


def _check_images(images):
    images = np.asarray(ops.convert_to_numpy(images), np.float32)
    if images.ndim != 4:
        raise ValueError(f"Expected images of shape (batch, height, width, channels), got shape "
                         f"{images.shape}.")
    return images


# ---------------------------------------------------------------------------------------------
# The networks of one finer level
# ---------------------------------------------------------------------------------------------

def build_band_generator(image_shape, filters: int = 16, depth: int = 3, kernel_size: int = 3,
                         name="band_generator"):
    """Generator of one band: ``[noise, coarse] -> h``, fully convolutional at the band's size.

    As in Denton et al., the noise is one extra image plane (``H * W`` numbers from N(0, 1),
    reshaped), stacked on the upsampled coarser image ``coarse = u(I_{k+1})``; ``depth``
    convolutions follow (batch norm and ReLU on the hidden ones, DCGAN's N(0, 0.02) weights)
    and the last gives the band with no activation: a band is a difference of images and
    can take either sign, up to 2 in size.

    Args:
        image_shape: ``(H, W, C)`` of the band (and of ``coarse``).
        filters: channels of the hidden convolutions.
        depth: number of convolutions, at least 2 (one hidden).
        kernel_size: side of the square kernels.

    Returns:
        A Functional ``keras.Model`` with inputs ``[noise (batch, H * W), coarse (batch, H, W, C)]``
        and output the band ``(batch, H, W, C)``.
    """
    height, width, channels = dcgan.check_architecture(image_shape, filters, 1, kernel_size)
    checks.integer("depth", depth, minimum=2)  # a hidden convolution and the output
    noise = keras.Input((height * width,), name="noise")
    coarse = keras.Input((height, width, channels), name="coarse")
    plane = layers.Reshape((height, width, 1), name="noise_plane")(noise)
    x = layers.Concatenate(name="coarse_and_noise")([coarse, plane])
    for step in range(1, depth):
        x = layers.Conv2D(filters, kernel_size, padding="same", use_bias=False,
                          kernel_initializer=dcgan.weights_initializer(), name=f"conv_{step}")(x)
        x = dcgan.batch_norm(f"conv_{step}_bn")(x)
        x = layers.ReLU(name=f"conv_{step}_relu")(x)
    band = layers.Conv2D(channels, kernel_size, padding="same", kernel_initializer=dcgan.weights_initializer(),
                         name="band")(x)
    return keras.Model([noise, coarse], band, name=name)


def build_band_discriminator(image_shape, filters: int = 16, depth: int | None = None,
                             kernel_size: int = 3, name="band_discriminator"):
    """Discriminator of one band: ``[h, coarse] -> logit``, judging the image ``coarse + h``.

    As in Denton et al., the band is added to the upsampled coarser image before the first
    convolution, so that the network judges a whole image of this level; ``coarse`` also
    comes in as extra channels, so it can tell how well the detail fits the coarse image.
    The convolutions are ``dcgan.build_discriminator``'s.

    Args:
        image_shape: ``(H, W, C)`` of the band.
        filters: channels of the first strided convolution (doubled at each next one).
        depth: strided convolutions; by default 2 when ``H`` and ``W`` are divisible by 4, else 1.
        kernel_size: side of the square kernels.

    Returns:
        A Functional ``keras.Model`` with inputs ``[band, coarse]``, both ``(batch, H, W, C)``,
        and logits ``(batch, 1)``.
    """
    height, width, channels = dcgan.check_architecture(image_shape, filters, 1, kernel_size)
    if depth is None:
        depth = 2 if height % 4 == 0 and width % 4 == 0 else 1
    band = keras.Input((height, width, channels), name="band")
    coarse = keras.Input((height, width, channels), name="coarse")
    image = layers.Add(name="coarse_plus_band")([coarse, band])
    joined = layers.Concatenate(name="image_and_coarse")([image, coarse])
    body = dcgan.build_discriminator((height, width, 2 * channels), filters, depth, kernel_size)
    return keras.Model([band, coarse], body(joined), name=name)


class BandGAN(GAN):
    """One finer level of a LAPGAN: a GAN conditioned on the upsampled coarser image.

    ``fit`` takes ``(bands, coarse)`` pairs, as ``LAPGAN.dataset`` gives them (or arrays as
    ``fit(bands, coarse)``). The coarse image is the *condition* of ``GAN.train_step``, as
    the label is in ``ConditionalGAN``: fakes ``G(z, coarse)`` for the real batch's coarse
    images, ``D(h, coarse)`` on real and fake bands. ``compile`` and the metric names are
    those of ``GAN``; ``generate(coarse)`` draws bands for given coarse images.

    Like every conditional dataset, the training data hold one band per coarse image, and
    the distribution of bands given a coarse image has to be learned from similar coarse
    images. A generator whose noise barely reaches its output can ignore it and draw one
    band per coarse image; notebook 07 measures how much its samples vary.

    Args:
        generator: ``[noise (batch, H * W), coarse] -> band``, e.g. ``build_band_generator``.
        discriminator: ``[band, coarse] -> logit``, e.g. ``build_band_discriminator``.
        **kwargs: ``d_steps``, ``gp_weight``, ``seed`` and the rest of ``GAN``'s arguments.
    """

    def __init__(self, generator, discriminator, **kwargs):
        if len(generator.inputs) != 2 or len(discriminator.inputs) != 2:
            raise ValueError(f"Expected a generator [noise, coarse] -> band and a discriminator "
                             f"[band, coarse] -> logit, got {len(generator.inputs)} and "
                             f"{len(discriminator.inputs)} inputs; build them with "
                             "build_band_generator and build_band_discriminator.")
        self.image_shape = tuple(generator.output.shape[1:])
        super().__init__(generator, discriminator, latent_dim=generator.inputs[0].shape[-1], **kwargs)

    def generate(self, coarse, noise=None):
        """Bands for the given upsampled coarser images, as a NumPy array ``(n, H, W, C)``."""
        coarse = checks.images(ops.convert_to_numpy(coarse), self.image_shape, "coarse images", zero_one=False)
        if noise is None:
            noise = self.sample_noise(len(coarse))
        elif tuple(noise.shape) != (len(coarse), self.latent_dim):
            raise ValueError(f"Expected noise of shape ({len(coarse)}, {self.latent_dim}), one row "
                             f"per coarse image, got {tuple(noise.shape)}.")
        inputs = [ops.convert_to_tensor(noise, "float32"), ops.convert_to_tensor(coarse, "float32")]
        return ops.convert_to_numpy(self.sampler(inputs, training=False))

    def unpack(self, data):
        return data[0], data[1]  # (bands, coarse): the coarse image is the condition

    def check_data(self, element):
        if not isinstance(element, tuple) or len(element) != 2:
            raise ValueError("BandGAN needs (bands, coarse): a dataset of (bands, coarse) batches, as "
                             "LAPGAN.dataset gives, or fit(bands, coarse); got the bands alone.")
        bands, coarse = element
        if len(bands) != len(coarse):
            raise ValueError(f"Expected one coarse image per band, got {len(bands)} bands and "
                             f"{len(coarse)} coarse images.")
        # A band is a difference of two images in [-1, 1]: any sign, up to 2 in size.
        checks.images(bands, self.image_shape, "bands", zero_one=False, low=-2.0, high=2.0)
        checks.images(coarse, self.image_shape, "coarse images", zero_one=False)

    def check_networks(self):
        gan.check_generator(self.generator, self.latent_dim)
        gan.check_discriminator(self.discriminator)


# ---------------------------------------------------------------------------------------------
# The pyramid of GANs
# ---------------------------------------------------------------------------------------------

class LAPGAN:
    """A Laplacian pyramid of GANs (Denton et al. 2015), coarsest level first.

    ``levels[0]`` is a ``GAN`` on the low-pass images; ``levels[k]`` for ``k >= 1`` is a
    ``BandGAN`` making the band of twice the size of level ``k - 1``. Each is compiled and
    fitted on its own, on ``dataset(images, k, ...)``; ``generate`` runs them coarse to fine.

    Args:
        levels: the models, coarsest first; each finer one twice the size of the one before.
    """

    def __init__(self, levels):
        levels = list(levels)
        if not levels or isinstance(levels[0], BandGAN) or not isinstance(levels[0], GAN):
            raise ValueError("Expected levels[0] to be a GAN on the low-pass images, then BandGANs; "
                             f"got {[type(level).__name__ for level in levels]}.")
        shapes = [tuple(levels[0].generator.output.shape[1:])]
        for level in levels[1:]:
            if not isinstance(level, BandGAN):
                raise ValueError(f"Expected BandGANs above the coarsest level, got {type(level).__name__}.")
            height, width, channels = shapes[-1]
            if level.image_shape != (2 * height, 2 * width, channels):
                raise ValueError(f"Expected each level twice the size of the one below: a "
                                 f"{level.image_shape} band above {shapes[-1]} images.")
            shapes.append(level.image_shape)
        self.levels, self.shapes = levels, shapes

    @property
    def image_shape(self):
        """Shape of one generated image (the finest level's)."""
        return self.shapes[-1]

    def level_data(self, images, level: int):
        """Training arrays of one level from real images: low-pass images, or ``(bands, coarse)``."""
        images = _check_images(images)
        if tuple(images.shape[1:]) != self.image_shape:
            raise ValueError(f"Expected images of shape (batch, {', '.join(map(str, self.image_shape))}), "
                             f"got {images.shape}.")
        self._check_level("level", level, first=0)
        checks.images(images)
        pyramid = build_pyramid(images, len(self.levels))[::-1]  # low-pass, then bands coarse to fine
        if level == 0:
            return pyramid[0]
        coarse = reconstruct(pyramid[:level][::-1])  # I at the size of the level below
        return pyramid[level], upsample(coarse)

    def dataset(self, images, level: int, batch_size: int = 32, seed: int = 0):
        """One level's training batches (remainder dropped), shuffled per epoch as ``ganlib.data.batches``."""
        checks.integer("batch_size", batch_size)
        return data.batches(self.level_data(images, level), batch_size, seed=seed, drop_remainder=True)

    def generate_levels(self, num_images: int):
        """Samples of every level, coarse to fine: ``[I_K, I_{K-1}, ..., I_0]`` as NumPy arrays.

        Each level's image is clipped to [-1, 1], the range of the real images its finer
        level was trained to refine.
        """
        checks.integer("num_images", num_images)
        low = np.clip(self.levels[0].generate(num_images), -1, 1)
        return [low] + self._refine_levels(low, 1)

    def refine(self, coarse, start_level: int = 1):
        """Finest images drawn on top of given coarse images by levels ``start_level`` and up.

        ``coarse`` are images of level ``start_level - 1``'s size (real low-pass images, or
        samples); every finer level adds a band drawn with fresh noise, clipped to [-1, 1].
        """
        self._check_level("start_level", start_level, first=1)
        coarse = _check_images(coarse)
        expected = self.shapes[start_level - 1]
        if tuple(coarse.shape[1:]) != expected:
            raise ValueError(f"Expected coarse images of shape (batch, {', '.join(map(str, expected))}) "
                             f"for start_level {start_level}, got {coarse.shape}.")
        return self._refine_levels(coarse, start_level)[-1]

    def _refine_levels(self, images, start_level):
        refined = []
        for level in self.levels[start_level:]:
            coarse = upsample(images)
            images = np.clip(coarse + level.generate(coarse), -1, 1)
            refined.append(images)
        return refined

    def _check_level(self, name, value, first):
        return checks.integer(name, value, minimum=first, maximum=len(self.levels) - 1,
                              why="a band level" if first else "")

    def generate(self, num_images: int):
        """Generated images of the finest level, ``(num_images, H, W, C)`` in [-1, 1]."""
        return self.generate_levels(num_images)[-1]


def build_lapgan(image_shape=(28, 28, 1), levels: int = 3, latent_dim: int = 32,
                 hidden_units=(256, 256), filters=16, depth=3, kernel_size=3, seed=None) -> LAPGAN:
    """A LAPGAN with the course's networks: multilayer perceptrons at the coarsest level (as in
    the paper), ``build_band_generator`` / ``build_band_discriminator`` above it.

    Args:
        image_shape: shape of the finest images; height and width divisible by ``2 ** (levels - 1)``.
        levels: pyramid levels (3 for 28x28: 7x7 low-pass, 14x14 and 28x28 bands).
        latent_dim: noise length of the coarsest generator.
        hidden_units: hidden layers of the coarsest generator and discriminator.
        filters: channels of the band networks: one number for every band level, or one per
            band level, coarsest first (e.g. ``(32, 16)``: narrower where convolutions cost most).
        depth: convolutions of each band generator (a number, or one per band level).
        kernel_size: side of the band networks' square kernels (a number, or one per band level).
        seed: seed of the models' noise (each level offset by its index).
    """
    checks.integer("levels", levels)
    filters, depth, kernel_size = (_per_band_level(name, value, levels - 1) for name, value in
                                   (("filters", filters), ("depth", depth), ("kernel_size", kernel_size)))
    height, width, channels = dcgan.check_architecture(image_shape, 1, 1, 1)
    factor = _check_divisible(height, width, levels)
    low_shape = (height // factor, width // factor, channels)
    models = [GAN(gan.build_mlp_generator(latent_dim, low_shape, hidden_units, batch_norm=True,
                                          name="low_pass_generator"),
                  gan.build_mlp_discriminator(low_shape, hidden_units, name="low_pass_discriminator"),
                  latent_dim, seed=seed)]
    for level in range(1, levels):
        shape = (low_shape[0] * 2 ** level, low_shape[1] * 2 ** level, channels)
        size = f"{shape[0]}x{shape[1]}"
        width_, depth_, kernel_ = filters[level - 1], depth[level - 1], kernel_size[level - 1]
        models.append(BandGAN(build_band_generator(shape, width_, depth_, kernel_, name=f"band_generator_{size}"),
                              build_band_discriminator(shape, width_, kernel_size=kernel_,
                                                       name=f"band_discriminator_{size}"),
                              seed=None if seed is None else seed + level))
    return LAPGAN(models)


def _per_band_level(name, value, count):
    """``value`` repeated for each of ``count`` band levels, or checked to have one entry each."""
    values = list(value) if isinstance(value, (list, tuple)) else [value] * count
    if len(values) != count:
        raise ValueError(f"Expected {name} as one number or one per band level ({count}), got {value!r}.")
    return values
