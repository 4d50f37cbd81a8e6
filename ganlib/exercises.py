"""Checks for the notebooks' "your turn" cells.

Each check compares the learner's function with ganlib on fixed inputs and prints exactly one
line, ``check <name>: passed`` or ``check <name>: not yet - <hint>``, and returns whether it
passed. It never raises: an unfinished stub (``return None``) or a function that fails is
reported, and the notebook goes on with ganlib's version. ``solution(notebook, name)`` loads
the worked solution from the repository's ``solutions/`` folder (a notebook's ``solutions``
parameter uses it).
"""

import importlib.util
from pathlib import Path

import keras
import numpy as np

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"


def solution(notebook: str, name: str):
    """The worked solution ``name`` from ``solutions/<notebook>.py``, e.g. ``("03_vanilla_gan", "MyGAN")``."""
    path = SOLUTIONS / f"{notebook}.py"
    if not path.exists():
        raise FileNotFoundError(f"No solutions file {path}: the solutions ship with the course's repository "
                                "(clone it and install ganlib from it with pip install -e .).")
    spec = importlib.util.spec_from_file_location(f"solutions_{notebook}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, name):
        raise AttributeError(f"{path.name} has no solution named {name!r}.")
    return getattr(module, name)


def report(name: str, hint: str | None = None) -> bool:
    """Print the one line of a check and return whether it passed (no hint)."""
    print(f"check {name}: passed" if hint is None else f"check {name}: not yet - {hint}")
    return hint is None


def _call(function, *arguments):
    """``(value, hint)``: the function's value, or a hint saying why there is none."""
    try:
        value = function(*arguments)
    except Exception as error:  # noqa: BLE001 - the learner's code may fail in any way
        return None, f"it raised {type(error).__name__}: {error}"
    if value is None:
        return None, "it returns None; replace `return None` with your code"
    return value, None


def _close(mine, expected, tolerance):
    mine = np.asarray(mine, dtype=np.float64)
    return mine.shape == np.shape(expected) and bool(np.all(np.abs(mine - expected) <= tolerance))


# 01 · the slanted-land discriminator's gradients ------------------------------------------------

def _reference_discriminator_gradients(real, fake, weights, bias):
    """Gradients of mean(-ln D(real)) + mean(-ln(1 - D(fake))), D(x) = sigmoid(x . w + b), by autodiff."""
    import tensorflow as tf

    from ganlib import losses

    weights, bias = tf.Variable(weights, dtype=tf.float64), tf.Variable(float(bias), dtype=tf.float64)
    with tf.GradientTape() as tape:
        loss = losses.discriminator_loss(tf.linalg.matvec(real, weights) + bias,
                                         tf.linalg.matvec(fake, weights) + bias)
    gradient_w, gradient_b = tape.gradient(loss, [weights, bias])
    return gradient_w.numpy(), float(gradient_b.numpy())


def check_discriminator_gradients(function) -> bool:
    """``function(real, fake, weights, bias) -> (gradient of the weights, gradient of the bias)``."""
    rng = np.random.default_rng(0)
    real, fake = rng.uniform(0, 1, (16, 4)), rng.uniform(0, 1, (16, 4))
    weights, bias = rng.normal(size=4), 0.3
    value, hint = _call(function, real, fake, weights.copy(), bias)
    name = "discriminator gradients"
    if hint:
        return report(name, hint)
    try:
        gradient_w, gradient_b = value
    except (TypeError, ValueError):
        return report(name, "return two things: the gradient of the weights (4 numbers) and of the bias")
    expected_w, expected_b = _reference_discriminator_gradients(real, fake, weights, bias)
    if _close(gradient_w, expected_w, 1e-6) and _close(gradient_b, expected_b, 1e-6):
        return report(name)
    if _close(gradient_w, -expected_w, 1e-6):
        return report(name, "the signs are flipped: that is the direction that lowers the error; "
                            "the gradient is its opposite")
    if _close(gradient_w, expected_w * len(real), 1e-5):
        return report(name, "average over the batch instead of summing (the errors are batch means)")
    real_only, _ = _reference_discriminator_gradients(real, np.zeros_like(fake), weights, bias)
    if _close(gradient_w, real_only, 1e-6):
        return report(name, "the fake images' term is missing: -ln(1 - D(fake)) adds p * x for each fake x")
    return report(name, "compare one weight with numerical_gradient above: real images give -(1 - p) x, fakes p x")


# 02 · the losses from logits ---------------------------------------------------------------------

CHECK_REAL_LOGITS = np.array([[-50.0, -3.0, -0.5, 0.0, 2.0, 50.0], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
                              [-20.0, -10.0, 10.0, 20.0, 30.0, 40.0], [1.0, -1.0, 4.0, -4.0, 7.0, -7.0]])
CHECK_FAKE_LOGITS = -CHECK_REAL_LOGITS[::-1]


def check_loss(function, kind: str) -> bool:
    """``kind`` ``"discriminator"``: ``function(real_logits, fake_logits)``; ``"generator"``: ``function(fake_logits)``.

    Compared with ``ganlib.losses`` on fixed batches of logits, some of them large (+-50), within 1e-10.
    """
    from ganlib import losses

    reference = {"discriminator": losses.discriminator_loss, "generator": losses.generator_loss}[kind]
    name = f"{kind} loss"
    batches = (list(zip(CHECK_REAL_LOGITS, CHECK_FAKE_LOGITS)) if kind == "discriminator"
               else [(fake,) for fake in CHECK_FAKE_LOGITS])
    mine = []
    for arguments in batches:
        value, hint = _call(function, *arguments)
        if hint:
            return report(name, hint)
        mine.append(float(np.asarray(value)))
    expected = np.array([float(reference(*arguments)) for arguments in batches])
    mine = np.array(mine)
    if not np.all(np.isfinite(mine)):
        return report(name, "a logit of 50 gives inf or nan: use np.logaddexp(0, a) for -log(sigmoid(-a)), "
                            "never np.log of a sigmoid")
    if np.max(np.abs(mine - expected)) < 1e-10:
        return report(name)
    if np.max(np.abs(-mine - expected)) < 1e-10:
        return report(name, "the sign is flipped: a loss is the surprise -log P, positive")
    if kind == "generator" and np.max(np.abs(mine + np.array([np.mean(np.logaddexp(0, f)) for f, in batches]))) < 1e-10:
        return report(name, "this is the saturating loss log(1 - D); the non-saturating one is -log D(G(z))")
    if kind == "discriminator":
        real_only = np.array([np.mean(np.logaddexp(0.0, -real)) for real, _ in batches])
        if np.max(np.abs(mine - real_only)) < 1e-10:
            return report(name, "the fake logits' term is missing: add mean(-log(1 - sigmoid(fake)))")
    return report(name, f"largest difference from ganlib {np.max(np.abs(mine - expected)):.3g}; take the mean "
                        "over the batch, of softplus(-a) for real logits and softplus(a) for fake ones")


# 03 · Algorithm 1 -------------------------------------------------------------------------------

def _tiny_networks():
    """Two small MLPs with the same weights every call, from a seed of their own.

    Not ``keras.utils.set_random_seed``: that would reset the notebook's global random state, and
    every network built after the check would start alike whatever the notebook's ``seed``.
    """
    from ganlib.gan import build_mlp_discriminator, build_mlp_generator

    networks = build_mlp_generator(4, (2, 2, 1), (8,)), build_mlp_discriminator((2, 2, 1), (8,))
    rng = np.random.default_rng(7)
    for weight in networks[0].weights + networks[1].weights:
        if len(weight.shape) == 2:  # the dense kernels, the only weights that start random
            weight.assign(rng.normal(0.0, 1 / np.sqrt(weight.shape[0]), weight.shape).astype(weight.dtype))
    return networks


def _one_step(model_class):
    from ganlib import data

    generator, discriminator = _tiny_networks()
    model = model_class(generator, discriminator, latent_dim=4, seed=3)
    model.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
    before = {"generator": [w.numpy() for w in generator.weights],
              "discriminator": [w.numpy() for w in discriminator.weights]}
    logs = model.train_step(keras.ops.convert_to_tensor(data.make_faces2x2(16)))
    after = {"generator": [w.numpy() for w in generator.weights],
             "discriminator": [w.numpy() for w in discriminator.weights]}
    return before, after, None if logs is None else {name: float(value) for name, value in logs.items()}


def check_train_step(model_class) -> bool:
    """A ``GAN`` subclass whose own ``train_step`` should do what ``ganlib.GAN``'s does.

    One step of each on the same networks, noise seed and batch of 2x2 faces: the same losses and
    the same updated weights of both networks, within 1e-6.
    """
    from ganlib.gan import GAN

    name = "train_step"
    try:
        before, mine, mine_logs = _one_step(model_class)
    except Exception as error:  # noqa: BLE001
        return report(name, f"one step raised {type(error).__name__}: {error}")
    _, expected, expected_logs = _one_step(GAN)
    moved = {network: max(float(np.abs(a - b).max()) for a, b in zip(mine[network], before[network]))
             for network in mine}
    if moved["discriminator"] == 0 and moved["generator"] == 0:
        if mine_logs is None:
            return report(name, "train_step returns None; write Algorithm 1 in it")
        return report(name, "no weight moved: apply each network's gradients with its own optimizer")
    for network in ("discriminator", "generator"):
        gap = max(float(np.abs(a - b).max()) for a, b in zip(mine[network], expected[network]))
        if gap > 1e-6:
            if network == "discriminator":
                hint = ("the discriminator's update differs: take its gradient of d_loss_fn(real_logits, "
                        "fake_logits) for its own weights only, with fakes from fresh noise made before its tape")
            elif moved["generator"] == 0:
                hint = "the generator did not move: give its optimizer the gradient of g_loss for its weights"
            else:
                hint = (f"the generator's weights moved {gap:.1g} away from ganlib's: draw fresh noise for its "
                        "step, and its loss is g_loss_fn of the fake logits only")
            return report(name, hint)
    for metric in ("d_loss", "g_loss"):
        if not mine_logs or metric not in mine_logs or abs(mine_logs[metric] - expected_logs[metric]) > 1e-6:
            return report(name, f"the weights match, but the reported {metric} does not: update the "
                                "trackers with the losses you took gradients of")
    return report(name)


# 04 · transposed convolutions -------------------------------------------------------------------

def check_transposed_size(function) -> bool:
    """``function(size_in, kernel_size, strides, padding, output_padding) -> size_out`` of Conv2DTranspose."""
    name = "transposed convolution size"
    cases = [(7, 5, 2, 2, 1), (14, 5, 2, 2, 1), (4, 4, 2, 1, 0), (3, 3, 1, 1, 0), (5, 3, 3, 0, 2)]
    for case in cases:
        value, hint = _call(function, *case)
        if hint:
            return report(name, hint)
        size_in, kernel, strides, padding, output_padding = case
        expected = (size_in - 1) * strides + kernel - 2 * padding + output_padding
        if value != expected:
            if value == size_in * strides:
                return report(name, "that is Keras' 'same' shortcut, s * i; write the general formula with k, p and a")
            return report(name, f"for input {size_in}, kernel {kernel}, stride {strides}, padding {padding} and output "
                                f"padding {output_padding} you give {value}, the layer makes {expected}: each of the "
                                "i inputs stamps a k x k kernel s apart, then p is cut from each side and a added")
    return report(name)


# 05 · the label in the generator ----------------------------------------------------------------

def check_label_conditioning(function) -> bool:
    """``function(noise, labels, embeddings) -> [z, e(y)]``: noise joined with each label's embedding row."""
    name = "label conditioning"
    rng = np.random.default_rng(0)
    noise, embeddings, labels = rng.normal(size=(5, 3)), rng.normal(size=(4, 2)), np.array([3, 0, 1, 3, 2])
    value, hint = _call(function, noise, labels, embeddings)
    if hint:
        return report(name, hint)
    value = np.asarray(value)
    expected = np.concatenate([noise, embeddings[labels]], axis=1)
    if value.shape == expected.shape and np.allclose(value, expected):
        return report(name)
    if value.shape == expected.shape and np.allclose(value, np.concatenate([embeddings[labels], noise], axis=1)):
        return report(name, "the order is swapped: the generator's input is [z, e(y)], noise first")
    if value.shape == (5, 3 + 4):
        return report(name, "that joins a one-hot label; join the label's embedding row, embeddings[labels]")
    return report(name, f"expected shape {expected.shape} (noise and embedding side by side), got {value.shape}")


# 06 · PSNR on Y ---------------------------------------------------------------------------------

def check_psnr_y(function) -> bool:
    """``function(reference, image) -> PSNR in dB`` on the Y channel of two [-1, 1] RGB images."""
    from ganlib import srgan

    name = "PSNR on Y"
    rng = np.random.default_rng(0)
    reference = rng.uniform(-1, 1, (24, 24, 3))
    image = np.clip(reference + rng.normal(0, 0.1, reference.shape), -1, 1)
    value, hint = _call(function, reference, image)
    if hint:
        return report(name, hint)
    expected = srgan.psnr_y(reference, image)
    value = float(np.asarray(value))
    if abs(value - expected) < 1e-6:
        return report(name)
    rgb = 10 * np.log10(1 / np.mean(((reference - image) / 2) ** 2))
    if abs(value - rgb) < 1e-6:
        return report(name, "that is PSNR over RGB; convert both images to Y first (srgan.to_luminance)")
    return report(name, f"you give {value:.3f} dB, ganlib {expected:.3f} dB: PSNR = 10 log10(1 / MSE), with the "
                        "MSE of the two Y images in [0, 1] units")


# 07 · the Laplacian pyramid ---------------------------------------------------------------------

def check_pyramid(build, reconstruct) -> bool:
    """``build(images, levels) -> [h_0, ..., low_pass]`` and ``reconstruct(pyramid) -> images``."""
    from ganlib import lapgan

    name = "Laplacian pyramid"
    images = np.random.default_rng(0).uniform(-1, 1, (3, 8, 8, 1)).astype(np.float32)
    pyramid, hint = _call(build, images, 3)
    if hint:
        return report(name, hint)
    expected = lapgan.build_pyramid(images, 3)
    if len(pyramid) != len(expected):
        return report(name, f"{len(pyramid)} levels, expected {len(expected)}: a band per halving, then the "
                            "low-pass image")
    for index, (mine, theirs) in enumerate(zip(pyramid, expected)):
        if np.shape(mine) != theirs.shape or not np.allclose(mine, theirs, atol=1e-5):
            what = "the low-pass image" if index == len(expected) - 1 else f"band h_{index}"
            return report(name, f"{what} differs from ganlib's: h_k = I_k - u(d(I_k)), with d the 2x2 average "
                                "(lapgan.downsample) and u bilinear (lapgan.upsample)")
    rebuilt, hint = _call(reconstruct, expected)
    if hint:
        return report(name, "build is right; reconstruct " + hint)
    if np.shape(rebuilt) != images.shape or not np.allclose(rebuilt, images, atol=1e-5):
        return report(name, "build is right, but reconstruct does not give the images back: go coarse to fine, "
                            "I_k = u(I_k+1) + h_k")
    return report(name)


# 08 · the zero-centred gradient penalty ---------------------------------------------------------

def check_zero_centred_penalty(function) -> bool:
    """``function(discriminator, images) -> mean over the batch of ||grad_x D(x)||^2`` (R1 on real images).

    Compared with ``ganlib.losses.zero_centred_penalty`` on a small nonlinear discriminator, within 1e-4
    (relative), and on a linear one, whose penalty is its squared weight norm.
    """
    import tensorflow as tf

    from ganlib import losses

    name = "zero-centred penalty"
    _, discriminator = _tiny_networks()
    images = tf.constant(np.random.default_rng(1).uniform(-1, 1, (16, 2, 2, 1)).astype(np.float32))
    value, hint = _call(function, discriminator, images)
    if hint and "NoneType" in hint:  # tape.gradient gave None, and the next op choked on it
        hint += (" - tape.gradient returns None for what the tape did not see: call tape.watch(images), and "
                 "compute D's output (and its sum) inside the `with` block")
    if hint:
        return report(name, hint)
    mine = float(np.asarray(keras.ops.convert_to_numpy(value)))
    expected = float(losses.zero_centred_penalty(discriminator, images))
    if abs(mine - expected) <= 1e-4 * abs(expected):
        return report(name)
    with tf.GradientTape() as tape:
        tape.watch(images)
        total = keras.ops.sum(discriminator(images, training=True))
    norms = np.sqrt(np.sum(np.square(tape.gradient(total, images).numpy()), axis=(1, 2, 3)))
    if abs(mine - np.mean((norms - 1) ** 2)) <= 1e-4 * abs(mine):
        return report(name, "this is WGAN-GP's (||grad|| - 1)^2: R1 pulls the gradient to 0, not to norm 1")
    if abs(mine - np.mean(norms)) <= 1e-4 * abs(mine):
        return report(name, "square the norm: R1 is the mean of ||grad_x D(x)||^2")
    if abs(mine - np.sum(norms ** 2)) <= 1e-4 * abs(mine):
        return report(name, "take the mean over the batch, not the sum")
    return report(name, f"you give {mine:.5g}, ganlib {expected:.5g}: watch the images in a tf.GradientTape, "
                        "take the gradient of sum(D(images)) with respect to them, then the mean over the batch "
                        "of each image's sum of squares")
