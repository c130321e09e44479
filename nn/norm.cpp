#include "nn/norm.h"

#include "kernels/batch_norm2d.h"
#include "kernels/instance_norm2d.h"
#include "nn/buffer.h"
#include "runtime/check.h"

namespace p2p {

NormKind parse_norm(const std::string& s) {
  if (s == "batch") return NormKind::batch;
  if (s == "instance") return NormKind::instance;
  if (s == "none") return NormKind::none;
  P2P_FAIL("--norm: unknown normalisation '" << s << "' (expected batch, instance or none)");
}

const char* norm_name(NormKind k) {
  switch (k) {
    case NormKind::batch:
      return "batch";
    case NormKind::instance:
      return "instance";
    case NormKind::none:
      return "none";
  }
  return "?";
}

Norm2d::Norm2d(ParamStore& store, const std::string& name, NormKind kind, int channels)
    : store_(&store), name_(name), kind_(kind), channels_(channels) {
  if (kind == NormKind::batch) {
    weight_ = store.add(name + ".weight", {channels}, Init{1.0f, 0.02f});  // pix2pix: BN weight N(1, 0.02)
    bias_ = store.add(name + ".bias", {channels}, Init{0.0f, 0.0f});
    running_mean_ = store.add_buffer(name + ".running_mean", {channels}, 0.0f);
    running_var_ = store.add_buffer(name + ".running_var", {channels}, 1.0f);
  }
}

int64_t Norm2d::num_params() const { return kind_ == NormKind::batch ? 2 * int64_t(channels_) : 0; }

const Tensor& Norm2d::forward(const Tensor& x, bool training) {
  P2P_CHECK(x.rank() == 4 && x.c() == channels_,
            name_ << ": expected an input [N, " << channels_ << ", H, W], got " << shape_str(x.shape()));
  x_ = x;
  training_ = training;
  const Device dev = x.device();
  switch (kind_) {
    case NormKind::batch: {
      Tensor& gamma = store_->value(weight_);
      Tensor& beta = store_->value(bias_);
      ensure_buffer(y_, x.shape(), dev);
      if (training) {
        P2P_CHECK(int64_t(x.n()) * x.h() * x.w() > 1, name_ << ": batch norm in training needs more than one value "
                                                            << "per channel, got input " << shape_str(x.shape()));
        ensure_buffer(save_mean_, {channels_}, dev);
        ensure_buffer(save_invstd_, {channels_}, dev);
        batch_norm2d_forward_train(x, &gamma, &beta, kEps, kMomentum, y_, save_mean_, save_invstd_,
                                   &store_->buffer(running_mean_), &store_->buffer(running_var_));
      } else {
        batch_norm2d_forward_eval(x, &gamma, &beta, store_->buffer(running_mean_), store_->buffer(running_var_), kEps,
                                  y_);
      }
      return y_;
    }
    case NormKind::instance:
      ensure_buffer(y_, x.shape(), dev);
      ensure_buffer(save_mean_, {x.n(), channels_}, dev);
      ensure_buffer(save_invstd_, {x.n(), channels_}, dev);
      instance_norm2d_forward(x, nullptr, nullptr, kEps, y_, save_mean_, save_invstd_);
      return y_;
    case NormKind::none:
      break;
  }
  return x_;
}

void Norm2d::backward(const Tensor& dy, Tensor* dx, bool param_grads) {
  P2P_CHECK(x_.defined(), name_ << ": backward before forward");
  check_shape(dy, x_.shape(), (name_ + " dy").c_str());
  if (kind_ == NormKind::none) {
    if (dx) {
      ensure_buffer(*dx, x_.shape(), x_.device());
      dx->copy_from(dy);
    }
    return;
  }
  if (!dx && !param_grads) return;
  // The kernels always write dx: without a caller's dx, the layer's own scratch takes it.
  Tensor* out = dx ? dx : &scratch_dx_;
  ensure_buffer(*out, x_.shape(), x_.device());
  if (kind_ == NormKind::instance) {
    instance_norm2d_backward(dy, x_, nullptr, save_mean_, save_invstd_, *out, nullptr, nullptr);
    return;
  }
  Tensor* dgamma = param_grads ? &store_->grad(weight_) : nullptr;
  Tensor* dbeta = param_grads ? &store_->grad(bias_) : nullptr;
  const Tensor& gamma = store_->value(weight_);
  if (training_)
    batch_norm2d_backward_train(dy, x_, &gamma, save_mean_, save_invstd_, *out, dgamma, dbeta);
  else
    batch_norm2d_backward_eval(dy, x_, &gamma, store_->buffer(running_mean_), store_->buffer(running_var_), kEps, *out,
                               dgamma, dbeta);
}

}  // namespace p2p
