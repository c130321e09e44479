#!/usr/bin/env bash
# offline-deps.sh [DIR]: the Debian packages the project builds and runs against (the libraries of
# tools/setup.sh, without the compilers and the emulation's Boost), downloaded and unpacked under DIR
# (default .deps) for a machine with a compiler and CUDA but no package registry, such as the lent
# GPU machine. Nothing is installed system-wide. There:
#     cmake -B build -DCMAKE_PREFIX_PATH="$PWD/.deps/usr"
#     export LD_LIBRARY_PATH="$PWD/.deps/usr/lib/x86_64-linux-gnu:$LD_LIBRARY_PATH"
# (tools/gpu_check.sh does both). Run it where apt works, after `apt-get update`.
set -euo pipefail
dir=${1:-.deps}
pkgs=(catch2 libcli11-dev libstb-dev libstb0 libbenchmark-dev libbenchmark1debian
  libjpeg62-turbo-dev libjpeg62-turbo libpng-dev libpng16-16 zlib1g-dev zlib1g)
mkdir -p "$dir/debs"
dir=$(cd "$dir" && pwd)
(cd "$dir/debs" && apt-get download "${pkgs[@]}" > /dev/null) || {
  echo "offline-deps: apt-get download failed (run 'apt-get update' once first)" >&2
  exit 1
}
for deb in "$dir"/debs/*.deb; do dpkg -x "$deb" "$dir"; done
# Some development links are absolute (libz.so -> /lib/x86_64-linux-gnu/libz.so.1.2.13): point them
# at the unpacked copy (relatively), which the other machine may not have at that path.
find "$dir" -type l | while read -r link; do
  target=$(readlink "$link")
  if [[ $target == /* && -e "$dir$target" ]]; then ln -sfr "$dir$target" "$link"; fi
done
echo "offline-deps: unpacked ${#pkgs[@]} packages under $dir/usr"
