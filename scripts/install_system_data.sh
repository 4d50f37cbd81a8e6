#!/usr/bin/env bash
# Optional: install the full Fashion-MNIST (Debian package dataset-fashion-mnist, about 30 MB).
# Everything in the course also runs without it, on the subsets shipped in data/.
dir=/usr/share/datasets/fashion-mnist
if [ -f "$dir/train-images-idx3-ubyte.gz" ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing the Debian package dataset-fashion-mnist (full Fashion-MNIST) ..."
  if timeout 300 apt-get update -qq >/dev/null 2>&1 &&
     DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1; then
    echo "installed full Fashion-MNIST in $dir"
    exit 0
  fi
fi
echo "note: full Fashion-MNIST not installed (needs root and apt-get: apt-get install dataset-fashion-mnist);"
echo "      the notebooks use the Fashion-MNIST subset shipped in data/ instead."
