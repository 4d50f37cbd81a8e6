"""One training step of each ganlib model, on one device or under a distribution strategy.

Run by tests/test_reliability.py in subprocesses (devices and strategies must be set before
TensorFlow starts):

    python tests/distributed_step.py mirrored            # every model: single device, then 2 replicas
    python tests/distributed_step.py single gan          # one model on one device
    TF_CONFIG=... python tests/distributed_step.py worker gan   # one of the workers of a cluster

Prints one JSON line. The networks have no batch normalization and no dropout: batch-norm
statistics are per replica, and random draws inside a replica repeat across replicas, so
with them a distributed step is a different computation, not a wrong one.
"""

import json
import os
import sys

import numpy as np

mode = sys.argv[1]
import tensorflow as tf  # noqa: E402

if mode == "mirrored":
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
worker_strategy = tf.distribute.MultiWorkerMirroredStrategy() if mode == "worker" else None

import keras  # noqa: E402
from keras import layers  # noqa: E402

from ganlib import GAN, SRGAN, ConditionalGAN, conditional_gan, data, lapgan, losses, srgan  # noqa: E402
from ganlib.gan import build_mlp_discriminator, build_mlp_generator  # noqa: E402

BATCH = 16  # one global batch


def conv_net(input_shapes, output_channels, name, flatten=False):
    """A small BN-free convolutional network on one or more image inputs (concatenated)."""
    inputs = [keras.Input(shape) for shape in input_shapes]
    x = inputs[0] if len(inputs) == 1 else layers.Concatenate()(inputs)
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(x)
    if flatten:
        x = layers.Dense(1)(layers.Flatten()(x))
    else:
        x = layers.Conv2D(output_channels, 3, padding="same")(x)
    return keras.Model(inputs, x, name=name)


def build(kind):
    """(model, dataset) for one kind of model; every weight from seed 0."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    if kind == "gan":
        model = GAN(build_mlp_generator(4, (2, 2, 1), (8,)), build_mlp_discriminator((2, 2, 1), (8,)),
                    latent_dim=4, seed=1)
        batches = data.make_faces2x2(BATCH)
    elif kind == "modern":  # the relativistic pair (set in one_step), R1, R2 and the weight average
        model = GAN(build_mlp_generator(4, (2, 2, 1), (8,)), build_mlp_discriminator((2, 2, 1), (8,)),
                    latent_dim=4, r1_weight=1.0, r2_weight=1.0, average_momentum=0.99, seed=1)
        batches = data.make_faces2x2(BATCH)
    elif kind == "conditional":
        model = ConditionalGAN(conditional_gan.build_mlp_generator(4, 3, (2, 2, 1), (8,)),
                               conditional_gan.build_mlp_discriminator((2, 2, 1), 3, (8,)),
                               latent_dim=4, num_classes=3, seed=1)
        batches = (data.make_faces2x2(BATCH), rng.integers(0, 3, BATCH))
    elif kind == "srgan":
        low_res = keras.Input((None, None, 3))
        features = layers.Conv2D(12, 3, padding="same")(low_res)
        generator = keras.Model(low_res, srgan.PixelShuffle(2)(features), name="tiny_srresnet")
        model = SRGAN(generator, conv_net([(8, 8, 3)], 1, "tiny_discriminator", flatten=True),
                      content_loss="pixel", adversarial_weight=0.1)
        high_res = rng.uniform(-1, 1, (BATCH, 8, 8, 3)).astype("float32")
        batches = (high_res[:, ::2, ::2], high_res)
    elif kind == "lapgan_level":
        noise, coarse = keras.Input((16,)), keras.Input((4, 4, 1))
        plane = layers.Reshape((4, 4, 1))(noise)
        generator = keras.Model([noise, coarse], conv_net([(4, 4, 1), (4, 4, 1)], 1, "band_body")([coarse, plane]))
        model = lapgan.BandGAN(generator, conv_net([(4, 4, 1), (4, 4, 1)], 1, "band_critic", flatten=True), seed=1)
        images = rng.uniform(-1, 1, (BATCH, 4, 4, 1)).astype("float32")
        batches = (images - lapgan.upsample(lapgan.downsample(images)), lapgan.upsample(lapgan.downsample(images)))
    else:
        raise SystemExit(f"unknown model {kind!r}")
    return model, tf.data.Dataset.from_tensor_slices(batches).batch(BATCH)


def one_step(kind, strategy):
    with strategy.scope():
        model, dataset = build(kind)
        # SGD with momentum: the update is proportional to the gradient (a wrong scale shows),
        # and the momentum slots must be created inside the strategy's scope.
        model.compile(keras.optimizers.SGD(0.1, momentum=0.9), keras.optimizers.SGD(0.1, momentum=0.9),
                      *(losses.PAIRS["relativistic"] if kind == "modern" else ()))
    before = [w.numpy() for w in model.weights]
    logs = model.fit(dataset, epochs=1, verbose=0).history
    return before, [w.numpy() for w in model.weights], {name: values[0] for name, values in logs.items()}


def compare(kind, strategy):
    start, single, single_logs = one_step(kind, tf.distribute.get_strategy())
    again, distributed, distributed_logs = one_step(kind, strategy)
    return {"replicas": strategy.num_replicas_in_sync,
            "same_start": all(np.array_equal(a, b) for a, b in zip(start, again)),
            "largest_update": max(float(np.abs(a - b).max()) for a, b in zip(single, start)),
            "largest_difference": max(float(np.abs(a - b).max()) for a, b in zip(single, distributed)),
            "loss_difference": max(abs(single_logs[name] - distributed_logs[name]) for name in ("d_loss", "g_loss"))}


if mode == "mirrored":
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    print(json.dumps({kind: compare(kind, strategy) for kind in ("gan", "modern", "conditional", "srgan", "lapgan_level")}))
elif mode in ("single", "worker"):
    strategy = worker_strategy or tf.distribute.get_strategy()
    before, after, logs = one_step(sys.argv[2], strategy)
    task = json.loads(os.environ.get("TF_CONFIG", "{}")).get("task", {})
    print(json.dumps({"task": task, "replicas": strategy.num_replicas_in_sync, "logs": logs,
                      "before": [w.tolist() for w in before], "after": [w.tolist() for w in after]}))
