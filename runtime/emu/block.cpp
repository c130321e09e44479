// The CUDA emulation's scheduler: blocks on a few OS threads, the threads of a block as cooperative
// fibers, __syncthreads and the warp collectives as rendezvous points (see cuda_runtime.h).
//
// One OS thread ("worker") runs one block at a time, start to end: it makes one fiber per CUDA thread
// on its own preallocated stacks (Boost.Context's fcontext: a switch costs a few ns), then resumes
// the runnable fibers in the schedule's order, each until it blocks (at a barrier or a collective)
// or ends, and repeats until none is runnable. Then every live thread must wait at __syncthreads:
// the barrier opens and the next phase starts; anything else is a deadlock on a GPU and an error here.
// A warp collective completes when the last lane of its mask arrives: that lane computes every
// lane's result and marks the others runnable. Fibers never move between OS threads, so
// `thread_local` (__shared__, the current fiber) is per block.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/context/detail/fcontext.hpp>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <numeric>
#include <sstream>
#include <thread>
#include <vector>

#include "runtime/check.h"
#include "runtime/emu/emu.h"
#include "runtime/philox.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define P2P_EMU_ASAN 1
#endif

namespace p2p::emu {

namespace {

thread_local const ThreadState* tl_current = nullptr;  // the running fiber's, null between fibers

namespace fc = boost::context::detail;

// ---- Settings ----

int env_int(const char* name, int fallback, int lo, int hi) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  P2P_CHECK(*end == 0 && x >= lo && x <= hi,
            name << "=" << v << ": expected an integer in [" << lo << ", " << hi << "]");
  return int(x);
}

std::mutex g_schedule_mu;
Schedule& schedule_ref() {
  static Schedule s = [] {
    const char* v = std::getenv("P2P_EMU_SCHEDULE");
    return v && *v ? parse_schedule(v) : Schedule{};
  }();
  return s;
}

// Fiber stacks: P2P_EMU_STACK_KB (default 256) of address space each, touched pages only, with a
// guard page below so that an overflow faults instead of corrupting the neighbour.
size_t stack_bytes() {
  static const size_t b = size_t(env_int("P2P_EMU_STACK_KB", 256, 16, 65536)) << 10;
  return b;
}

const char* collective_name(Collective c) {
  switch (c) {
    case Collective::shfl:
      return "__shfl_sync";
    case Collective::shfl_up:
      return "__shfl_up_sync";
    case Collective::shfl_down:
      return "__shfl_down_sync";
    case Collective::shfl_xor:
      return "__shfl_xor_sync";
    case Collective::ballot:
      return "__ballot_sync";
    case Collective::syncwarp:
      return "__syncwarp";
    case Collective::apply:
      return "a whole-warp call";
  }
  return "?";
}

// What a pending collective is called in messages: the shuffle's name, or the whole-warp call's.
const char* op_name(Collective c, const char* name) { return c == Collective::apply ? name : collective_name(c); }

std::string hex(unsigned m) {
  std::ostringstream os;
  os << "0x" << std::hex << m;
  return os.str();
}

// ---- One launch, shared by the workers ----

struct LaunchDesc {
  const char* kernel;
  dim3 grid, block;
  Body body;
  const void* ctx;
  Schedule schedule;
  uint64_t blocks;
  std::atomic<uint64_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::string error;  // the first failure
  void fail(const std::string& msg) {
    std::lock_guard<std::mutex> lock(mu);
    if (!failed.exchange(true)) error = msg;
  }
};

// ---- Per OS thread: stacks, fibers, and the block being run ----

enum class State : uint8_t { runnable, at_barrier, at_warp, done, failed };

struct Stack {
  char* base = nullptr;    // the guard page
  size_t size = 0;         // usable bytes above it
  bool abandoned = false;  // a fiber on it never returned (its block failed): ASan still marks its frames
  void* top() const { return base + page() + size; }
  void* bottom() const { return base + page(); }
  static size_t page() {
    static const size_t p = size_t(sysconf(_SC_PAGESIZE));
    return p;
  }
};

struct Fiber {
  fc::fcontext_t ctx = nullptr;
  ThreadState ts;
  int tid = 0;
  State state = State::done;
  void* fake_stack = nullptr;  // ASan's bookkeeping while switched out
};

struct WarpOp {
  bool active = false;
  Collective op = Collective::syncwarp;
  const char* name = nullptr;  // apply: the call's name, which every lane must share
  unsigned mask = 0, arrived = 0;
  int width = 32;
  uint64_t value[32];
  int arg[32];
  uint64_t result[32];
};

struct Worker {
  std::vector<Stack> stacks;
  std::vector<Fiber> fibers;
  std::vector<WarpOp> warps;
  Fiber* current = nullptr;
  fc::fcontext_t sched_ctx = nullptr;  // where a fiber returns to
  LaunchDesc* launch = nullptr;
  uint3 block_idx{};
  bool block_failed = false;
  void* sched_fake_stack = nullptr;
  const void* sched_bottom = nullptr;
  size_t sched_size = 0;

  ~Worker() {
    for (Stack& s : stacks) munmap(s.base, s.size + Stack::page());
  }
  void ensure_stacks(size_t n) {
    while (stacks.size() < n) {
      Stack s;
      s.size = stack_bytes();
      void* p = mmap(nullptr, s.size + Stack::page(), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
      P2P_CHECK(p != MAP_FAILED, "CUDA emulation: cannot map a fiber stack of " << s.size << " bytes");
      s.base = static_cast<char*>(p);
      mprotect(s.base, Stack::page(), PROT_NONE);
      stacks.push_back(s);
    }
  }
};

Worker& worker() {
  static thread_local Worker w;
  return w;
}

// ---- Switching, with ASan told about every stack change ----

void asan_start(void** fake_save, const void* bottom, size_t size) {
#ifdef P2P_EMU_ASAN
  __sanitizer_start_switch_fiber(fake_save, bottom, size);
#else
  (void)fake_save, (void)bottom, (void)size;
#endif
}
void asan_finish(void* fake_save, const void** bottom_old, size_t* size_old) {
#ifdef P2P_EMU_ASAN
  __sanitizer_finish_switch_fiber(fake_save, bottom_old, size_old);
#else
  (void)fake_save, (void)bottom_old, (void)size_old;
#endif
}

// A stack whose fiber was abandoned mid-kernel keeps that fiber's frames poisoned in ASan's shadow
// memory; a new fiber on it starts clean.
void asan_reset(Stack& s) {
#ifdef P2P_EMU_ASAN
  if (s.abandoned) ASAN_UNPOISON_MEMORY_REGION(s.bottom(), s.size);
#endif
  s.abandoned = false;
}

// From the scheduler into fiber f, until it blocks or ends.
void resume(Worker& w, Fiber& f) {
  w.current = &f;
  tl_current = &f.ts;
  const Stack& s = w.stacks[f.tid];
  asan_start(&w.sched_fake_stack, s.bottom(), s.size);
  fc::transfer_t t = fc::jump_fcontext(f.ctx, &f);
  asan_finish(w.sched_fake_stack, nullptr, nullptr);
  f.ctx = t.fctx;
  w.current = nullptr;
  tl_current = nullptr;
}

// From the running fiber back to the scheduler; returns when the scheduler resumes it (never when
// `final`: the fiber has ended and its stack is given up).
void yield(Worker& w, bool final) {
  Fiber& f = *w.current;
  asan_start(final ? nullptr : &f.fake_stack, w.sched_bottom, w.sched_size);
  fc::transfer_t t = fc::jump_fcontext(w.sched_ctx, nullptr);
  asan_finish(f.fake_stack, &w.sched_bottom, &w.sched_size);
  w.sched_ctx = t.fctx;
}

std::string thread_str(const uint3& t) {
  std::ostringstream os;
  os << "(" << t.x << ", " << t.y << ", " << t.z << ")";
  return os.str();
}

std::string where(const Worker& w) {
  std::ostringstream os;
  os << "CUDA emulation: kernel " << w.launch->kernel << ", block " << thread_str(w.block_idx);
  return os.str();
}

// A failed check inside a kernel: thrown through the kernel's frames (freeing them) to fiber_entry,
// which records it against the kernel, block and thread and ends the fiber.
[[noreturn]] void kernel_error(const std::string& msg) { throw Error(msg); }

void fiber_entry(fc::transfer_t t) {
  Worker& w = worker();
  w.sched_ctx = t.fctx;
  Fiber& f = *static_cast<Fiber*>(t.data);
  asan_finish(nullptr, &w.sched_bottom, &w.sched_size);
  try {
    w.launch->body(w.launch->ctx);
    f.state = State::done;
  } catch (const std::exception& e) {
    w.block_failed = true;
    w.launch->fail(where(w) + ", thread " + thread_str(f.ts.thread_idx) + ": " + e.what());
    f.state = State::failed;
  }
  yield(w, true);
}

// The order of the threads in phase `phase` of block `linear`; random: a Fisher-Yates shuffle drawing
// from the Philox stream (seed, block), words numbered by phase.
void make_order(const Schedule& s, uint64_t linear, int phase, std::vector<int>& order) {
  std::iota(order.begin(), order.end(), 0);
  if (s.order == Order::reverse) std::reverse(order.begin(), order.end());
  if (s.order == Order::random)
    for (size_t i = order.size(); i > 1; --i)
      std::swap(order[i - 1], order[philox_bits(s.seed, linear, uint64_t(phase) << 32 | i) % i]);
}

// Why no thread can go on: a message for the error.
std::string describe_stall(const Worker& w, int n) {
  std::ostringstream os;
  int barrier = 0, done = 0, first_barrier = -1, first_done = -1;
  for (int t = 0; t < n; ++t) {
    const Fiber& f = w.fibers[t];
    if (f.state == State::at_barrier && barrier++ == 0) first_barrier = t;
    if (f.state == State::done && done++ == 0) first_done = t;
  }
  for (size_t k = 0; k < w.warps.size(); ++k) {
    const WarpOp& op = w.warps[k];
    if (!op.active) continue;
    os << "warp " << k << ": lanes " << hex(op.arrived) << " wait in " << op_name(op.op, op.name) << "(mask "
       << hex(op.mask) << ") for lanes " << hex(op.mask & ~op.arrived) << ", which ";
    const int missing = int(k) * 32 + __builtin_ctz(op.mask & ~op.arrived);  // the first; an active op misses one
    if (missing >= n)
      os << "do not exist (the block has " << n << " threads)";
    else
      os << (w.fibers[missing].state == State::done ? "have exited" : "wait elsewhere (at __syncthreads)");
    os << "; ";
  }
  if (barrier > 0 && done > 0)
    os << "__syncthreads reached by " << barrier << " of " << n << " threads (first: " << first_barrier << ") while "
       << done << " have exited (first: " << first_done << "): a barrier in divergent code";
  return os.str();
}

void run_block(Worker& w, LaunchDesc& L, uint64_t linear) {
  const dim3 b = L.block;
  const int n = int(b.x * b.y * b.z);
  w.ensure_stacks(size_t(n));
  w.fibers.resize(size_t(n));
  w.warps.assign(size_t((n + 31) / 32), WarpOp{});
  w.launch = &L;
  w.block_failed = false;
  w.block_idx = uint3{unsigned(linear % L.grid.x), unsigned(linear / L.grid.x % L.grid.y),
                      unsigned(linear / (uint64_t(L.grid.x) * L.grid.y))};
  for (int t = 0; t < n; ++t) {
    Fiber& f = w.fibers[t];
    f.tid = t;
    f.ts = ThreadState{uint3{t % b.x, t / b.x % b.y, t / (b.x * b.y)}, w.block_idx, b, L.grid};
    f.state = State::runnable;
    f.fake_stack = nullptr;
    asan_reset(w.stacks[t]);
    f.ctx = fc::make_fcontext(w.stacks[t].top(), w.stacks[t].size, fiber_entry);
  }
  // On a failure or deadlock the block's unfinished fibers are given up, never resumed.
  auto abandon_unfinished = [&] {
    for (int t = 0; t < n; ++t) w.stacks[t].abandoned = w.fibers[t].state != State::done;
  };
  std::vector<int> order(static_cast<size_t>(n));
  for (int phase = 0;; ++phase) {
    make_order(L.schedule, linear, phase, order);
    for (bool progress = true; progress && !w.block_failed;) {
      progress = false;
      for (int t : order) {
        if (w.fibers[t].state != State::runnable) continue;
        resume(w, w.fibers[t]);
        progress = true;
        if (w.block_failed) break;
      }
    }
    if (w.block_failed) return abandon_unfinished();
    int barrier = 0, done = 0;
    for (int t = 0; t < n; ++t) {
      barrier += w.fibers[t].state == State::at_barrier;
      done += w.fibers[t].state == State::done;
    }
    if (done == n) return;
    if (barrier + done < n || done > 0) {
      L.fail(where(w) + ": deadlock: " + describe_stall(w, n));
      return abandon_unfinished();
    }
    for (int t = 0; t < n; ++t) w.fibers[t].state = State::runnable;
  }
}

// ---- The workers ----

class Pool {
 public:
  explicit Pool(int threads) {
    for (int i = 1; i < threads; ++i) threads_.emplace_back([this] { loop(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  int size() const { return int(threads_.size()) + 1; }

  // Runs every block of L on the calling thread and the pool's threads.
  void run(LaunchDesc& L) {
    std::lock_guard<std::mutex> one_launch_at_a_time(launch_mu_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      job_ = &L;
      busy_ = int(threads_.size());
      ++generation_;
    }
    cv_.notify_all();
    work(L);
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [&] { return busy_ == 0; });
    job_ = nullptr;
  }

 private:
  static void work(LaunchDesc& L) {
    try {
      Worker& w = worker();
      for (uint64_t i; !L.failed && (i = L.next++) < L.blocks;) run_block(w, L, i);
    } catch (const std::exception& e) {
      L.fail(e.what());
    }
  }
  void loop() {
    uint64_t seen = 0;
    for (;;) {
      LaunchDesc* job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        job = job_;
      }
      work(*job);
      {
        std::lock_guard<std::mutex> lock(mu_);
        --busy_;
      }
      done_cv_.notify_one();
    }
  }

  std::mutex launch_mu_, mu_;
  std::condition_variable cv_, done_cv_;
  std::vector<std::thread> threads_;
  LaunchDesc* job_ = nullptr;
  uint64_t generation_ = 0;
  int busy_ = 0;
  bool stop_ = false;
};

Pool& pool() {
  static Pool* p = new Pool(worker_threads());  // never destroyed: launches may come from static destructors
  return *p;
}

void check_config(const char* kernel, dim3 grid, dim3 block, size_t smem) {
  const uint64_t threads = uint64_t(block.x) * block.y * block.z;
  auto bad = [&](const std::string& why) {
    P2P_FAIL("CUDA emulation: launch of kernel " << kernel << " with grid " << thread_str({grid.x, grid.y, grid.z})
                                                 << ", block " << thread_str({block.x, block.y, block.z}) << ": " << why
                                                 << " (cudaErrorInvalidConfiguration on a GPU)");
  };
  if (threads == 0 || grid.x == 0 || grid.y == 0 || grid.z == 0) bad("a dimension is 0");
  if (threads > 1024) bad(std::to_string(threads) + " threads per block exceed 1024");
  if (block.x > 1024 || block.y > 1024 || block.z > 64) bad("block dimensions exceed (1024, 1024, 64)");
  if (grid.x > 2147483647u || grid.y > 65535 || grid.z > 65535) bad("grid dimensions exceed (2^31 - 1, 65535, 65535)");
  if (smem > 48 * 1024) bad(std::to_string(smem) + " bytes of dynamic shared memory exceed 48 KB");
}

}  // namespace

// ---- The interface of cuda_runtime.h and emu.h ----

const ThreadState& current_thread() {
  P2P_CHECK(tl_current, "CUDA emulation: threadIdx, blockIdx, blockDim or gridDim read outside a kernel");
  return *tl_current;
}

void syncthreads() {
  Worker& w = worker();
  P2P_CHECK(w.current, "CUDA emulation: __syncthreads() called outside a kernel");
  w.current->state = State::at_barrier;
  yield(w, false);
}

namespace {

// The calling lane's arrival at its warp's collective (opening it if none is pending). Returns true
// in the last lane of the mask to arrive, which then computes every lane's result and calls release;
// the others wait here until it has, and get false.
bool join(Worker& w, Collective c, const char* name, unsigned mask, uint64_t value, int arg, int width) {
  Fiber& f = *w.current;
  const int lane = f.tid % 32;
  WarpOp& op = w.warps[size_t(f.tid / 32)];
  // Built only for an error: no string lives across the wait below (a deadlocked fiber never returns).
  auto call = [&] { return std::string(op_name(c, name)) + "(mask " + hex(mask) + ")"; };
  if (!(mask >> lane & 1u)) kernel_error(call() + " from lane " + std::to_string(lane) + ", which is not in the mask");
  if (width < 1 || width > 32 || (width & (width - 1)))
    kernel_error(call() + ": width " + std::to_string(width) + " is not a power of 2 up to 32");
  if (!op.active) {
    op.active = true;
    op.op = c;
    op.name = name;
    op.mask = mask;
    op.width = width;
    op.arrived = 0;
  } else if (op.op != c || op.name != name || op.mask != mask || op.width != width) {
    kernel_error(call() + " from lane " + std::to_string(lane) + " while lanes " + hex(op.arrived) + " wait in " +
                 op_name(op.op, op.name) + "(mask " + hex(op.mask) + "): the lanes of a warp disagree");
  }
  op.value[lane] = value;
  op.arg[lane] = arg;
  op.arrived |= 1u << lane;
  if (op.arrived == mask) return true;
  f.state = State::at_warp;
  yield(w, false);
  return false;
}

// The last lane, its results computed: the collective is over and the other lanes go on.
void release(Worker& w) {
  const Fiber& f = *w.current;
  const int lane = f.tid % 32;
  WarpOp& op = w.warps[size_t(f.tid / 32)];
  op.active = false;
  for (int l = 0; l < 32; ++l) {
    if (l == lane || !(op.mask >> l & 1u)) continue;
    Fiber& other = w.fibers[size_t(f.tid - lane + l)];
    if (other.state == State::at_warp) other.state = State::runnable;
  }
}

}  // namespace

uint64_t warp_collective(Collective c, unsigned mask, uint64_t value, int arg, int width) {
  Worker& w = worker();
  P2P_CHECK(w.current, "CUDA emulation: " << collective_name(c) << " called outside a kernel");
  const int lane = w.current->tid % 32;
  WarpOp& op = w.warps[size_t(w.current->tid / 32)];
  if (!join(w, c, nullptr, mask, value, arg, width)) return op.result[lane];
  // The last lane: every lane's result, then the others go on.
  uint64_t ballot = 0;
  for (int l = 0; l < 32; ++l)
    if (mask >> l & 1u) ballot |= uint64_t(op.value[l] != 0) << l;
  for (int l = 0; l < 32; ++l) {
    if (!(mask >> l & 1u)) continue;
    const int seg = l & ~(op.width - 1), in_seg = l - seg, a = op.arg[l];
    int src = l;
    switch (op.op) {
      case Collective::shfl:
        src = seg + (a & (op.width - 1));
        break;
      case Collective::shfl_up:
        src = in_seg >= a ? l - a : l;
        break;
      case Collective::shfl_down:
        src = in_seg + a < op.width ? l + a : l;
        break;
      case Collective::shfl_xor:
        src = ((l ^ a) & ~(op.width - 1)) == seg ? l ^ a : l;
        break;
      case Collective::ballot:
      case Collective::syncwarp:
      case Collective::apply:
        break;
    }
    if (!(mask >> src & 1u))
      kernel_error(std::string(collective_name(c)) + "(mask " + hex(mask) + "): lane " + std::to_string(l) +
                   " reads lane " + std::to_string(src) + ", which is not in the mask (undefined on a GPU)");
    op.result[l] = op.op == Collective::ballot ? ballot : op.value[src];
  }
  release(w);
  return op.result[lane];
}

bool unordered_schedule() {
  const Worker& w = worker();
  P2P_CHECK(w.current, "CUDA emulation: unordered_schedule() called outside a kernel");
  return w.launch->schedule.order != Order::forward;
}

void warp_apply(const char* name, void* operand, WarpFn fn) {
  Worker& w = worker();
  P2P_CHECK(w.current, "CUDA emulation: " << name << " called outside a kernel");
  WarpOp& op = w.warps[size_t(w.current->tid / 32)];
  if (!join(w, Collective::apply, name, 0xffffffffu, reinterpret_cast<uintptr_t>(operand), 0, 32)) return;
  void* lanes[32];
  for (int l = 0; l < 32; ++l) lanes[l] = reinterpret_cast<void*>(uintptr_t(op.value[l]));
  if (const char* err = fn(lanes)) kernel_error(std::string(name) + ": " + err);
  release(w);
}

void set_schedule(const Schedule& s) {
  std::lock_guard<std::mutex> lock(g_schedule_mu);
  schedule_ref() = s;
}

Schedule schedule() {
  std::lock_guard<std::mutex> lock(g_schedule_mu);
  return schedule_ref();
}

Schedule parse_schedule(const std::string& text) {
  if (text == "forward") return {Order::forward, 0};
  if (text == "reverse") return {Order::reverse, 0};
  if (text.rfind("random", 0) == 0) {
    if (text == "random") return {Order::random, 1};
    if (text[6] == ':' && text.size() > 7 && text.find_first_not_of("0123456789", 7) == std::string::npos)
      return {Order::random, std::stoull(text.substr(7))};
  }
  P2P_FAIL("CUDA emulation schedule '" << text << "': expected forward, reverse, random or random:<seed>");
}

std::string schedule_name(const Schedule& s) {
  if (s.order == Order::forward) return "forward";
  if (s.order == Order::reverse) return "reverse";
  return "random:" + std::to_string(s.seed);
}

int worker_threads() {
  static const int n = env_int("P2P_EMU_THREADS", std::clamp(int(std::thread::hardware_concurrency()), 1, 8), 1, 256);
  return n;
}

void launch(const char* kernel, dim3 grid, dim3 block, size_t dynamic_shared_bytes, Body body, const void* ctx) {
  check_config(kernel, grid, block, dynamic_shared_bytes);
  P2P_CHECK(!worker().current, "CUDA emulation: kernel " << kernel << " launched from inside a kernel");
  LaunchDesc L;
  L.kernel = kernel;
  L.grid = grid;
  L.block = block;
  L.body = body;
  L.ctx = ctx;
  L.schedule = schedule();
  L.blocks = uint64_t(grid.x) * grid.y * grid.z;
  pool().run(L);
  if (L.failed) throw Error(L.error);
}

}  // namespace p2p::emu
