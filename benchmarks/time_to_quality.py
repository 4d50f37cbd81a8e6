"""Wall-clock training time to a quality rung: the course's DCGAN against the TensorFlow tutorial's.

Two configurations train with ``ganlib.GAN`` (Algorithm 1) on the same data:

- ``course``: notebook 04's default ("cpu") configuration: ``ganlib.dcgan`` networks with
  24 filters and depth 2, batch 32, latent 100, ``ganlib.dcgan.optimizers(2e-3, decay_steps=...)``
  (Adam, beta_1 0.5, the step falling to 0 along a cosine over ``--course-epochs`` epochs);
- ``tutorial``: the networks of the TensorFlow docs DCGAN tutorial
  (tensorflow.org/tutorials/generative/dcgan), written below, batch 256, Adam 1e-4 for both
  networks, noise 100. (The tutorial updates both networks from one generator pass; here it
  trains with Algorithm 1 like the course, so only the configuration differs.)

Every ``--eval-every`` seconds of training time, the generator's images from fixed noise are
scored by ``ganlib.metrics.Evaluator`` (FD on the reference classifier's features, the same
extractor and sample size for both); the clock stops while it evaluates. A configuration
stops when its FD is at or below the ladder's rung (by default "real + noise 0.1"), or at
``--max-minutes`` of training. The time to the rung is the training time of the first
evaluation at or below it, so it is accurate to ``--eval-every`` seconds.

Run (the real measurement, on a quiet machine):
    .venv/bin/python benchmarks/time_to_quality.py --max-minutes 30 --eval-every 30
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")

import keras  # noqa: E402
import machine  # noqa: E402  (benchmarks/machine.py, beside this script)
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402
from throughput import training_step_flops  # noqa: E402

import ganlib  # noqa: E402

LATENT_DIM = 100
IMAGE_SHAPE = (28, 28, 1)
CONFIGS = ("course", "tutorial")
ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------------------------------------
# The two configurations
# ---------------------------------------------------------------------------------------------

def build_tutorial_generator():
    """The TensorFlow DCGAN tutorial's generator: 7x7x256 -> 7x7x128 -> 14x14x64 -> 28x28x1."""
    noise = keras.Input((LATENT_DIM,), name="noise")
    x = layers.Dense(7 * 7 * 256, use_bias=False)(noise)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU()(x)
    x = layers.Reshape((7, 7, 256))(x)
    x = layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU()(x)
    x = layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU()(x)
    images = layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False,
                                    activation="tanh")(x)
    return keras.Model(noise, images, name="tutorial_generator")


def build_tutorial_discriminator():
    """The TensorFlow DCGAN tutorial's discriminator: two 5x5 stride-2 convolutions, one logit."""
    images = keras.Input(IMAGE_SHAPE, name="image")
    x = layers.Conv2D(64, 5, strides=2, padding="same")(images)
    x = layers.LeakyReLU()(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Conv2D(128, 5, strides=2, padding="same")(x)
    x = layers.LeakyReLU()(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Flatten()(x)
    logits = layers.Dense(1)(x)
    return keras.Model(images, logits, name="tutorial_discriminator")


COURSE = dict(filters=24, depth=2, learning_rate=2e-3)  # notebook 04's "cpu" preset
COURSE_EPOCHS = 6


def make_config(name, course_batch_size=32, course_decay_steps=None):
    """``(generator, discriminator, optimizers, batch_size, description)`` of a configuration."""
    if name == "course":
        networks = dict(filters=COURSE["filters"], depth=COURSE["depth"])
        schedule = (f"cosine to 0 over {course_decay_steps} steps" if course_decay_steps
                    else "constant")
        return (ganlib.dcgan.build_generator(latent_dim=LATENT_DIM, image_shape=IMAGE_SHAPE, **networks),
                ganlib.dcgan.build_discriminator(input_shape=IMAGE_SHAPE, **networks),
                ganlib.dcgan.optimizers(COURSE["learning_rate"], decay_steps=course_decay_steps),
                course_batch_size,
                f"notebook 04: ganlib.dcgan filters 24 depth 2, Adam 2e-3 beta_1 0.5 ({schedule}), "
                f"batch {course_batch_size}, latent 100")
    return (build_tutorial_generator(), build_tutorial_discriminator(),
            {"d_optimizer": keras.optimizers.Adam(1e-4), "g_optimizer": keras.optimizers.Adam(1e-4)},
            256, "TensorFlow DCGAN tutorial networks, Adam 1e-4 both, batch 256, noise 100")


# ---------------------------------------------------------------------------------------------
# Training against the clock
# ---------------------------------------------------------------------------------------------

class QualityClock(keras.callbacks.Callback):
    """Times training (not evaluation), evaluates on schedule, stops at the rung or the cap.

    Args:
        evaluate: ``f(generator) -> FD`` of the generator's images.
        target_fd: the rung's FD; reaching it (FD <= target) stops training unless
            ``keep_going``.
        eval_every: seconds of training time between evaluations.
        max_seconds: training time after which training stops.
        keep_going: train to ``max_seconds`` even after the rung is reached.
    """

    def __init__(self, evaluate, target_fd, eval_every, max_seconds, keep_going=False):
        super().__init__()
        self.evaluate = evaluate
        self.target_fd = target_fd
        self.eval_every = eval_every
        self.max_seconds = max_seconds
        self.keep_going = keep_going
        self.curve = []
        self.seconds_to_rung = None
        self.training_seconds = 0.0
        self.steps = 0

    def on_train_begin(self, logs=None):
        self._record()  # the untrained generator, at 0 s
        self.next_evaluation = self.eval_every
        self.resumed = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.training_seconds += time.perf_counter() - self.resumed
        self.steps += 1
        if self.steps == 1:
            self.first_step_seconds = self.training_seconds  # tracing the graph, filling buffers
        capped = self.training_seconds >= self.max_seconds
        if capped or self.training_seconds >= self.next_evaluation:
            self._record()
            # the next multiple of eval_every (a slow step may have skipped some)
            self.next_evaluation = (self.training_seconds // self.eval_every + 1) * self.eval_every
        reached = self.seconds_to_rung is not None
        if capped or (reached and not self.keep_going):
            self.model.stop_training = True
        self.resumed = time.perf_counter()  # the evaluation's time is not training time

    def _record(self):
        fd = float(self.evaluate(self.model.generator))
        self.curve.append({"seconds": round(self.training_seconds, 2), "steps": self.steps,
                           "fd": round(fd, 4)})
        if self.seconds_to_rung is None and fd <= self.target_fd:
            self.seconds_to_rung = round(self.training_seconds, 2)


def run_config(name, args, evaluator, target_fd, noise):
    """Train one configuration against the clock; its curve and time to the rung as a dict."""
    ganlib.utils.seed_everything(args.seed)
    decay_steps = args.course_epochs * (len(evaluator.train) // args.course_batch_size) or None
    generator, discriminator, optimizers, batch_size, description = make_config(
        name, args.course_batch_size, decay_steps)
    gan = ganlib.GAN(generator, discriminator, latent_dim=LATENT_DIM, seed=args.seed)
    gan.compile(**optimizers)
    dataset = ganlib.data.load(args.dataset, batch_size=batch_size, seed=args.seed,
                               with_labels=False, source=args.source, drop_remainder=True)

    def evaluate(generator):
        # Evaluator.evaluate's FD alone (its classifier features against its reference sample),
        # without the neighbour searches behind precision, recall and memorisation.
        images = keras.ops.convert_to_numpy(generator(noise, training=False))
        features = ganlib.metrics.classifier_outputs(evaluator.classifier, images)["features"]
        return ganlib.metrics.frechet_distance(evaluator.reference_features, features)

    clock = QualityClock(evaluate, target_fd, args.eval_every, args.max_minutes * 60,
                         keep_going=args.keep_going)
    gan.fit(dataset, epochs=10**6, verbose=0, callbacks=[clock])  # the clock stops it
    steps_per_epoch = len(evaluator.train) // batch_size  # full batches only (drop_remainder)
    result = {
        "description": description,
        "batch_size": batch_size,
        "parameters": {"generator": generator.count_params(),
                       "discriminator": discriminator.count_params()},
        # FLOPs of Algorithm 1 per training image (dense and convolution layers), as
        # throughput.py counts them
        "training_mflops_per_image": round(training_step_flops(generator, discriminator, 1) / 1e6, 1),
        "training_seconds": round(clock.training_seconds, 2),
        "steps": clock.steps,
        "first_step_seconds": round(clock.first_step_seconds, 2),
        "epochs": round(clock.steps / steps_per_epoch, 2),
        "images_per_second": round(clock.steps * batch_size / max(clock.training_seconds, 1e-9), 1),
        "seconds_to_rung": clock.seconds_to_rung,
        "best_fd": min(point["fd"] for point in clock.curve),
        "curve": clock.curve,
    }
    if clock.seconds_to_rung is None:
        result["note"] = (f"did not reach the rung (FD {target_fd:.3f}) within "
                          f"{args.max_minutes:g} minutes of training")
    return result


def compare(results, max_seconds):
    """The tutorial's time to the rung over the course's, or a bound and a note."""
    course = results.get("course", {}).get("seconds_to_rung")
    tutorial = results.get("tutorial", {}).get("seconds_to_rung")
    if "course" not in results or "tutorial" not in results:
        return {"ratio_tutorial_over_course": None, "note": "only one configuration ran"}
    if course is None:
        return {"ratio_tutorial_over_course": None,
                "note": "the course configuration did not reach the rung within the cap"}
    if course == 0:
        return {"ratio_tutorial_over_course": None,
                "note": "the untrained course generator is already at or below the rung"}
    if tutorial is None:
        return {"ratio_tutorial_over_course": None,
                "ratio_at_least": round(max_seconds / course, 2),
                "note": "the tutorial configuration never reached the rung within the cap, so "
                        "the ratio is at least cap / course time"}
    return {"ratio_tutorial_over_course": round(tutorial / course, 2)}


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="course,tutorial",
                        help="comma-separated configurations to run (course, tutorial)")
    parser.add_argument("--max-minutes", type=float, default=30.0,
                        help="cap on each configuration's training time, in minutes (default 30)")
    parser.add_argument("--eval-every", type=float, default=30.0,
                        help="seconds of training time between evaluations (default 30)")
    parser.add_argument("--rung", default="real + noise 0.1",
                        help="ladder rung whose FD counts as reached (default 'real + noise 0.1')")
    parser.add_argument("--rung-fd", type=float, default=None,
                        help="use this FD as the target instead of computing the ladder (e.g. the "
                             "rung_fd of an earlier run with the same data and sample size)")
    parser.add_argument("--keep-going", action="store_true",
                        help="train to --max-minutes even after reaching the rung (full curves)")
    parser.add_argument("--course-batch-size", type=int, default=32,
                        help="batch of the course configuration (default 32, notebook 04's)")
    parser.add_argument("--course-epochs", type=int, default=COURSE_EPOCHS,
                        help="epochs over which the course configuration's step size decays "
                             f"(default {COURSE_EPOCHS}, notebook 04's; 0: a constant step)")
    parser.add_argument("--dataset", choices=("fashion_mnist", "mnist"), default="fashion_mnist")
    parser.add_argument("--source", choices=("auto", "full", "subset"), default="auto",
                        help="data for training and evaluation (ganlib.data sources; offline)")
    parser.add_argument("--sample-size", type=int, default=None,
                        help="images per evaluation (default: the Evaluator's, 2,000 on full data)")
    parser.add_argument("--cache-dir", default=str(ROOT / "build"),
                        help="where the Evaluator caches the ladder (default build/)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    args.configs = machine.chosen_configs(parser, args.configs, CONFIGS)
    if args.course_epochs < 0:
        parser.error(f"--course-epochs must be an integer >= 0, got {args.course_epochs}.")
    if args.course_batch_size < 1:
        parser.error(f"--course-batch-size must be an integer >= 1, got {args.course_batch_size}.")
    if not args.max_minutes > 0:
        parser.error(f"--max-minutes must be > 0, got {args.max_minutes}.")
    if args.rung_fd is not None and not args.rung_fd > 0:
        parser.error(f"--rung-fd must be > 0, got {args.rung_fd}.")
    if not args.eval_every > 0:
        parser.error(f"--eval-every must be > 0 seconds, got {args.eval_every}.")
    return args


def main(argv=None):
    args = parse_args(argv)
    report = {"machine": machine.summary()}
    evaluator = ganlib.metrics.Evaluator(args.dataset, sample_size=args.sample_size,
                                         source=args.source, seed=args.seed,
                                         cache_dir=args.cache_dir)
    if args.rung_fd is None:
        ladder = evaluator.ladder()
        if args.rung not in ladder:
            raise ValueError(f"Unknown rung {args.rung!r}; expected one of {', '.join(ladder)}.")
        target_fd, rung = ladder[args.rung]["fd"], args.rung
    else:
        target_fd, rung = args.rung_fd, f"given by --rung-fd (not computed: {args.rung})"
    noise = np.random.default_rng(args.seed + 1).standard_normal(
        (evaluator.sample_size, LATENT_DIM)).astype(np.float32)  # the same for every evaluation
    report["evaluation"] = {
        "extractor": evaluator.extractor, "sample_size": evaluator.sample_size,
        "data": evaluator.train.source, "rung": rung, "rung_fd": target_fd,
        "eval_every_seconds": args.eval_every, "max_minutes": args.max_minutes}
    report["configs"] = {name: run_config(name, args, evaluator, target_fd, noise)
                         for name in args.configs}
    report.update(compare(report["configs"], args.max_minutes * 60))
    report["machine"]["load_average_1_5_15_min_at_end"] = machine.load()
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
