// bench_pointwise: our memory-bound pointwise kernels beside library twins that move the same bytes.
//
//   leaky_relu forward / backward (slope 0.2) on every LeakyReLU output of the pix2pix models
//   (bench/model_shapes.h) at batch 1 and 16. cuDNN has no leaky ReLU: the twin is
//   cudnnActivationForward / cudnnActivationBackward with CUDNN_ACTIVATION_RELU, the same access
//   pattern (forward reads x, writes y; backward reads x and dy, writes dx; cuDNN's backward also
//   takes y, which a ReLU may or may not read).
//   adam over the flat unet_256 parameter buffer (54,413,955 floats) at pix2pix's settings. cuBLAS
//   has no Adam: the twin is a bandwidth yardstick, NOT the same math — cublasSscal on m, cublasSscal
//   on v and cublasSaxpy of g into p, which read p, g, m, v and write p, m, v exactly like one Adam
//   step (7 floats per element), in three passes instead of one.
// GB/s counts the least traffic of the op (4 bytes per float read or written), the same for ours and
// the twin. Benchmark names: pointwise/<what>/n<batch>/<op>/<ours|cudnn_relu|cublas_yardstick>.
#include <cublas_v2.h>

#include <set>
#include <string>

#include "bench/bench_util.h"
#include "bench/cudnn_util.h"
#include "bench/model_shapes.h"
#include "kernels/activation.h"
#include "kernels/adam.h"

#define CUBLAS_CHECK(expr)                                                                          \
  do {                                                                                              \
    cublasStatus_t p2p_st_ = (expr);                                                                \
    if (p2p_st_ != CUBLAS_STATUS_SUCCESS)                                                           \
      ::p2p::fail(__FILE__, __LINE__,                                                               \
                  std::string("cuBLAS error in ") + #expr + ": " + cublasGetStatusString(p2p_st_)); \
  } while (0)

namespace {

using namespace p2p;
using namespace p2p::bench;

constexpr float kSlope = 0.2f;

cublasHandle_t cublas_handle() {
  static cublasHandle_t h = [] {
    cublasHandle_t created;
    CUBLAS_CHECK(cublasCreate(&created));
    CUBLAS_CHECK(cublasSetStream(created, cuda::stream()));
    return created;
  }();
  return h;
}

struct ActCase {
  ActCase(int n, int c, int hw)
      : d(n, c, hw, hw), size(int64_t(n) * c * hw * hw), x(size, 1), y(size, 2), dy(size, 3), dx(size, 4) {}
  TensorDesc d;
  int64_t size;
  DeviceBuffer x, y, dy, dx;
};

void bench_leaky_relu(benchmark::State& state, const std::string& key, int n, int c, int hw, bool backward, bool ours) {
  try {
    ActCase& a = current_case<ActCase>(key, n, c, hw);
    const Work work{0, (backward ? 3.0 : 2.0) * a.size * sizeof(float)};
    if (ours) {
      if (backward)
        return time_op(state, work,
                       [&] { cuda::leaky_relu_backward(a.size, a.x.get(), a.dy.get(), kSlope, a.dx.get()); });
      return time_op(state, work, [&] { cuda::leaky_relu_forward(a.size, a.x.get(), kSlope, a.y.get()); });
    }
    static const ActivationDesc relu(CUDNN_ACTIVATION_RELU);
    const float one = 1.0f, zero = 0.0f;
    if (backward)
      return time_op(state, work, [&] {
        CUDNN_CHECK(cudnnActivationBackward(cudnn_handle(), relu, &one, a.d, a.y.get(), a.d, a.dy.get(), a.d, a.x.get(),
                                            &zero, a.d, a.dx.get()));
      });
    time_op(state, work, [&] {
      CUDNN_CHECK(cudnnActivationForward(cudnn_handle(), relu, &one, a.d, a.x.get(), &zero, a.d, a.y.get()));
    });
  } catch (const std::exception& e) {  // set-up failed (time_op catches its own errors)
    state.SkipWithError(e.what());
  }
}

// p, g, m random; v zeros (it must be >= 0). Repeated steps drift the values, not the traffic.
struct AdamCase {
  explicit AdamCase(int64_t n) : n(n), p(n, 1), g(n, 2), m(n, 3), v(n, 4) {
    v.fill(0.0f);
    step.set(0, AdamConfig{}.lr);
  }
  int64_t n;
  DeviceBuffer p, g, m, v;
  AdamDeviceState step;
};

void bench_adam(benchmark::State& state, int64_t n, bool ours) {
  try {
    AdamCase& a = current_case<AdamCase>("adam", n);
    const Work work{0, 7.0 * n * sizeof(float)};
    const AdamConfig cfg;
    if (ours)
      return time_op(state, work, [&] {
        cuda::adam_step(n, a.p.get(), a.g.get(), a.m.get(), a.v.get(), cfg.beta1, cfg.beta2, cfg.eps, a.step.get());
      });
    // Not Adam: the same seven streams in three cuBLAS calls (scales != 1 so nothing is skipped).
    const float decay = 0.999f, step = -1e-4f;
    const int ni = static_cast<int>(n);
    time_op(state, work, [&] {
      CUBLAS_CHECK(cublasSscal(cublas_handle(), ni, &decay, a.m.get(), 1));
      CUBLAS_CHECK(cublasSscal(cublas_handle(), ni, &decay, a.v.get(), 1));
      CUBLAS_CHECK(cublasSaxpy(cublas_handle(), ni, &step, a.g.get(), 1, a.p.get(), 1));
    });
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

void register_all() {
  std::set<std::string> seen;  // G.down2's input and D.conv1's have the same shape: measure once
  for (const ConvLayer& l : model_layers()) {
    if (!l.after_leaky_relu || !seen.insert(std::to_string(l.cin) + "x" + std::to_string(l.h)).second) continue;
    for (int n : {1, 16}) {
      const std::string key = "pointwise/" + act_name(l, l.cin, l.h) + "/n" + std::to_string(n) + "/";
      for (bool backward : {false, true}) {
        const std::string base = key + (backward ? "leaky_relu_backward/" : "leaky_relu_forward/");
        for (bool ours : {true, false})
          configure(benchmark::RegisterBenchmark((base + (ours ? "ours" : "cudnn_relu")).c_str(), bench_leaky_relu, key,
                                                 n, l.cin, l.h, backward, ours));
      }
    }
  }
  const int64_t n = unet256_param_count();
  const std::string base = "pointwise/unet_256.params:" + std::to_string(n) + "/flat/adam/";
  configure(benchmark::RegisterBenchmark((base + "ours").c_str(), bench_adam, n, true));
  configure(benchmark::RegisterBenchmark((base + "cublas_yardstick").c_str(), bench_adam, n, false));
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::AddCustomContext("cudnn_version", std::to_string(cudnnGetVersion()));
  return p2p::bench::bench_main(argc, argv, "bench_pointwise", register_all);
}
