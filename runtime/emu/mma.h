// CUDA emulation: the <mma.h> of the emulation build, the subset of WMMA (nvcuda::wmma) that the TF32
// convolutions use (kernels/conv_tc.cuh): m16n16k8 with precision::tf32 operands and float
// accumulators: fragment, fill_fragment, load_matrix_sync, store_matrix_sync, mma_sync and
// __float_to_tf32. Any other shape or type is a compile error here.
//
// The fragment layout. CUDA does not document which lane holds which element of a WMMA fragment, so
// a kernel may only treat a fragment as a whole: fill it, load it, store it, multiply, or apply the
// same function to each x[i]. The emulation uses the layout of PTX's mma.m16n8k8 .tf32 (two of them
// side by side for n = 16); with g = lane / 4 and t = lane % 4:
//   matrix_a (16 x 8, 4 per lane):  x[0] = A[g][t]  x[1] = A[g+8][t]  x[2] = A[g][t+4]  x[3] = A[g+8][t+4]
//   matrix_b (8 x 16, 4 per lane):  x[0] = B[t][g]  x[1] = B[t+4][g]  x[2] = B[t][g+8]  x[3] = B[t+4][g+8]
//   accumulator (16 x 16, 8 per lane): x[0] = C[g][2t]  x[1] = C[g][2t+1]  x[2] = C[g+8][2t]  x[3] = C[g+8][2t+1],
//                                      x[4..7] the same four at columns + 8
// The row_major / col_major of matrix_a and matrix_b, and the layout_t of an accumulator's load or
// store, say only how the matrix lies in memory (element (r, c) at p[r ldm + c] or p[c ldm + r]).
// That is the layout under the forward schedule (P2P_EMU_SCHEDULE). Under the reverse and random
// schedules each lane holds its elements in reverse order (x[i] is the element above's
// x[num_elements - 1 - i]), so that a kernel which reads a fragment element by its position, and
// would compute something else on a GPU, gives other bits under the op tests' determinism checks
// instead of passing by accident. tests/test_emulation.cpp checks both orders by loading known matrices.
//
// Each _sync call is a collective of the whole warp (p2p::emu::warp_apply, one exchange per call):
// all 32 lanes must call it, with the same pointer, ldm and layout, or the kernel fails naming the
// call; a lane that exits or waits elsewhere is a deadlock, reported as such. As CUDA requires, the
// pointer must be 32-byte aligned and ldm a multiple of 4 floats (16 bytes).
//
// The arithmetic. mma_sync reads only the TF32 bits of its operands (the low 13 mantissa bits are
// ignored, as the tensor cores do: a kernel that forgets to round its operands gets truncation,
// which the tests see); the product of two TF32 values (11-bit significands) is exact in float, and
// D[i][j] = C[i][j] + A[i][0] B[0][j] + ... + A[i][7] B[7][j], added left to right in float.
// __float_to_tf32 is cvt.rna.tf32.f32 (runtime/tf32.h): round to nearest, ties away from zero.
#pragma once
#ifndef P2P_CUDA_EMULATION
#error "runtime/emu/mma.h is the CUDA emulation's header: build with -DP2P_CUDA_EMULATION=ON"
#endif

#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "runtime/tf32.h"

namespace nvcuda::wmma {

struct matrix_a;
struct matrix_b;
struct accumulator;
struct row_major;
struct col_major;
namespace precision {
struct tf32;
}
enum layout_t { mem_row_major, mem_col_major };

template <class Use, int M, int N, int K, class T, class Layout = void>
struct fragment;

namespace emu_detail {

// The calls' names: one object each, as warp_apply compares names by address.
inline constexpr char kLoadA[] = "wmma::load_matrix_sync(matrix_a)", kLoadB[] = "wmma::load_matrix_sync(matrix_b)",
                      kLoadC[] = "wmma::load_matrix_sync(accumulator)", kStore[] = "wmma::store_matrix_sync",
                      kMma[] = "wmma::mma_sync";

template <int Count>
struct fragment_base {
  static constexpr int num_elements = Count;
  float x[Count];
};

// Where element i of lane l's fragment sits in its matrix (the layout above).
struct Pos {
  int row, col;
};
inline Pos a_pos(int lane, int i) { return {lane / 4 + 8 * (i & 1), lane % 4 + 4 * (i >> 1)}; }
inline Pos b_pos(int lane, int i) { return {lane % 4 + 4 * (i & 1), lane / 4 + 8 * (i >> 1)}; }
inline Pos c_pos(int lane, int i) { return {lane / 4 + 8 * ((i >> 1) & 1), 2 * (lane % 4) + (i & 1) + 8 * (i >> 2)}; }

// The TF32 bits of x, as the tensor cores read them.
inline float tf32_bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  u &= 0xffffe000u;
  std::memcpy(&x, &u, sizeof u);
  return x;
}

// A load or store: each lane's fragment elements and the (warp-uniform) memory operand.
struct Transfer {
  float* x;
  const float* load;  // one of load and store is null
  float* store;
  unsigned ldm;
  bool row_major;
};

inline const char* check_uniform(void* const* lanes) {
  const Transfer& t0 = *static_cast<const Transfer*>(lanes[0]);
  for (int l = 1; l < 32; ++l) {
    const Transfer& t = *static_cast<const Transfer*>(lanes[l]);
    if (t.load != t0.load || t.store != t0.store || t.ldm != t0.ldm || t.row_major != t0.row_major)
      return "the lanes of the warp pass different pointers, ldm or layouts";
  }
  const void* p = t0.load ? static_cast<const void*>(t0.load) : t0.store;
  if (reinterpret_cast<uintptr_t>(p) % 32 != 0) return "the pointer is not 32-byte aligned";
  if (t0.ldm % 4 != 0) return "ldm is not a multiple of 4 floats (16 bytes)";
  return nullptr;
}

// Element i of a lane's fragment of Count in the running launch's order (see the top).
inline int element(int i, int count, bool reversed) { return reversed ? count - 1 - i : i; }

// Every lane's elements from or to memory; pos: the fragment's layout.
template <int Count, Pos (*pos)(int, int)>
const char* transfer(void* const* lanes) {
  if (const char* err = check_uniform(lanes)) return err;
  const bool rev = p2p::emu::unordered_schedule();
  for (int l = 0; l < 32; ++l) {
    const Transfer& t = *static_cast<const Transfer*>(lanes[l]);
    for (int i = 0; i < Count; ++i) {
      const Pos e = pos(l, element(i, Count, rev));
      const size_t off = t.row_major ? size_t(e.row) * t.ldm + e.col : size_t(e.col) * t.ldm + e.row;
      if (t.load)
        t.x[i] = t.load[off];
      else
        t.store[off] = t.x[i];
    }
  }
  return nullptr;
}

struct Mma {
  float* d;
  const float *a, *b, *c;
};

inline const char* mma(void* const* lanes) {
  float A[16][8], B[8][16], C[16][16];
  const bool rev = p2p::emu::unordered_schedule();
  for (int l = 0; l < 32; ++l) {
    const Mma& m = *static_cast<const Mma*>(lanes[l]);
    for (int i = 0; i < 4; ++i) {
      const Pos pa = a_pos(l, element(i, 4, rev)), pb = b_pos(l, element(i, 4, rev));
      A[pa.row][pa.col] = tf32_bits(m.a[i]);
      B[pb.row][pb.col] = tf32_bits(m.b[i]);
    }
    for (int i = 0; i < 8; ++i) {
      const Pos pc = c_pos(l, element(i, 8, rev));
      C[pc.row][pc.col] = m.c[i];
    }
  }
  for (int r = 0; r < 16; ++r)
    for (int c = 0; c < 16; ++c)
      for (int k = 0; k < 8; ++k) C[r][c] += A[r][k] * B[k][c];  // the product is exact: 11 x 11 significant bits
  for (int l = 0; l < 32; ++l) {
    const Mma& m = *static_cast<const Mma*>(lanes[l]);
    for (int i = 0; i < 8; ++i) {
      const Pos pc = c_pos(l, element(i, 8, rev));
      m.d[i] = C[pc.row][pc.col];
    }
  }
  return nullptr;
}

template <class Layout>
constexpr bool is_row_major() {
  static_assert(std::is_same_v<Layout, row_major> || std::is_same_v<Layout, col_major>, "row_major or col_major");
  return std::is_same_v<Layout, row_major>;
}

}  // namespace emu_detail

template <class Layout>
struct fragment<matrix_a, 16, 16, 8, precision::tf32, Layout> : emu_detail::fragment_base<4> {};
template <class Layout>
struct fragment<matrix_b, 16, 16, 8, precision::tf32, Layout> : emu_detail::fragment_base<4> {};
template <>
struct fragment<accumulator, 16, 16, 8, float, void> : emu_detail::fragment_base<8> {};

inline float __float_to_tf32(float x) { return p2p::tf32_round(x); }

template <class Use, class T, class Layout>
void fill_fragment(fragment<Use, 16, 16, 8, T, Layout>& f, float v) {
  for (float& e : f.x) e = v;
}

template <class Layout>
void load_matrix_sync(fragment<matrix_a, 16, 16, 8, precision::tf32, Layout>& f, const float* p, unsigned ldm) {
  emu_detail::Transfer t{f.x, p, nullptr, ldm, emu_detail::is_row_major<Layout>()};
  p2p::emu::warp_apply(emu_detail::kLoadA, &t, emu_detail::transfer<4, emu_detail::a_pos>);
}
template <class Layout>
void load_matrix_sync(fragment<matrix_b, 16, 16, 8, precision::tf32, Layout>& f, const float* p, unsigned ldm) {
  emu_detail::Transfer t{f.x, p, nullptr, ldm, emu_detail::is_row_major<Layout>()};
  p2p::emu::warp_apply(emu_detail::kLoadB, &t, emu_detail::transfer<4, emu_detail::b_pos>);
}
inline void load_matrix_sync(fragment<accumulator, 16, 16, 8, float>& f, const float* p, unsigned ldm,
                             layout_t layout) {
  emu_detail::Transfer t{f.x, p, nullptr, ldm, layout == mem_row_major};
  p2p::emu::warp_apply(emu_detail::kLoadC, &t, emu_detail::transfer<8, emu_detail::c_pos>);
}
inline void store_matrix_sync(float* p, const fragment<accumulator, 16, 16, 8, float>& f, unsigned ldm,
                              layout_t layout) {
  emu_detail::Transfer t{const_cast<float*>(f.x), nullptr, p, ldm, layout == mem_row_major};
  p2p::emu::warp_apply(emu_detail::kStore, &t, emu_detail::transfer<8, emu_detail::c_pos>);
}

template <class LayoutA, class LayoutB>
void mma_sync(fragment<accumulator, 16, 16, 8, float>& d,
              const fragment<matrix_a, 16, 16, 8, precision::tf32, LayoutA>& a,
              const fragment<matrix_b, 16, 16, 8, precision::tf32, LayoutB>& b,
              const fragment<accumulator, 16, 16, 8, float>& c) {
  emu_detail::Mma m{d.x, a.x, b.x, c.x};
  p2p::emu::warp_apply(emu_detail::kMma, &m, emu_detail::mma);
}

}  // namespace nvcuda::wmma
