#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages pipit builds and tests with (as root, or
# through sudo). Does nothing when they are all present.
set -euo pipefail
packages=(build-essential autoconf automake libtool pkg-config
          libpng-dev libtiff-dev zlib1g-dev libcunit1-dev
          libasan8 libubsan1 libtsan2
          elastix)  # transformix: the TransformParameters file tests
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
        missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
