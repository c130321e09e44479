#!/usr/bin/env bash
# train_demo.sh: the first command on a fresh machine. Installs the dependencies, builds (Release),
# trains pix2pix and evaluates it:
#   data:  facades when present ($FACADES, else ../shared/data/facades next to the repo, else
#          datasets/facades), trained labels -> photo (BtoA); otherwise synthetic pairs written by
#          `gan synth` into datasets/synthetic.
#   size:  on a GPU the paper's model (256x256, unet_256, 200 epochs; MAX_ITERS to stop earlier);
#          on the CPU a small one (64x64, 6 U-Net levels, 16 filters, MAX_ITERS steps, default 300).
# Then `gan test` writes results/<name>/test_latest/index.html and prints L1, PSNR and SSIM.
#   BUILD_DIR (default build), JOBS (default: all cores), CMAKE_ARGS (extra configure flags),
#   NAME (default: demo_<data>), MAX_ITERS.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }

say "installing the build dependencies (tools/setup.sh)"
bash tools/setup.sh
build=${BUILD_DIR:-build}
say "building in $build (Release)"
# shellcheck disable=SC2086
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DP2P_BUILD_TESTS=OFF ${CMAKE_ARGS:-}
cmake --build "$build" --target gan -j "${JOBS:-$(nproc)}"
p2p="$build/tools/gan"

facades=""
for dir in "${FACADES:-}" ../shared/data/facades datasets/facades; do
  if [ -n "$dir" ] && [ -d "$dir/train" ]; then
    facades=$dir
    break
  fi
done
if [ -n "$facades" ]; then
  data=$facades
  kind=facades
  say "dataset: facades at $data (labels -> photo: --direction BtoA)"
else
  data=datasets/synthetic
  kind=synthetic
  if [ ! -d "$data/train" ]; then
    say "facades not found (set FACADES=/path or run data/download_facades.sh); writing synthetic pairs to $data"
    "$p2p" synth --out "$data" --count 400 --test-count 50 --size 256
  fi
  say "dataset: synthetic pairs in $data (labels -> photo: --direction BtoA)"
fi

name=${NAME:-demo_$kind}
if nvidia-smi -L > /dev/null 2>&1 && grep -q "^CMAKE_CUDA_COMPILER:.*nvcc" "$build/CMakeCache.txt"; then
  say "GPU found: the paper's model at 256x256 (unet_256, 200 epochs${MAX_ITERS:+, stopping at $MAX_ITERS steps})"
  args=(--device cuda --netG unet_256 --load-size 286 --crop-size 256 --epochs 100 --epochs-decay 100
        --max-iters "${MAX_ITERS:-0}")
else
  iters=${MAX_ITERS:-300}
  say "no GPU: a small model on the CPU (64x64, 6 U-Net levels, ngf/ndf 16, $iters steps)"
  args=(--device cpu --load-size 72 --crop-size 64 --num-downs 6 --ngf 16 --ndf 16 --max-iters "$iters"
        --print-freq 20 --sample-freq 100)
fi

say "training: $p2p train --dataroot $data --name $name --direction BtoA ${args[*]}"
"$p2p" train --dataroot "$data" --name "$name" --direction BtoA "${args[@]}"

say "testing: $p2p test --dataroot $data --name $name"
"$p2p" test --dataroot "$data" --name "$name"
say "done: checkpoints in checkpoints/$name, samples in checkpoints/$name/samples, results in results/$name"
