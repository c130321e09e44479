#include "runtime/device.h"

#include <atomic>
#include <cstdlib>

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

bool cuda_emulated() {
#ifdef P2P_CUDA_EMULATION
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
constexpr unsigned kDefaultGridCap = 65535 * 32;
std::atomic<unsigned> g_grid_cap{0};  // 0: not set yet (read P2P_GRID_CAP)

// P2P_CUDA_SYNC=1: wait for every kernel right after its launch.
bool sync_after_launch() {
  static const bool on = [] {
    const char* v = std::getenv("P2P_CUDA_SYNC");
    return v && *v && std::string(v) != "0";
  }();
  return on;
}

// A created (blocking) stream rather than the legacy default one: graph capture needs it, and being
// blocking it still orders itself after plain cudaMemcpy calls on the default stream.
cudaStream_t g_stream = nullptr;
}  // namespace
cudaStream_t stream() {
  if (!g_stream) CUDA_CHECK(cudaStreamCreate(&g_stream));
  return g_stream;
}
void set_stream(cudaStream_t s) { g_stream = s; }

unsigned grid_cap() {
  unsigned cap = g_grid_cap.load();
  if (cap == 0) {
    cap = kDefaultGridCap;
    if (const char* v = std::getenv("P2P_GRID_CAP"); v && *v) {
      char* end = nullptr;
      const unsigned long x = std::strtoul(v, &end, 10);
      P2P_CHECK(*end == 0 && x >= 1 && x <= kDefaultGridCap,
                "P2P_GRID_CAP=" << v << ": expected a number of blocks in [1, " << kDefaultGridCap << "]");
      cap = unsigned(x);
    }
    g_grid_cap = cap;
  }
  return cap;
}
void set_grid_cap(unsigned blocks) { g_grid_cap = blocks == 0 ? kDefaultGridCap : blocks; }

unsigned grid_for(int64_t n, int block) {
  const int64_t g = (n + block - 1) / block, cap = grid_cap();
  return static_cast<unsigned>(g < cap ? g : cap);
}

void check_launch(const char* kernel) {
  cudaError_t err = cudaGetLastError();
  P2P_CHECK(err == cudaSuccess, "CUDA error launching kernel " << kernel << ": " << cudaGetErrorName(err) << " ("
                                                               << cudaGetErrorString(err) << ")");
  if (!sync_after_launch()) return;
  cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
  CUDA_CHECK(cudaStreamIsCapturing(stream(), &capture));
  if (capture != cudaStreamCaptureStatusNone) return;  // a captured kernel runs only when its graph does
  err = cudaStreamSynchronize(stream());
  P2P_CHECK(err == cudaSuccess, "CUDA error in kernel " << kernel << " (P2P_CUDA_SYNC=1): " << cudaGetErrorName(err)
                                                        << " (" << cudaGetErrorString(err) << ")");
}
}  // namespace cuda
#endif

}  // namespace p2p
