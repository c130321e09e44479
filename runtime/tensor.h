// Tensor: a float32 array with a shape (NCHW for images) that lives on the CPU or on the GPU.
// Storage is shared and reference counted; a view (slice of a flat buffer, reshape) shares it.
// Element access from the host is only allowed for CPU tensors: move with to(Device) first.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/device.h"

namespace p2p {

using Shape = std::vector<int64_t>;
std::string shape_str(const Shape& s);  // "[1, 3, 256, 256]"
int64_t shape_numel(const Shape& s);

class Tensor {
 public:
  Tensor() = default;
  // Uninitialised memory (the allocator's, not zeroed).
  explicit Tensor(Shape shape, Device dev = Device::CPU);
  static Tensor zeros(Shape shape, Device dev = Device::CPU);
  static Tensor full(Shape shape, float value, Device dev = Device::CPU);
  static Tensor from_vector(Shape shape, const std::vector<float>& values, Device dev = Device::CPU);
  // A CPU tensor in page-locked memory (runtime/allocator.h) when pinning_available(), else an
  // ordinary one: for data on its way to the GPU. Uninitialised.
  static Tensor pinned(Shape shape);

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t dim(int i) const;  // negative i counts from the end
  int64_t numel() const { return shape_numel(shape_); }
  Device device() const { return device_; }
  bool is_cuda() const { return device_ == Device::CUDA; }
  bool is_pinned() const;  // page-locked host memory (from pinned())

  // NCHW accessors; they require a rank-4 tensor.
  int n() const { return static_cast<int>(dim4(0)); }
  int c() const { return static_cast<int>(dim4(1)); }
  int h() const { return static_cast<int>(dim4(2)); }
  int w() const { return static_cast<int>(dim4(3)); }

  float* data();
  const float* data() const;

  // A copy on dev (or a plain copy when already there).
  Tensor to(Device dev) const;
  Tensor clone() const { return to(device_); }
  std::vector<float> to_vector() const;
  // Copies src's elements into this tensor; shapes may differ but the element counts must match.
  void copy_from(const Tensor& src);
  void fill(float value);
  void zero() { fill(0.0f); }

  // Views sharing this tensor's storage.
  Tensor view(Shape shape) const;                   // same element count
  Tensor slice(int64_t offset, Shape shape) const;  // elements [offset, offset + numel(shape))
  Tensor batch(int64_t i) const;                    // the i-th item along dim 0, keeping rank

 private:
  struct Storage;
  int64_t dim4(int i) const;

  std::shared_ptr<Storage> storage_;
  int64_t offset_ = 0;  // in floats
  Shape shape_;
  Device device_ = Device::CPU;
};

// Shape checks with a message that names the tensor, its shape and what was expected.
void check_shape(const Tensor& t, const Shape& expected, const char* what);
void check_rank(const Tensor& t, int rank, const char* what);
void check_same_device(const Tensor& a, const Tensor& b, const char* what);

}  // namespace p2p
