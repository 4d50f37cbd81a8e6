"""Levers on notebook 04's precision: wider networks, other kernels or losses, averaging, truncation.

Trains notebook 04's "cpu" configuration (batch 32, Adam 2e-3 with beta_1 0.5 decayed to 0
along a cosine, depth 2, latent 100, full Fashion-MNIST when installed) with the changes given,
and prints one JSON report: the quality of the raw generator and of the exponential moving
average of its weights (kept by Keras' ``use_ema`` on the generator's Adam; this does not
change training), each on the evaluator's sample size and the notebook's ladder rung.
``--generator PATH`` instead evaluates a saved generator with its noise scaled by each
``--truncation`` factor (the truncation trick: precision for recall).

    python benchmarks/precision_levers.py --filters 64 --d-filters 32
    python benchmarks/precision_levers.py --generator build/models/04_dcgan_generator.keras
"""
import argparse
import contextlib
import json
import sys
import time
from pathlib import Path

import keras
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import machine  # noqa: E402  (benchmarks/machine.py)
from time_to_quality import COURSE, COURSE_EPOCHS, IMAGE_SHAPE, LATENT_DIM  # noqa: E402  notebook 04 "cpu"

import ganlib  # noqa: E402
from ganlib import dcgan  # noqa: E402

LOSSES = {"standard": {},  # GAN.compile's default: the non-saturating loss of notebooks 02-04
          "hinge": dict(d_loss_fn=ganlib.losses.hinge_discriminator_loss,
                        g_loss_fn=ganlib.losses.hinge_generator_loss),
          "lsgan": dict(d_loss_fn=ganlib.losses.lsgan_discriminator_loss,
                        g_loss_fn=ganlib.losses.lsgan_generator_loss)}


def evaluate(evaluator, images, rung):
    found = evaluator.evaluate(images)
    return {"fd": float(found["fd"]), "fd_vs_rung": float(found["fd"] / rung),
            "precision": float(found["precision"]), "recall": float(found["recall"]),
            "classes_hit": int(found["classes_hit"])}


def train(args, evaluator, rung):
    ganlib.utils.seed_everything(args.seed)
    data = ganlib.data.load("fashion_mnist", batch_size=32, seed=args.seed, drop_remainder=True,
                            source=args.source)
    steps_per_epoch = args.steps_per_epoch or int(data.cardinality())
    generator = dcgan.build_generator(latent_dim=LATENT_DIM, filters=args.filters,
                                      depth=COURSE["depth"], kernel_size=args.kernel_size)
    discriminator = dcgan.build_discriminator(IMAGE_SHAPE, filters=args.d_filters or args.filters,
                                              depth=COURSE["depth"], kernel_size=args.kernel_size)
    gan = ganlib.GAN(generator, discriminator, latent_dim=LATENT_DIM, seed=args.seed)
    optimizers = dcgan.optimizers(COURSE["learning_rate"], decay_steps=args.epochs * steps_per_epoch)
    # Keras' optimizer keeps the average; set before the optimizer is built by compile
    optimizers["g_optimizer"].use_ema = True
    optimizers["g_optimizer"].ema_momentum = args.ema_momentum
    gan.compile(**optimizers, **LOSSES[args.loss])
    start = time.perf_counter()
    gan.fit(data, epochs=args.epochs, steps_per_epoch=args.steps_per_epoch, verbose=0)
    report = {"training_minutes": (time.perf_counter() - start) / 60, "data": data.source}
    for name in ("raw", "average"):
        if name == "average":  # the average written into the generator's weights
            optimizers["g_optimizer"].finalize_variable_values(generator.trainable_variables)
        keras.utils.set_random_seed(args.seed + 1)  # the same noise for both
        report[name] = evaluate(evaluator, gan.generate(evaluator.sample_size), rung)
    return report


def truncate(args, evaluator, rung):
    generator = keras.models.load_model(args.generator)
    rng = np.random.default_rng(1)
    report = {}
    for scale in args.truncation:
        noise = (scale * rng.standard_normal((evaluator.sample_size, LATENT_DIM))).astype("float32")
        images = keras.ops.convert_to_numpy(generator(noise, training=False))
        report[f"noise_scale_{scale:g}"] = evaluate(evaluator, images, rung)
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--filters", type=int, default=COURSE["filters"], help="G's width")
    parser.add_argument("--d-filters", type=int, default=None, help="D's width (default: --filters)")
    parser.add_argument("--kernel-size", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=COURSE_EPOCHS)
    parser.add_argument("--loss", choices=sorted(LOSSES), default="standard")
    parser.add_argument("--steps-per-epoch", type=int, default=None, help="default: the whole set")
    parser.add_argument("--ema-momentum", type=float, default=0.999)
    parser.add_argument("--generator", default=None, help="a saved generator: truncation only")
    parser.add_argument("--truncation", type=float, nargs="+", default=[1.0, 0.9, 0.8, 0.7])
    parser.add_argument("--source", choices=("auto", "full", "subset"), default="auto")
    parser.add_argument("--cache-dir", default=str(ROOT / "build"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not 0 < args.ema_momentum < 1:
        parser.error(f"--ema-momentum must be in (0, 1), got {args.ema_momentum}")
    evaluator = ganlib.metrics.Evaluator("fashion_mnist", source=args.source, seed=args.seed,
                                         cache_dir=args.cache_dir)
    with contextlib.redirect_stdout(sys.stderr):  # the ladder's first-time progress bar
        rung = evaluator.ladder()["real + noise 0.1"]["fd"]
    report = {"arguments": machine.portable_arguments(args), "machine": ganlib.utils.device_summary(),
              "sample_size": evaluator.sample_size, "rung_fd": rung}
    report.update(truncate(args, evaluator, rung) if args.generator else train(args, evaluator, rung))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
