"""GAN losses: pure functions of discriminator logits.

Every function takes raw logits (before the sigmoid) and returns the batch mean.
Writing the losses in terms of ``softplus`` keeps them finite for logits of any
size: ``-log(sigmoid(x)) = softplus(-x)`` and ``-log(1 - sigmoid(x)) = softplus(x)``.

The least-squares, Wasserstein and hinge losses read the same raw outputs as scores
(no sigmoid). The relativistic pair compares each real image's logit with one fake's, so
its generator loss also takes the real logits. ``PAIRS`` names every (discriminator loss,
generator loss) pair, ready for ``GAN.compile(d_optimizer, g_optimizer, *PAIRS["hinge"])``.
"""

import keras
import tensorflow as tf
from keras import ops


def discriminator_loss(real_logits, fake_logits):
    """Binary cross-entropy of the discriminator (Goodfellow et al. 2014, Eq. 1).

    ``mean(-log sigmoid(real)) + mean(-log(1 - sigmoid(fake)))``, the negative of the
    estimate of the value function V(D, G). It is ``2 ln 2`` when every logit is 0,
    that is when D outputs 1/2 everywhere.

    Args:
        real_logits: discriminator logits on real images, shape ``(batch, ...)``.
        fake_logits: discriminator logits on generated images.

    Returns:
        A scalar tensor.

    Example:
        >>> float(discriminator_loss(ops.zeros(4), ops.zeros(4)))  # 2 ln 2
        1.386...
    """
    return ops.mean(ops.softplus(-real_logits)) + ops.mean(ops.softplus(fake_logits))


def generator_loss(fake_logits):
    """Non-saturating generator loss (Goodfellow et al. 2014, Section 3).

    ``mean(-log sigmoid(fake))``: the generator maximises log D(G(z)) instead of
    minimising log(1 - D(G(z))). Same fixed point, strong gradients early in
    training when D rejects the samples. ``ln 2`` at zero logits.
    """
    return ops.mean(ops.softplus(-fake_logits))


def minimax_generator_loss(fake_logits):
    """Saturating generator loss of the original minimax game (Goodfellow et al. 2014, Eq. 1).

    ``mean(log(1 - sigmoid(fake)))``, the generator's part of V(D, G), which the
    generator minimises. Its gradient vanishes when D confidently rejects the
    samples (fake logits very negative), which is why ``generator_loss`` is used
    in practice. ``-ln 2`` at zero logits.
    """
    return -ops.mean(ops.softplus(fake_logits))


def gradient_penalty(discriminator, real_images, fake_images, seed=None):
    """Gradient penalty of WGAN-GP (Gulrajani et al. 2017, Eq. 3).

    ``mean((||grad_x D(x_hat)||_2 - 1)^2)`` at ``x_hat = eps * real + (1 - eps) * fake``
    with one ``eps ~ U(0, 1)`` per example (a uniform draw, not a normal one).

    Args:
        discriminator: the critic, called with ``training=True``.
        real_images: batch of real images.
        fake_images: batch of generated images of the same shape.
        seed: an int or ``keras.random.SeedGenerator`` for ``eps``.

    Returns:
        A scalar tensor.
    """
    batch_shape = [ops.shape(real_images)[0]] + [1] * (len(real_images.shape) - 1)
    eps = keras.random.uniform(batch_shape, minval=0.0, maxval=1.0, seed=seed)
    mixed = eps * real_images + (1.0 - eps) * fake_images
    grads = _input_gradients(discriminator, mixed)
    norms = ops.sqrt(ops.sum(ops.square(grads), axis=list(range(1, len(grads.shape)))) + 1e-12)
    return ops.mean(ops.square(norms - 1.0))


def lsgan_discriminator_loss(real_logits, fake_logits):
    """Least-squares discriminator loss (Mao et al. 2017, the 0-1 coding a=0, b=c=1).

    ``0.5 * mean((real - 1)^2) + 0.5 * mean(fake^2)``: D regresses its raw output to 1 on
    real images and 0 on fakes. ``0.5`` when every output is 0.
    """
    return 0.5 * ops.mean(ops.square(real_logits - 1.0)) + 0.5 * ops.mean(ops.square(fake_logits))


def lsgan_generator_loss(fake_logits):
    """Least-squares generator loss (Mao et al. 2017, the 0-1 coding a=0, b=c=1).

    ``0.5 * mean((fake - 1)^2)``: G pushes D's output on its samples toward the "real"
    target 1. Unlike the cross-entropy, the penalty keeps growing for samples far on the
    correct side of the boundary, so their gradients do not vanish. ``0.5`` at output 0.
    """
    return 0.5 * ops.mean(ops.square(fake_logits - 1.0))


def wasserstein_critic_loss(real_logits, fake_logits):
    """Wasserstein critic loss (Arjovsky et al. 2017; WGAN-GP: Gulrajani et al. 2017).

    ``mean(fake) - mean(real)``: the critic maximises the gap between its scores on real
    and generated images, an estimate of the Wasserstein-1 distance when the critic is
    1-Lipschitz. Use it with ``GAN(..., gp_weight=10)`` (WGAN-GP), which adds
    ``gradient_penalty`` to enforce the Lipschitz constraint. ``0`` when scores are equal.
    """
    return ops.mean(fake_logits) - ops.mean(real_logits)


def wasserstein_generator_loss(fake_logits):
    """Wasserstein generator loss (Arjovsky et al. 2017, Algorithm 1): ``-mean(fake)``."""
    return -ops.mean(fake_logits)


def hinge_discriminator_loss(real_logits, fake_logits):
    """Hinge discriminator loss (Lim and Ye 2017, "Geometric GAN"; Miyato et al. 2018, SN-GAN).

    ``mean(relu(1 - real)) + mean(relu(1 + fake))``: a support-vector margin; scores
    beyond +1 on real and below -1 on fakes cost nothing. ``2`` at output 0.
    """
    return ops.mean(ops.relu(1.0 - real_logits)) + ops.mean(ops.relu(1.0 + fake_logits))


def hinge_generator_loss(fake_logits):
    """Hinge generator loss (Lim and Ye 2017; Miyato et al. 2018): ``-mean(fake)``."""
    return -ops.mean(fake_logits)


def relativistic_discriminator_loss(real_logits, fake_logits):
    """Relativistic pairing loss of the discriminator, RpGAN (Jolicoeur-Martineau 2019).

    ``mean(softplus(-(real - fake)))`` = ``mean(-log sigmoid(real_i - fake_i))``: the i-th real
    image is paired with the i-th fake, and D is asked only that the real one score higher.
    Unlike the classic loss, D cannot win by separating all real images from all fakes at
    once; every fake has to be pushed past its own partner. With zero-centred gradient
    penalties (``zero_centred_penalty``) it is the loss of R3GAN (Huang et al. 2024).
    ``ln 2`` when the two scores are equal.
    """
    return ops.mean(ops.softplus(fake_logits - real_logits))


def relativistic_generator_loss(fake_logits, real_logits):
    """Relativistic pairing loss of the generator, RpGAN (Jolicoeur-Martineau 2019).

    ``mean(softplus(-(fake - real)))``: the mirror image of the discriminator's, so the
    generator too needs D's scores on real images; ``GAN`` passes them because this
    function's ``takes_real_logits`` is true. ``ln 2`` when the two scores are equal.
    """
    return ops.mean(ops.softplus(real_logits - fake_logits))


relativistic_generator_loss.takes_real_logits = True


def zero_centred_penalty(discriminator, images):
    """Zero-centred gradient penalty: R1 on real images, R2 on fakes (Mescheder et al. 2018).

    ``mean(||grad_x D(x)||^2)`` over the batch. ``GAN(r1_weight=gamma)`` adds
    ``gamma / 2`` times this on real images to D's loss, the paper's R1; ``r2_weight`` the
    same on generated images. Unlike WGAN-GP's penalty it pulls the gradient towards 0,
    not 1, and only on the data: at the equilibrium D is flat there, and the penalty
    stops D from overshooting, which is what makes the game converge locally.
    For a linear D(x) = w . x + b it is ``||w||^2``.

    The gradient of ``sum(D(x))`` is taken, which is each image's own gradient when D treats
    the images of a batch independently (no batch normalization in training mode).

    Args:
        discriminator: called as ``discriminator(images, training=True)``, returns logits.
        images: a batch of images.

    Returns:
        A scalar tensor.
    """
    gradients = _input_gradients(discriminator, ops.convert_to_tensor(images))
    return ops.mean(ops.sum(ops.square(gradients), axis=list(range(1, len(gradients.shape)))))


def _input_gradients(discriminator, images):
    """Each image's gradient of D's logit, ``grad_x sum(D(x))`` (D in training mode)."""
    with tf.GradientTape() as tape:
        tape.watch(images)
        total = ops.sum(discriminator(images, training=True))
    return tape.gradient(total, images)


PAIRS = {
    "bce": (discriminator_loss, generator_loss),
    "minimax": (discriminator_loss, minimax_generator_loss),
    "lsgan": (lsgan_discriminator_loss, lsgan_generator_loss),
    "wgan": (wasserstein_critic_loss, wasserstein_generator_loss),  # with GAN(gp_weight=10)
    "hinge": (hinge_discriminator_loss, hinge_generator_loss),
    "relativistic": (relativistic_discriminator_loss, relativistic_generator_loss),  # RpGAN
}
