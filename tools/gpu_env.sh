# Sourced by tools/gpu_check.sh and tools/gpu_bench.sh on a GPU machine: the CMake arguments of a
# Release build (cmake_args) and the library path for the dependencies found there. On a machine
# without a package registry, first unpack the Debian packages with tools/offline-deps.sh .deps (or
# any prefix in $DEPS): they are picked up from .deps/usr; cuDNN from the device's Python wheel.
# shellcheck shell=bash
cmake_args=(-DCMAKE_BUILD_TYPE=Release)
deps=${DEPS:-.deps}
if [ -d "$deps/usr" ]; then
  cmake_args+=("-DCMAKE_PREFIX_PATH=$PWD/$deps/usr"
    "-Dbenchmark_DIR=$PWD/$deps/usr/lib/x86_64-linux-gnu/cmake/benchmark")
  export LD_LIBRARY_PATH="$PWD/$deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
fi
if cudnn=$(python3 -c 'import nvidia.cudnn as m; print(m.__path__[0])' 2> /dev/null); then
  cmake_args+=("-DCUDNN_ROOT=$cudnn")
  export LD_LIBRARY_PATH="$cudnn/lib:${LD_LIBRARY_PATH:-}"
fi
