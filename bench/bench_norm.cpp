// bench_norm: our batch_norm2d (training forward and backward) and instance_norm2d CUDA kernels
// beside cuDNN on every norm layer of the pix2pix models (bench/model_shapes.h) at batch 1 and 16.
//
// Twins (cuDNN 9 still ships the legacy batch-norm API, deprecated but present in cudnn_ops.h):
//   batch norm:    cudnnBatchNormalizationForwardTraining / cudnnBatchNormalizationBackward, mode
//                  CUDNN_BATCHNORM_SPATIAL (statistics per channel over N*H*W, as ours), affine,
//                  eps 1e-5, running averages with factor 0.1 (our momentum).
//   instance norm: the same cuDNN batch norm on the [1, N*C, H, W] view of x: one "channel" per
//                  (n, c), which is exactly instance norm's statistics. cuDNN needs a scale and a
//                  bias (ones and zeros, N*C each) and also produces their gradients, work our
//                  affine-free instance norm (pix2pix's) does not do; it is small (N*C values).
// Both backward passes take the statistics saved by the implementation's own forward (run once
// before timing). Ours accumulates dgamma/dbeta (+=), so they are zeroed before each run, outside the
// timed interval; cuDNN writes them (beta 0).
// GB/s counts the least traffic of the op, the same for both: forward reads x and writes y, backward
// reads x and dy and writes dx (4 bytes each; the [C] vectors are ignored). A two-pass kernel moves
// more, so the figure is an effective bandwidth.
// Benchmark names: norm/<layer:CxHxW of the normalised map>/n<batch>/<op>/<ours|cudnn>.
#include <string>

#include "bench/bench_util.h"
#include "bench/cudnn_util.h"
#include "bench/model_shapes.h"
#include "kernels/batch_norm2d.h"
#include "kernels/instance_norm2d.h"

namespace {

using namespace p2p;
using namespace p2p::bench;

constexpr float kEps = 1e-5f;
constexpr float kMomentum = 0.1f;

enum class Kind { batch, instance };

// Buffers of one normalised map; `ch` statistics (C for batch norm, N*C for instance norm).
struct NormCase {
  NormCase(const NormGeom& geom, Kind kind)
      : g(geom),
        ch(kind == Kind::batch ? g.c : g.n * g.c),
        xd(kind == Kind::batch ? g.n : 1, ch, g.h, g.w),
        statd(1, ch, 1, 1),
        x(g.size(), 1),
        y(g.size(), 2),
        dy(g.size(), 3),
        dx(g.size(), 4),
        gamma(ch, 5),
        beta(ch, 6),
        dgamma(ch, 7),
        dbeta(ch, 8),
        save_mean(ch, 9),
        save_invstd(ch, 10),
        running_mean(ch, 11),
        running_var(ch, 12) {
    running_mean.fill(0.0f);
    running_var.fill(1.0f);
    if (kind == Kind::instance) {  // the cuDNN twin's identity affine
      gamma.fill(1.0f);
      beta.fill(0.0f);
    }
  }
  NormGeom g;
  int ch;
  TensorDesc xd, statd;  // x / y / dy / dx, and the [1, ch, 1, 1] statistics, for cuDNN
  DeviceBuffer x, y, dy, dx, gamma, beta, dgamma, dbeta, save_mean, save_invstd, running_mean, running_var;
};

void ours_forward(NormCase& c, Kind kind) {
  if (kind == Kind::batch)
    cuda::batch_norm_forward_train(c.g, c.x.get(), c.gamma.get(), c.beta.get(), kEps, kMomentum, c.y.get(),
                                   c.save_mean.get(), c.save_invstd.get(), c.running_mean.get(), c.running_var.get());
  else
    cuda::instance_norm_forward(c.g, c.x.get(), nullptr, nullptr, kEps, c.y.get(), c.save_mean.get(),
                                c.save_invstd.get());
}

void ours_backward(NormCase& c, Kind kind) {
  if (kind == Kind::batch)
    cuda::batch_norm_backward_train(c.g, c.dy.get(), c.x.get(), c.gamma.get(), c.save_mean.get(), c.save_invstd.get(),
                                    c.dx.get(), c.dgamma.get(), c.dbeta.get());
  else
    cuda::instance_norm_backward(c.g, c.dy.get(), c.x.get(), nullptr, c.save_mean.get(), c.save_invstd.get(),
                                 c.dx.get(), nullptr, nullptr);
}

void cudnn_forward(NormCase& c) {
  const float one = 1.0f, zero = 0.0f;
  CUDNN_CHECK(cudnnBatchNormalizationForwardTraining(cudnn_handle(), CUDNN_BATCHNORM_SPATIAL, &one, &zero, c.xd,
                                                     c.x.get(), c.xd, c.y.get(), c.statd, c.gamma.get(), c.beta.get(),
                                                     kMomentum, c.running_mean.get(), c.running_var.get(), kEps,
                                                     c.save_mean.get(), c.save_invstd.get()));
}

void cudnn_backward(NormCase& c) {
  const float one = 1.0f, zero = 0.0f;
  CUDNN_CHECK(cudnnBatchNormalizationBackward(
      cudnn_handle(), CUDNN_BATCHNORM_SPATIAL, &one, &zero, &one, &zero, c.xd, c.x.get(), c.xd, c.dy.get(), c.xd,
      c.dx.get(), c.statd, c.gamma.get(), c.dgamma.get(), c.dbeta.get(), kEps, c.save_mean.get(), c.save_invstd.get()));
}

void bench_norm(benchmark::State& state, const std::string& key, NormGeom g, Kind kind, bool backward, bool ours) {
  try {
    NormCase& c = current_case<NormCase>(key, g, kind);
    const double bytes = (backward ? 3.0 : 2.0) * g.size() * sizeof(float);
    if (!backward) {
      if (ours) return time_op(state, Work{0, bytes}, [&] { ours_forward(c, kind); });
      return time_op(state, Work{0, bytes}, [&] { cudnn_forward(c); });
    }
    if (ours) {
      ours_forward(c, kind);  // the saved statistics the backward reads
      auto reset = [&] {
        if (kind == Kind::batch) {  // accumulated: dgamma +=, dbeta +=
          c.dgamma.zero_async();
          c.dbeta.zero_async();
        }
      };
      return time_op(state, Work{0, bytes}, reset, [&] { ours_backward(c, kind); });
    }
    cudnn_forward(c);
    time_op(state, Work{0, bytes}, [&] { cudnn_backward(c); });
  } catch (const std::exception& e) {  // set-up failed (time_op catches its own errors)
    state.SkipWithError(e.what());
  }
}

void register_all() {
  for (const ConvLayer& l : model_layers()) {
    if (!l.norm) continue;
    const int hw = l.out_h();
    for (int n : {1, 16}) {
      const NormGeom g{n, l.cout, hw, hw};
      const std::string shape = "norm/" + act_name(l, l.cout, hw) + "/n" + std::to_string(n) + "/";
      for (Kind kind : {Kind::batch, Kind::instance}) {
        const std::string key = shape + (kind == Kind::batch ? "batch_norm" : "instance_norm");
        for (bool backward : {false, true}) {
          const std::string base = key + (backward ? "_backward/" : "_forward/");
          for (bool ours : {true, false})
            configure(benchmark::RegisterBenchmark((base + (ours ? "ours" : "cudnn")).c_str(), bench_norm, key, g, kind,
                                                   backward, ours));
        }
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::AddCustomContext("cudnn_version", std::to_string(cudnnGetVersion()));
  return p2p::bench::bench_main(argc, argv, "bench_norm", register_all);
}
