"""From notebook 04's DCGAN to a modern baseline (R3GAN, Huang et al. 2024), one change at a time.

Each configuration of the roadmap keeps the ones before it and adds one change:

- ``dcgan``: notebook 04's "cpu" configuration (``ganlib.dcgan`` networks with batch norm,
  the non-saturating loss, Adam 2e-3 with beta_1 0.5 decayed to 0 along a cosine);
- ``rpgan``: the relativistic pairing loss (``losses.PAIRS["relativistic"]``);
- ``r1``: R1, the zero-centred penalty on real images (``GAN(r1_weight=gamma)``);
- ``r2``: R2, the same on generated images;
- ``resnet``: ``ganlib.r3gan``'s residual networks without normalization and Adam without
  momentum (``r3gan.optimizers``: beta_1 0, beta_2 0.99, the same cosine); with ``--networks
  recipe`` (notebook 08's) only the discriminator changes, the generator stays notebook 04's;
- ``average``: sampling from the generator's weight average (``GAN(average_momentum=...)``).

Every configuration trains for the same number of steps on full Fashion-MNIST batches (when
installed, else the shipped subset), and is scored like notebook 04 (``Evaluator.evaluate``:
FD, precision, recall, classes hit) at the end and at ``--eval-at`` steps; it reports its CPU
seconds and wall seconds of training (evaluations excluded). One JSON report on stdout.

    python benchmarks/modern_gan.py --steps 3000 > benchmarks/results/modern_gan_<date>.json
    python benchmarks/modern_gan.py --configs average --steps 6000 --g-widths 64,32,16
    python benchmarks/modern_gan.py --configs average --networks dcgan   # the recipe on notebook 04's networks
    python benchmarks/modern_gan.py --networks recipe --d-blocks 0,1,1   # notebook 08's roadmap (section 3)
"""

import argparse
import json
import os
import sys
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import machine  # noqa: E402  (benchmarks/machine.py, beside this script)

import ganlib  # noqa: E402
from ganlib import dcgan, losses, r3gan  # noqa: E402

ROADMAP = ("dcgan", "rpgan", "r1", "r2", "resnet", "average")
ROOT = Path(__file__).resolve().parent.parent


def build(config, args):
    """A compiled ``ganlib.GAN`` for one roadmap configuration (every earlier change included)."""
    step = ROADMAP.index(config)
    from_resnet = step >= ROADMAP.index("resnet")
    residual_d = from_resnet if args.networks in ("roadmap", "recipe") else args.networks == "resnet"
    residual_g = residual_d and args.networks != "recipe"  # notebook 08's recipe keeps notebook 04's generator
    if residual_g:
        generator = r3gan.build_generator(args.latent_dim, widths=args.g_widths, blocks=args.g_blocks)
    else:
        generator = dcgan.build_generator(latent_dim=args.latent_dim, filters=args.g_filters)
    if residual_d:
        discriminator = r3gan.build_discriminator(widths=args.d_widths, blocks=args.d_blocks)
        optimizers = r3gan.optimizers(args.r3_learning_rate, decay_steps=args.steps)
    else:
        discriminator = dcgan.build_discriminator()
        optimizers = dcgan.optimizers(2e-3, decay_steps=args.steps)  # notebook 04's
    gan = ganlib.GAN(generator, discriminator, latent_dim=args.latent_dim, seed=args.seed,
                     r1_weight=args.gamma if step >= ROADMAP.index("r1") else 0.0,
                     r2_weight=args.gamma if step >= ROADMAP.index("r2") else 0.0,
                     penalty_every=args.penalty_every,
                     average_momentum=args.average_momentum if config == "average" else None)
    pair = losses.PAIRS["relativistic" if step >= ROADMAP.index("rpgan") else "bce"]
    gan.compile(**optimizers, d_loss_fn=pair[0], g_loss_fn=pair[1])
    return gan


def run(config, args, evaluator):
    ganlib.utils.seed_everything(args.seed)
    gan = build(config, args)
    data = ganlib.data.load("fashion_mnist", batch_size=args.batch_size, seed=args.seed,
                            drop_remainder=True, source=args.source).repeat()
    result = {"parameters": {"generator": gan.generator.count_params(),
                             "discriminator": gan.discriminator.count_params()}, "points": []}
    done = cpu_seconds = wall_seconds = 0.0
    for target in sorted({*args.eval_at, args.steps}):
        if target > args.steps:
            continue
        cpu, wall = time.process_time(), time.perf_counter()
        gan.fit(data, epochs=1, steps_per_epoch=int(target - done), verbose=0)
        cpu_seconds += time.process_time() - cpu
        wall_seconds += time.perf_counter() - wall
        done = target
        scores = evaluator.evaluate(gan.generate(evaluator.sample_size))
        point = {"steps": int(done), "cpu_seconds": round(cpu_seconds, 1), "wall_seconds": round(wall_seconds, 1),
                 **{name: round(float(scores[name]), 4) for name in ("fd", "precision", "recall", "classes_hit")}}
        result["points"].append(point)
        print(json.dumps({"config": config, **point}), file=sys.stderr, flush=True)
    result.update(result["points"][-1])
    return result


def penalty_cost(args, rounds=3, steps=40):
    """CPU milliseconds per step of the last configuration with R1 and R2 every step and every
    ``args.penalty_every``-th step (lazy), and with no penalty: the models take turns, A B C, B C A, ..."""
    config = args.configs[-1]
    data = ganlib.data.load("fashion_mnist", batch_size=args.batch_size, seed=args.seed, drop_remainder=True,
                            source=args.source).repeat()
    variants = {"every step": dict(penalty_every=1), f"every {args.penalty_every} steps": {},
                "no penalty": dict(gamma=0.0)}
    models = {}
    for name, change in variants.items():
        ganlib.utils.seed_everything(args.seed)
        models[name] = build(config, argparse.Namespace(**{**vars(args), **change}))
        models[name].fit(data, epochs=1, steps_per_epoch=steps // 4, verbose=0)  # trace, warm up
    spent = {name: [] for name in models}
    names = list(models)
    for round_ in range(rounds):
        for name in names[round_ % len(names):] + names[:round_ % len(names)]:
            start = time.process_time()
            models[name].fit(data, epochs=1, steps_per_epoch=steps, verbose=0)
            spent[name].append(1000 * (time.process_time() - start) / steps)
    return {"config": config, "steps_per_round": steps,
            "cpu_ms_per_step": {name: round(sorted(values)[len(values) // 2], 1) for name, values in spent.items()},
            "cpu_ms_per_step_all": {name: [round(value, 1) for value in values] for name, values in spent.items()}}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default=",".join(ROADMAP), help=f"comma-separated subset of {ROADMAP}")
    parser.add_argument("--steps", type=int, default=3000, help="training steps of every configuration")
    parser.add_argument("--eval-at", default="", help="comma-separated earlier steps to score too")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--latent-dim", type=int, default=100)
    parser.add_argument("--gamma", type=float, default=0.1, help="weight of R1 and R2")
    parser.add_argument("--penalty-every", type=int, default=1, help="R1 and R2 on every n-th D step, times n")
    parser.add_argument("--average-momentum", type=float, default=0.999)
    parser.add_argument("--networks", choices=("roadmap", "recipe", "dcgan", "resnet"), default="roadmap",
                        help="roadmap: notebook 04's networks up to 'resnet', then r3gan's; recipe: notebook 08's, "
                             "r3gan's discriminator from 'resnet' on with notebook 04's generator throughout; or one "
                             "kind throughout")
    parser.add_argument("--g-filters", type=int, default=24, help="width of notebook 04's generator")
    parser.add_argument("--g-widths", default="64,32,16")
    parser.add_argument("--d-widths", default="16,32,64")
    parser.add_argument("--g-blocks", default="1", help="blocks per stage: one number, or one per stage")
    parser.add_argument("--d-blocks", default="1")
    parser.add_argument("--r3-learning-rate", type=float, default=1e-3)
    parser.add_argument("--source", choices=("auto", "full", "subset"), default="auto")
    parser.add_argument("--cache-dir", default=str(ROOT / "build"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--penalty-cost", action="store_true",
                        help="instead of training: CPU ms per step of the last configuration with R1 and R2 "
                             "every step, every --penalty-every steps, and none, side by side")
    args = parser.parse_args(argv)

    def numbers(text, name):
        try:
            values = tuple(int(value) for value in text.split(",") if value.strip())
        except ValueError:
            parser.error(f"--{name} expects comma-separated integers, got {text!r}.")
        return values

    args.configs = machine.chosen_configs(parser, args.configs, ROADMAP)
    if args.steps < 1:
        parser.error(f"--steps must be an integer >= 1, got {args.steps}.")
    args.eval_at = numbers(args.eval_at, "eval-at")
    args.g_widths, args.d_widths = numbers(args.g_widths, "g-widths"), numbers(args.d_widths, "d-widths")
    for name in ("g_blocks", "d_blocks"):
        blocks = numbers(getattr(args, name), name.replace("_", "-"))
        setattr(args, name, blocks[0] if len(blocks) == 1 else blocks)
    return args


def main(argv=None):
    args = parse_args(argv)
    report = {"machine": machine.summary(), "date": date.today().isoformat(),
              "arguments": machine.portable_arguments(args)}
    if args.penalty_cost:
        report["penalty_cost"] = penalty_cost(args)
    else:
        evaluator = ganlib.metrics.Evaluator("fashion_mnist", source=args.source, seed=args.seed,
                                             cache_dir=args.cache_dir)
        report["evaluation"] = {"extractor": evaluator.extractor, "sample_size": evaluator.sample_size,
                                "data": evaluator.train.source}
        report["configs"] = {config: run(config, args, evaluator) for config in args.configs}
    report["machine"]["load_average_1_5_15_min_at_end"] = machine.load()
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
