#include "models/health.h"

#include <cmath>

#include "kernels/stats.h"
#include "runtime/check.h"

namespace p2p {

void HealthMonitor::add_network(const std::string& name, ParamStore& store, const AdamConfig& adam) {
  networks_.push_back({name, &store, &adam, num_slots_});
  num_slots_ += 3;
}

void HealthMonitor::add_activations(const std::string& net, const NamedOutputs& layers) {
  P2P_CHECK(!layers.empty(), "health: network " << net << " lists no layer outputs");
  for (size_t k : {size_t(0), (layers.size() - 1) / 2, layers.size() - 1}) {
    const std::string name = net + ".act." + layers[k].first;
    if (!activations_.empty() && activations_.back().name == name) continue;  // a network of one or two layers
    activations_.push_back({name, layers[k].second, num_slots_});
    num_slots_ += 2;
  }
}

int HealthMonitor::add_verdict(const std::string& d, bool real, bool sigmoid) {
  verdicts_.push_back({d + (sigmoid ? ".p_" : ".score_") + (real ? "real" : "fake"), sigmoid, num_slots_});
  num_slots_ += 2;
  return static_cast<int>(verdicts_.size()) - 1;
}

std::vector<std::string> HealthMonitor::names() const {
  std::vector<std::string> n;
  for (const Network& w : networks_) {
    n.push_back(w.name + ".grad_norm");
    n.push_back(w.name + ".update_ratio");
  }
  for (const Activation& a : activations_) {
    n.push_back(a.name + ".mean");
    n.push_back(a.name + ".std");
  }
  for (const Verdict& v : verdicts_) n.push_back(v.name);
  return n;
}

Tensor HealthMonitor::slots(int first, int count, Device dev) {
  if (!buffer_.defined()) buffer_ = Tensor::full({num_slots_}, NAN, dev);
  return buffer_.slice(first, {count});
}

void HealthMonitor::verdict(int id, const Tensor& logits) {
  if (!watching_) return;
  const Verdict& v = verdicts_.at(static_cast<size_t>(id));
  if (v.sigmoid) {
    Tensor out = slots(v.slot, 1, logits.device());
    mean_sigmoid(logits, out);
  } else {
    Tensor out = slots(v.slot, 2, logits.device());
    moments(logits, out);
  }
}

namespace {
// The parameters of `store` named <net>.*: one contiguous range [begin, end) of the flat buffers.
std::pair<int64_t, int64_t> network_range(const ParamStore& store, const std::string& net) {
  const std::string prefix = net + ".";
  int64_t begin = -1, end = -1;
  for (const ParamStore::Entry& e : store.params()) {
    if (e.name.compare(0, prefix.size(), prefix) != 0) continue;
    P2P_CHECK(begin < 0 || e.offset == end,
              "health: the parameters of " << net << " are not contiguous (at " << e.name << ")");
    if (begin < 0) begin = e.offset;
    end = e.offset + shape_numel(e.shape);
  }
  P2P_CHECK(begin >= 0, "health: no parameters named " << prefix << "*");
  return {begin, end};
}
}  // namespace

std::vector<float> HealthMonitor::gather(int64_t t) {
  for (const Network& w : networks_) {
    ParamStore& store = *w.store;  // its flat buffers, read only
    const auto [begin, end] = network_range(store, w.name);
    const Shape s{end - begin};
    Tensor grad_norm = slots(w.slot, 1, store.device()), update_norm = slots(w.slot + 1, 1, store.device()),
           weight_norm = slots(w.slot + 2, 1, store.device());
    l2_norm(store.grads().slice(begin, s), grad_norm);
    adam_update_norm(store.adam_m().slice(begin, s), store.adam_v().slice(begin, s), *w.adam, t, update_norm);
    l2_norm(store.values().slice(begin, s), weight_norm);
  }
  for (const Activation& a : activations_) {
    Tensor out = slots(a.slot, 2, a.out->device());
    moments(*a.out, out);
  }
  const std::vector<float> b = buffer_.to_vector();  // the one copy back (and sync)
  std::vector<float> v;
  for (const Network& w : networks_) {
    v.push_back(b[size_t(w.slot)]);
    v.push_back(b[size_t(w.slot + 1)] / b[size_t(w.slot + 2)]);
  }
  for (const Activation& a : activations_) {
    v.push_back(b[size_t(a.slot)]);
    v.push_back(b[size_t(a.slot + 1)]);
  }
  for (const Verdict& d : verdicts_) v.push_back(b[size_t(d.slot)]);
  return v;
}

}  // namespace p2p
