#include "runtime/tensor.h"

#include <algorithm>
#include <cstring>
#include <sstream>

#include "runtime/allocator.h"
#include "runtime/check.h"
#ifdef P2P_WITH_CUDA
#include "runtime/cuda_util.h"
#include "runtime/tensor_cuda.h"
#endif

namespace p2p {

struct Tensor::Storage {
  Device dev;
  size_t bytes;
  bool pinned = false;
  float* ptr;
  Storage(Device d, size_t b) : dev(d), bytes(b), ptr(static_cast<float*>(alloc_bytes(d, b))) {}
  explicit Storage(size_t b) : dev(Device::CPU), bytes(b), pinned(true), ptr(static_cast<float*>(alloc_pinned(b))) {}
  ~Storage() {
    if (pinned)
      free_pinned(ptr, bytes);
    else
      free_bytes(dev, ptr, bytes);
  }
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

std::string shape_str(const Shape& s) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  os << "]";
  return os.str();
}

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

Tensor::Tensor(Shape shape, Device dev) : shape_(std::move(shape)), device_(dev) {
  for (int64_t d : shape_) P2P_CHECK(d >= 0, "negative dimension in shape " << shape_str(shape_));
  storage_ = std::make_shared<Storage>(dev, static_cast<size_t>(numel()) * sizeof(float));
}

Tensor Tensor::pinned(Shape shape) {
  if (!pinning_available()) return Tensor(std::move(shape));
  Tensor t;
  t.shape_ = std::move(shape);
  for (int64_t d : t.shape_) P2P_CHECK(d >= 0, "negative dimension in shape " << shape_str(t.shape_));
  t.storage_ = std::make_shared<Storage>(static_cast<size_t>(t.numel()) * sizeof(float));
  return t;
}

bool Tensor::is_pinned() const { return storage_ && storage_->pinned; }

Tensor Tensor::zeros(Shape shape, Device dev) { return full(std::move(shape), 0.0f, dev); }

Tensor Tensor::full(Shape shape, float value, Device dev) {
  Tensor t(std::move(shape), dev);
  t.fill(value);
  return t;
}

Tensor Tensor::from_vector(Shape shape, const std::vector<float>& values, Device dev) {
  P2P_CHECK(static_cast<int64_t>(values.size()) == shape_numel(shape),
            values.size() << " values do not fill shape " << shape_str(shape));
  Tensor host(std::move(shape), Device::CPU);
  std::copy(values.begin(), values.end(), host.data());
  return dev == Device::CPU ? host : host.to(dev);
}

int64_t Tensor::dim(int i) const {
  int r = rank();
  int j = i < 0 ? i + r : i;
  P2P_CHECK(j >= 0 && j < r, "dimension " << i << " out of range for shape " << shape_str(shape_));
  return shape_[j];
}

int64_t Tensor::dim4(int i) const {
  P2P_CHECK(rank() == 4, "expected an NCHW tensor, got shape " << shape_str(shape_));
  return shape_[i];
}

float* Tensor::data() { return storage_ ? storage_->ptr + offset_ : nullptr; }
const float* Tensor::data() const { return storage_ ? storage_->ptr + offset_ : nullptr; }

#ifdef P2P_WITH_CUDA
static cudaMemcpyKind copy_kind(Device dst, Device src) {
  if (dst == Device::CPU) return src == Device::CPU ? cudaMemcpyHostToHost : cudaMemcpyDeviceToHost;
  return src == Device::CPU ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToDevice;
}
#endif

void Tensor::copy_from(const Tensor& src) {
  P2P_CHECK(defined() && src.defined(), "copy_from with an undefined tensor");
  P2P_CHECK(numel() == src.numel(),
            "copy_from: " << shape_str(src.shape_) << " into " << shape_str(shape_) << " (element counts differ)");
  size_t bytes = static_cast<size_t>(numel()) * sizeof(float);
  if (bytes == 0) return;
  if (device_ == Device::CPU && src.device_ == Device::CPU) {
    std::memcpy(data(), src.data(), bytes);
    return;
  }
#ifdef P2P_WITH_CUDA
  CUDA_CHECK(cudaMemcpyAsync(data(), src.data(), bytes, copy_kind(device_, src.device_), cuda::stream()));
  if (device_ == Device::CPU) CUDA_CHECK(cudaStreamSynchronize(cuda::stream()));
#else
  P2P_FAIL("this build has no CUDA support: cannot copy GPU tensors");
#endif
}

Tensor Tensor::to(Device dev) const {
  P2P_CHECK(defined(), "to(): undefined tensor");
  Tensor out(shape_, dev);
  out.copy_from(*this);
  return out;
}

std::vector<float> Tensor::to_vector() const {
  Tensor host = device_ == Device::CPU ? *this : to(Device::CPU);
  return std::vector<float>(host.data(), host.data() + numel());
}

void Tensor::fill(float value) {
  P2P_CHECK(defined(), "fill(): undefined tensor");
  if (device_ == Device::CPU) {
    std::fill(data(), data() + numel(), value);
    return;
  }
#ifdef P2P_WITH_CUDA
  cuda::fill(data(), numel(), value);
#endif
}

Tensor Tensor::view(Shape shape) const {
  P2P_CHECK(shape_numel(shape) == numel(),
            "view " << shape_str(shape) << " of " << shape_str(shape_) << " changes the element count");
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::slice(int64_t offset, Shape shape) const {
  P2P_CHECK(offset >= 0 && offset + shape_numel(shape) <= numel(),
            "slice of " << shape_numel(shape) << " elements at " << offset << " overruns a tensor of " << numel());
  Tensor t = *this;
  t.offset_ += offset;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::batch(int64_t i) const {
  P2P_CHECK(rank() >= 1 && i >= 0 && i < shape_[0], "batch " << i << " out of range for " << shape_str(shape_));
  Shape s = shape_;
  s[0] = 1;
  return slice(i * (numel() / shape_[0]), s);
}

void check_shape(const Tensor& t, const Shape& expected, const char* what) {
  P2P_CHECK(t.defined(), what << ": tensor is undefined, expected shape " << shape_str(expected));
  P2P_CHECK(t.shape() == expected, what << ": shape " << shape_str(t.shape()) << ", expected " << shape_str(expected));
}

void check_rank(const Tensor& t, int rank, const char* what) {
  P2P_CHECK(t.defined(), what << ": tensor is undefined");
  P2P_CHECK(t.rank() == rank,
            what << ": shape " << shape_str(t.shape()) << " has rank " << t.rank() << ", expected " << rank);
}

void check_same_device(const Tensor& a, const Tensor& b, const char* what) {
  P2P_CHECK(a.device() == b.device(), what << ": tensors on different devices (" << device_name(a.device()) << " and "
                                           << device_name(b.device()) << ")");
}

}  // namespace p2p
