#!/usr/bin/env bash
# Optional Debian packages, installed when root with apt-get; everything in the course also runs without them.
# - dataset-fashion-mnist: the full Fashion-MNIST (about 30 MB); without it the notebooks use the
#   subsets shipped in data/.
# - chromium and chromium-driver: headless Chromium for the slide tests (tests/test_slides.py skips its
#   browser tests without it) and the slides' PDFs (scripts/export_slides.py).
can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }
updated=no
apt_install() {  # apt_install PACKAGE...: succeeds when all were installed
  can_apt || return 1
  if [ "$updated" = no ]; then
    timeout 300 apt-get update -qq >/dev/null 2>&1 || return 1
    updated=yes
  fi
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq "$@" >/dev/null 2>&1
}

dir=/usr/share/datasets/fashion-mnist
if [ ! -f "$dir/train-images-idx3-ubyte.gz" ]; then
  can_apt && echo "installing the Debian package dataset-fashion-mnist (full Fashion-MNIST) ..."
  if apt_install dataset-fashion-mnist; then
    echo "installed full Fashion-MNIST in $dir"
  else
    echo "note: full Fashion-MNIST not installed (needs root and apt-get: apt-get install dataset-fashion-mnist);"
    echo "      the notebooks use the Fashion-MNIST subset shipped in data/ instead."
  fi
fi

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  can_apt && echo "installing the Debian packages chromium and chromium-driver (headless browser for slides) ..."
  if apt_install chromium chromium-driver; then
    echo "installed $(chromium --version 2>/dev/null)"
  else
    echo "note: chromium not installed (needs root and apt-get: apt-get install chromium chromium-driver);"
    echo "      the slide screenshot and PDF tests skip, and the slides are exported without PDFs."
  fi
fi
exit 0
