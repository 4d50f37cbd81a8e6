"""Train the frozen reference classifiers behind ganlib.metrics, once, with fixed seeds.

    python scripts/train_reference_classifiers.py                # both
    python scripts/train_reference_classifiers.py mnist          # one

Writes ``ganlib/classifiers/<name>_cnn.keras`` (the network only, no optimizer state) and
records in ``ganlib/classifiers/records.json`` how each was made: seed, data, epochs, test
accuracy, the file's sha256 and the accuracy on the 1,000 test images shipped in ``data/``
that ``ganlib.metrics.load_classifier`` re-checks on every load.

Fashion-MNIST trains on the full 60,000 training images (needs the Debian package
dataset-fashion-mnist, see ``make system-data``) and is tested on the full 10,000 test images;
MNIST trains on the 4,000-image subset shipped in ``data/`` and is tested on its 1,000 test images.
"""

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import ganlib  # noqa: E402
from ganlib import data, metrics  # noqa: E402

SEED = 0
BATCH_SIZE = 128
LEARNING_RATE = 1e-3
RECIPES = {"fashion_mnist": dict(source="full", epochs=10),
           "mnist": dict(source="subset", epochs=30)}


def train(name: str) -> dict:
    """Train, test and save one classifier; return its record."""
    recipe = RECIPES[name]
    ganlib.utils.seed_everything(SEED)
    train_split = data.load_arrays(name, "train", source=recipe["source"])
    test_split = data.load_arrays(name, "test", source=recipe["source"])
    check_split = data.load_arrays(name, "test", source="subset")
    print(f"{name}: training on {train_split.source}", flush=True)

    classifier = metrics.build_reference_classifier(name=metrics.extractor_name(name))
    steps = recipe["epochs"] * -(-len(train_split) // BATCH_SIZE)
    classifier.compile(keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(LEARNING_RATE, steps)),
                       keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    start = time.perf_counter()
    classifier.fit(train_split.images, train_split.labels, batch_size=BATCH_SIZE,
                   epochs=recipe["epochs"], verbose=2)
    seconds = time.perf_counter() - start

    # Save a fresh copy holding only the weights: the optimizer state would triple the file.
    frozen = metrics.build_reference_classifier(name=classifier.name)
    frozen.set_weights(classifier.get_weights())
    path = metrics.CLASSIFIER_DIR / f"{classifier.name}.keras"
    path.parent.mkdir(exist_ok=True)
    frozen.save(path)

    def accuracy(split):
        logits = metrics.classifier_outputs(frozen, split.images)["logits"]
        return metrics.label_accuracy(logits, split.labels)

    return dict(file=path.name, sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                parameters=frozen.count_params(), seed=SEED, epochs=recipe["epochs"],
                batch_size=BATCH_SIZE, learning_rate=f"{LEARNING_RATE} with cosine decay",
                train_data=train_split.source, test_data=test_split.source,
                test_accuracy=accuracy(test_split), check_data=check_split.source,
                check_accuracy=accuracy(check_split), training_seconds=round(seconds, 1),
                keras=keras.__version__, tensorflow=tf.__version__)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"any of {', '.join(RECIPES)} (default: all)")
    names = parser.parse_args(argv).names or list(RECIPES)
    if set(names) - set(RECIPES):
        parser.error(f"unknown classifier {sorted(set(names) - set(RECIPES))}; expected {', '.join(RECIPES)}")
    records = json.loads(metrics.RECORDS_FILE.read_text()) if metrics.RECORDS_FILE.exists() else {}
    for name in names:
        records[name] = train(name)
        metrics.RECORDS_FILE.write_text(json.dumps(records, indent=2, sort_keys=True) + "\n")
        print(json.dumps({name: records[name]}, indent=2), flush=True)


if __name__ == "__main__":
    main()
