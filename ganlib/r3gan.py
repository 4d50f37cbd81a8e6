"""A modern GAN baseline (Huang et al. 2024, "The GAN is dead; long live the GAN!", R3GAN), sized for a CPU.

Like a DCGAN, it is not a new training algorithm: it is ``ganlib.GAN`` with other networks,
another loss and two penalties::

    gan = GAN(r3gan.build_generator(), r3gan.build_discriminator(), latent_dim=64,
              r1_weight=0.1, r2_weight=0.1, average_momentum=0.999)
    gan.compile(**r3gan.optimizers(), d_loss_fn=losses.relativistic_discriminator_loss,
                g_loss_fn=losses.relativistic_generator_loss)

What R3GAN changes against a DCGAN, and where each piece lives:

- [1] the relativistic pairing loss, RpGAN (Jolicoeur-Martineau 2019): ``losses.PAIRS["relativistic"]``;
- [2] zero-centred gradient penalties on real (R1) and generated (R2) images (Mescheder et
  al. 2018): ``GAN(r1_weight=..., r2_weight=...)``;
- [3] residual networks without any normalization, each block starting as the identity
  (its last convolution's weights are zero, as in Fix-up), so that the penalties act on
  the network as it is and a batch's images do not depend on each other: built here;
- [4] up- and downsampling by bilinear resizing and average pooling, not strided or
  transposed convolutions: built here;
- [5] Adam with beta_1 = 0 (no momentum), in ``optimizers()``;
- [6] sampling from an exponential moving average of the generator's weights:
  ``GAN(average_momentum=...)``.

The paper's networks are wide ResNeXt-style stacks for 32x32 to 256x256 images; these are
three stages (7x7, 14x14, 28x28) of plain two-convolution blocks, small enough to train on
a 2-core CPU in minutes.
"""

import keras
from keras import layers

from ganlib import checks, dcgan

LEAKY_SLOPE = 0.2
LEARNING_RATE = 1e-3
BETA_1 = 0.0   # [5]
BETA_2 = 0.99


def residual_block(x, kernel_size: int = 3, name: str = "block"):
    """[3] ``x + conv(lrelu(conv(lrelu(x))))``, the second convolution starting at zero (the identity)."""
    channels = x.shape[-1]
    y = layers.LeakyReLU(LEAKY_SLOPE, name=f"{name}_act1")(x)
    y = layers.Conv2D(channels, kernel_size, padding="same", name=f"{name}_conv1")(y)
    y = layers.LeakyReLU(LEAKY_SLOPE, name=f"{name}_act2")(y)
    y = layers.Conv2D(channels, kernel_size, padding="same", kernel_initializer="zeros", name=f"{name}_conv2")(y)
    return layers.Add(name=f"{name}_add")([x, y])


def build_generator(latent_dim: int = 64, image_shape=(28, 28, 1), widths=(64, 32, 16), blocks: int = 1,
                    kernel_size: int = 3, name: str = "generator"):
    """Residual generator: noise -> ``widths[0]`` maps at 1/2**(stages-1) size -> blocks, bilinear x2 -> tanh image.

    Stage ``i`` works at ``image_size / 2**(stages - 1 - i)`` with ``widths[i]`` channels and
    ``blocks`` residual blocks; between stages the maps are resized bilinearly [4] and a 1x1
    convolution changes their channels. Defaults for 28x28: 7x7x64 -> 14x14x32 -> 28x28x16 -> 28x28x1.

    Args:
        latent_dim: length of the noise vector.
        image_shape: ``(height, width, channels)``; height and width divisible by ``2**(len(widths) - 1)``.
        widths: channels of each stage, from the coarsest.
        blocks: residual blocks per stage: one number for every stage, or one per stage.
        kernel_size: side of the blocks' convolutions.
        name: name of the model.

    Returns:
        A Functional ``keras.Model`` mapping ``(batch, latent_dim)`` to images in [-1, 1].
    """
    height, width, channels, stage_blocks = _check(image_shape, widths, blocks, kernel_size)
    checks.integer("latent_dim", latent_dim)
    scale = 2 ** (len(widths) - 1)
    noise = keras.Input((latent_dim,), name="noise")
    x = layers.Dense(height // scale * width // scale * widths[0], name="project")(noise)
    x = layers.Reshape((height // scale, width // scale, widths[0]), name="first_map")(x)
    for stage, stage_width in enumerate(widths):
        if stage:
            x = layers.UpSampling2D(interpolation="bilinear", name=f"stage{stage}_upsample")(x)  # [4]
            x = layers.Conv2D(stage_width, 1, name=f"stage{stage}_channels")(x)
        for block in range(stage_blocks[stage]):
            x = residual_block(x, kernel_size, name=f"stage{stage}_block{block}")
    x = layers.LeakyReLU(LEAKY_SLOPE, name="last_act")(x)
    images = layers.Conv2D(channels, kernel_size, padding="same", activation="tanh", name="image")(x)
    return keras.Model(noise, images, name=name)


def build_discriminator(image_shape=(28, 28, 1), widths=(16, 32, 64), blocks: int = 1, kernel_size: int = 3,
                        name: str = "discriminator"):
    """Residual discriminator, the generator's mirror: image -> blocks, average pooling x1/2 -> one logit.

    A 3x3 convolution turns the image into ``widths[0]`` maps; stage ``i`` has ``widths[i]``
    channels and ``blocks`` residual blocks; between stages a
    2x2 average pool halves the maps [4] and a 1x1 convolution changes their channels. The
    last maps are flattened into one logit. No normalization anywhere [3], so R1 and R2
    penalise each image's own gradient. Defaults for 28x28: 28x28x16 -> 14x14x32 -> 7x7x64 -> logit.

    Args:
        image_shape: ``(height, width, channels)``; height and width divisible by ``2**(len(widths) - 1)``.
        widths: channels of each stage, from the finest.
        blocks: residual blocks per stage: one number for every stage, or one per stage.
        kernel_size: side of the blocks' convolutions and of the first convolution.
        name: name of the model.

    Returns:
        A Functional ``keras.Model`` mapping images to logits of shape ``(batch, 1)``.
    """
    *_, stage_blocks = _check(image_shape, widths, blocks, kernel_size)
    images = keras.Input(tuple(image_shape), name="image")
    # A 3x3 stem: a 1x1 one before the first pooling would let D see only the 2x2 averages.
    x = layers.Conv2D(widths[0], kernel_size, padding="same", name="stage0_channels")(images)
    for stage, stage_width in enumerate(widths):
        if stage:
            x = layers.AveragePooling2D(2, name=f"stage{stage}_downsample")(x)  # [4]
            x = layers.Conv2D(stage_width, 1, name=f"stage{stage}_channels")(x)
        for block in range(stage_blocks[stage]):
            x = residual_block(x, kernel_size, name=f"stage{stage}_block{block}")
    x = layers.LeakyReLU(LEAKY_SLOPE, name="last_act")(x)
    logits = layers.Dense(1, name="logit")(layers.Flatten(name="flatten")(x))
    return keras.Model(images, logits, name=name)


def optimizers(learning_rate: float = LEARNING_RATE, decay_steps: int | None = None,
               beta_1: float = BETA_1, beta_2: float = BETA_2) -> dict:
    """[5] Two Adam optimizers without momentum (beta_1 = 0, beta_2 = 0.99), ready for ``GAN.compile``.

    ``dcgan.optimizers`` with R3GAN's settings: ``learning_rate`` for both networks, falling to 0
    along a cosine over ``decay_steps`` steps when given.

    Returns:
        ``{"d_optimizer": Adam, "g_optimizer": Adam}``, two separate instances.
    """
    return dcgan.optimizers(learning_rate, beta_1=beta_1, decay_steps=decay_steps, beta_2=beta_2)


def _check(image_shape, widths, blocks, kernel_size):
    if not isinstance(image_shape, (tuple, list)) or len(image_shape) != 3:
        raise ValueError(f"Expected an image shape (height, width, channels), got {image_shape!r}.")
    height, width, channels = (checks.integer(f"Image {axis}", size)
                               for axis, size in zip(("height", "width", "channels"), image_shape))
    if not isinstance(widths, (tuple, list)) or not widths:
        raise ValueError(f"Expected widths as a non-empty tuple of channel counts, got {widths!r}.")
    for stage_width in widths:
        checks.integer("Each of widths", stage_width)
    stage_blocks = tuple(blocks) if isinstance(blocks, (tuple, list)) else (blocks,) * len(widths)
    if len(stage_blocks) != len(widths):
        raise ValueError(f"Expected one number of blocks per stage ({len(widths)}), got {blocks!r}.")
    for count in stage_blocks:
        checks.integer("blocks", count, minimum=0)
    checks.integer("kernel_size", kernel_size)
    scale = 2 ** (len(widths) - 1)
    if height % scale or width % scale:
        raise ValueError(f"Image height and width must be divisible by 2**(len(widths) - 1) = {scale} "
                         f"(one halving between stages), got {height}x{width} with {len(widths)} stages.")
    return height, width, channels, stage_blocks
