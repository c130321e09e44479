#include "models/conv_stack.h"

#include "nn/summary.h"

namespace p2p {

void ConvStack::add(Conv2d conv, std::optional<Norm2d> norm, std::optional<LeakyReLU> lrelu) {
  stages_.push_back(Stage{std::move(conv), std::move(norm), std::move(lrelu)});
}

int64_t ConvStack::num_params() const {
  int64_t n = 0;
  for (const Stage& s : stages_) n += s.conv.num_params() + (s.norm ? s.norm->num_params() : 0);
  return n;
}

const Tensor& ConvStack::forward(const Tensor& x, bool training) {
  const Tensor* h = &x;
  for (Stage& s : stages_) {
    h = &s.conv.forward(*h);
    if (s.norm) h = &s.norm->forward(*h, training);
    if (s.lrelu) h = &s.lrelu->forward(*h);
  }
  return *h;
}

void ConvStack::backward(const Tensor& dy, Tensor* dx, bool param_grads) {
  const Tensor* g = &dy;
  for (size_t k = stages_.size(); k-- > 0;) {
    Stage& s = stages_[k];
    if (s.lrelu) {
      s.lrelu->backward(*g, &s.g_lrelu);
      g = &s.g_lrelu;
    }
    if (s.norm) {
      s.norm->backward(*g, &s.g_norm, param_grads);
      g = &s.g_norm;
    }
    s.conv.backward(*g, k > 0 ? &s.g_in : dx, param_grads);
    g = &s.g_in;
  }
}

std::vector<const Tensor*> ConvStack::kink_inputs() const {
  std::vector<const Tensor*> v;
  for (const Stage& s : stages_)
    if (s.lrelu) v.push_back(&s.lrelu->input());
  return v;
}

std::vector<std::pair<std::string, const Tensor*>> ConvStack::layer_outputs() const {
  std::vector<std::pair<std::string, const Tensor*>> v;
  for (const Stage& s : stages_) {
    const std::string& name = s.conv.name();
    v.push_back({name.substr(name.find('.') + 1), s.lrelu  ? &s.lrelu->output()
                                                  : s.norm ? &s.norm->output()
                                                           : &s.conv.output()});
  }
  return v;
}

void ConvStack::summary(std::ostream& os, const std::string& prefix) const {
  for (const Stage& s : stages_) {
    summary_row(os, s.conv.name(), s.conv.output(), s.conv.num_params());
    if (s.norm) summary_row(os, s.norm->name(), s.norm->output(), s.norm->num_params());
    if (s.lrelu) summary_row(os, prefix + ".lrelu" + std::to_string(&s - stages_.data()), s.lrelu->output(), 0);
  }
}

}  // namespace p2p
