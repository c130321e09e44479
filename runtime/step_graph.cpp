#include "runtime/step_graph.h"

#include "runtime/allocator.h"
#include "runtime/check.h"
#ifdef P2P_WITH_CUDA
#include "runtime/cuda_util.h"
#endif

namespace p2p {

namespace {
size_t device_frees() { return allocator_stats().gpu_frees; }
size_t device_allocations() {
  const AllocatorStats s = allocator_stats();
  return s.cuda_mallocs + s.cache_hits;
}
}  // namespace

StepGraph::~StepGraph() { drop_graph(); }

void StepGraph::drop_graph() {
#ifdef P2P_WITH_CUDA
  if (exec_) CUDA_CHECK(cudaGraphExecDestroy(exec_));
#endif
  exec_ = nullptr;
}

void StepGraph::reset() {
  drop_graph();
  warm_ = false;
}

StepGraph::Mode StepGraph::run(bool graphed, const std::string& key, const std::function<void()>& step,
                               const char* what) {
  P2P_CHECK(!graphed || built_with_cuda(), what << ": a CUDA graph needs a CUDA build");
  if (!warm_ || key != key_ || device_frees() != frees_) reset();
  Mode mode = Mode::ungraphed;
  if (graphed && warm_) {
    mode = exec_ ? Mode::replayed : Mode::captured;
    if (!exec_) capture(step, what);
#ifdef P2P_WITH_CUDA
    CUDA_CHECK(cudaGraphLaunch(exec_, cuda::stream()));
#endif
  } else {
    step();
    if (device_frees() != frees_) drop_graph();  // the step itself freed a block the graph may hold
  }
  warm_ = true;
  key_ = key;
  frees_ = device_frees();
  return mode;
}

void StepGraph::capture(const std::function<void()>& step, const char* what) {
#ifdef P2P_WITH_CUDA
  const std::string where = std::string("capturing ") + what + " into a CUDA graph (--no-graph runs without)";
  const cudaStream_t s = cuda::stream();
  const size_t allocations = device_allocations(), frees = device_frees();
  // Thread-local: the calls a capture forbids are forbidden to this thread, not to the data loader's
  // threads, which may allocate pinned memory meanwhile (the global mode would fail them).
  CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
  cudaGraph_t graph = nullptr;
  try {
    step();
  } catch (const std::exception& e) {
    // End the broken capture so that the stream works again, then report what broke it.
    if (cudaStreamEndCapture(s, &graph) == cudaSuccess) cudaGraphDestroy(graph);
    cudaGetLastError();
    P2P_FAIL(where << ": " << e.what());
  }
  const cudaError_t err = cudaStreamEndCapture(s, &graph);
  P2P_CHECK(err == cudaSuccess, where << ": " << cudaGetErrorName(err)
                                      << " (the step made a call CUDA forbids during a capture: a synchronisation, "
                                         "cudaMalloc or a synchronous copy)");
  if (device_allocations() != allocations || device_frees() != frees) {
    cudaGraphDestroy(graph);
    P2P_FAIL(where << ": the step allocated (" << device_allocations() - allocations << ") or freed ("
                   << device_frees() - frees
                   << ") device memory after its first run: a graph must reuse the first run's buffers");
  }
  CUDA_CHECK(cudaGraphInstantiate(&exec_, graph, 0));
  CUDA_CHECK(cudaGraphDestroy(graph));
#else
  (void)step;
  P2P_FAIL(what << ": a CUDA graph needs a CUDA build");
#endif
}

}  // namespace p2p
