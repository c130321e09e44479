// A training step as one CUDA graph: the step's work on cuda::stream() is captured once, then
// launched whole, one launch instead of hundreds and no host work per kernel.
//
// A graph holds the device pointers and the kernel arguments of its capture, so a replay is the
// step only while those hold: every value that changes from step to step lives in device memory
// (Adam's t and lr: kernels/adam.h; the dropout offsets: runtime/random.h), and every buffer the
// step uses is the one it used at the capture. run() keeps the second:
//   - a step whose key (its input shapes) differs from the last step's, or that follows a free of
//     device memory (the graph may hold the freed block; the allocator counts frees), runs
//     ungraphed: it allocates what it needs, and any graph is dropped;
//   - the next graphed step captures the step (in the thread-local mode) and launches the graph.
//     The capture must neither allocate nor free device memory (checked), and a call CUDA forbids
//     during a capture (a synchronisation, cudaMalloc, a synchronous copy) fails it: both are errors
//     naming the step;
//   - later graphed steps only launch the graph. An ungraphed step in between (graphed false: a
//     step the host watches) runs the same kernels on the same buffers and keeps the graph.
// The caller copies the step's inputs into its fixed buffers before run() and reads its results
// after: neither is part of the graph.
#pragma once
#include <cstddef>
#include <functional>
#include <string>

struct CUgraphExec_st;  // cudaGraphExec_t, in the toolkit's header and in the emulation's

namespace p2p {

class StepGraph {
 public:
  enum class Mode { ungraphed, captured, replayed };

  StepGraph() = default;
  ~StepGraph();
  StepGraph(const StepGraph&) = delete;
  StepGraph& operator=(const StepGraph&) = delete;

  // Runs step() as above; what names the step in errors. graphed needs a CUDA build.
  Mode run(bool graphed, const std::string& key, const std::function<void()>& step, const char* what);
  // Drops the graph and makes the next step an ungraphed one (after a load into the step's buffers).
  void reset();

 private:
  void drop_graph();
  void capture(const std::function<void()>& step, const char* what);

  CUgraphExec_st* exec_ = nullptr;
  bool warm_ = false;  // a step of key_ ran, and no device memory was freed since (frees_)
  std::string key_;
  size_t frees_ = 0;
};

}  // namespace p2p
