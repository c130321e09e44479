#!/usr/bin/env bash
# setup.sh: install the Debian packages this project builds against. Safe to run again.
#   Catch2 v2 (tests), CLI11 (command line), libjpeg-turbo and libpng (image decoding), stb (BMP
#   decoding, image writing), Google Benchmark (bench/), clang and its sanitizer runtimes (the
#   fuzzers, tools/fuzz.sh),
#   Boost.Context (the fibers of the CUDA emulation build, runtime/emu), Chromium (the headless browser
#   check of the training report, tools/browser_check.sh), cmake and a C++ compiler. The CUDA toolkit, cuDNN and cuBLAS are not Debian packages here:
#   install them from NVIDIA; without nvcc the project builds for the CPU alone.
set -euo pipefail
pkgs=(cmake g++ make catch2 libcli11-dev libjpeg62-turbo-dev libpng-dev libstb-dev libbenchmark-dev
  libboost-context-dev clang libclang-rt-14-dev chromium)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all packages present (${pkgs[*]})"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "setup: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
