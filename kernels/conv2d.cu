// conv2d CUDA kernels (the math is in kernels/conv2d.h). All three passes are implicit GEMMs,
// C[m][n] = sum_kk A[m][kk] B[kk][n], run by one tiled kernel; an "op" struct says how to read A and
// B straight from the NCHW tensors (no im2col buffer) and where C goes:
//
//   pass             m (rows)               n (cols)     kk (reduction)   A                 B
//   forward          output pixel (n,p,q)   k            (c,r,s)          x (gathered)      w[k][c,r,s]
//   backward-data    input pixel (n,h,w)    c            (k,i,j)          dy (gathered)     w[k][c][r,s]
//   backward-weight  k                      (c,r,s)      (n,p,q)          dy                x (gathered)
//
// backward-data by stride phase. In dx[n,c,h,w] = sum_{k,r,s} dy[n,k,p,q] w[k,c,r,s] a tap (r, s)
// contributes only where h + pad - r and w + pad - s are multiples of the stride st (p = (h + pad -
// r) / st, q alike). Which r qualify depends only on h mod st, so the input pixels are split into
// st * st phases (a, b) = (h mod st, w mod st), each its own dense GEMM with no zero taps. Rows:
// write h = a + st hh, hh in [0, Ha), Ha = ceil((H - a) / st) (0 when a >= H: the phase is empty).
// With rh = (a + pad) mod st and oh = (a + pad) div st, so that a + pad = st oh + rh:
//   h + pad - r = st (hh + oh) + rh - r  is a multiple of st  <=>  r = rh + st i,  i >= 0,
// and then p = hh + oh - i. The taps are i in [0, Ri), Ri = ceil((R - rh) / st) (0 when R <= rh: a
// 1x1 stride-2 kernel reaches no odd row, whose dx is then 0). Columns alike (b, Wb, sw, ow, j, Sj).
// Phase (a, b) is the GEMM
//   m = (n, hh, ww): N Ha Wb rows, kk = (k, i, j): K Ri Sj taps, n = c,
//   A[(n,hh,ww)][(k,i,j)] = dy[n, k, hh + oh - i, ww + ow - j] (0 outside dy), B = w[k, c, rh + st i, sw + st j],
//   C -> dx[n, c, a + st hh, b + st ww].
// Row h takes Ri taps, and sum_h Ri = sum_r #{h : h = r - pad mod st} ~ R H / st, so the taps per
// pixel fall from K R S to about K R S / st^2 (4x at stride 2, for 4x4 and 3x3 kernels alike: a 3x3
// kernel's phases take 2 and 1 taps per row). One launch per non-empty phase; each dx element is
// written by exactly one phase, in a fixed reduction order, so the result stays bitwise
// reproducible. At stride 1 there is one phase with Ri = R, oh = pad: the plain backward-data GEMM.
//
// The tile kernel: a 64x64 output tile per block of 256 threads, each thread a 4x4 register tile
// (or a 256x8 tile of 4x2 per thread, NarrowTile, for forward and backward-data GEMMs of at most 8
// columns, where the configuration picks it), reduction in steps of 16 staged through shared memory, double-buffered
// (the next step's global loads are issued before the current step's FMAs). The reduction indices of a step are
// decomposed once per block into a small shared table.
//
// Split-K (every pass): a launch configuration (kernels/conv_config.h: tile and chunk count, chosen
// per layer by autotune or the fixed table) may split the reduction into fixed chunks (blockIdx.z).
// Then the op is wrapped in PartialOp, whose store writes chunk z's partial tile to a workspace, and
// sum_partials_kernel adds the chunks in order and hands the sum to the op's own store: the epilogue
// (forward's bias, backward-data's optional bias, backward-weight's +=) runs once, on the whole sum.
// No kernel uses atomics, so for a given configuration every result is bitwise reproducible. Offsets of whole images
// are 64-bit; indices inside one image (or one weight tensor) and over the GEMM extents are 32-bit, which the launchers
// check (check_sizes, conv2d.h; the extent limit is derived below the tile kernel).
//
// With ConvPrecision::tf32 (conv2d.h) every GEMM runs on the tensor cores instead (conv_tc.cuh: the
// same ops, Stage and chunks, WMMA math on operands rounded to TF32, fp32 sums); the SIMT kernel is
// the exact path (fp32).
#include <mma.h>

#include <algorithm>
#include <climits>
#include <functional>
#include <type_traits>

#include "kernels/conv2d.h"
#include "kernels/conv_config.h"
#include "runtime/device.h"
#include "runtime/launch.h"
#include "runtime/tensor_cuda.h"

namespace p2p::cuda {

namespace {

constexpr int kBK = kConvStep, kThreads = 256;
constexpr int kPadSmem = 4;  // row padding: breaks the bank conflicts of the k-fast tile stores, keeps float4 alignment

// A block's output tile: BM x BN, each of the kThreads threads a 4 x TN register tile.
//   WideTile   64 x 64, 16 x 16 threads of 4 x 4: the general case.
//   NarrowTile 256 x 8, 64 x 4 threads of 4 x 2: for GEMMs with at most 8 columns (3 output channels
//     of the generators' last layers, 1 of the PatchGAN head, the 3 or 6 image channels of the first
//     layers' backward-data). In a 64-wide tile such a GEMM leaves 61 of 64 columns idle; here 5 of 8,
//     with four times the rows per block so that a block still does 256 x 8 FMAs per reduction step.
template <int BM_, int BN_, int TN_>
struct Tile {
  static constexpr int BM = BM_, BN = BN_, TM = 4, TN = TN_;
  static_assert((BM / TM) * (BN / TN) == kThreads, "one register tile per thread");
};
using WideTile = Tile<kConvWideTile.rows, kConvWideTile.cols, 4>;
using NarrowTile = Tile<kConvNarrowTile.rows, kConvNarrowTile.cols, 2>;

struct GemmShape {
  int m, n, kred;
  int chunk;  // reduction length handled by one blockIdx.z
};

// N consecutive floats of shared memory in one vector load (the address is aligned to N floats).
template <int N>
__device__ __forceinline__ void load_vec(const float* p, float (&v)[N]) {
  if constexpr (N == 4) {
    const float4 q = *reinterpret_cast<const float4*>(p);
    v[0] = q.x, v[1] = q.y, v[2] = q.z, v[3] = q.w;
  } else {
    static_assert(N == 2, "register tiles are 4 or 2 wide");
    const float2 q = *reinterpret_cast<const float2*>(p);
    v[0] = q.x, v[1] = q.y;
  }
}

// Op interface: kAMFast (A loaded with m fastest across threads, else kk fastest; B is always loaded
// kk fastest), kCMFast (neighbouring m of the output C are neighbours in memory, else neighbouring n), KIdx kidx(kk) (a
// decomposed reduction index; no memory access), ARow arow(m), BCol bcol(n), float a(ARow, KIdx), float b(KIdx, BCol),
// ORow orow(m), store(ORow, n, chunk, value).
//
// Stage: how a block of either tile kernel (this SIMT one, or the tensor-core one of conv_tc.cuh)
// brings its A (BM x kBK, stored kk-major: As[kk][m]) and B (kBK x BN: Bs[kk][n]) tiles of one
// reduction step from global memory through registers into shared memory, double-buffered: load()
// reads step i + 1 into registers before the math of step i, store() writes them to the other
// buffer after it. kTf32: stored rounded to TF32 (cvt.rna), so that the tensor cores multiply the
// operands the tests' TF32 reference rounds in the same way.
template <class Op, class T, bool kTf32 = false>
struct Stage {
  static constexpr int BM = T::BM, BN = T::BN;
  static constexpr bool kMF = Op::kAMFast;
  static_assert(!kMF || kThreads % BM == 0, "m-fast A loads: whole rows of the tile per thread group");
  // Loads per thread and reduction step: A has kBK * BM elements, B kBK * BN (in a narrow tile fewer
  // than kThreads: threads past them load no B).
  static constexpr int kALoads = kBK * BM / kThreads, kBLoads = (kBK * BN + kThreads - 1) / kThreads;
  static constexpr int kARows = kMF ? 1 : kALoads;
  using ATiles = float[2][kBK][BM + kPadSmem];
  using BTiles = float[2][kBK][BN + kPadSmem];
  using KIdxs = typename Op::KIdx[2][kBK];

  const Op& op;
  ATiles& As;
  BTiles& Bs;
  KIdxs& kid;
  const int t, kbeg, kend, ntiles;
  typename Op::ARow arow[kARows];
  bool avalid[kARows];
  typename Op::BCol bcol[kBLoads];
  bool bvalid[kBLoads], bstore[kBLoads];
  float ra[kALoads], rb[kBLoads];

  // This thread's loads. A (BM x kBK): m-fast: row t % BM, columns t / BM + (kThreads / BM) e;
  // kk-fast: column t % kBK, rows t / kBK + 16e. B (kBK x BN): row t % kBK, columns t / kBK + 16e < BN.
  __device__ Stage(const Op& o, const GemmShape& gs, ATiles& as, BTiles& bs, KIdxs& k)
      : op(o),
        As(as),
        Bs(bs),
        kid(k),
        t(threadIdx.x),
        kbeg(blockIdx.z * gs.chunk),
        kend(min(gs.kred, kbeg + gs.chunk)),
        ntiles((kend - kbeg + kBK - 1) / kBK) {
    const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
#pragma unroll
    for (int e = 0; e < kARows; ++e) {
      const int m = m0 + (kMF ? t % BM : t / kBK + 16 * e);
      avalid[e] = m < gs.m;
      arow[e] = op.arow(avalid[e] ? m : 0);
    }
#pragma unroll
    for (int e = 0; e < kBLoads; ++e) {
      bstore[e] = kBK * BN >= kThreads || t / kBK + 16 * e < BN;  // a constant true in a wide tile
      const int n = n0 + t / kBK + 16 * e;
      bvalid[e] = bstore[e] && n < gs.n;
      bcol[e] = op.bcol(bvalid[e] ? n : 0);
    }
  }
  __device__ void index(int tile, int slot) {
    if (t < kBK && tile < ntiles) kid[slot][t] = op.kidx(kbeg + tile * kBK + t);
  }
  __device__ void load(int tile, int slot) {
    const int k0 = kbeg + tile * kBK;
#pragma unroll
    for (int e = 0; e < kALoads; ++e) {
      const int kl = kMF ? t / BM + (kThreads / BM) * e : t % kBK;
      const int ai = kMF ? 0 : e;
      ra[e] = avalid[ai] && k0 + kl < kend ? op.a(arow[ai], kid[slot][kl]) : 0.0f;
    }
    const int kl = t % kBK;
    const bool kv = k0 + kl < kend;
#pragma unroll
    for (int e = 0; e < kBLoads; ++e) rb[e] = bvalid[e] && kv ? op.b(kid[slot][kl], bcol[e]) : 0.0f;
  }
  __device__ static float staged(float v) {
    if constexpr (kTf32)
      return nvcuda::wmma::__float_to_tf32(v);
    else
      return v;
  }
  __device__ void store(int buf) {
#pragma unroll
    for (int e = 0; e < kALoads; ++e) {
      if (kMF)
        As[buf][t / BM + (kThreads / BM) * e][t % BM] = staged(ra[e]);
      else
        As[buf][t % kBK][t / kBK + 16 * e] = staged(ra[e]);
    }
#pragma unroll
    for (int e = 0; e < kBLoads; ++e)
      if (bstore[e]) Bs[buf][t % kBK][t / kBK + 16 * e] = staged(rb[e]);
  }
  // The first step's indices and tiles in buffer 0, the second's indices in slot 1.
  __device__ void start() {
    index(0, 0);
    index(1, 1);
    __syncthreads();
    load(0, 0);
    store(0);
    __syncthreads();
  }
  // After the math of step `tile` (buffer cur): the next step's tiles into the other buffer, the
  // indices of the step after it into slot cur (which held step `tile`'s, no longer read); then the barrier.
  __device__ void advance(int tile, int cur) {
    if (tile + 1 < ntiles) store(cur ^ 1);
    index(tile + 2, cur);
    __syncthreads();
  }
};

template <class Op, class T>
__global__ void __launch_bounds__(kThreads) implicit_gemm_kernel(const Op op, const GemmShape gs) {
  constexpr int BM = T::BM, BN = T::BN, TM = T::TM, TN = T::TN;
  __shared__ __align__(32) float As[2][kBK][BM + kPadSmem];
  __shared__ __align__(32) float Bs[2][kBK][BN + kPadSmem];
  __shared__ typename Op::KIdx kid[2][kBK];
  Stage<Op, T> st(op, gs, As, Bs, kid);
  st.start();

  // Thread (tm, tn) owns rows m0 + TM tm + i and columns n0 + TN tn + j, i < TM, j < TN.
  const int t = threadIdx.x, m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
  const int tm = t % (BM / TM), tn = t / (BM / TM);
  float acc[TM][TN] = {};
  for (int tile = 0; tile < st.ntiles; ++tile) {
    const int cur = tile & 1;
    if (tile + 1 < st.ntiles) st.load(tile + 1, cur ^ 1);
#pragma unroll
    for (int kk = 0; kk < kBK; ++kk) {
      float av[TM], bv[TN];
      load_vec(&As[cur][kk][TM * tm], av);
      load_vec(&Bs[cur][kk][TN * tn], bv);
#pragma unroll
      for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
    }
    st.advance(tile, cur);
  }

#pragma unroll
  for (int i = 0; i < TM; ++i) {
    const int m = m0 + TM * tm + i;
    if (m >= gs.m) continue;
    const typename Op::ORow o = op.orow(m);
#pragma unroll
    for (int j = 0; j < TN; ++j) {
      const int n = n0 + TN * tn + j;
      if (n < gs.n) op.store(o, n, blockIdx.z, acc[i][j]);
    }
  }
}

// The tensor-core twin of implicit_gemm_kernel, on the same Stage (included here, inside this
// anonymous namespace, so that it sees Stage and the tiles).
#include "kernels/conv_tc.cuh"

__device__ __forceinline__ bool in_range(int i, int n) { return static_cast<unsigned>(i) < static_cast<unsigned>(n); }

// The sizes every op needs, from the geometry.
struct Dims {
  int C, H, W, K, R, S, P, Q, stride, pad;
  int HW, PQ, RS;
  explicit Dims(const ConvGeom& g)
      : C(g.c),
        H(g.h),
        W(g.w),
        K(g.k),
        R(g.r),
        S(g.s),
        P(g.p()),
        Q(g.q()),
        stride(g.stride),
        pad(g.pad),
        HW(g.h * g.w),
        PQ(g.p() * g.q()),
        RS(g.r * g.s) {}
};

// forward: A[(n,p,q)][(c,r,s)] = x[n, c, p*stride + r - pad, q*stride + s - pad], B[(c,r,s)][k] = w[k,c,r,s].
struct ForwardOp {
  static constexpr bool kAMFast = true, kCMFast = true;
  Dims d;
  const float* x;
  const float* w;
  const float* bias;  // may be null
  float* y;

  struct KIdx {
    int c_off, r, s, kk;
  };
  struct ARow {
    int64_t img;
    int h0, w0;
  };
  struct BCol {
    int64_t w_off;
  };
  struct ORow {
    int64_t off;
  };
  __device__ KIdx kidx(int kk) const {
    const int c = kk / d.RS, rs = kk - c * d.RS, r = rs / d.S;
    return {c * d.HW, r, rs - r * d.S, kk};
  }
  __device__ ARow arow(int m) const {
    const int n = m / d.PQ, pq = m - n * d.PQ, p = pq / d.Q, q = pq - p * d.Q;
    return {int64_t(n) * d.C * d.HW, p * d.stride - d.pad, q * d.stride - d.pad};
  }
  __device__ float a(const ARow& ar, const KIdx& kd) const {
    const int h = ar.h0 + kd.r, ww = ar.w0 + kd.s;
    return in_range(h, d.H) && in_range(ww, d.W) ? __ldg(x + ar.img + kd.c_off + h * d.W + ww) : 0.0f;
  }
  __device__ BCol bcol(int k) const { return {int64_t(k) * d.C * d.RS}; }
  __device__ float b(const KIdx& kd, const BCol& bc) const { return __ldg(w + bc.w_off + kd.kk); }
  __device__ ORow orow(int m) const {
    const int n = m / d.PQ;
    return {int64_t(n) * d.K * d.PQ + (m - n * d.PQ)};
  }
  __device__ void store(const ORow& o, int k, int, float v) const {
    y[o.off + int64_t(k) * d.PQ] = bias ? v + __ldg(bias + k) : v;
  }
};

// One stride phase (a, b) of backward-data, in the notation of the derivation at the top.
struct Phase {
  int h0, w0;  // a, b: dx rows a + st hh, columns b + st ww
  int hb, wb;  // Ha, Wb: its rows and columns
  int ri, sj;  // Ri, Sj: its taps per row and per column
  int rh, sw;  // its first taps
  int oh, ow;  // p = hh + oh - i, q = ww + ow - j
  Phase(const ConvGeom& g, int a, int b)
      : h0(a),
        w0(b),
        hb((g.h - a + g.stride - 1) / g.stride),
        wb((g.w - b + g.stride - 1) / g.stride),
        ri((g.r - (a + g.pad) % g.stride + g.stride - 1) / g.stride),
        sj((g.s - (b + g.pad) % g.stride + g.stride - 1) / g.stride),
        rh((a + g.pad) % g.stride),
        sw((b + g.pad) % g.stride),
        oh((a + g.pad) / g.stride),
        ow((b + g.pad) / g.stride) {}
};

// backward-data, phase ph: A[(n,hh,ww)][(k,i,j)] = dy[n, k, hh + oh - i, ww + ow - j] (0 outside dy),
// B[(k,i,j)][c] = w[k, c, rh + st i, sw + st j], C -> dx[n, c, a + st hh, b + st ww] (+ bias[c] when
// given: conv_transpose2d's forward, whose bias is then added in this epilogue, not in another pass).
struct BackwardDataOp {
  static constexpr bool kAMFast = true, kCMFast = true;
  Dims d;
  const float* dy;
  const float* w;
  const float* bias;  // may be null
  float* dx;
  Phase ph;

  struct KIdx {
    int dy_off, w_off, i, j;
  };
  struct ARow {
    int64_t img;
    int hp, wp;  // hh + oh, ww + ow
  };
  struct BCol {
    int c_off;
  };
  struct ORow {
    int64_t off;
  };
  __device__ KIdx kidx(int kk) const {
    const int rs = ph.ri * ph.sj, k = kk / rs, ij = kk - k * rs, i = ij / ph.sj, j = ij - i * ph.sj;
    return {k * d.PQ, k * d.C * d.RS + (ph.rh + d.stride * i) * d.S + ph.sw + d.stride * j, i, j};
  }
  __device__ ARow arow(int m) const {
    const int hw = ph.hb * ph.wb, n = m / hw, rest = m - n * hw, hh = rest / ph.wb;
    return {int64_t(n) * d.K * d.PQ, hh + ph.oh, rest - hh * ph.wb + ph.ow};
  }
  __device__ float a(const ARow& ar, const KIdx& kd) const {
    const int p = ar.hp - kd.i, q = ar.wp - kd.j;
    return in_range(p, d.P) && in_range(q, d.Q) ? __ldg(dy + ar.img + kd.dy_off + p * d.Q + q) : 0.0f;
  }
  __device__ BCol bcol(int c) const { return {c * d.RS}; }
  __device__ float b(const KIdx& kd, const BCol& bc) const { return __ldg(w + kd.w_off + bc.c_off); }
  __device__ ORow orow(int m) const {
    const int hw = ph.hb * ph.wb, n = m / hw, rest = m - n * hw, hh = rest / ph.wb;
    return {int64_t(n) * d.C * d.HW + (ph.h0 + d.stride * hh) * d.W + ph.w0 + d.stride * (rest - hh * ph.wb)};
  }
  __device__ void store(const ORow& o, int c, int, float v) const {
    dx[o.off + int64_t(c) * d.HW] = bias ? v + __ldg(bias + c) : v;
  }
};

// backward-weight: A[k][(n,p,q)] = dy[n,k,p,q], B[(n,p,q)][(c,r,s)] = x[n, c, p*stride + r - pad, q*stride + s - pad],
// C added (+=) into dw[k][(c,r,s)] by the one thread that holds the element's whole sum.
struct BackwardWeightOp {
  static constexpr bool kAMFast = false, kCMFast = false;
  Dims d;
  const float* x;
  const float* dy;
  float* dw;

  struct KIdx {
    int64_t dy_off, x_img;
    int h0, w0;
  };
  struct ARow {
    int k_off;
  };
  struct BCol {
    int c_off, r, s;
  };
  struct ORow {
    int64_t off;
  };
  __device__ KIdx kidx(int kk) const {
    const int n = kk / d.PQ, pq = kk - n * d.PQ, p = pq / d.Q, q = pq - p * d.Q;
    return {int64_t(n) * d.K * d.PQ + pq, int64_t(n) * d.C * d.HW, p * d.stride - d.pad, q * d.stride - d.pad};
  }
  __device__ ARow arow(int k) const { return {k * d.PQ}; }
  __device__ float a(const ARow& ar, const KIdx& kd) const { return __ldg(dy + kd.dy_off + ar.k_off); }
  __device__ BCol bcol(int crs) const {
    const int c = crs / d.RS, rs = crs - c * d.RS, r = rs / d.S;
    return {c * d.HW, r, rs - r * d.S};
  }
  __device__ float b(const KIdx& kd, const BCol& bc) const {
    const int h = kd.h0 + bc.r, ww = kd.w0 + bc.s;
    return in_range(h, d.H) && in_range(ww, d.W) ? __ldg(x + kd.x_img + bc.c_off + h * d.W + ww) : 0.0f;
  }
  __device__ ORow orow(int k) const { return {int64_t(k) * d.C * d.RS}; }
  __device__ void store(const ORow& o, int crs, int, float v) const { dw[o.off + crs] += v; }
};

// Split-K: chunk z's partial C[m][n] of op goes to the workspace plane z, laid out as C is in memory
// (ws[z][n][m] when Op::kCMFast, else ws[z][m][n]), so that sum_partials_kernel, walking a plane
// in order, writes the output through op's own store with neighbouring threads on neighbouring
// elements.
template <class Op>
struct PartialOp : Op {
  float* ws;
  int rows, cols;
  using ORow = int;
  __device__ ORow orow(int m) const { return m; }
  __device__ void store(ORow m, int n, int z, float v) const {
    const int64_t at = Op::kCMFast ? int64_t(n) * rows + m : int64_t(m) * cols + n;
    ws[int64_t(z) * rows * cols + at] = v;
  }
};

// C[m][n] = sum_z ws[z][...], z in order, stored through op (its epilogue).
template <class Op>
__global__ void sum_partials_kernel(const Op op, int rows, int cols, int chunks, const float* __restrict__ ws) {
  const int64_t size = int64_t(rows) * cols;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < size; i += int64_t(gridDim.x) * blockDim.x) {
    float acc = 0.0f;
    for (int z = 0; z < chunks; ++z) acc += ws[z * size + i];
    const int64_t fast_extent = Op::kCMFast ? rows : cols;
    const int slow = static_cast<int>(i / fast_extent), fast = static_cast<int>(i - slow * fast_extent);
    const int m = Op::kCMFast ? fast : slow, n = Op::kCMFast ? slow : fast;
    op.store(op.orow(m), n, 0, acc);
  }
}

template <class T, class Op>
void launch_tile(const Op& op, const GemmShape& gs, int chunks) {
  const dim3 grid((gs.m + T::BM - 1) / T::BM, (gs.n + T::BN - 1) / T::BN, chunks);
  P2P_CHECK(grid.y <= 65535 && grid.z <= 65535,
            "conv2d CUDA: GEMM of " << gs.m << " x " << gs.n << " in " << chunks << " chunks exceeds the grid limits");
  if constexpr (is_tc_tile<T>::value)
    P2P_LAUNCH((tc_gemm_kernel<Op, T>), grid, kThreads, op, gs);
  else
    P2P_LAUNCH((implicit_gemm_kernel<Op, T>), grid, kThreads, op, gs);
}

// The configuration's tile, in the kernel of the process-wide precision (conv2d.h): the SIMT tiles
// for fp32, their tensor-core twins for tf32 (whose narrow tile, 128 x 16, also takes the GEMMs of at
// most 8 columns that a narrow configuration is chosen for).
template <class Op>
void launch_tile(const Op& op, const GemmShape& gs, int chunks, ConvTile tile) {
  const bool tf32 = conv_precision() == ConvPrecision::tf32;
  // The narrow tiles load A m-fast (their rows are whole thread groups); backward-weight, whose A
  // is read kk-fast, has C*R*S columns and always runs wide (conv_config.h).
  if constexpr (Op::kAMFast)
    if (tile == ConvTile::narrow)
      return tf32 ? launch_tile<TcNarrowTile>(op, gs, chunks) : launch_tile<NarrowTile>(op, gs, chunks);
  return tf32 ? launch_tile<TcWideTile>(op, gs, chunks) : launch_tile<WideTile>(op, gs, chunks);
}

// The split-K workspace (runtime/tensor_cuda.h: grown, kept, shared by the calls in stream order).
float* workspace(int64_t floats) {
  static Tensor ws;
  return grown_workspace(ws, floats);
}

// The GEMM of op, m x n with a reduction of kred, in configuration c: one launch when the reduction
// is one chunk, else the chunks' partial tiles and their in-order sum.
template <class Op>
void run_gemm(const Op& op, const GemmDims& d, const ConvConfig& c) {
  if (d.m == 0 || d.n == 0) return;
  const Chunking ch = conv_chunking(d.kred, c.chunks);
  const GemmShape gs{d.m, d.n, d.kred, ch.chunk};
  if (ch.count == 1) return launch_tile(op, gs, 1, c.tile);
  const int64_t size = int64_t(d.m) * d.n;
  float* ws = workspace(ch.count * size);
  launch_tile(PartialOp<Op>{op, ws, d.m, d.n}, gs, ch.count, c.tile);
  P2P_LAUNCH((sum_partials_kernel<Op>), grid_for(size, 256), 256, op, d.m, d.n, ch.count, ws);
}

// The GEMM extent limit (check_sizes in conv2d.h enforces it). With E >= m, n, kred, the largest
// int the tile kernel and the launchers form is the end of the last split-K chunk. Chunk z starts
// at kbeg = z * chunk <= kred - 1 (z < chunks = ceil(kred / chunk): conv_chunking makes no empty
// chunk), and chunk <= kred rounded up to kBK, so
//   kbeg + chunk <= (kred - 1) + (kred + kBK - 1) = 2 kred + kBK - 2.
// Every other int is at most E + 255: the last row m0 + BM - 1 <= m + BM - 2 and the host's
// m + BM - 1 (n alike), the last reduction index kbeg + kBK * ntiles - 1 <= kend + kBK - 2, the tile
// count's kend - kbeg + kBK - 1 <= kred + 2 kBK - 2 (conv_chunking computes in 64 bits). Hence
//   2 E + kBK - 2 <= INT_MAX,  E <= (INT_MAX - (kBK - 2)) / 2 = 1073741816.
// Indices inside one image or the weight tensor stay below its size, which must fit an int; the
// workspace's, over chunks * m * n, are 64-bit.
static_assert(kMaxGemmExtent == (INT_MAX - (kBK - 2)) / 2, "conv2d.h's kMaxGemmExtent must follow kBK");
static_assert(kMaxGemmExtent +
                      std::max({WideTile::BM, WideTile::BN, NarrowTile::BM, NarrowTile::BN, TcNarrowTile::BM,
                                TcNarrowTile::BN}) -
                      1 <=
                  INT_MAX,
              "the tile rows and columns must fit an int");

// Autotune's scratch output (conv_config.h: timing must not write the real outputs; backward-weight's
// += then adds into it), grown and kept as the workspace.
float* scratch(int64_t floats) {
  static Tensor out;
  if (!out.defined() || out.numel() < floats) {
    out = Tensor({floats}, Device::CUDA);
    CUDA_CHECK(cudaMemsetAsync(out.data(), 0, floats * sizeof(float), stream()));
  }
  return out.data();
}

// Milliseconds per run(), from cudaEvents around reps runs after a warm-up run; under the CUDA
// emulation one run, timed but not compared (conv_choose keeps the fixed table's choice there).
double time_ms(const std::function<void()>& run) {
  const int warm = cuda_emulated() ? 0 : 1, reps = cuda_emulated() ? 1 : 5;
  for (int i = 0; i < warm; ++i) run();
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  CUDA_CHECK(cudaEventRecord(start, stream()));
  for (int i = 0; i < reps; ++i) run();
  CUDA_CHECK(cudaEventRecord(stop, stream()));
  CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0.0f;
  CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  CUDA_CHECK(cudaEventDestroy(start));
  CUDA_CHECK(cudaEventDestroy(stop));
  return double(ms) / reps;
}

// The configuration of pass p on g (conv_config.h); run(c, out) runs the pass in configuration c
// writing out, which has out_size floats.
template <class Run>
ConvConfig choose(ConvPass p, const ConvGeom& g, int64_t out_size, const Run& run) {
  return conv_choose(p, g, [&](const ConvConfig& c) {
    float* out = scratch(out_size);
    return time_ms([&] { run(c, out); });
  });
}

constexpr int kBiasThreads = 512;

// One block per channel: each thread sums a fixed strided subset, then a fixed tree (warp shuffles,
// then the warp sums) combines them; db[k] += total.
__global__ void __launch_bounds__(kBiasThreads)
    bias_backward_kernel(int n, int k, int64_t n_hw, const float* __restrict__ dy, float* __restrict__ db) {
  __shared__ float warp_sums[kBiasThreads / 32];
  const int kk = blockIdx.x, lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  float acc = 0.0f;
  for (int i = 0; i < n; ++i) {
    const float* d = dy + (int64_t(i) * k + kk) * n_hw;
    for (int64_t j = threadIdx.x; j < n_hw; j += kBiasThreads) acc += d[j];
  }
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, off);
  if (lane == 0) warp_sums[warp] = acc;
  __syncthreads();
  if (warp == 0) {
    acc = lane < kBiasThreads / 32 ? warp_sums[lane] : 0.0f;
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, off);
    if (lane == 0) db[kk] += acc;
  }
}

}  // namespace

void conv2d_forward(const ConvGeom& g, const float* x, const float* w, const float* b, float* y) {
  check_sizes(g, "conv2d_forward");
  const auto run = [&](const ConvConfig& c, float* out) {
    run_gemm(ForwardOp{Dims(g), x, w, b, out}, conv_pass_gemm(ConvPass::forward, g), c);
  };
  run(choose(ConvPass::forward, g, g.y_size(), run), y);
}

void conv2d_backward_data(const ConvGeom& g, const float* dy, const float* w, float* dx, const float* bias) {
  check_sizes(g, "conv2d_backward_data");
  const int st = g.stride;
  const auto run = [&](const ConvConfig& c, float* out) {
    // (a, b) in row-major order; a phase with no rows or columns (a >= H or b >= W) has nothing to write.
    for (int a = 0; a < std::min(st, g.h); ++a)
      for (int b = 0; b < std::min(st, g.w); ++b) {
        const BackwardDataOp op{Dims(g), dy, w, bias, out, Phase(g, a, b)};
        run_gemm(op, GemmDims{g.n * op.ph.hb * op.ph.wb, g.c, g.k * op.ph.ri * op.ph.sj}, c);
      }
  };
  run(choose(ConvPass::backward_data, g, g.x_size(), run), dx);
}

void conv2d_backward_weight(const ConvGeom& g, const float* x, const float* dy, float* dw) {
  check_sizes(g, "conv2d_backward_weight");
  const auto run = [&](const ConvConfig& c, float* out) {
    run_gemm(BackwardWeightOp{Dims(g), x, dy, out}, conv_pass_gemm(ConvPass::backward_weight, g), c);
  };
  run(choose(ConvPass::backward_weight, g, g.w_size(), run), dw);
}

void bias_backward(int n, int k, int64_t n_hw, const float* dy, float* db) {
  if (k == 0) return;
  P2P_LAUNCH(bias_backward_kernel, k, kBiasThreads, n, k, n_hw, dy, db);
}

}  // namespace p2p::cuda
