// ParamStore: every trainable parameter, its gradient and its two Adam moments live in four FLAT
// buffers of equal size; running statistics (batch norm) live in a fifth, untrained one. Each named
// entry is a view (an offset and a shape) into them, so one Adam launch updates the whole model,
// one write saves it, and one zero_grad clears every gradient.
//
// Life cycle: layers declare their entries with add / add_buffer while the model is built (no
// memory yet, so a model can be counted without allocating), then the owner calls finalize once,
// which allocates on the device and initialises:
//   trainable entry i (in declaration order): Normal(mean, std) drawn on the host with
//       fill_normal(seed, stream offset = i), or the constant mean when std == 0; then copied over;
//   gradients and Adam moments: 0;  buffers: their constant value.
// Gradient convention: layers accumulate (+=) into grad(id); the trainer calls zero_grad() before
// each backward. Names are the checkpoint tensor names and must be unique.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/tensor.h"

namespace p2p {

struct Init {
  float mean = 0, std = 0;  // std 0 = the constant mean
};

class ParamStore {
 public:
  struct Entry {
    std::string name;
    Shape shape;
    int64_t offset;  // in floats, into the flat buffer
  };

  // Declare before finalize; the returned id indexes value / grad (or buffer).
  int add(const std::string& name, Shape shape, Init init);
  int add_buffer(const std::string& name, Shape shape, float value);

  void finalize(Device dev, uint64_t seed);
  bool finalized() const { return finalized_; }

  // Views into the flat buffers (only after finalize).
  Tensor& value(int id);
  Tensor& grad(int id);
  Tensor& buffer(int id);
  // The flat buffers themselves: [num_params()] each, buffers(): [num_buffer_values()].
  Tensor& values();
  Tensor& grads();
  Tensor& adam_m();
  Tensor& adam_v();
  Tensor& buffers();

  const std::vector<Entry>& params() const { return params_; }
  const std::vector<Entry>& buffer_entries() const { return buffer_entries_; }
  int64_t num_params() const { return num_params_; }  // known before finalize
  int64_t num_buffer_values() const { return num_buffer_values_; }
  Device device() const { return device_; }
  void zero_grad();

 private:
  void check_new_name(const std::string& name) const;
  void check_finalized(const char* what) const;

  std::vector<Entry> params_, buffer_entries_;
  std::vector<Init> inits_;
  std::vector<float> buffer_inits_;
  int64_t num_params_ = 0, num_buffer_values_ = 0;
  bool finalized_ = false;
  Device device_ = Device::CPU;
  Tensor values_, grads_, adam_m_, adam_v_, buffers_;
  std::vector<Tensor> value_views_, grad_views_, buffer_views_;
};

}  // namespace p2p
