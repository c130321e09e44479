#include "nn/conv.h"

#include "kernels/conv2d.h"
#include "kernels/conv_transpose2d.h"
#include "nn/buffer.h"
#include "runtime/check.h"

namespace p2p {

namespace {
constexpr Init kWeightInit{0.0f, 0.02f};  // pix2pix init_weights(init_type="normal", gain=0.02)
constexpr Init kBiasInit{0.0f, 0.0f};

void check_input(const Tensor& x, int cin, const std::string& name) {
  P2P_CHECK(x.rank() == 4 && x.c() == cin,
            name << ": expected an input [N, " << cin << ", H, W], got " << shape_str(x.shape()));
}
}  // namespace

Conv2d::Conv2d(ParamStore& store, const std::string& name, int cin, int cout, int k, int stride, int pad, bool bias)
    : store_(&store), name_(name), cin_(cin), cout_(cout), k_(k), stride_(stride), pad_(pad) {
  weight_ = store.add(name + ".weight", {cout, cin, k, k}, kWeightInit);
  if (bias) bias_ = store.add(name + ".bias", {cout}, kBiasInit);
}

int64_t Conv2d::num_params() const { return int64_t(cout_) * cin_ * k_ * k_ + (bias_ >= 0 ? cout_ : 0); }

const Tensor& Conv2d::forward(const Tensor& x) {
  check_input(x, cin_, name_);
  x_ = x;
  const Tensor& w = store_->value(weight_);
  ConvGeom g = conv2d_geom(x, w, stride_, pad_);
  P2P_CHECK(g.p() > 0 && g.q() > 0,
            name_ << ": input " << shape_str(x.shape()) << " is too small for a " << k_ << "x" << k_ << " kernel");
  ensure_buffer(y_, {g.n, g.k, g.p(), g.q()}, x.device());
  conv2d_forward(x, w, bias_ >= 0 ? &store_->value(bias_) : nullptr, stride_, pad_, y_);
  return y_;
}

void Conv2d::backward(const Tensor& dy, Tensor* dx, bool param_grads) {
  P2P_CHECK(x_.defined(), name_ << ": backward before forward");
  check_shape(dy, y_.shape(), (name_ + " dy").c_str());
  const Tensor& w = store_->value(weight_);
  if (dx) {
    ensure_buffer(*dx, x_.shape(), x_.device());
    conv2d_backward_data(dy, w, stride_, pad_, *dx);
  }
  if (param_grads) {
    conv2d_backward_weight(x_, dy, stride_, pad_, store_->grad(weight_));
    if (bias_ >= 0) bias_backward(dy, store_->grad(bias_));
  }
}

ConvTranspose2d::ConvTranspose2d(ParamStore& store, const std::string& name, int cin, int cout, int k, int stride,
                                 int pad, bool bias, int output_padding)
    : store_(&store), name_(name), cin_(cin), cout_(cout), k_(k), stride_(stride), pad_(pad), opad_(output_padding) {
  weight_ = store.add(name + ".weight", {cin, cout, k, k}, kWeightInit);
  if (bias) bias_ = store.add(name + ".bias", {cout}, kBiasInit);
}

int64_t ConvTranspose2d::num_params() const { return int64_t(cin_) * cout_ * k_ * k_ + (bias_ >= 0 ? cout_ : 0); }

const Tensor& ConvTranspose2d::forward(const Tensor& x) {
  check_input(x, cin_, name_);
  x_ = x;
  const Tensor& w = store_->value(weight_);
  ConvTGeom g = conv_transpose2d_geom(x, w, stride_, pad_, opad_);
  ensure_buffer(y_, {g.n, g.o, g.ho(), g.wo()}, x.device());
  conv_transpose2d_forward(x, w, bias_ >= 0 ? &store_->value(bias_) : nullptr, stride_, pad_, opad_, y_);
  return y_;
}

void ConvTranspose2d::backward(const Tensor& dy, Tensor* dx, bool param_grads) {
  P2P_CHECK(x_.defined(), name_ << ": backward before forward");
  check_shape(dy, y_.shape(), (name_ + " dy").c_str());
  const Tensor& w = store_->value(weight_);
  if (dx) {
    ensure_buffer(*dx, x_.shape(), x_.device());
    conv_transpose2d_backward_data(dy, w, stride_, pad_, opad_, *dx);
  }
  if (param_grads) {
    conv_transpose2d_backward_weight(x_, dy, stride_, pad_, opad_, store_->grad(weight_));
    if (bias_ >= 0) bias_backward(dy, store_->grad(bias_));
  }
}

}  // namespace p2p
