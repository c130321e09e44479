// Convolution layers over the op kernels (kernels/conv2d.h, kernels/conv_transpose2d.h).
//
//   Conv2d          weight "<name>.weight" [cout, cin, k, k], bias "<name>.bias" [cout] (when bias)
//   ConvTranspose2d weight "<name>.weight" [cin, cout, k, k] (PyTorch's layout), bias [cout]
// Init (pix2pix init_type normal, gain 0.02): weight N(0, 0.02), bias 0.
//
// forward keeps a handle on x (not a copy): x must stay unchanged until backward, which holds for
// the previous layer's output buffer. backward(dy, dx, param_grads): dx (written) when non-null,
// (re)sized to x's shape; dweight / dbias accumulated (+=) into the store when param_grads, and
// when it is false the weight-gradient kernels are not run at all.
#pragma once
#include <string>

#include "nn/params.h"

namespace p2p {

class Conv2d {
 public:
  Conv2d(ParamStore& store, const std::string& name, int cin, int cout, int k, int stride, int pad, bool bias);
  const Tensor& forward(const Tensor& x);
  void backward(const Tensor& dy, Tensor* dx, bool param_grads = true);

  const std::string& name() const { return name_; }
  const Tensor& output() const { return y_; }
  int64_t num_params() const;

 private:
  ParamStore* store_;
  std::string name_;
  int cin_, cout_, k_, stride_, pad_;
  int weight_ = -1, bias_ = -1;  // store ids; bias_ -1 without bias
  Tensor x_, y_;
};

class ConvTranspose2d {
 public:
  // output_padding: extra rows and columns at the bottom and right (kernels/conv_transpose2d.h).
  ConvTranspose2d(ParamStore& store, const std::string& name, int cin, int cout, int k, int stride, int pad, bool bias,
                  int output_padding = 0);
  const Tensor& forward(const Tensor& x);
  void backward(const Tensor& dy, Tensor* dx, bool param_grads = true);

  const std::string& name() const { return name_; }
  const Tensor& output() const { return y_; }
  int64_t num_params() const;

 private:
  ParamStore* store_;
  std::string name_;
  int cin_, cout_, k_, stride_, pad_, opad_;
  int weight_ = -1, bias_ = -1;
  Tensor x_, y_;
};

}  // namespace p2p
