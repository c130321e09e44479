// Normalisation layer, one of pix2pix's --norm choices (get_norm_layer in networks.py):
//   batch:    BatchNorm2d(affine, track_running_stats): weight "<name>.weight" [C] init N(1, 0.02),
//             bias "<name>.bias" [C] init 0; buffers "<name>.running_mean" (0), "<name>.running_var"
//             (1); momentum 0.1, eps 1e-5. Training normalises with the batch statistics and
//             updates the running ones; eval uses the running ones (kernels/batch_norm2d.h).
//   instance: InstanceNorm2d(affine=False, track_running_stats=False): no parameters, per-image
//             statistics in training and eval alike (kernels/instance_norm2d.h).
//   none:     identity (the models leave the layer out; here it copies, for completeness).
// backward uses the mode of the last forward; dx written when non-null (sized to x), dweight and
// dbias accumulated (+=) when param_grads.
#pragma once
#include <string>

#include "nn/params.h"

namespace p2p {

enum class NormKind { batch, instance, none };
// "batch" | "instance" | "none"; anything else is an error naming --norm and the value.
NormKind parse_norm(const std::string& s);
const char* norm_name(NormKind k);

class Norm2d {
 public:
  static constexpr float kEps = 1e-5f, kMomentum = 0.1f;

  Norm2d(ParamStore& store, const std::string& name, NormKind kind, int channels);
  const Tensor& forward(const Tensor& x, bool training);
  void backward(const Tensor& dy, Tensor* dx, bool param_grads = true);

  const std::string& name() const { return name_; }
  NormKind kind() const { return kind_; }
  const Tensor& output() const { return y_; }
  int64_t num_params() const;

 private:
  ParamStore* store_;
  std::string name_;
  NormKind kind_;
  int channels_;
  int weight_ = -1, bias_ = -1, running_mean_ = -1, running_var_ = -1;
  bool training_ = true;
  Tensor x_, y_, save_mean_, save_invstd_;
  Tensor scratch_dx_;  // dx when the caller wants only parameter gradients (the kernels always write dx)
};

}  // namespace p2p
