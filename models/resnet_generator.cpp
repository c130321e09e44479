#include "models/resnet_generator.h"

#include <sstream>

#include "kernels/elementwise.h"
#include "nn/buffer.h"
#include "nn/summary.h"
#include "runtime/check.h"

namespace p2p {

void validate(const ResnetOptions& o) {
  P2P_CHECK(o.ngf > 0, "--ngf must be positive, got " << o.ngf);
  P2P_CHECK(o.n_blocks >= 0,
            "ResNet generator: the number of residual blocks must not be negative, got " << o.n_blocks);
  P2P_CHECK(o.input_nc > 0 && o.output_nc > 0, "ResNet generator: channel counts must be positive, got input_nc "
                                                   << o.input_nc << ", output_nc " << o.output_nc);
}

namespace {
// The convolutions in network order, input sizes unset (chain_sizes sets them).
std::vector<ConvLayer> conv_layers(const ResnetOptions& o, const std::string& p) {
  const bool use_bias = o.norm == NormKind::instance;  // as PyTorch: batch norm brings its own shift
  const bool norm = o.norm != NormKind::none;
  const int c = o.ngf;
  std::vector<ConvLayer> convs;
  // {name, cin, cout, h, w, k, stride, pad, transposed, bias, norm, after_leaky_relu, reflect_pad, output_padding}
  convs.push_back({p + ".in.conv", o.input_nc, c, 0, 0, 7, 1, 0, false, use_bias, norm, false, 3, 0});
  for (int i = 1; i <= 2; ++i)
    convs.push_back({p + ".down" + std::to_string(i) + ".conv", c << (i - 1), c << i, 0, 0, 3, 2, 1, false, use_bias,
                     norm, false, 0, 0});
  for (int b = 1; b <= o.n_blocks; ++b)
    for (const char* conv : {".conv1", ".conv2"})
      convs.push_back(
          {p + ".res" + std::to_string(b) + conv, 4 * c, 4 * c, 0, 0, 3, 1, 0, false, use_bias, norm, false, 1, 0});
  for (int i = 1; i <= 2; ++i)
    convs.push_back({p + ".up" + std::to_string(i) + ".convt", c << (3 - i), c << (2 - i), 0, 0, 3, 2, 1, true,
                     use_bias, norm, false, 0, 1});
  convs.push_back({p + ".out.conv", c, o.output_nc, 0, 0, 7, 1, 0, false, true, false, false, 3, 0});
  return convs;
}

// The norm after a conv: "<stage>.conv" -> "<stage>.norm", "res<b>.conv1" -> "res<b>.norm1", "up<i>.convt" ->
// "up<i>.norm".
std::string norm_name_of(const std::string& conv) {
  const size_t dot = conv.rfind('.');
  std::string suffix = conv.substr(dot + 1 + 4);  // after "conv": "", "1", "2" or "t"
  return conv.substr(0, dot + 1) + "norm" + (suffix == "t" ? "" : suffix);
}
}  // namespace

std::vector<ConvLayer> ResnetGenerator::layers(const ResnetOptions& o, int h, int w, const std::string& prefix) {
  std::vector<ConvLayer> convs = conv_layers(validated(o), prefix);
  chain_sizes(convs, h, w);
  return convs;
}

ResnetGenerator::ResnetGenerator(const ResnetOptions& o, ParamStore& store, const std::string& prefix)
    : opts_(validated(o)), prefix_(prefix) {
  const std::vector<ConvLayer> convs = conv_layers(o, prefix);
  auto norm = [&](const ConvLayer& l) {
    return l.norm ? std::optional<Norm2d>(Norm2d(store, norm_name_of(l.name), o.norm, l.cout)) : std::nullopt;
  };
  auto pad = [](const ConvLayer& l) {
    return l.reflect_pad ? std::optional<ReflectionPad2d>(l.reflect_pad) : std::nullopt;
  };
  auto conv = [&](const ConvLayer& l) { return Conv2d(store, l.name, l.cin, l.cout, l.k, l.stride, l.pad, l.bias); };
  size_t k = 0;  // the next entry of convs

  // in, down1, down2: [ReflectionPad2d(3) ->] Conv -> Norm -> ReLU.
  for (; k < 3; ++k) {
    Conv2d c = conv(convs[k]);
    in_down_.push_back(Stage<Conv2d>{pad(convs[k]), std::move(c), norm(convs[k]), ReLU()});
  }
  // res1..n: Pad(1) -> Conv -> Norm -> ReLU -> [Dropout] -> Pad(1) -> Conv -> Norm, plus the skip.
  for (int b = 0; b < o.n_blocks; ++b, k += 2) {
    Conv2d c1 = conv(convs[k]);
    std::optional<Norm2d> n1 = norm(convs[k]);
    Conv2d c2 = conv(convs[k + 1]);
    std::optional<Norm2d> n2 = norm(convs[k + 1]);
    std::optional<Dropout> drop = o.dropout ? std::optional<Dropout>(Dropout(0.5f)) : std::nullopt;
    blocks_.push_back(Block{ReflectionPad2d(1), std::move(c1), std::move(n1), ReLU(), std::move(drop),
                            ReflectionPad2d(1), std::move(c2), std::move(n2)});
  }
  // up1, up2: ConvT(output_padding 1) -> Norm -> ReLU.
  for (; k < convs.size() - 1; ++k) {
    const ConvLayer& l = convs[k];
    ConvTranspose2d c(store, l.name, l.cin, l.cout, l.k, l.stride, l.pad, l.bias, l.output_padding);
    up_.push_back(Stage<ConvTranspose2d>{std::nullopt, std::move(c), norm(l), ReLU()});
  }
  // out: ReflectionPad2d(3) -> Conv(bias) -> Tanh.
  out_conv_.emplace(conv(convs[k]));
}

int64_t ResnetGenerator::num_params() const {
  int64_t n = out_conv_->num_params();
  auto norm = [](const std::optional<Norm2d>& m) { return m ? m->num_params() : 0; };
  for (const auto& s : in_down_) n += s.conv.num_params() + norm(s.norm);
  for (const Block& b : blocks_) n += b.conv1.num_params() + norm(b.norm1) + b.conv2.num_params() + norm(b.norm2);
  for (const auto& s : up_) n += s.conv.num_params() + norm(s.norm);
  return n;
}

template <typename ConvT>
const Tensor& ResnetGenerator::stage_forward(Stage<ConvT>& s, const Tensor& x, bool training) {
  const Tensor* h = s.pad ? &s.pad->forward(x) : &x;
  h = &s.conv.forward(*h);
  if (s.norm) h = &s.norm->forward(*h, training);
  return s.relu.forward(*h);
}

template <typename ConvT>
void ResnetGenerator::stage_backward(Stage<ConvT>& s, const Tensor& dy, Tensor* dx) {
  s.relu.backward(dy, &s.g_relu);
  const Tensor* g = &s.g_relu;
  if (s.norm) {
    s.norm->backward(*g, &s.g_norm);
    g = &s.g_norm;
  }
  if (!s.pad) return s.conv.backward(*g, dx);
  s.conv.backward(*g, dx ? &s.g_conv : nullptr);
  s.pad->backward(s.g_conv, dx);
}

const Tensor& ResnetGenerator::forward(const Tensor& x, bool training, RandomStreams& rng) {
  P2P_CHECK(x.rank() == 4 && x.c() == opts_.input_nc,
            prefix_ << ": expected an input [N, " << opts_.input_nc << ", H, W], got " << shape_str(x.shape()));
  P2P_CHECK(x.h() % 4 == 0 && x.w() % 4 == 0 && x.h() >= 8 && x.w() >= 8,
            "image size " << x.h() << "x" << x.w() << " (--crop-size): the ResNet generator needs both divisible by 4 "
                          << "(two stride-2 convs and two up-sampling convs) and at least 8 (the residual blocks' "
                          << "reflection pad 1 needs 2 pixels at a quarter of the size)");
  const Tensor* h = &x;
  for (auto& s : in_down_) h = &stage_forward(s, *h, training);
  for (Block& b : blocks_) {
    const Tensor* t = &b.conv1.forward(b.pad1.forward(*h));
    if (b.norm1) t = &b.norm1->forward(*t, training);
    t = &b.relu.forward(*t);
    if (b.dropout) t = &b.dropout->forward(*t, training, rng);
    t = &b.conv2.forward(b.pad2.forward(*t));
    if (b.norm2) t = &b.norm2->forward(*t, training);
    ensure_buffer(b.out, h->shape(), h->device());  // out = h + block(h)
    b.out.copy_from(*h);
    axpy(1.0f, *t, b.out);
    h = &b.out;
  }
  for (auto& s : up_) h = &stage_forward(s, *h, training);
  return out_tanh_.forward(out_conv_->forward(out_pad_.forward(*h)));
}

void ResnetGenerator::backward(const Tensor& dy, Tensor* dx) {
  check_shape(dy, out_tanh_.output().shape(), (prefix_ + " dy").c_str());
  out_tanh_.backward(dy, &g_tanh_);
  out_conv_->backward(g_tanh_, &g_out_conv_);
  out_pad_.backward(g_out_conv_, &g_out_pad_);
  const Tensor* g = &g_out_pad_;
  for (size_t i = up_.size(); i-- > 0;) {
    stage_backward(up_[i], *g, &up_[i].g_in);
    g = &up_[i].g_in;
  }
  // Each block: dL/dh = dL/dout (the skip) + the block's backward of dL/dout.
  for (size_t i = blocks_.size(); i-- > 0;) {
    Block& b = blocks_[i];
    const Tensor* t = g;
    if (b.norm2) {
      b.norm2->backward(*t, &b.g_norm2);
      t = &b.g_norm2;
    }
    b.conv2.backward(*t, &b.g_pad2);
    b.pad2.backward(b.g_pad2, &b.g_mid);
    t = &b.g_mid;
    if (b.dropout) {
      b.dropout->backward(*t, &b.g_dropout);
      t = &b.g_dropout;
    }
    b.relu.backward(*t, &b.g_relu);
    t = &b.g_relu;
    if (b.norm1) {
      b.norm1->backward(*t, &b.g_norm1);
      t = &b.g_norm1;
    }
    b.conv1.backward(*t, &b.g_pad1);
    b.pad1.backward(b.g_pad1, &b.g_in);
    axpy(1.0f, *g, b.g_in);
    g = &b.g_in;
  }
  for (size_t i = in_down_.size(); i-- > 0;) {
    stage_backward(in_down_[i], *g, i > 0 ? &in_down_[i].g_in : dx);
    g = &in_down_[i].g_in;
  }
}

std::vector<const Tensor*> ResnetGenerator::kink_inputs() const {
  std::vector<const Tensor*> v;
  for (const auto& s : in_down_) v.push_back(&s.relu.input());
  for (const Block& b : blocks_) v.push_back(&b.relu.input());
  for (const auto& s : up_) v.push_back(&s.relu.input());
  return v;
}

std::vector<std::pair<std::string, const Tensor*>> ResnetGenerator::layer_outputs() const {
  std::vector<std::pair<std::string, const Tensor*>> v;
  for (size_t k = 0; k < in_down_.size(); ++k)
    v.push_back({k == 0 ? std::string("in") : "down" + std::to_string(k), &in_down_[k].relu.output()});
  for (size_t b = 0; b < blocks_.size(); ++b) v.push_back({"res" + std::to_string(b + 1), &blocks_[b].out});
  for (size_t k = 0; k < up_.size(); ++k) v.push_back({"up" + std::to_string(k + 1), &up_[k].relu.output()});
  v.push_back({"out", &out_tanh_.output()});
  return v;
}

std::string ResnetGenerator::summary() const {
  std::ostringstream os;
  auto stage = [&](const auto& s) {
    summary_row(os, s.conv.name(), s.conv.output(), s.conv.num_params());
    if (s.norm) summary_row(os, s.norm->name(), s.norm->output(), s.norm->num_params());
  };
  for (const auto& s : in_down_) stage(s);
  for (const Block& b : blocks_) {
    for (const Conv2d* c : {&b.conv1, &b.conv2}) summary_row(os, c->name(), c->output(), c->num_params());
    summary_row(os, b.conv1.name().substr(0, b.conv1.name().rfind('.')) + ".add", b.out, 0);
  }
  for (const auto& s : up_) stage(s);
  summary_row(os, out_conv_->name(), out_conv_->output(), out_conv_->num_params());
  os << prefix_ << ": ResNet generator, " << opts_.n_blocks << " blocks, " << num_params() << " parameters\n";
  return os.str();
}

}  // namespace p2p
