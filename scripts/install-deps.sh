#!/usr/bin/env bash
# Installs what ctnn needs from Debian 12 packages; does nothing when all are present.
set -euo pipefail

packages=(g++ make cmake libboost-dev libxsimd-dev catch2 zlib1g-dev libeigen3-dev libopenmpi-dev openmpi-bin dataset-fashion-mnist
          python3-matplotlib python3-sklearn)
# Extra packages for one script (the benchmark's PyTorch), space-separated.
read -r -a extra <<< "${CTNN_EXTRA_PACKAGES:-}"
packages+=("${extra[@]}")
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]} > 0)); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "Installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
