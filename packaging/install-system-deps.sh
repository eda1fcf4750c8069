#!/usr/bin/env bash
# Installs the Debian packages Qt needs to draw (offscreen and under Xvfb), fonts, and the
# validators the packaging tests run (desktop-file-utils, appstream), and the tools the
# PyInstaller build uses on Linux (binutils: strip, nm, ld; icu-devtools: icupkg, genccode).
# As root with apt it installs what is missing; otherwise it prints the command to run.
set -euo pipefail
pkgs=(libegl1 libgl1 libx11-6 libdbus-1-3 libfontconfig1 libfreetype6 libglib2.0-0
      libxkbcommon0 fonts-dejavu-core
      xvfb xauth libx11-xcb1 libxcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0
      libxcb-keysyms1 libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0
      libxcb-shm0 libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xkb1 libxkbcommon-x11-0
      desktop-file-utils appstream binutils icu-devtools)
command -v dpkg-query >/dev/null || { echo "install-system-deps: not a Debian system; skipping"; exit 0; }
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "install-system-deps: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-system-deps: missing Debian packages: ${missing[*]}"
  echo "  run: sudo apt-get install ${missing[*]}"
fi
