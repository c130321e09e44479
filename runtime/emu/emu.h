// The CUDA emulation's host-side controls (the device side is runtime/emu/cuda_runtime.h, which
// documents the whole emulation). Only in the emulation build (P2P_CUDA_EMULATION).
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace p2p::emu {

// The order in which a block's runnable threads are resumed between two barriers. A kernel whose
// result depends on it has a race: the op tests compare the bits of several orders.
enum class Order { forward, reverse, random };
struct Schedule {
  Order order = Order::forward;
  uint64_t seed = 0;  // random: each block and each barrier phase get their own permutation of it
};
// The schedule of the following launches; the initial one comes from P2P_EMU_SCHEDULE
// (forward | reverse | random[:seed]), else forward.
void set_schedule(const Schedule& s);
Schedule schedule();
Schedule parse_schedule(const std::string& text);  // throws p2p::Error on anything else
std::string schedule_name(const Schedule& s);

// OS threads that run blocks (P2P_EMU_THREADS, default: the cores, at most 8).
int worker_threads();

// Runs body(ctx) once per CUDA thread of the grid, as described in cuda_runtime.h; returns when all
// blocks are done. A bad configuration or a failed check throws p2p::Error naming `kernel`.
using Body = void (*)(const void* ctx);
void launch(const char* kernel, dim3 grid, dim3 block, size_t dynamic_shared_bytes, Body body, const void* ctx);

// A launch on stream s, as runtime/launch.h makes it: run at once, or recorded while s captures (and
// run by each replay of the graph). thread_body is one CUDA thread's call of the kernel; it owns
// copies of the arguments, since the caller's are gone by the time a graph replays them. On a stream
// whose capture a forbidden call has invalidated, nothing runs and the last error is
// cudaErrorStreamCaptureInvalidated, as a GPU reports.
using ThreadBody = std::function<void()>;
void launch_on(cudaStream_t s, const char* kernel, dim3 grid, dim3 block,
               std::shared_ptr<const ThreadBody> thread_body);

}  // namespace p2p::emu
