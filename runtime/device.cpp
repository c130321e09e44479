#include "runtime/device.h"

#include "runtime/check.h"
#ifdef P2P_WITH_CUDA
#include "runtime/cuda_util.h"
#endif

namespace p2p {

const char* device_name(Device d) { return d == Device::CPU ? "cpu" : "cuda"; }

Device parse_device(const std::string& s) {
  if (s == "cpu") return Device::CPU;
  if (s == "cuda") return Device::CUDA;
  P2P_FAIL("unknown device '" << s << "' (expected cpu or cuda)");
}

bool built_with_cuda() {
#ifdef P2P_WITH_CUDA
  return true;
#else
  return false;
#endif
}

bool cuda_available() {
#ifdef P2P_WITH_CUDA
  static const bool ok = [] {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      cudaGetLastError();  // clear the sticky "no driver" error
      return false;
    }
    return n > 0;
  }();
  return ok;
#else
  return false;
#endif
}

std::string cuda_device_info() {
#ifdef P2P_WITH_CUDA
  if (!cuda_available()) return "no CUDA device found";
  int dev = 0;
  CUDA_CHECK(cudaGetDevice(&dev));
  cudaDeviceProp prop{};
  CUDA_CHECK(cudaGetDeviceProperties(&prop, dev));
  return std::string(prop.name) + " (sm_" + std::to_string(prop.major) + std::to_string(prop.minor) + ", " +
         std::to_string(prop.totalGlobalMem >> 20) + " MiB)";
#else
  return "this build has no CUDA support";
#endif
}

void synchronize() {
#ifdef P2P_WITH_CUDA
  if (cuda_available()) CUDA_CHECK(cudaStreamSynchronize(cuda::stream()));
#endif
}

#ifdef P2P_WITH_CUDA
namespace cuda {
namespace {
// A created (blocking) stream rather than the legacy default one: graph capture needs it, and being
// blocking it still orders itself after plain cudaMemcpy calls on the default stream.
cudaStream_t g_stream = nullptr;
}  // namespace
cudaStream_t stream() {
  if (!g_stream) CUDA_CHECK(cudaStreamCreate(&g_stream));
  return g_stream;
}
void set_stream(cudaStream_t s) { g_stream = s; }
}  // namespace cuda
#endif

}  // namespace p2p
