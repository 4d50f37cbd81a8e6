"""SRGAN (Ledig et al. 2017): photo-realistic single-image super-resolution with a GAN.

Training has two stages, both with ``fit()`` on ``(low_res, high_res)`` pairs from
``ganlib.data.load("sr_photos")``:

1. SRResNet: the generator alone, a plain regression network trained on pixel MSE::

       generator = srgan.build_generator(scale=4)
       generator.compile(optimizer=keras.optimizers.Adam(1e-4), loss="mse", metrics=[srgan.psnr])
       generator.fit(pairs, epochs=...)

2. SRGAN: the pre-trained generator against a discriminator, the generator minimising
   ``content_loss + 1e-3 * adversarial_loss`` (the paper's Eq. 3)::

       model = SRGAN(generator, srgan.build_discriminator((96, 96, 3)))
       model.compile(keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4))
       model.fit(pairs, epochs=...)

The paper's content loss compares VGG19 features (``VGGFeatureLoss``), which needs the
ImageNet weights: a file, or ``weights="imagenet"`` where downloads work (e.g. Colab).
Offline the default is pixel MSE (the paper's SRGAN-MSE) plus matching the
discriminator's own features of HR and SR images (feature matching, Salimans et al. 2016),
which needs no download.

Images are float32 in [-1, 1]. ``evaluate`` measures PSNR and SSIM on the luminance (Y)
channel with a border of ``scale`` pixels cropped, as the SR papers do, and the
high-frequency energy ratio that shows how much fine detail an SR image has.
"""

import os

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from ganlib import checks, gan, photos
from ganlib.gan import GAN

SCALES = (2, 4)
ADVERSARIAL_WEIGHT = 1e-3   # the paper's weight of the adversarial loss (Eq. 3)
LEAKY_SLOPE = 0.2           # the discriminator's LeakyReLU (Section 2.2, Figure 4)
VGG_LAYER = "block5_conv4"  # phi_5,4: the 4th convolution (after ReLU) before the 5th max-pooling
VGG_RESCALE = 1 / 12.75     # features rescaled so the VGG loss is comparable to MSE (Section 3.2)
EXTRA_METRIC_NAMES = ("content_loss", "adversarial_loss", "pixel_mse", "psnr")
# Keras' default batch-norm momentum of 0.99 lets the moving statistics (used with
# training=False, i.e. for every SR image shown or measured) trail the weights by ~100
# steps; 0.9 keeps them current in CPU runs of a few hundred steps (as in ganlib.dcgan).
BATCHNORM_MOMENTUM = 0.9
SSIM_WINDOW, SSIM_SIGMA = 11, 1.5  # Wang et al. 2004, as tf.image.ssim


@keras.saving.register_keras_serializable(package="ganlib")
class PixelShuffle(layers.Layer):
    """Sub-pixel upsampling (Shi et al. 2016): ``(H, W, C * r^2)`` -> ``(H * r, W * r, C)``.

    Rearranges each group of ``r^2`` channels into an ``r x r`` block of pixels
    (``depth_to_space``), so a convolution at low resolution computes the high-resolution
    pixels directly, with no zeros inserted as in a transposed convolution.
    """

    def __init__(self, block_size: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.block_size = checks.integer("block_size", block_size)

    def call(self, inputs):
        return ops.depth_to_space(inputs, self.block_size)

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        grow = lambda size: None if size is None else size * self.block_size  # noqa: E731
        return batch, grow(height), grow(width), channels // self.block_size ** 2

    def get_config(self):
        return {**super().get_config(), "block_size": self.block_size}


def _prelu():
    return layers.PReLU(shared_axes=[1, 2])  # one learned slope per channel


def _batch_norm():
    return layers.BatchNormalization(momentum=BATCHNORM_MOMENTUM)


def build_generator(scale: int = 4, channels: int = 3, num_blocks: int = 8, filters: int = 32,
                    bicubic_skip: bool = False, name="srresnet"):
    """SRResNet, the SRGAN generator (Ledig et al. 2017, Figure 4, top).

    ``9x9 conv + PReLU``; ``num_blocks`` residual blocks ``conv-BN-PReLU-conv-BN`` each
    added to its input; ``conv-BN`` added to the first layer's output (the long skip);
    per factor 2 of ``scale`` a ``conv`` to ``4 * filters`` channels, ``PixelShuffle(2)``
    and PReLU; a ``9x9 conv`` to ``channels``. All convolutions are 3x3 unless said.
    The paper has 16 blocks of 64 filters; 8 blocks of 32 (about 0.25 M weights, a
    fifth of the paper's compute per pixel) keep a CPU run short.

    The output layer is linear, as in the paper: the MSE pulls it into [-1, 1] and
    ``evaluate`` clips it there.

    ``bicubic_skip=True`` adds the bicubic upscaling of the input to the output, so the
    network learns only the detail that bicubic interpolation misses (global residual
    learning, as in VDSR, Kim et al. 2016). The last convolution then starts at zero, so
    the untrained network is exactly bicubic and training can only add detail to it. It
    is not in the SRGAN paper, whose network learns the whole image; it lets a short CPU
    run start at the bicubic baseline instead of spending its steps on reaching it.

    Args:
        scale: upsampling factor, 2 or 4.
        channels: image channels (3 for RGB).
        num_blocks: residual blocks (the paper's B = 16).
        filters: convolution width (the paper's 64).
        bicubic_skip: add the bicubic upscaling of the input to the output.

    Returns:
        A Functional ``keras.Model`` from LR images ``(batch, H, W, channels)`` of any size
        to SR images ``(batch, scale * H, scale * W, channels)``.
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}.")
    for arg, value in (("channels", channels), ("num_blocks", num_blocks), ("filters", filters)):
        checks.integer(arg, value)
    low_res = keras.Input((None, None, channels), name="low_res")
    x = _prelu()(layers.Conv2D(filters, 9, padding="same")(low_res))
    long_skip = x
    for _ in range(num_blocks):
        y = layers.Conv2D(filters, 3, padding="same")(x)
        y = _prelu()(_batch_norm()(y))
        y = _batch_norm()(layers.Conv2D(filters, 3, padding="same")(y))
        x = layers.Add()([x, y])
    x = _batch_norm()(layers.Conv2D(filters, 3, padding="same")(x))
    x = layers.Add()([long_skip, x])
    for _ in range(int(np.log2(scale))):
        x = layers.Conv2D(4 * filters, 3, padding="same")(x)
        x = _prelu()(PixelShuffle(2)(x))
    # With the bicubic skip the output is a correction to bicubic, and starts as none.
    initializer = "zeros" if bicubic_skip else "glorot_uniform"
    super_res = layers.Conv2D(channels, 9, padding="same", kernel_initializer=initializer,
                              name="super_res")(x)
    if bicubic_skip:
        bicubic = layers.UpSampling2D(scale, interpolation="bicubic", name="bicubic")(low_res)
        super_res = layers.Add(name="super_res_plus_bicubic")([super_res, bicubic])
    return keras.Model(low_res, super_res, name=name)


def build_discriminator(image_shape=(96, 96, 3), filters: int = 32, dense_units: int = 256,
                        name="discriminator"):
    """The SRGAN discriminator (Ledig et al. 2017, Figure 4, bottom).

    ``conv + LeakyReLU``, then seven ``conv-BN-LeakyReLU`` blocks whose strides alternate
    2, 1, 2, 1, ... and whose widths double every second block (``filters`` -> 8 x
    ``filters``), then ``Dense(dense_units)``, LeakyReLU(0.2) and ``Dense(1)``: one logit.
    All convolutions are 3x3. The paper has ``filters=64`` and ``dense_units=1024``; the
    smaller defaults keep a CPU run short. The LeakyReLU layers are named ``features_<n>``
    for the feature-matching content loss.

    Args:
        image_shape: HR image shape ``(H, W, C)``; H and W must be multiples of 16.
        filters: width of the first convolutions.
        dense_units: width of the hidden dense layer.

    Returns:
        A Functional ``keras.Model`` mapping HR images to logits of shape ``(batch, 1)``.
    """
    height, width, channels = image_shape
    if height % 16 or width % 16:
        raise ValueError(f"The discriminator halves the image 4 times: expected height and width "
                         f"that are multiples of 16, got {height}x{width}.")
    checks.integer("filters", filters)
    checks.integer("dense_units", dense_units)
    images = keras.Input(tuple(image_shape), name="high_res")
    x = layers.Conv2D(filters, 3, padding="same")(images)
    x = layers.LeakyReLU(LEAKY_SLOPE, name="features_0")(x)
    for block in range(1, 8):
        width_factor = 2 ** (block // 2)  # 1, 2, 2, 4, 4, 8, 8
        stride = 2 if block % 2 else 1  # 2, 1, 2, 1, 2, 1, 2
        x = layers.Conv2D(filters * width_factor, 3, strides=stride, padding="same")(x)
        x = _batch_norm()(x)
        x = layers.LeakyReLU(LEAKY_SLOPE, name=f"features_{block}")(x)
    x = layers.Dense(dense_units)(layers.Flatten()(x))
    logits = layers.Dense(1, name="logit")(layers.LeakyReLU(LEAKY_SLOPE)(x))
    return keras.Model(images, logits, name=name)


@keras.saving.register_keras_serializable(package="ganlib")
def pixel_mse(high_res, super_res):
    """Pixel content loss ``mean((HR - SR)^2)`` (the paper's Eq. 4, SRGAN-MSE)."""
    return ops.mean(ops.square(high_res - super_res))


@keras.saving.register_keras_serializable(package="ganlib")
def psnr(high_res, super_res):
    """PSNR in dB of a batch of [-1, 1] RGB images, ``10 log10(1 / MSE)`` in [0, 1] units.

    A quick training metric (``compile(metrics=[psnr])``); ``psnr_y`` is the benchmark one.
    """
    return ops.mean(tf.image.psnr((high_res + 1.0) / 2.0, (super_res + 1.0) / 2.0, max_val=1.0))


class DiscriminatorFeatureLoss:
    """Content loss from the discriminator's own features (feature matching).

    ``mean over layers of mean((D_l(HR) - D_l(SR))^2)`` for the discriminator layers named
    ``features_<n>``, the features taken with ``training=False`` (moving batch-norm
    statistics), so each image's features depend on that image alone. The discriminator
    keeps learning, so these features track what tells SR from HR at the time; they need
    no download, unlike VGG19.

    Args:
        discriminator: a Functional model with layers named ``features_<n>``, e.g. from
            ``build_discriminator``.
        layer_names: which layers; by default every ``features_<n>`` layer.
    """

    def __init__(self, discriminator, layer_names=None):
        if layer_names is None:
            layer_names = [layer.name for layer in discriminator.layers if layer.name.startswith("features_")]
        if not layer_names:
            raise ValueError("Feature matching needs discriminator layers named 'features_<n>' "
                             "(build_discriminator names its LeakyReLU layers so); got none. "
                             "Pass layer_names=... or use content_loss='pixel'.")
        self.layer_names = list(layer_names)
        outputs = [discriminator.get_layer(name).output for name in self.layer_names]
        self.features = keras.Model(discriminator.input, outputs, name="discriminator_features")

    def __call__(self, high_res, super_res):
        real = self.features(high_res, training=False)
        fake = self.features(super_res, training=False)
        return ops.mean(ops.stack([ops.mean(ops.square(r - f)) for r, f in zip(real, fake)]))


class VGGFeatureLoss:
    """The paper's VGG19 content loss (Ledig et al. 2017, Eq. 5), phi_5,4 by default.

    ``mean((phi(HR) / 12.75 - phi(SR) / 12.75)^2)`` with phi the VGG19 features after the
    4th convolution of block 5 (and its ReLU), of images mapped from [-1, 1] to VGG's
    input (0..255, BGR, ImageNet mean subtracted). The 1/12.75 rescaling makes the loss
    comparable to the MSE, as in the paper.

    Args:
        weights: a path to VGG19 weights without the top (Keras'
            ``vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5``), or ``"imagenet"`` to
            download them (where downloads work, e.g. on Colab).
        layer_name: the VGG19 layer whose output is phi.
    """

    def __init__(self, weights, layer_name: str = VGG_LAYER):
        if weights != "imagenet" and not os.path.isfile(str(weights)):
            raise FileNotFoundError(f"No VGG19 weights file at {weights!r}: pass the path of the "
                                    "Keras no-top VGG19 weights or weights='imagenet' (downloads "
                                    "them); offline, use the default content loss instead.")
        vgg = keras.applications.VGG19(include_top=False, weights=weights, input_shape=(None, None, 3))
        self.features = keras.Model(vgg.input, vgg.get_layer(layer_name).output, name="vgg19_features")

    def __call__(self, high_res, super_res):
        if high_res.shape[-1] != 3:
            raise ValueError(f"The VGG19 content loss needs RGB images (3 channels), got "
                             f"{high_res.shape[-1]} channels; use content_loss='pixel' instead.")
        real = self.features(_vgg_input(high_res), training=False) * VGG_RESCALE
        fake = self.features(_vgg_input(super_res), training=False) * VGG_RESCALE
        return ops.mean(ops.square(real - fake))


def _vgg_input(images):
    return keras.applications.vgg19.preprocess_input((images + 1.0) * 127.5)


class SRGAN(GAN):
    """The SRGAN stage: a pre-trained SRResNet against a discriminator, with ``fit()``.

    ``GAN.train_step`` with the low-resolution photo as the *condition* and no noise: each
    step takes a batch of ``(low_res, high_res)`` pairs and runs

    - one discriminator update on the HR images (real) and ``G(LR)`` (fake), with the
      binary cross-entropy of ``ganlib.losses``;
    - one generator update on the perceptual loss of the paper's Eq. 3,
      ``content_loss(HR, G(LR)) + adversarial_weight * generator_loss(D(G(LR)))``.

    The metrics are those of ``ganlib.GAN`` (``d_loss, g_loss, d_real, d_fake,
    d_accuracy``; ``g_loss`` is the whole perceptual loss) plus ``content_loss``,
    ``adversarial_loss``, ``pixel_mse`` and ``psnr`` (RGB, dB).

    Args:
        generator: SRResNet mapping LR images to SR images (``build_generator``), usually
            pre-trained on pixel MSE.
        discriminator: model mapping HR images to logits (``build_discriminator``).
        content_loss: ``"pixel+features"`` (default: pixel MSE + ``feature_weight`` times
            ``DiscriminatorFeatureLoss``), ``"pixel"`` (SRGAN-MSE), or any
            ``f(high_res, super_res) -> scalar`` such as ``VGGFeatureLoss(weights)``.
        adversarial_weight: weight of the adversarial loss (the paper's 1e-3).
        feature_weight: weight of the feature-matching term of ``"pixel+features"``.
        **kwargs: ``d_steps``, ``gp_weight`` and the rest of ``GAN``'s arguments.

    Example:
        >>> model = SRGAN(srgan.build_generator(scale=4, num_blocks=2, filters=16),  # small, for the example
        ...               srgan.build_discriminator((48, 48, 3), filters=16, dense_units=64))
        >>> model.compile(keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4))
        >>> pairs = ganlib.data.load("sr_photos", crop_size=48, num_crops=32, batch_size=16)
        >>> history = model.fit(pairs, epochs=1, verbose=0)
    """

    extra_metric_names = EXTRA_METRIC_NAMES

    def __init__(self, generator, discriminator, content_loss="pixel+features",
                 adversarial_weight: float = ADVERSARIAL_WEIGHT, feature_weight: float = 1e-2, **kwargs):
        self.adversarial_weight = checks.number("adversarial_weight", adversarial_weight)
        self.feature_weight = checks.number("feature_weight", feature_weight)
        super().__init__(generator, discriminator, latent_dim=None, **kwargs)
        self.content_loss_fn = self._content_loss(content_loss)

    def _content_loss(self, content_loss):
        if callable(content_loss):
            return content_loss
        if content_loss == "pixel":
            return pixel_mse
        if content_loss == "pixel+features":
            features = DiscriminatorFeatureLoss(self.discriminator)
            return lambda high_res, super_res: (pixel_mse(high_res, super_res)
                                                + self.feature_weight * features(high_res, super_res))
        raise ValueError(f"content_loss must be 'pixel+features', 'pixel' or a function "
                         f"f(high_res, super_res), got {content_loss!r}.")

    # GAN.train_step's hooks: the LR photo is the condition and the generator's only input.

    def unpack(self, data):
        low_res, high_res = data
        return high_res, low_res

    def generator_inputs(self, batch_size, low_res):
        return low_res

    def discriminator_inputs(self, images, low_res):
        return images

    def generator_terms(self, high_res, super_res, generated_extra, low_res):
        return {"content_loss": self.content_loss_fn(high_res, super_res)}

    def extra_metrics(self, high_res, super_res):
        return {"pixel_mse": pixel_mse(high_res, super_res), "psnr": psnr(high_res, super_res)}

    def check_data(self, element):
        if not isinstance(element, tuple) or len(element) != 2:
            raise ValueError("Expected (low_res, high_res) pairs, e.g. ganlib.data.load('sr_photos'), "
                             f"or fit(low_res, high_res); got {type(element).__name__}.")
        check_pairs(*element, self.generator, self.discriminator)

    def check_networks(self):
        gan.check_discriminator(self.discriminator)


def check_pairs(low_res, high_res, generator, discriminator=None):
    """Raise ``ValueError`` unless the pairs suit the networks.

    Both must be float batches in [-1, 1] with the generator's channels, HR exactly
    ``scale`` times the LR size (the generator's own factor), and HR of the
    discriminator's input shape.
    """
    channels = generator.input_shape[-1]
    for which, images in (("low_res", low_res), ("high_res", high_res)):
        shape = tuple(images.shape)
        if len(shape) != 4:
            raise ValueError(f"Expected {which} as a batch of images (batch, height, width, "
                             f"{channels}), got shape {shape}.")
        if shape[-1] != channels:
            raise ValueError(f"The generator expects {channels}-channel images, got {which} "
                             f"with {shape[-1]} channels (shape {shape}).")
        checks.value_range(ops.convert_to_numpy(images), f"{which} images")
    scale = generator.compute_output_shape((1, 8, 8, channels))[1] // 8
    expected = (low_res.shape[1] * scale, low_res.shape[2] * scale)
    if tuple(high_res.shape[1:3]) != expected:
        raise ValueError(f"The generator upsamples by {scale}: expected high_res of size "
                         f"{expected[0]}x{expected[1]} for low_res of size {low_res.shape[1]}x"
                         f"{low_res.shape[2]}, got {high_res.shape[1]}x{high_res.shape[2]}.")
    if discriminator is not None and tuple(discriminator.input_shape[1:]) != tuple(high_res.shape[1:]):
        raise ValueError(f"The discriminator expects HR images of shape {discriminator.input_shape[1:]}, "
                         f"got {tuple(high_res.shape[1:])}; build it for the crop size of the data.")


# Measuring super-resolution -------------------------------------------------------------


def to_luminance(images):
    """Y of YCbCr (ITU-R BT.601, MATLAB's ``rgb2ycbcr``) in [16/255, 235/255] from [-1, 1] RGB.

    ``Y = (16 + 65.481 R + 128.553 G + 24.966 B) / 255`` with R, G, B in [0, 1]; a grey
    (1-channel) image counts as R = G = B.
    """
    images = np.asarray(images, np.float64)
    if images.shape[-1] not in (1, 3):
        raise ValueError(f"Expected RGB (3 channels) or grey (1 channel) images, got "
                         f"{images.shape[-1]} channels (shape {images.shape}).")
    rgb = (np.clip(images, -1.0, 1.0) + 1.0) / 2.0
    weights = np.array([65.481, 128.553, 24.966]) if images.shape[-1] == 3 else np.array([219.0])
    return (16.0 + rgb @ weights) / 255.0


def psnr_y(reference, image, border: int = 0) -> float:
    """PSNR in dB on the Y channel, ``10 log10(1 / MSE)``, ``border`` pixels cropped per side.

    Args:
        reference: HR image ``(H, W, C)`` in [-1, 1].
        image: the image to score, same shape.
        border: pixels dropped at each edge (the SR papers use ``scale``).

    Returns:
        A float; ``inf`` for identical images.
    """
    reference_y, image_y = _luminance_pair(reference, image, border)
    mse = float(np.mean((reference_y - image_y) ** 2))
    return float("inf") if mse == 0 else float(10.0 * np.log10(1.0 / mse))


def ssim_y(reference, image, border: int = 0) -> float:
    """SSIM on the Y channel (Wang et al. 2004), ``border`` pixels cropped per side.

    The mean over every 11x11 window (Gaussian weights, sigma 1.5, windows inside the image)
    of ``luminance * structure``: ``(2 mu_x mu_y + c1) / (mu_x^2 + mu_y^2 + c1)`` times
    ``(2 cov_xy + c2) / (var_x + var_y + c2)``, with ``c1 = 0.01^2``, ``c2 = 0.03^2``: the
    definition of ``tf.image.ssim``, in NumPy because it is several times faster on a CPU.
    1.0 for identical images.
    """
    x, y = _luminance_pair(reference, image, border)
    if min(x.shape) < SSIM_WINDOW:
        raise ValueError(f"SSIM needs at least {SSIM_WINDOW}x{SSIM_WINDOW} pixels after the border "
                         f"crop, got {x.shape[0]}x{x.shape[1]}.")
    mean_x, mean_y = _gaussian_window_means(x), _gaussian_window_means(y)
    variance_x = _gaussian_window_means(x * x) - mean_x ** 2
    variance_y = _gaussian_window_means(y * y) - mean_y ** 2
    covariance = _gaussian_window_means(x * y) - mean_x * mean_y
    c1, c2 = 0.01 ** 2, 0.03 ** 2  # (k1 * L)^2 and (k2 * L)^2 for the value range L = 1
    luminance = (2 * mean_x * mean_y + c1) / (mean_x ** 2 + mean_y ** 2 + c1)
    structure = (2 * covariance + c2) / (variance_x + variance_y + c2)
    return float(np.mean(luminance * structure))


def _gaussian_window_means(image):
    """Gaussian-weighted means of every SSIM window inside ``image`` (separable: rows, then columns)."""
    offsets = np.arange(SSIM_WINDOW) - (SSIM_WINDOW - 1) / 2
    taps = np.exp(-offsets ** 2 / (2 * SSIM_SIGMA ** 2))
    taps /= taps.sum()
    height, width = image.shape[0] - SSIM_WINDOW + 1, image.shape[1] - SSIM_WINDOW + 1
    rows = sum(tap * image[i:i + height] for i, tap in enumerate(taps))
    return sum(tap * rows[:, j:j + width] for j, tap in enumerate(taps))


def high_frequency_ratio(reference, image, scale: int) -> float:
    """Energy of ``image`` above the LR Nyquist frequency divided by that of ``reference``.

    The spectra are of the Y channel (mean removed, Hann-windowed against edge leakage);
    the band is every frequency above ``1 / (2 scale)`` cycles per pixel, the finest
    detail an LR image of factor ``scale`` can hold. Bicubic upscaling has almost none
    there (ratio near 0); a sharp SR image comes closer to 1; above 1 means more
    high-frequency energy than the photo (noise or artefacts).
    """
    photos._check_scale(scale)
    reference_y, image_y = _luminance_pair(reference, image, 0)
    height, width = reference_y.shape
    window = np.outer(np.hanning(height), np.hanning(width))
    frequencies = np.hypot(*np.meshgrid(np.fft.fftfreq(height), np.fft.fftfreq(width), indexing="ij"))
    band = frequencies > 0.5 / scale

    def band_energy(luminance):
        spectrum = np.fft.fft2((luminance - luminance.mean()) * window)
        return float(np.sum(np.abs(spectrum[band]) ** 2))

    return band_energy(image_y) / band_energy(reference_y)


def _luminance_pair(reference, image, border):
    if np.shape(reference) != np.shape(image):
        raise ValueError(f"Expected two images of the same shape, got {np.shape(reference)} "
                         f"and {np.shape(image)}.")
    if border < 0 or 2 * border >= min(np.shape(reference)[:2]):
        raise ValueError(f"border must be >= 0 and leave pixels inside, got {border} for "
                         f"shape {np.shape(reference)}.")
    crop = slice(border, -border or None)
    return to_luminance(reference)[crop, crop], to_luminance(image)[crop, crop]


def super_resolve(generator, low_res):
    """The generator's SR image(s) of ``low_res`` (one image or a batch), clipped to [-1, 1]."""
    low_res = np.asarray(low_res, np.float32)
    batch = low_res if low_res.ndim == 4 else low_res[None]
    super_res = np.clip(ops.convert_to_numpy(generator(batch, training=False)), -1.0, 1.0)
    return super_res if low_res.ndim == 4 else super_res[0]


def evaluate(generator, images, scale: int, names=None) -> dict:
    """PSNR, SSIM (Y channel, border ``scale``) and high-frequency ratio of SR and of bicubic.

    Each HR image is cropped to a multiple of ``scale``, downscaled (``photos.downscale``),
    then upscaled back by the generator and by bicubic interpolation.

    Args:
        generator: LR -> SR model of factor ``scale``, or ``None`` to score bicubic only.
        images: HR images ``(H, W, C)`` in [-1, 1], e.g. ``photos.read_photos("test").images``.
        scale: the SR factor.
        names: a name per image for the per-image rows.

    Returns:
        ``{"psnr", "ssim", "hf_ratio", "psnr_bicubic", "ssim_bicubic", "hf_ratio_bicubic"}``,
        each the mean over the images, plus ``"per_image"``: a dict per image with the same keys.
    """
    if len(images) == 0:
        raise ValueError("Expected at least one HR image to evaluate, got none.")
    names = names or [f"image_{i}" for i in range(len(images))]
    if len(names) != len(images):
        raise ValueError(f"Expected one name per image ({len(images)}), got {len(names)}.")
    rows = {}
    for name, image in zip(names, images):
        image = np.asarray(image)
        if image.ndim != 3:
            raise ValueError(f"Expected HR images of shape (height, width, channels), got {image.shape} for {name}.")
        checks.value_range(image, f"HR image ({name})", zero_one=False)
        high_res = np.asarray(photos.crop_to_multiple(image, scale))
        low_res = photos.downscale(high_res, scale)
        candidates = {"_bicubic": photos.upscale_bicubic(low_res, scale).numpy()}
        if generator is not None:
            candidates[""] = super_resolve(generator, low_res)
        rows[name] = {}
        for suffix, upscaled in candidates.items():
            rows[name][f"psnr{suffix}"] = psnr_y(high_res, upscaled, border=scale)
            rows[name][f"ssim{suffix}"] = ssim_y(high_res, upscaled, border=scale)
            rows[name][f"hf_ratio{suffix}"] = high_frequency_ratio(high_res, upscaled, scale)
    means = {key: float(np.mean([row[key] for row in rows.values()])) for key in next(iter(rows.values()))}
    return {**means, "per_image": rows}
