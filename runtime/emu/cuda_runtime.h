// CUDA emulation: the <cuda_runtime.h> of the emulation build (cmake -DP2P_CUDA_EMULATION=ON).
//
// Every .cu file of the project compiles unchanged with g++ against this header, and its kernels run
// on the CPU: for learning (printf, gdb, any machine) and for checking kernels where no GPU is lent.
// It provides:
//   - the CUDA keywords: __global__, __device__, __host__ and __forceinline__ are plain C++;
//     __launch_bounds__ is dropped; __align__(n) is an alignment attribute; __shared__ is
//     `static thread_local`: one OS thread runs one block at a time, so each running block has its
//     own copy, shared by its threads (see block.cpp);
//   - the built-ins threadIdx, blockIdx, blockDim, gridDim (the running fiber's), dim3, uint3,
//     float4 / make_float4, __ldg, min / max, warpSize, and the <cmath> functions;
//   - __syncthreads(): a barrier over the block; the warp collectives __shfl_sync, __shfl_up_sync,
//     __shfl_down_sync, __shfl_xor_sync, __ballot_sync, __all_sync, __any_sync and __syncwarp: the
//     lanes named in the mask meet at the call and nowhere else (Volta's independent thread
//     scheduling), so code that assumes the lanes of a warp run in lockstep fails here too;
//   - <mma.h>: the WMMA subset the TF32 convolutions use (runtime/emu/mma.h: its fragment layout and
//     its arithmetic), each _sync call a collective of the whole warp;
//   - the runtime API that runtime/ uses, on host memory and synchronous: cudaMalloc / cudaFree,
//     cudaHostAlloc / cudaFreeHost (page-locked staging: plain host memory here),
//     cudaMemcpy(Async) / cudaMemset(Async) (device ranges are checked against live allocations),
//     streams as in-order queues (every call completes before it returns), synchronize, last error,
//     device count and properties, events (a record takes the host clock: the emulated work before
//     it is done by then, so elapsed times are the emulation's CPU times);
//   - stream capture and CUDA graphs (cudaStreamBeginCapture / EndCapture / IsCapturing,
//     cudaGraphInstantiate, cudaGraphLaunch and the destroys): while a stream captures, its kernel
//     launches (with copies of their arguments) and its cudaMemcpyAsync / cudaMemsetAsync are
//     recorded instead of run, and a graph launch replays them in order. The calls a GPU forbids during
//     a capture (cudaMalloc, cudaFree, cudaHostAlloc, cudaFreeHost, the synchronous cudaMemcpy /
//     cudaMemset, cudaStreamSynchronize of the capturing stream, cudaDeviceSynchronize: from any
//     thread in cudaStreamCaptureModeGlobal, from the capturing one in ThreadLocal; in Relaxed only
//     the synchronisation of the capturing stream) fail with the error a GPU gives and invalidate
//     the capture, so that code which would break a capture on the GPU breaks here too.
// Launches go through p2p::cuda::launch (runtime/launch.h), which under nvcc is <<<...>>>.
//
// How kernels run (block.cpp): the threads of a block are cooperative fibers (Boost.Context), each
// running until it reaches a barrier, a warp collective or its end; then the next runs. The order in
// which runnable threads are resumed is the schedule: in order, reversed or seeded random
// (p2p::emu::set_schedule, or P2P_EMU_SCHEDULE=forward|reverse|random[:seed]). A correct kernel gives
// the same bits under every schedule; a missing __syncthreads does not. Blocks run on a few OS
// threads (P2P_EMU_THREADS, default: the cores, at most 8; 1 for gdb).
//
// Checked like CUDA and reported as a p2p::Error naming the kernel and the block: launch
// configurations (block size and dimensions, grid limits, dynamic shared memory <= 48 KB: static
// shared memory over 48 KB is already a compile error of ptxas in the nvcc build, which CI also
// builds); a barrier some threads of the block never reach (they exited or wait elsewhere); warp
// collectives whose lanes disagree (another mask or another collective), whose mask misses the
// calling lane, that read a lane outside the mask, or that wait for lanes that exited. Not
// emulated: atomics, dynamic (extern) shared memory, textures, cooperative groups, streams running
// concurrently; shuffles of two disjoint lane groups of one warp in flight at once are reported as
// a mismatch.
#pragma once
#ifndef P2P_CUDA_EMULATION
#error "runtime/emu/cuda_runtime.h is the CUDA emulation's header: build with -DP2P_CUDA_EMULATION=ON"
#endif

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

// ---- Keywords ----
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
#define __shared__ static thread_local

// ---- Vector types ----
struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
};
struct __attribute__((aligned(16))) float4 {
  float x, y, z, w;
};
struct __attribute__((aligned(8))) float2 {
  float x, y;
};
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
inline float2 make_float2(float x, float y) { return float2{x, y}; }

constexpr int warpSize = 32;

// ---- The emulator's interface to the kernels (implemented in block.cpp) ----
namespace p2p::emu {

// The indices of the fiber running on this OS thread, set by the scheduler before each resume. A
// function rather than an extern thread_local: GCC 12 miscompiles -fsanitize=null's check of an
// extern TLS variable's address (it reports a null address that is not).
struct ThreadState {
  uint3 thread_idx, block_idx;
  dim3 block_dim, grid_dim;
};
const ThreadState& current_thread();

void syncthreads();

enum class Collective { shfl, shfl_up, shfl_down, shfl_xor, ballot, syncwarp, apply };
// The calling lane's part of a warp collective: returns once every lane of `mask` has called it.
// value: this lane's operand bits; arg: source lane, delta or lane mask; width: segment width.
uint64_t warp_collective(Collective op, unsigned mask, uint64_t value, int arg, int width);

// A whole-warp operation on data each lane holds (the WMMA calls of runtime/emu/mma.h): returns once
// all 32 lanes of the warp have called it with the same `name` (a string literal, compared by
// address); the last lane to arrive runs fn(lanes), lanes[l] = lane l's `operand` (alive on its
// waiting fiber's stack), which reads and writes every lane's data in one exchange. fn returns null,
// or an error message (the lanes passed different arguments, a misaligned pointer), which fails the
// kernel like any collective whose lanes disagree.
using WarpFn = const char* (*)(void* const* lanes);
void warp_apply(const char* name, void* operand, WarpFn fn);
// Whether the running launch's schedule is other than forward (runtime/emu/mma.h then reverses the
// order of the elements in each lane's fragment).
bool unordered_schedule();

template <class T>
T shuffle(Collective op, unsigned mask, T var, int arg, int width) {
  static_assert(sizeof(T) <= sizeof(uint64_t) && std::is_trivially_copyable_v<T>, "shuffle of a type over 8 bytes");
  uint64_t bits = 0;
  std::memcpy(&bits, &var, sizeof(T));
  bits = warp_collective(op, mask, bits, arg, width);
  T out;
  std::memcpy(&out, &bits, sizeof(T));
  return out;
}

}  // namespace p2p::emu

// ---- Built-in variables ----
#define threadIdx (::p2p::emu::current_thread().thread_idx)
#define blockIdx (::p2p::emu::current_thread().block_idx)
#define blockDim (::p2p::emu::current_thread().block_dim)
#define gridDim (::p2p::emu::current_thread().grid_dim)

// ---- Synchronisation and warp collectives ----
inline void __syncthreads() { ::p2p::emu::syncthreads(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) {
  ::p2p::emu::warp_collective(::p2p::emu::Collective::syncwarp, mask, 0, 0, warpSize);
}
template <class T>
T __shfl_sync(unsigned mask, T var, int src_lane, int width = warpSize) {
  return ::p2p::emu::shuffle(::p2p::emu::Collective::shfl, mask, var, src_lane, width);
}
template <class T>
T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = warpSize) {
  return ::p2p::emu::shuffle(::p2p::emu::Collective::shfl_up, mask, var, int(delta), width);
}
template <class T>
T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = warpSize) {
  return ::p2p::emu::shuffle(::p2p::emu::Collective::shfl_down, mask, var, int(delta), width);
}
template <class T>
T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = warpSize) {
  return ::p2p::emu::shuffle(::p2p::emu::Collective::shfl_xor, mask, var, lane_mask, width);
}
inline unsigned __ballot_sync(unsigned mask, int predicate) {
  return unsigned(::p2p::emu::warp_collective(::p2p::emu::Collective::ballot, mask, predicate != 0, 0, warpSize));
}
inline int __all_sync(unsigned mask, int predicate) { return __ballot_sync(mask, predicate) == mask; }
inline int __any_sync(unsigned mask, int predicate) { return __ballot_sync(mask, predicate) != 0; }

// ---- Device functions ----
template <class T>
inline T __ldg(const T* p) {
  return *p;
}
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
inline long min(long a, long b) { return a < b ? a : b; }
inline long max(long a, long b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline unsigned long min(unsigned long a, unsigned long b) { return a < b ? a : b; }
inline unsigned long max(unsigned long a, unsigned long b) { return a > b ? a : b; }
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }

// ---- Runtime API ----
enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidDevice = 101,
  cudaErrorIllegalState = 401,
  cudaErrorLaunchFailure = 719,
  cudaErrorStreamCaptureUnsupported = 900,
  cudaErrorStreamCaptureInvalidated = 901,
  cudaErrorStreamCaptureImplicit = 906,
};
using cudaError = cudaError_t;
enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};
struct CUstream_st;
using cudaStream_t = CUstream_st*;

struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
  size_t sharedMemPerBlock;
  int warpSize;
  int maxThreadsPerBlock;
  int maxThreadsDim[3];
  int maxGridSize[3];
  int major, minor;
  int multiProcessorCount;
};

cudaError_t cudaMalloc(void** ptr, size_t bytes);
template <class T>
cudaError_t cudaMalloc(T** ptr, size_t bytes) {
  return cudaMalloc(reinterpret_cast<void**>(ptr), bytes);
}
cudaError_t cudaFree(void* ptr);
// Page-locked host memory: plain host memory here (every copy is synchronous anyway); only
// cudaHostAllocDefault is accepted, and cudaFreeHost of a pointer it did not return fails.
constexpr unsigned int cudaHostAllocDefault = 0;
cudaError_t cudaHostAlloc(void** ptr, size_t bytes, unsigned int flags);
cudaError_t cudaFreeHost(void* ptr);
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t s = nullptr);
cudaError_t cudaMemset(void* dst, int value, size_t bytes);
cudaError_t cudaMemsetAsync(void* dst, int value, size_t bytes, cudaStream_t s = nullptr);
cudaError_t cudaStreamCreate(cudaStream_t* s);
cudaError_t cudaStreamDestroy(cudaStream_t s);
cudaError_t cudaStreamSynchronize(cudaStream_t s);
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaGetLastError();
cudaError_t cudaPeekAtLastError();
const char* cudaGetErrorName(cudaError_t e);
const char* cudaGetErrorString(cudaError_t e);
cudaError_t cudaGetDeviceCount(int* n);
cudaError_t cudaGetDevice(int* dev);
cudaError_t cudaSetDevice(int dev);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int dev);
struct CUevent_st;
using cudaEvent_t = CUevent_st*;
cudaError_t cudaEventCreate(cudaEvent_t* e);
cudaError_t cudaEventDestroy(cudaEvent_t e);
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s = nullptr);
cudaError_t cudaEventSynchronize(cudaEvent_t e);
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end);

// ---- Stream capture and graphs ----
enum cudaStreamCaptureMode {
  cudaStreamCaptureModeGlobal = 0,
  cudaStreamCaptureModeThreadLocal = 1,
  cudaStreamCaptureModeRelaxed = 2,
};
enum cudaStreamCaptureStatus {
  cudaStreamCaptureStatusNone = 0,
  cudaStreamCaptureStatusActive = 1,
  cudaStreamCaptureStatusInvalidated = 2,
};
struct CUgraph_st;
struct CUgraphExec_st;
using cudaGraph_t = CUgraph_st*;
using cudaGraphExec_t = CUgraphExec_st*;
cudaError_t cudaStreamBeginCapture(cudaStream_t s, cudaStreamCaptureMode mode);
// The recorded graph, or cudaErrorStreamCaptureInvalidated (and no graph) when a forbidden call broke it.
cudaError_t cudaStreamEndCapture(cudaStream_t s, cudaGraph_t* graph);
cudaError_t cudaStreamIsCapturing(cudaStream_t s, cudaStreamCaptureStatus* status);
cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t graph, unsigned long long flags = 0);
cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t s);
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec);
cudaError_t cudaGraphDestroy(cudaGraph_t graph);
