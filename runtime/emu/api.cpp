// The CUDA runtime API of the emulation build, on host memory (see cuda_runtime.h). Every call
// completes before it returns, so streams are trivially in order and synchronising is a no-op.
// "Device" memory is tracked: a copy or memset whose device range is not inside one live
// allocation fails with cudaErrorInvalidValue, as a copy past the end of a buffer would on a GPU.
//
// Stream capture: a capturing stream collects its work as closures (ops) instead of running it;
// cudaStreamEndCapture moves them into a graph, cudaGraphInstantiate copies them into an executable
// graph and cudaGraphLaunch runs them in order. The device pointers in the ops are the ones given at
// capture, as in a CUDA graph: replaying is valid only while those buffers live.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "runtime/emu/emu.h"

struct CUevent_st {
  std::chrono::steady_clock::time_point at;
  bool recorded = false;
};
using Op = std::function<cudaError_t()>;
struct CUstream_st {
  cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
  cudaStreamCaptureMode mode = cudaStreamCaptureModeGlobal;
  std::thread::id capturing_thread;
  std::vector<Op> ops;  // the capture so far
};
struct CUgraph_st {
  std::vector<Op> ops;
};
struct CUgraphExec_st {
  std::vector<Op> ops;
};

namespace {

thread_local cudaError_t g_last_error = cudaSuccess;

cudaError_t record(cudaError_t e) {
  if (e != cudaSuccess) g_last_error = e;
  return e;
}

// The streams capturing now. Other host threads (the data loader's, allocating pinned memory) may
// call in while the main thread captures, hence the lock.
struct Captures {
  std::mutex mu;
  std::set<cudaStream_t> streams;
};
Captures& captures() {
  static Captures* c = new Captures;  // never destroyed, as the allocations
  return *c;
}

// A call that a capture in progress forbids: from any thread during a cudaStreamCaptureModeGlobal
// capture, from the capturing thread during a ThreadLocal one, never during a Relaxed one. It fails
// with `error` and invalidates those captures, as on a GPU, and cudaStreamEndCapture then reports
// it. Returns cudaSuccess when no capture forbids it.
cudaError_t forbidden_during_capture(cudaError_t error) {
  Captures& c = captures();
  std::lock_guard<std::mutex> lock(c.mu);
  bool forbidden = false;
  for (cudaStream_t s : c.streams)
    if (s->mode == cudaStreamCaptureModeGlobal ||
        (s->mode == cudaStreamCaptureModeThreadLocal && s->capturing_thread == std::this_thread::get_id())) {
      s->capture = cudaStreamCaptureStatusInvalidated;
      forbidden = true;
    }
  return forbidden ? record(error) : cudaSuccess;
}

// Work queued on s: run now, or recorded while s captures (dropped, with the capture's error, once
// the capture is invalidated). The legacy default stream (nullptr) never captures here, and while
// another stream captures its use is an implicit synchronisation with that stream: forbidden.
cudaError_t enqueue(cudaStream_t s, Op op) {
  if (!s) {
    if (cudaError_t e = forbidden_during_capture(cudaErrorStreamCaptureImplicit)) return e;
    return op();
  }
  if (s->capture == cudaStreamCaptureStatusInvalidated) return record(cudaErrorStreamCaptureInvalidated);
  if (s->capture == cudaStreamCaptureStatusActive) {
    s->ops.push_back(std::move(op));
    return cudaSuccess;
  }
  return op();
}

struct Allocations {
  std::mutex mu;
  std::map<uintptr_t, size_t> live;    // start -> bytes
  std::map<uintptr_t, size_t> pinned;  // cudaHostAlloc's blocks: host memory, not device ranges
};
Allocations& allocations() {
  static Allocations* a = new Allocations;  // never destroyed: tensors may be freed during static destruction
  return *a;
}

// True when [p, p + bytes) lies inside one live allocation.
bool is_device_range(const void* p, size_t bytes) {
  Allocations& a = allocations();
  std::lock_guard<std::mutex> lock(a.mu);
  const uintptr_t x = reinterpret_cast<uintptr_t>(p);
  auto it = a.live.upper_bound(x);
  if (it == a.live.begin()) return false;
  --it;
  return x >= it->first && x - it->first + bytes <= it->second;
}

}  // namespace

cudaError_t cudaMalloc(void** ptr, size_t bytes) {
  if (!ptr) return record(cudaErrorInvalidValue);
  if (cudaError_t e = forbidden_during_capture(cudaErrorStreamCaptureUnsupported)) return e;
  *ptr = nullptr;
  // 256-byte alignment as cudaMalloc's; the exact size, so that AddressSanitizer sees one element
  // past the end.
  if (posix_memalign(ptr, 256, bytes == 0 ? 1 : bytes) != 0) return record(cudaErrorMemoryAllocation);
  Allocations& a = allocations();
  std::lock_guard<std::mutex> lock(a.mu);
  a.live[reinterpret_cast<uintptr_t>(*ptr)] = bytes == 0 ? 1 : bytes;
  return cudaSuccess;
}

cudaError_t cudaFree(void* ptr) {
  if (!ptr) return cudaSuccess;
  if (cudaError_t e = forbidden_during_capture(cudaErrorStreamCaptureUnsupported)) return e;
  Allocations& a = allocations();
  {
    std::lock_guard<std::mutex> lock(a.mu);
    auto it = a.live.find(reinterpret_cast<uintptr_t>(ptr));
    if (it == a.live.end()) return record(cudaErrorInvalidValue);
    a.live.erase(it);
  }
  std::free(ptr);
  return cudaSuccess;
}

// Page-locked host memory is ordinary host memory here; it is tracked only so that cudaFreeHost of
// anything else (or twice) fails as on a GPU.
cudaError_t cudaHostAlloc(void** ptr, size_t bytes, unsigned int flags) {
  if (!ptr || flags != cudaHostAllocDefault) return record(cudaErrorInvalidValue);
  if (cudaError_t e = forbidden_during_capture(cudaErrorStreamCaptureUnsupported)) return e;
  *ptr = nullptr;
  if (posix_memalign(ptr, 4096, bytes == 0 ? 1 : bytes) != 0) return record(cudaErrorMemoryAllocation);
  Allocations& a = allocations();
  std::lock_guard<std::mutex> lock(a.mu);
  a.pinned[reinterpret_cast<uintptr_t>(*ptr)] = bytes;
  return cudaSuccess;
}

cudaError_t cudaFreeHost(void* ptr) {
  if (!ptr) return cudaSuccess;
  if (cudaError_t e = forbidden_during_capture(cudaErrorStreamCaptureUnsupported)) return e;
  Allocations& a = allocations();
  {
    std::lock_guard<std::mutex> lock(a.mu);
    if (a.pinned.erase(reinterpret_cast<uintptr_t>(ptr)) == 0) return record(cudaErrorInvalidValue);
  }
  std::free(ptr);
  return cudaSuccess;
}

namespace {
cudaError_t copy_now(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  if (bytes == 0) return cudaSuccess;
  if (kind == cudaMemcpyDefault)
    kind = cudaMemcpyKind((is_device_range(src, 1) ? 2 : 0) | (is_device_range(dst, 1) ? 1 : 0));
  const bool dst_dev = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
  const bool src_dev = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
  if ((dst_dev && !is_device_range(dst, bytes)) || (src_dev && !is_device_range(src, bytes)))
    return record(cudaErrorInvalidValue);
  std::memmove(dst, src, bytes);
  return cudaSuccess;
}

cudaError_t set_now(void* dst, int value, size_t bytes) {
  if (bytes == 0) return cudaSuccess;
  if (!is_device_range(dst, bytes)) return record(cudaErrorInvalidValue);
  std::memset(dst, value, bytes);
  return cudaSuccess;
}
}  // namespace

// The synchronous calls run on the legacy default stream.
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  return enqueue(nullptr, [=] { return copy_now(dst, src, bytes, kind); });
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t s) {
  return enqueue(s, [=] { return copy_now(dst, src, bytes, kind); });
}

cudaError_t cudaMemset(void* dst, int value, size_t bytes) {
  return enqueue(nullptr, [=] { return set_now(dst, value, bytes); });
}

cudaError_t cudaMemsetAsync(void* dst, int value, size_t bytes, cudaStream_t s) {
  return enqueue(s, [=] { return set_now(dst, value, bytes); });
}

cudaError_t cudaStreamCreate(cudaStream_t* s) {
  if (!s) return record(cudaErrorInvalidValue);
  *s = new CUstream_st;
  return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t s) {
  if (s && s->capture != cudaStreamCaptureStatusNone) return record(cudaErrorIllegalState);
  delete s;
  return cudaSuccess;
}
// Waiting for a capturing stream is waiting for work that has not run: forbidden in every mode.
cudaError_t cudaStreamSynchronize(cudaStream_t s) {
  if (s && s->capture != cudaStreamCaptureStatusNone) {
    s->capture = cudaStreamCaptureStatusInvalidated;
    return record(cudaErrorStreamCaptureUnsupported);
  }
  return forbidden_during_capture(cudaErrorStreamCaptureImplicit);  // the legacy stream (nullptr)
}
cudaError_t cudaDeviceSynchronize() { return forbidden_during_capture(cudaErrorStreamCaptureUnsupported); }

cudaError_t cudaStreamBeginCapture(cudaStream_t s, cudaStreamCaptureMode mode) {
  if (!s) return record(cudaErrorStreamCaptureUnsupported);  // the legacy stream cannot capture
  if (s->capture != cudaStreamCaptureStatusNone) return record(cudaErrorIllegalState);
  s->capture = cudaStreamCaptureStatusActive;
  s->mode = mode;
  s->capturing_thread = std::this_thread::get_id();
  s->ops.clear();
  std::lock_guard<std::mutex> lock(captures().mu);
  captures().streams.insert(s);
  return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t s, cudaGraph_t* graph) {
  if (!s || !graph) return record(cudaErrorInvalidValue);
  if (s->capture == cudaStreamCaptureStatusNone) return record(cudaErrorIllegalState);
  const bool invalidated = s->capture == cudaStreamCaptureStatusInvalidated;
  {
    std::lock_guard<std::mutex> lock(captures().mu);
    captures().streams.erase(s);
  }
  s->capture = cudaStreamCaptureStatusNone;
  *graph = invalidated ? nullptr : new CUgraph_st{std::move(s->ops)};
  s->ops.clear();
  return invalidated ? record(cudaErrorStreamCaptureInvalidated) : cudaSuccess;
}

cudaError_t cudaStreamIsCapturing(cudaStream_t s, cudaStreamCaptureStatus* status) {
  if (!status) return record(cudaErrorInvalidValue);
  *status = s ? s->capture : cudaStreamCaptureStatusNone;
  return cudaSuccess;
}

cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t graph, unsigned long long) {
  if (!exec || !graph) return record(cudaErrorInvalidValue);
  *exec = new CUgraphExec_st{graph->ops};
  return cudaSuccess;
}

// The recorded work in order, on s (itself recorded when s captures: a graph launched into a capture).
cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t s) {
  if (!exec) return record(cudaErrorInvalidValue);
  return enqueue(s, [exec] {
    for (const Op& op : exec->ops)
      if (cudaError_t e = op()) return e;
    return cudaSuccess;
  });
}

cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
  delete exec;
  return cudaSuccess;
}
cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
  delete graph;
  return cudaSuccess;
}

namespace p2p::emu {
void launch_on(cudaStream_t s, const char* kernel, dim3 grid, dim3 block,
               std::shared_ptr<const ThreadBody> thread_body) {
  enqueue(s, [=] {
    launch(
        kernel, grid, block, 0, [](const void* c) { (*static_cast<const ThreadBody*>(c))(); }, thread_body.get());
    return cudaSuccess;
  });
}
}  // namespace p2p::emu

cudaError_t cudaEventCreate(cudaEvent_t* e) {
  if (!e) return record(cudaErrorInvalidValue);
  *e = new CUevent_st;
  return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t e) {
  delete e;
  return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t) {
  if (!e) return record(cudaErrorInvalidValue);
  e->at = std::chrono::steady_clock::now();
  e->recorded = true;
  return cudaSuccess;
}
cudaError_t cudaEventSynchronize(cudaEvent_t e) { return e ? cudaSuccess : record(cudaErrorInvalidValue); }
// As CUDA: both events must have been recorded.
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  if (!ms || !start || !end || !start->recorded || !end->recorded) return record(cudaErrorInvalidValue);
  *ms = std::chrono::duration<float, std::milli>(end->at - start->at).count();
  return cudaSuccess;
}

cudaError_t cudaGetLastError() {
  const cudaError_t e = g_last_error;
  g_last_error = cudaSuccess;
  return e;
}
cudaError_t cudaPeekAtLastError() { return g_last_error; }

const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess:
      return "cudaSuccess";
    case cudaErrorInvalidValue:
      return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation:
      return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration:
      return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevice:
      return "cudaErrorInvalidDevice";
    case cudaErrorLaunchFailure:
      return "cudaErrorLaunchFailure";
    case cudaErrorIllegalState:
      return "cudaErrorIllegalState";
    case cudaErrorStreamCaptureUnsupported:
      return "cudaErrorStreamCaptureUnsupported";
    case cudaErrorStreamCaptureInvalidated:
      return "cudaErrorStreamCaptureInvalidated";
    case cudaErrorStreamCaptureImplicit:
      return "cudaErrorStreamCaptureImplicit";
  }
  return "cudaErrorUnknown";
}
const char* cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess:
      return "no error";
    case cudaErrorInvalidValue:
      return "invalid argument (emulation: a device range outside every live allocation?)";
    case cudaErrorMemoryAllocation:
      return "out of memory";
    case cudaErrorInvalidConfiguration:
      return "invalid configuration argument";
    case cudaErrorInvalidDevice:
      return "invalid device ordinal";
    case cudaErrorLaunchFailure:
      return "unspecified launch failure";
    case cudaErrorIllegalState:
      return "the operation is not permitted in the current state";
    case cudaErrorStreamCaptureUnsupported:
      return "operation not permitted when stream is capturing";
    case cudaErrorStreamCaptureInvalidated:
      return "operation failed due to a previous error during capture";
    case cudaErrorStreamCaptureImplicit:
      return "operation would make the legacy stream depend on a capturing blocking stream";
  }
  return "unknown error";
}

cudaError_t cudaGetDeviceCount(int* n) {
  *n = 1;
  return cudaSuccess;
}
cudaError_t cudaGetDevice(int* dev) {
  *dev = 0;
  return cudaSuccess;
}
cudaError_t cudaSetDevice(int dev) { return dev == 0 ? cudaSuccess : record(cudaErrorInvalidDevice); }

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int dev) {
  if (dev != 0) return record(cudaErrorInvalidDevice);
  *prop = cudaDeviceProp{};
  std::snprintf(prop->name, sizeof prop->name, "CUDA emulation: kernels run on the CPU, %d threads",
                p2p::emu::worker_threads());
  prop->totalGlobalMem = size_t(sysconf(_SC_PHYS_PAGES)) * size_t(sysconf(_SC_PAGESIZE));
  prop->sharedMemPerBlock = 48 * 1024;
  prop->warpSize = 32;
  prop->maxThreadsPerBlock = 1024;
  prop->maxThreadsDim[0] = prop->maxThreadsDim[1] = 1024;
  prop->maxThreadsDim[2] = 64;
  prop->maxGridSize[0] = 2147483647;
  prop->maxGridSize[1] = prop->maxGridSize[2] = 65535;
  prop->major = 9;  // the architecture the kernels are written for (sm_90)
  prop->minor = 0;
  prop->multiProcessorCount = p2p::emu::worker_threads();
  return cudaSuccess;
}
