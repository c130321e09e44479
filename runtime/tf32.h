// TF32, the tensor cores' 19-bit float: fp32's sign and 8-bit exponent with 10 mantissa bits (an
// 11-bit significand with the implicit 1). tf32_round is PTX's cvt.rna.tf32.f32: round to nearest,
// ties away from zero, kept in a float whose low 13 bits are 0. Ties away from zero in sign-magnitude
// bits: add half a unit of the 11th significant bit (0x1000) to the magnitude and clear the low 13
// bits; a carry out of the mantissa bumps the exponent, as rounding up does (to infinity past
// FLT_MAX). Infinities and NaNs are returned as they are (the carry would corrupt a NaN's bits).
// One definition for the host (the tests' reference rounds its inputs with it) and the CUDA
// emulation (runtime/emu/mma.h's __float_to_tf32).
#pragma once
#include <cstdint>
#include <cstring>

namespace p2p {

inline float tf32_round(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  if ((u & 0x7f800000u) != 0x7f800000u) u = (u + 0x1000u) & 0xffffe000u;
  float r;
  std::memcpy(&r, &u, sizeof r);
  return r;
}

}  // namespace p2p
