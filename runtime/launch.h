// Kernel launches. Every launch site in kernels/ and runtime/ writes
//     P2P_LAUNCH(kernel, grid, block, args...);
// (a template kernel in parentheses: P2P_LAUNCH((kernel<A, B>), grid, block, args...)). Under nvcc that
// is kernel<<<grid, block, 0, cuda::stream()>>>(args...) and a check whose error names the kernel; in the
// emulation build (runtime/emu) the same kernel runs on the CPU, its configuration checked as CUDA does.
// With P2P_CUDA_SYNC=1 every launch also waits for its kernel and checks it, so that an asynchronous
// fault is pinned on the kernel that caused it (for the first runs on a real GPU).
#pragma once
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

#include "runtime/cuda_util.h"
#ifdef P2P_CUDA_EMULATION
#include "runtime/emu/emu.h"
#endif

namespace p2p::cuda {

template <class... Params, class... Args>
void launch(const char* kernel, void (*fn)(Params...), dim3 grid, dim3 block, Args&&... args) {
#ifdef P2P_CUDA_EMULATION
  // The launch keeps copies of the arguments (a captured launch replays after the caller's are gone),
  // and each emulated CUDA thread calls fn with its own copies of those, as a GPU thread gets them.
  auto saved = std::make_tuple(std::decay_t<Args>(std::forward<Args>(args))...);
  emu::launch_on(stream(), kernel, grid, block,
                 std::make_shared<const emu::ThreadBody>([fn, saved] { std::apply(fn, saved); }));
#elif defined(__CUDACC__)
  // clang-format would split the chevrons.
  // clang-format off
  fn<<<grid, block, 0, stream()>>>(std::forward<Args>(args)...);
  // clang-format on
#endif
  check_launch(kernel);
}

}  // namespace p2p::cuda

#define P2P_LAUNCH(kernel, grid, block, ...) ::p2p::cuda::launch(#kernel, kernel, grid, block, __VA_ARGS__)
