// bench_conv: our conv2d / conv_transpose2d CUDA kernels beside cuDNN on every convolution of the
// pix2pix models (bench/model_shapes.h: unet_256 and the 70x70 PatchGAN) at batch 1 and 16.
//
// Every layer is one conv2d geometry g (for a transposed layer t, g = t.as_conv(), the conv2d whose
// adjoint it is) and three products on it, named as cuDNN names them:
//   fwd:        y  = conv(x, w)                 cudnnConvolutionForward
//   bwd_data:   dx = conv^T(dy, w)              cudnnConvolutionBackwardData
//   bwd_filter: dw = sum_n,p,q dy * x (patch)   cudnnConvolutionBackwardFilter
// A conv layer's forward / backward-data / backward-weight are fwd / bwd_data / bwd_filter; a
// transposed layer's are bwd_data / fwd / bwd_filter (with its x in g's dy place and its dy in g's
// x place). Ours and the cuDNN twin run the same product on the same buffers.
//
// Our backward-weight accumulates (dw +=), so dw is zeroed before each of its runs, outside the
// timed interval; cuDNN runs with beta = 0 (it writes dw), its fastest mode. No bias anywhere: the
// conv itself is what is compared. Counters: GFLOP/s from ConvGeom::flops (2 N K P Q C R S, the
// same for all three products). Benchmark names: conv/<layer:shape>/n<batch>/<op>/<impl>, impl one
// of ours (the FP32 SIMT kernels), ours_tf32 (the TF32 tensor-core kernels, ConvPrecision::tf32),
// cudnn_fp32, cudnn_tf32 (see cudnn_util.h); bench/to_markdown.py pairs ours with cudnn_fp32 and
// ours_tf32 with cudnn_tf32.
//
// Built without cuDNN (P2P_BENCH_CUDNN undefined: the CUDA emulation build, for the dry run of
// tools/gpu_bench.sh) only ours and ours_tf32 are registered: the same names and JSON, the twins absent.
#include <memory>
#include <string>

#include "bench/bench_util.h"
#ifdef P2P_BENCH_CUDNN
#include "bench/cudnn_util.h"
#endif
#include "bench/model_shapes.h"
#include "kernels/conv2d.h"
#include "kernels/conv_transpose2d.h"

namespace {

using namespace p2p;
using namespace p2p::bench;

enum class Prod { fwd, bwd_data, bwd_filter };

ConvTGeom tgeom(const ConvLayer& l, int n) { return ConvTGeom{n, l.cin, l.h, l.w, l.cout, l.k, l.k, l.stride, l.pad}; }
ConvGeom geom(const ConvLayer& l, int n) {
  return l.transposed ? tgeom(l, n).as_conv() : ConvGeom{n, l.cin, l.h, l.w, l.cout, l.k, l.k, l.stride, l.pad};
}

// The layer's own name for a product (see the table at the top of the file).
const char* op_name(const ConvLayer& l, Prod p) {
  switch (p) {
    case Prod::fwd:
      return l.transposed ? "backward_data" : "forward";
    case Prod::bwd_data:
      return l.transposed ? "forward" : "backward_data";
    case Prod::bwd_filter:
      return "backward_weight";
  }
  return "";
}

#ifdef P2P_BENCH_CUDNN
// A cuDNN call made ready for one product and precision, with its workspace.
template <class Algo>
struct Planned {
  Planned(const ConvGeom& g, Math m) : plan(g, m) {}
  ConvPlan<Algo> plan;
  DeviceBytes workspace;
};
#endif

// The buffers of one layer at one batch size (random contents; outputs get overwritten) and the
// cuDNN plans, made on first use so each cudnnFind* runs once per shape and precision.
struct ConvCase {
  explicit ConvCase(const ConvGeom& geom)
      : g(geom),
#ifdef P2P_BENCH_CUDNN
        d(geom),
#endif
        x(g.x_size(), 1),
        w(g.w_size(), 2),
        y(g.y_size(), 3),
        dx(g.x_size(), 4),
        dy(g.y_size(), 5),
        dw(g.w_size(), 6) {
  }
  ConvGeom g;
#ifdef P2P_BENCH_CUDNN
  ConvDescs d;
#endif
  DeviceBuffer x, w, y, dx, dy, dw;
#ifdef P2P_BENCH_CUDNN
  std::unique_ptr<Planned<cudnnConvolutionFwdAlgo_t>> fwd[2];
  std::unique_ptr<Planned<cudnnConvolutionBwdDataAlgo_t>> bwd_data[2];
  std::unique_ptr<Planned<cudnnConvolutionBwdFilterAlgo_t>> bwd_filter[2];
#endif
};

ConvCase& conv_case(const std::string& key, const ConvGeom& g) { return current_case<ConvCase>(key, g); }

#ifdef P2P_BENCH_CUDNN
template <class Algo, class PlanFn>
Planned<Algo>& planned(std::unique_ptr<Planned<Algo>>& slot, const ConvCase& c, Math m, PlanFn plan_fn) {
  if (!slot) {
    auto p = std::make_unique<Planned<Algo>>(c.g, m);
    plan_fn(p->plan, c.d, m);
    p->workspace = DeviceBytes(p->plan.workspace);
    slot = std::move(p);
  }
  return *slot;
}
#endif

void run_ours(const ConvLayer& l, ConvCase& c, Prod p) {
  const ConvGeom& g = c.g;
  if (!l.transposed) {
    switch (p) {
      case Prod::fwd:
        return cuda::conv2d_forward(g, c.x.get(), c.w.get(), nullptr, c.y.get());
      case Prod::bwd_data:
        return cuda::conv2d_backward_data(g, c.dy.get(), c.w.get(), c.dx.get());
      case Prod::bwd_filter:
        return cuda::conv2d_backward_weight(g, c.x.get(), c.dy.get(), c.dw.get());
    }
  }
  // Transposed: its input [N, cin, h, w] lives in g's output space, its output in g's input space.
  const ConvTGeom t = tgeom(l, g.n);
  switch (p) {
    case Prod::fwd:  // the layer's backward-data: dy (g's x) -> dx (g's y)
      return cuda::conv_transpose2d_backward_data(t, c.x.get(), c.w.get(), c.y.get());
    case Prod::bwd_data:  // the layer's forward: x (g's dy) -> y (g's dx)
      return cuda::conv_transpose2d_forward(t, c.dy.get(), c.w.get(), nullptr, c.dx.get());
    case Prod::bwd_filter:  // the layer's backward-weight: x = g's dy, dy = g's x
      return cuda::conv_transpose2d_backward_weight(t, c.dy.get(), c.x.get(), c.dw.get());
  }
}

// Ours at precision `prec`: the process-wide setting (kernels/conv2d.h), set for this benchmark's runs.
void bench_ours(benchmark::State& state, const ConvLayer& l, int n, const std::string& key, Prod p,
                ConvPrecision prec) {
  set_conv_precision(prec);
  ConvCase& c = conv_case(key, geom(l, n));
  auto reset = [&] {
    if (p == Prod::bwd_filter) c.dw.zero_async();  // ours accumulates: dw +=
  };
  time_op(state, Work{c.g.flops(), 0}, reset, [&] { run_ours(l, c, p); });
}

#ifdef P2P_BENCH_CUDNN
void bench_cudnn(benchmark::State& state, const ConvLayer& l, int n, const std::string& key, Prod p, Math m) {
  const float one = 1.0f, zero = 0.0f;
  const int mi = static_cast<int>(m);
  try {
    ConvCase& c = conv_case(key, geom(l, n));
    cudnnHandle_t h = cudnn_handle();
    const Work work{c.g.flops(), 0};
    switch (p) {
      case Prod::fwd: {
        auto& pl = planned(c.fwd[mi], c, m, plan_forward);
        state.SetLabel(pl.plan.label);
        return time_op(state, work, [&] {
          CUDNN_CHECK(cudnnConvolutionForward(h, &one, c.d.x, c.x.get(), c.d.w, c.w.get(), pl.plan.conv, pl.plan.algo,
                                              pl.workspace.get(), pl.plan.workspace, &zero, c.d.y, c.y.get()));
        });
      }
      case Prod::bwd_data: {
        auto& pl = planned(c.bwd_data[mi], c, m, plan_backward_data);
        state.SetLabel(pl.plan.label);
        return time_op(state, work, [&] {
          CUDNN_CHECK(cudnnConvolutionBackwardData(h, &one, c.d.w, c.w.get(), c.d.y, c.dy.get(), pl.plan.conv,
                                                   pl.plan.algo, pl.workspace.get(), pl.plan.workspace, &zero, c.d.x,
                                                   c.dx.get()));
        });
      }
      case Prod::bwd_filter: {
        auto& pl = planned(c.bwd_filter[mi], c, m, plan_backward_filter);
        state.SetLabel(pl.plan.label);
        return time_op(state, work, [&] {
          CUDNN_CHECK(cudnnConvolutionBackwardFilter(h, &one, c.d.x, c.x.get(), c.d.y, c.dy.get(), pl.plan.conv,
                                                     pl.plan.algo, pl.workspace.get(), pl.plan.workspace, &zero, c.d.w,
                                                     c.dw.get()));
        });
      }
    }
  } catch (const std::exception& e) {  // planning failed (time_op catches its own errors)
    state.SkipWithError(e.what());
  }
}
#endif

// "G.down1.conv:3x256x256->64,k4s2p1" (input channels x size -> output channels, kernel/stride/pad)
std::string shape_name(const ConvLayer& l) {
  return l.name + ":" + std::to_string(l.cin) + "x" + std::to_string(l.h) + "x" + std::to_string(l.w) + "->" +
         std::to_string(l.cout) + ",k" + std::to_string(l.k) + "s" + std::to_string(l.stride) + "p" +
         std::to_string(l.pad);
}

void register_all() {
  for (const ConvLayer& l : model_layers()) {
    for (int n : {1, 16}) {
      const std::string key = "conv/" + shape_name(l) + "/n" + std::to_string(n);
      // In the layer's own order: forward, backward-data, backward-weight.
      const Prod order[3] = {l.transposed ? Prod::bwd_data : Prod::fwd, l.transposed ? Prod::fwd : Prod::bwd_data,
                             Prod::bwd_filter};
      for (Prod p : order) {
        const std::string base = key + "/" + op_name(l, p) + "/";
        for (ConvPrecision prec : {ConvPrecision::fp32, ConvPrecision::tf32})
          configure(benchmark::RegisterBenchmark((base + (prec == ConvPrecision::tf32 ? "ours_tf32" : "ours")).c_str(),
                                                 bench_ours, l, n, key, p, prec));
#ifdef P2P_BENCH_CUDNN
        for (Math m : {Math::fp32, Math::tf32})
          configure(benchmark::RegisterBenchmark((base + math_name(m)).c_str(), bench_cudnn, l, n, key, p, m));
#endif
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
#ifdef P2P_BENCH_CUDNN
  benchmark::AddCustomContext("cudnn_version", std::to_string(cudnnGetVersion()));
#endif
  return p2p::bench::bench_main(argc, argv, "bench_conv", register_all);
}
