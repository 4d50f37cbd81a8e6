"""Training throughput of ``ganlib.GAN.fit`` against a plain keras-io-style two-tape step.

Both models train the same networks (identical initial weights) on the same batches in one
run. Each repeat is one ``fit`` call of ``--steps`` steps, timed with the wall clock; the
two models take turns (A, B, then B, A, ...) so that a change of machine load hits both
alike. Images per second is the median over the repeats, after one warm-up ``fit`` per
model (tracing the graph). The ratio is ``ganlib`` over plain; the median of the per-round
ratios (each round one repeat of each, run back to back) is printed too, and so is the
process CPU time per step, which other processes' load disturbs less than wall time.
``--simultaneous`` also times the TensorFlow tutorial's simultaneous update, reported apart
(it is a different algorithm).

For the DCGAN pair the script also counts the floating-point operations of one training
step (analytically, from the layer shapes; checked against TensorFlow's profiler on the
forward graphs) and divides them by the step time, next to the machine's measured float32
matrix-multiply rate.

Run:
    .venv/bin/python benchmarks/throughput.py --networks both
"""

import argparse
import json
import logging
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")

import keras  # noqa: E402
import machine  # noqa: E402  (benchmarks/machine.py, beside this script)
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers, ops  # noqa: E402

import ganlib  # noqa: E402

LATENT_DIM = 100
IMAGE_SHAPE = (28, 28, 1)
DATASETS = ("random", "fashion_mnist", "mnist")
# The batch sizes the notebooks train with: 03's default, and 04's "cpu" preset (which found
# batch 32 better than 64 per epoch: twice the updates).
NOTEBOOK_BATCH_SIZES = {"mlp": 64, "dcgan": 32}


# ---------------------------------------------------------------------------------------------
# The plain step: the keras-io DCGAN example's train_step
# ---------------------------------------------------------------------------------------------

class PlainGAN(keras.Model):
    """The two-tape ``train_step`` of the keras-io DCGAN example, as a baseline.

    Discriminator on real and on freshly generated images, then the generator on fresh
    noise, with one ``Mean`` tracker per loss as keras-io keeps them. Three changes from
    keras-io make it compute what ``ganlib.GAN`` computes, so the comparison is of speed
    only: ``training=True`` in every call (keras-io omits it, so its Dropout never drops),
    two discriminator calls (real, fake) instead of one on the concatenation (which would
    share batch-norm statistics between them), and no label noise.
    """

    def __init__(self, generator, discriminator, latent_dim, seed=0):
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def train_step(self, real_images):
        batch_size = ops.shape(real_images)[0]
        noise = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        generated_images = self.generator(noise, training=True)
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(real_images, training=True)
            fake_logits = self.discriminator(generated_images, training=True)
            d_loss = (self.loss_fn(ops.ones_like(real_logits), real_logits)
                      + self.loss_fn(ops.zeros_like(fake_logits), fake_logits))
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

        noise = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            fake_logits = self.discriminator(self.generator(noise, training=True), training=True)
            g_loss = self.loss_fn(ops.ones_like(fake_logits), fake_logits)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


class SimultaneousGAN(PlainGAN):
    """The TensorFlow DCGAN tutorial's update: a different algorithm, not in the ratio.

    One generator pass feeds both losses and both networks step from the same forward pass
    (the simultaneous gradient update), so a step does one generator and two discriminator
    forward passes instead of Algorithm 1's two and three.
    """

    def train_step(self, real_images):
        batch_size = ops.shape(real_images)[0]
        noise = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            generated_images = self.generator(noise, training=True)
            real_logits = self.discriminator(real_images, training=True)
            fake_logits = self.discriminator(generated_images, training=True)
            d_loss = (self.loss_fn(ops.ones_like(real_logits), real_logits)
                      + self.loss_fn(ops.zeros_like(fake_logits), fake_logits))
            g_loss = self.loss_fn(ops.ones_like(fake_logits), fake_logits)
        for optimizer, tape, loss, network in ((self.g_optimizer, g_tape, g_loss, self.generator),
                                               (self.d_optimizer, d_tape, d_loss, self.discriminator)):
            grads = tape.gradient(loss, network.trainable_weights)
            optimizer.apply_gradients(zip(grads, network.trainable_weights))
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


# ---------------------------------------------------------------------------------------------
# Networks, data, timing
# ---------------------------------------------------------------------------------------------

def build_networks(kind):
    """``(generator, discriminator, learning_rate, beta_1)`` of notebook 03 (MLP) or 04 (DCGAN)."""
    if kind == "mlp":
        generator = ganlib.build_mlp_generator(LATENT_DIM, IMAGE_SHAPE, (256, 512, 1024),
                                               batch_norm=True, activation="leaky_relu")
        discriminator = ganlib.build_mlp_discriminator(IMAGE_SHAPE, (512, 256), dropout=0.3)
    else:
        generator = ganlib.dcgan.build_generator(latent_dim=LATENT_DIM, image_shape=IMAGE_SHAPE)
        discriminator = ganlib.dcgan.build_discriminator(input_shape=IMAGE_SHAPE)
    return generator, discriminator


def make_models(kind, seed, simultaneous=False, steps_per_execution=1):
    """The models under test, each on its own copy of networks with identical initial weights."""
    keras.utils.set_random_seed(seed)
    networks = build_networks(kind)

    def twins():
        copies = [keras.models.clone_model(network) for network in networks]
        for copy, network in zip(copies, networks):
            copy.set_weights(network.get_weights())
        return copies

    models = {"plain": PlainGAN(*twins(), latent_dim=LATENT_DIM, seed=seed)}
    if simultaneous:
        models["simultaneous"] = SimultaneousGAN(*twins(), latent_dim=LATENT_DIM, seed=seed)
    models["ganlib"] = ganlib.GAN(*networks, latent_dim=LATENT_DIM, seed=seed)
    for model in models.values():
        # Adam 2e-4, beta_1 0.5, for both pairs; steps_per_execution alike for every model
        model.compile(**ganlib.dcgan.optimizers(), steps_per_execution=steps_per_execution)
    return models


def make_dataset(name, batch_size, batches, seed):
    """An endless dataset cycling through ``batches`` batches held in memory."""
    count = batch_size * batches
    if name == "random":
        rng = np.random.default_rng(seed)
        images = rng.uniform(-1, 1, (count, *IMAGE_SHAPE)).astype(np.float32)
        source = f"{count} uniform random images"
    else:
        arrays = ganlib.data.load_arrays(name, "train", limit=count)
        if len(arrays) < count:
            raise ValueError(f"Expected at least {count} images in {arrays.source}, got {len(arrays)}; "
                             "lower --batch-size.")
        images, source = arrays.images, f"first {count} images of {arrays.source}"
    dataset = tf.data.Dataset.from_tensor_slices(images).batch(batch_size, drop_remainder=True)
    return dataset.repeat().prefetch(tf.data.AUTOTUNE), source


def timed_fit(model, dataset, steps):
    """Wall-clock and process CPU seconds of one ``fit`` of ``steps`` steps."""
    start, start_cpu = time.perf_counter(), time.process_time()
    model.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False)
    return time.perf_counter() - start, time.process_time() - start_cpu


def measure_pair(kind, args):
    """Interleaved repeats of both models; images/s and ratio as a dict."""
    batch_size = args.batch_size or NOTEBOOK_BATCH_SIZES[kind]
    models = make_models(kind, args.seed, args.simultaneous, args.steps_per_execution)
    dataset, source = make_dataset(args.data, batch_size, args.data_batches, args.seed)
    for model in models.values():  # warm-up: tracing and the first steps
        timed_fit(model, dataset, args.warmup_steps)
    seconds = {name: [] for name in models}
    cpu_seconds = {name: [] for name in models}
    order = ["ganlib", "plain"] + (["simultaneous"] if args.simultaneous else [])
    for _ in range(args.repeats):
        for name in order:
            wall, cpu = timed_fit(models[name], dataset, args.steps)
            seconds[name].append(wall)
            cpu_seconds[name].append(cpu)
        order.reverse()  # A B, B A, A B, ...: drifting load hits both alike
    images = args.steps * batch_size
    rates = {name: [images / s for s in times] for name, times in seconds.items()}
    medians = {name: statistics.median(values) for name, values in rates.items()}
    round_ratios = [a / b for a, b in zip(rates["ganlib"], rates["plain"])]
    cpu_per_step = {name: statistics.median(times) / args.steps * 1000
                    for name, times in cpu_seconds.items()}
    result = {
        "networks": kind,
        "batch_size": batch_size,
        "data": source,
        "steps_per_repeat": args.steps,
        "steps_per_execution": args.steps_per_execution,
        "repeats": args.repeats,
        "images_per_second": {name: round(value, 1) for name, value in medians.items()},
        "images_per_second_all": {name: [round(v, 1) for v in values] for name, values in rates.items()},
        "ratio_ganlib_over_plain": round(medians["ganlib"] / medians["plain"], 3),
        "ratio_median_of_rounds": round(statistics.median(round_ratios), 3),
        # CPU time of the process (all its threads) per step: less sensitive to other
        # processes' load than wall time, though not immune (threads that wait may spin).
        "cpu_milliseconds_per_step": {name: round(value, 2) for name, value in cpu_per_step.items()},
        "cpu_ratio_plain_over_ganlib": round(cpu_per_step["plain"] / cpu_per_step["ganlib"], 3),
    }
    if args.simultaneous:
        result["simultaneous_update_over_plain"] = {
            "note": "the TensorFlow tutorial's simultaneous update: a different algorithm, not in the ratio",
            "ratio": round(medians["simultaneous"] / medians["plain"], 3)}
    if kind == "dcgan":
        generator, discriminator = build_networks(kind)
        flops = training_step_flops(generator, discriminator, batch_size)
        step_seconds = batch_size / medians["ganlib"]
        result["flops"] = {
            "per_training_step": flops,
            "method": ("analytic: 2 x multiply-accumulates of every Dense, Conv2D and "
                       "Conv2DTranspose layer from its shapes; backward = input gradients "
                       "(not for a network's first layer) + weight gradients, each as many "
                       "FLOPs as the forward pass; elementwise work (batch norm, activations, "
                       "losses, Adam) not counted"),
            "check_against_tf_profiler": check_flop_count(generator, discriminator),
            "ganlib_effective_gflops": round(flops / step_seconds / 1e9, 2),
            "plain_effective_gflops": round(flops * medians["plain"] / batch_size / 1e9, 2),
        }
    return result


# ---------------------------------------------------------------------------------------------
# FLOPs of a training step and the machine's matrix-multiply rate
# ---------------------------------------------------------------------------------------------

def layer_flops(network, batch_size):
    """Forward FLOPs (2 per multiply-accumulate) of each Dense/Conv2D/Conv2DTranspose layer.

    Returns:
        A list of ``(layer name, FLOPs)`` in the order the layers run.
    """
    counts = []
    for layer in network.layers:
        if isinstance(layer, layers.Dense):
            fan_in = layer.input.shape[-1]
            counts.append((layer.name, 2 * batch_size * fan_in * layer.units))
        elif isinstance(layer, (layers.Conv2D, layers.Conv2DTranspose)):
            kernel_height, kernel_width, in_channels, out_channels = _kernel_shape(layer)
            # Conv2D: one kernel application per output pixel. Conv2DTranspose: one per input
            # pixel (each input pixel is spread over a kernel-sized patch of the output).
            grid = layer.input.shape if isinstance(layer, layers.Conv2DTranspose) else layer.output.shape
            pixels = grid[1] * grid[2]
            counts.append((layer.name, 2 * batch_size * pixels * kernel_height * kernel_width
                           * in_channels * out_channels))
    return counts


def _kernel_shape(layer):
    height, width, a, b = layer.kernel.shape
    # Conv2D kernels are (h, w, in, out); Conv2DTranspose kernels are (h, w, out, in).
    return (height, width, b, a) if isinstance(layer, layers.Conv2DTranspose) else (height, width, a, b)


def training_step_flops(generator, discriminator, batch_size, d_steps=1):
    """FLOPs of one step of Algorithm 1 (see ``measure_pair``'s "method" for what counts).

    Discriminator update (``d_steps`` times): G forward; D forward on real and on fake;
    D backward on both, weight gradients everywhere, input gradients except D's first layer.
    Generator update: G and D forward; D input gradients through every layer (down to the
    generated images), no D weight gradients; G weight gradients, G input gradients except
    its first layer (the noise needs none).
    """
    g_layers = [flops for _, flops in layer_flops(generator, batch_size)]
    d_layers = [flops for _, flops in layer_flops(discriminator, batch_size)]
    g_total, d_total = sum(g_layers), sum(d_layers)
    d_update = g_total + 2 * d_total + 2 * (d_total + d_total - d_layers[0])
    g_update = (g_total + d_total) + d_total + (g_total + g_total - g_layers[0])
    return int(d_steps * d_update + g_update)


def profiler_flops(function, *specs, op_types=("MatMul", "Conv2D", "Conv2DBackpropInput",
                                               "Conv2DBackpropFilter")):
    """FLOPs TensorFlow's profiler assigns to the matrix-multiply-like ops of a traced graph."""
    graph = tf.function(function).get_concrete_function(*specs).graph
    from tensorflow.python.framework import ops as tf_ops  # the profiler's per-op statistics
    total = 0
    for operation in graph.get_operations():
        if operation.type in op_types:
            total += tf_ops.get_stats_for_node_def(graph, operation.node_def, "flops").value or 0
    return int(total)


def check_flop_count(generator, discriminator, batch_size=8):
    """The analytic counts against TensorFlow's profiler, on a small batch.

    Forward: each network's layer sum against the profiler on its forward graph. Backward:
    one Conv2D, Conv2DTranspose and Dense layer each, whose weight and input gradients
    should each cost what its forward pass costs.
    """
    checks = {}
    for network in (generator, discriminator):
        spec = tf.TensorSpec((batch_size, *network.input_shape[1:]), tf.float32)
        analytic = sum(flops for _, flops in layer_flops(network, batch_size))
        profiled = profiler_flops(lambda x, network=network: network(x, training=False), spec)
        checks[f"{network.name}_forward"] = {"analytic": analytic, "tf_profiler": profiled}
    small = keras.Sequential([keras.Input((8, 8, 3)), layers.Conv2D(4, 3, strides=2, padding="same"),
                              layers.Conv2DTranspose(5, 5, strides=2, padding="same"),
                              layers.Flatten(), layers.Dense(7)])
    spec = tf.TensorSpec((batch_size, 8, 8, 3), tf.float32)

    def loss_and_gradients(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(small(x))
        return tape.gradient(loss, [x] + small.trainable_weights)

    forward = sum(flops for _, flops in layer_flops(small, batch_size))
    checks["small_forward_and_backward"] = {
        "analytic": 3 * forward,  # forward + input gradients + weight gradients, every layer
        "tf_profiler": profiler_flops(loss_and_gradients, spec)}
    for check in checks.values():
        check["agree"] = check["analytic"] == check["tf_profiler"]
    return checks


def matmul_gflops(size=2048, repeats=10):
    """Measured float32 matrix-multiply rate in GFLOP/s (median of ``repeats`` products)."""
    rng = np.random.default_rng(0)
    a = tf.constant(rng.standard_normal((size, size), dtype=np.float32))
    b = tf.constant(rng.standard_normal((size, size), dtype=np.float32))
    product = tf.function(lambda a, b: tf.reduce_sum(tf.matmul(a, b)))
    product(a, b).numpy()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        product(a, b).numpy()
        times.append(time.perf_counter() - start)
    return 2 * size**3 / statistics.median(times) / 1e9


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--networks", choices=("mlp", "dcgan", "both"), default="both",
                        help="network pair: notebook 03's MLPs, notebook 04's DCGAN, or both")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="images per step (default: the notebook's, 64 for mlp, 32 for dcgan)")
    parser.add_argument("--steps", type=int, default=50, help="training steps per timed repeat")
    parser.add_argument("--repeats", type=int, default=11, help="timed repeats per model")
    parser.add_argument("--warmup-steps", type=int, default=20,
                        help="steps of the untimed first fit per model (traces the graph)")
    parser.add_argument("--data", choices=DATASETS, default="random",
                        help="batches of uniform noise, or real images via ganlib.data (offline)")
    parser.add_argument("--data-batches", type=int, default=20,
                        help="distinct batches held in memory and cycled through")
    parser.add_argument("--matmul-size", type=int, default=2048,
                        help="side of the square float32 matrices timed for the machine's rate")
    parser.add_argument("--simultaneous", action="store_true",
                        help="also time the TensorFlow tutorial's simultaneous update (reported "
                             "apart: a different algorithm)")
    parser.add_argument("--steps-per-execution", type=int, default=1,
                        help="training steps per call into the compiled graph, for every model "
                             "(Keras' compile argument; fewer Python round trips per step)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for name in ("batch_size", "steps", "repeats", "warmup_steps", "data_batches", "matmul_size",
                 "steps_per_execution"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be an integer >= 1, got {getattr(args, name)}.")
    for name in ("steps", "warmup_steps"):
        if getattr(args, name) % args.steps_per_execution:
            parser.error(f"--{name.replace('_', '-')} must be a multiple of --steps-per-execution "
                         f"({args.steps_per_execution}), got {getattr(args, name)}.")
    return args


def main(argv=None):
    args = parse_args(argv)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # the v1 profiler's deprecation notes
    kinds = ("mlp", "dcgan") if args.networks == "both" else (args.networks,)
    report = {"machine": machine.summary(), "pairs": {}}
    for kind in kinds:
        report["pairs"][kind] = measure_pair(kind, args)
    report["matmul_gflops_float32"] = round(matmul_gflops(args.matmul_size), 1)
    report["matmul_size"] = args.matmul_size
    if "dcgan" in report["pairs"]:
        flops = report["pairs"]["dcgan"]["flops"]
        flops["ganlib_share_of_matmul_rate"] = round(
            flops["ganlib_effective_gflops"] / report["matmul_gflops_float32"], 3)
    report["machine"]["load_average_1_5_15_min_at_end"] = machine.load()
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
