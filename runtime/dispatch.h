// Backend choice for the tensor-level ops: the caller picks the backend by where the tensors live.
// Each op's entry point checks shapes and devices, then runs its CPU reference (float) or its CUDA
// kernel through P2P_ON_CUDA, which in a build without nvcc becomes a clear error instead.
#pragma once
#include <initializer_list>

#include "runtime/check.h"
#include "runtime/tensor.h"

#ifdef P2P_WITH_CUDA
#define P2P_ON_CUDA(...) __VA_ARGS__
#else
#define P2P_ON_CUDA(...) P2P_FAIL("this build has no CUDA support (nvcc was not found at configure time)")
#endif

namespace p2p {

// All defined tensors in the list live on one device; returns it. Null pointers are skipped.
inline Device common_device(std::initializer_list<const Tensor*> ts, const char* op) {
  const Tensor* first = nullptr;
  for (const Tensor* t : ts) {
    if (!t || !t->defined()) continue;
    if (!first) first = t;
    P2P_CHECK(t->device() == first->device(), op << ": tensors on different devices (" << device_name(first->device())
                                                 << " and " << device_name(t->device()) << ")");
  }
  P2P_CHECK(first, op << ": no tensors given");
  return first->device();
}

// Raw pointer of an optional tensor.
inline const float* opt_data(const Tensor* t) { return t && t->defined() ? t->data() : nullptr; }
inline float* opt_data(Tensor* t) { return t && t->defined() ? t->data() : nullptr; }

}  // namespace p2p
