#include "nn/params.h"

#include "runtime/check.h"
#include "runtime/random.h"

namespace p2p {

void ParamStore::check_new_name(const std::string& name) const {
  P2P_CHECK(!finalized_, "ParamStore: cannot add '" << name << "' after finalize");
  P2P_CHECK(!name.empty(), "ParamStore: empty parameter name");
  for (const Entry& e : params_) P2P_CHECK(e.name != name, "ParamStore: duplicate name '" << name << "'");
  for (const Entry& e : buffer_entries_) P2P_CHECK(e.name != name, "ParamStore: duplicate name '" << name << "'");
}

void ParamStore::check_finalized(const char* what) const {
  P2P_CHECK(finalized_, "ParamStore: " << what << " before finalize");
}

int ParamStore::add(const std::string& name, Shape shape, Init init) {
  check_new_name(name);
  P2P_CHECK(init.std >= 0, "ParamStore: negative init std for '" << name << "'");
  int64_t n = shape_numel(shape);
  params_.push_back({name, std::move(shape), num_params_});
  inits_.push_back(init);
  num_params_ += n;
  return static_cast<int>(params_.size()) - 1;
}

int ParamStore::add_buffer(const std::string& name, Shape shape, float value) {
  check_new_name(name);
  int64_t n = shape_numel(shape);
  buffer_entries_.push_back({name, std::move(shape), num_buffer_values_});
  buffer_inits_.push_back(value);
  num_buffer_values_ += n;
  return static_cast<int>(buffer_entries_.size()) - 1;
}

void ParamStore::finalize(Device dev, uint64_t seed) {
  P2P_CHECK(!finalized_, "ParamStore: finalize called twice");
  device_ = dev;
  // Initial values on the host, entry i from Philox stream (seed, i), then one copy to dev.
  Tensor host({num_params_}, Device::CPU);
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor v = host.slice(params_[i].offset, params_[i].shape);
    if (inits_[i].std > 0)
      fill_normal(v, inits_[i].mean, inits_[i].std, seed, i);
    else
      v.fill(inits_[i].mean);
  }
  Tensor host_buffers({num_buffer_values_}, Device::CPU);
  for (size_t i = 0; i < buffer_entries_.size(); ++i)
    host_buffers.slice(buffer_entries_[i].offset, buffer_entries_[i].shape).fill(buffer_inits_[i]);

  values_ = host.to(dev);
  buffers_ = host_buffers.to(dev);
  grads_ = Tensor::zeros({num_params_}, dev);
  adam_m_ = Tensor::zeros({num_params_}, dev);
  adam_v_ = Tensor::zeros({num_params_}, dev);
  for (const Entry& e : params_) {
    value_views_.push_back(values_.slice(e.offset, e.shape));
    grad_views_.push_back(grads_.slice(e.offset, e.shape));
  }
  for (const Entry& e : buffer_entries_) buffer_views_.push_back(buffers_.slice(e.offset, e.shape));
  finalized_ = true;
}

Tensor& ParamStore::value(int id) {
  check_finalized("value()");
  P2P_CHECK(id >= 0 && id < static_cast<int>(value_views_.size()), "ParamStore: no parameter with id " << id);
  return value_views_[id];
}

Tensor& ParamStore::grad(int id) {
  check_finalized("grad()");
  P2P_CHECK(id >= 0 && id < static_cast<int>(grad_views_.size()), "ParamStore: no parameter with id " << id);
  return grad_views_[id];
}

Tensor& ParamStore::buffer(int id) {
  check_finalized("buffer()");
  P2P_CHECK(id >= 0 && id < static_cast<int>(buffer_views_.size()), "ParamStore: no buffer with id " << id);
  return buffer_views_[id];
}

Tensor& ParamStore::values() {
  check_finalized("values()");
  return values_;
}
Tensor& ParamStore::grads() {
  check_finalized("grads()");
  return grads_;
}
Tensor& ParamStore::adam_m() {
  check_finalized("adam_m()");
  return adam_m_;
}
Tensor& ParamStore::adam_v() {
  check_finalized("adam_v()");
  return adam_v_;
}
Tensor& ParamStore::buffers() {
  check_finalized("buffers()");
  return buffers_;
}

void ParamStore::zero_grad() {
  check_finalized("zero_grad()");
  grads_.zero();
}

}  // namespace p2p
