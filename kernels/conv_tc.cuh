// The TF32 tensor-core variant of conv2d.cu's implicit GEMM (ConvPrecision::tf32, kernels/conv2d.h).
// Included by conv2d.cu inside its anonymous namespace, after Stage and the tiles, and read like its
// tile kernel: the same ops (forward, backward-data by stride phase, backward-weight by split-K
// chunk: their kidx / arow / a / bcol / b / orow / store), the same Stage (double-buffered tiles of
// kBK = 16 reduction steps through shared memory), with two differences:
//   - Stage<Op, T, true> rounds every A and B element to TF32 (cvt.rna: nearest, ties away from zero)
//     as it stores it to shared memory, so each product is of two TF32 values, exact in float;
//   - the math is WMMA m16n16k8 (one warp multiplies a 16 x 8 A fragment by an 8 x 16 B fragment
//     into a 16 x 16 float accumulator): each of the 8 warps owns a WM x WN part of the block's tile
//     (FM x FN accumulators) and walks the kBK steps 8 at a time. A is stored As[kk][m], i.e. the
//     BM x kBK tile in column-major order with leading dimension BM + kPadSmem; B is Bs[kk][n], the
//     kBK x BN tile in row-major order.
// The accumulators hold fp32 sums, in a fixed order (the k8 steps in order, each an mma of a fixed
// order), so the result is bitwise reproducible. A fragment's layout is not documented, so the
// epilogue never reads one: the warps store their accumulators to a shared C tile (row-major, BN +
// kPadSmem wide), and after a barrier every thread writes elements of it through op.store, m fastest
// across threads for the ops whose output is m-contiguous (kAMFast: forward and backward-data), else
// n fastest (backward-weight's dw rows).
//
// Tiles: the SIMT kernel's WideTile (64 x 64) with 8 warps of 32 x 16, and for GEMMs of at most 16
// columns (the 1 to 3 output channels of the generators' last layers and the PatchGAN head, the 3 or 6
// image channels of the first layers' backward-data) a 128 x 16 tile of 8 warps of 16 x 16: WMMA's
// fragments are 16 wide, so the SIMT kernel's 256 x 8 narrow tile has no tensor-core twin.
// Shared memory: 35 KB (wide) and 30 KB (narrow), under the 48 KB of a static allocation.
template <class T, int WM_, int WN_>
struct TcTile : T {
  static constexpr int WM = WM_, WN = WN_;
  static_assert(WM % 16 == 0 && WN % 16 == 0 && (T::BM / WM) * (T::BN / WN) * 32 == kThreads,
                "one WM x WN part of the tile per warp, in whole 16 x 16 fragments");
};
// launch_tile's choice of kernel: tc_gemm_kernel for a TcTile, implicit_gemm_kernel for a Tile.
template <class T>
struct is_tc_tile : std::false_type {};
template <class T, int WM, int WN>
struct is_tc_tile<TcTile<T, WM, WN>> : std::true_type {};

using TcWideTile = TcTile<WideTile, 32, 16>;
using TcNarrowTile = TcTile<Tile<128, 16, 2>, 16, 16>;

template <class Op, class T>
__global__ void __launch_bounds__(kThreads) tc_gemm_kernel(const Op op, const GemmShape gs) {
  namespace wmma = nvcuda::wmma;
  constexpr int BM = T::BM, BN = T::BN, WM = T::WM, WN = T::WN, FM = WM / 16, FN = WN / 16;
  constexpr int kLda = BM + kPadSmem, kLdb = BN + kPadSmem, kLdc = BN + kPadSmem;
  // 32-byte alignment: WMMA's loads and stores need it, at every fragment's first element (its
  // offsets are multiples of 8 floats: 8 kLda, 16 kLdc and the columns 16 j).
  __shared__ __align__(32) float As[2][kBK][kLda];
  __shared__ __align__(32) float Bs[2][kBK][kLdb];
  __shared__ typename Op::KIdx kid[2][kBK];
  __shared__ __align__(32) float Cs[BM][kLdc];
  Stage<Op, T, true> st(op, gs, As, Bs, kid);
  st.start();

  const int warp = threadIdx.x / 32, wm = WM * (warp % (BM / WM)), wn = WN * (warp / (BM / WM));
  wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[FM][FN];
#pragma unroll
  for (int i = 0; i < FM; ++i)
#pragma unroll
    for (int j = 0; j < FN; ++j) wmma::fill_fragment(acc[i][j], 0.0f);
  for (int tile = 0; tile < st.ntiles; ++tile) {
    const int cur = tile & 1;
    if (tile + 1 < st.ntiles) st.load(tile + 1, cur ^ 1);
#pragma unroll
    for (int k8 = 0; k8 < kBK; k8 += 8) {
      wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::col_major> a[FM];
      wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> b[FN];
#pragma unroll
      for (int i = 0; i < FM; ++i) wmma::load_matrix_sync(a[i], &As[cur][k8][wm + 16 * i], kLda);
#pragma unroll
      for (int j = 0; j < FN; ++j) wmma::load_matrix_sync(b[j], &Bs[cur][k8][wn + 16 * j], kLdb);
#pragma unroll
      for (int i = 0; i < FM; ++i)
#pragma unroll
        for (int j = 0; j < FN; ++j) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
    }
    st.advance(tile, cur);
  }

#pragma unroll
  for (int i = 0; i < FM; ++i)
#pragma unroll
    for (int j = 0; j < FN; ++j)
      wmma::store_matrix_sync(&Cs[wm + 16 * i][wn + 16 * j], acc[i][j], kLdc, wmma::mem_row_major);
  __syncthreads();
  const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
  for (int e = threadIdx.x; e < BM * BN; e += kThreads) {
    const int i = Op::kAMFast ? e % BM : e / BN, j = Op::kAMFast ? e / BM : e % BN;
    if (m0 + i < gs.m && n0 + j < gs.n) op.store(op.orow(m0 + i), n0 + j, blockIdx.z, Cs[i][j]);
  }
}
