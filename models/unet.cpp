#include "models/unet.h"

#include <algorithm>
#include <sstream>

#include "kernels/elementwise.h"
#include "nn/summary.h"
#include "runtime/check.h"

namespace p2p {

void validate(const UNetOptions& o) {
  P2P_CHECK(o.num_downs >= 5 && o.num_downs <= 12,
            "--num-downs: the pix2pix U-Net has between 5 and 12 levels, got " << o.num_downs);
  P2P_CHECK(o.ngf > 0, "--ngf must be positive, got " << o.ngf);
  P2P_CHECK(o.input_nc > 0 && o.output_nc > 0,
            "U-Net: channel counts must be positive, got input_nc " << o.input_nc << ", output_nc " << o.output_nc);
}

namespace {
std::string layer_name(const std::string& prefix, const char* side, int level, const char* layer) {
  return prefix + "." + side + std::to_string(level) + "." + layer;
}

// inner(i) = ngf * min(2^(i-1), 8): ngf, 2 ngf, 4 ngf, then 8 ngf from level 4 on; outer(i) = inner(i-1).
int inner(int level, int ngf) { return ngf << std::min(level - 1, 3); }

// The convolutions in declaration order, input sizes unset (chain_sizes sets them). Every conv is
// 4x4, stride 2, padding 1.
std::vector<ConvLayer> conv_layers(const UNetOptions& o, const std::string& prefix) {
  const int D = o.num_downs, ngf = o.ngf;
  const bool use_bias = o.norm == NormKind::instance;  // as PyTorch: batch norm brings its own shift
  const bool norm = o.norm != NormKind::none;
  std::vector<ConvLayer> convs;
  auto down = [&](int level, int cin, int cout, bool has_norm) {  // [LeakyReLU(0.2) ->] Conv -> [Norm]
    convs.push_back(ConvLayer{layer_name(prefix, "down", level, "conv"), cin, cout, 0, 0, 4, 2, 1,
                              /*transposed=*/false, use_bias, has_norm, /*after_leaky_relu=*/level > 1});
  };
  auto up = [&](int level, int cin, int cout, bool bias, bool has_norm) {  // ReLU -> ConvT -> [Norm]
    convs.push_back(ConvLayer{layer_name(prefix, "up", level, "convt"), cin, cout, 0, 0, 4, 2, 1,
                              /*transposed=*/true, bias, has_norm, /*after_leaky_relu=*/false});
  };

  // Down path, outermost first. Level 1: Conv(input_nc -> ngf); levels 2..D: Conv(outer -> inner),
  // normalised except at the innermost level D.
  down(1, o.input_nc, ngf, false);
  for (int i = 2; i <= D; ++i) down(i, inner(i - 1, ngf), inner(i, ngf), norm && i < D);
  // Up path, innermost first. Levels D..2: ConvT(in -> outer), in = inner at the innermost level,
  // else 2 inner (the concatenation from below). Level 1: ConvT(2 ngf -> output_nc, always with
  // bias, no norm).
  for (int i = D; i >= 2; --i) up(i, i == D ? inner(i, ngf) : 2 * inner(i, ngf), inner(i - 1, ngf), use_bias, norm);
  up(1, 2 * ngf, o.output_nc, true, false);
  return convs;
}
}  // namespace

std::vector<ConvLayer> UNet::layers(const UNetOptions& o, int h, int w, const std::string& prefix) {
  std::vector<ConvLayer> convs = conv_layers(validated(o), prefix);
  chain_sizes(convs, h, w);
  return convs;
}

UNet::UNet(const UNetOptions& o, ParamStore& store, const std::string& prefix) : opts_(validated(o)), prefix_(prefix) {
  const int D = o.num_downs;
  // Channels, biases and norms as conv_layers lists them: down1..downD at 0..D-1, then up level i
  // at 2D - i.
  const std::vector<ConvLayer> convs = conv_layers(o, prefix);
  auto make_conv = [&](const ConvLayer& l) {
    return Conv2d(store, l.name, l.cin, l.cout, l.k, l.stride, l.pad, l.bias);
  };
  auto make_convt = [&](const ConvLayer& l) {
    return ConvTranspose2d(store, l.name, l.cin, l.cout, l.k, l.stride, l.pad, l.bias);
  };
  auto make_norm = [&](const ConvLayer& l, const char* side, int level) {
    return l.norm ? std::optional<Norm2d>(Norm2d(store, layer_name(prefix, side, level, "norm"), o.norm, l.cout))
                  : std::nullopt;
  };

  // Down path, outermost first. Level 1: Conv; levels 2..D: LeakyReLU(0.2) -> Conv -> [Norm].
  down1_conv_.emplace(make_conv(convs[0]));
  down_.reserve(D - 1);
  for (int i = 2; i <= D; ++i) {
    Conv2d conv = make_conv(convs[i - 1]);
    std::optional<Norm2d> n = make_norm(convs[i - 1], "down", i);
    down_.push_back(Down{LeakyReLU(0.2f), std::move(conv), std::move(n)});
  }

  // Up path, innermost first. Levels D..2: ReLU -> ConvT -> [Norm] -> [Dropout(0.5)], then cat(a_i, .).
  // Dropout only in the num_downs - 5 middle levels 5..D-1 (the ngf*8 blocks between the innermost
  // one and the fixed ngf*4 / ngf*2 / ngf ones).
  std::vector<Up> up_rev;  // built innermost first, stored by level
  up_rev.reserve(D - 1);
  for (int i = D; i >= 2; --i) {
    ConvTranspose2d convt = make_convt(convs[2 * D - i]);
    std::optional<Norm2d> n = make_norm(convs[2 * D - i], "up", i);
    std::optional<Dropout> drop = o.dropout && i >= 5 && i < D ? std::optional<Dropout>(Dropout(0.5f)) : std::nullopt;
    up_rev.push_back(Up{ReLU(), std::move(convt), std::move(n), std::move(drop), Concat()});
  }
  up_.assign(std::make_move_iterator(up_rev.rbegin()), std::make_move_iterator(up_rev.rend()));

  // Level 1: ReLU -> ConvT -> Tanh.
  up1_convt_.emplace(make_convt(convs.back()));
}

int64_t UNet::num_params() const {
  int64_t n = down1_conv_->num_params() + up1_convt_->num_params();
  for (const Down& L : down_) n += L.conv.num_params() + (L.norm ? L.norm->num_params() : 0);
  for (const Up& U : up_) n += U.convt.num_params() + (U.norm ? U.norm->num_params() : 0);
  return n;
}

const Tensor& UNet::forward(const Tensor& x, bool training, RandomStreams& rng) {
  const int D = opts_.num_downs;
  P2P_CHECK(x.rank() == 4 && x.c() == opts_.input_nc,
            prefix_ << ": expected an input [N, " << opts_.input_nc << ", H, W], got " << shape_str(x.shape()));
  const int m = 1 << D;
  P2P_CHECK(x.h() % m == 0 && x.w() % m == 0,
            "image size " << x.h() << "x" << x.w() << " (--crop-size) is not divisible by 2^" << D << " = " << m
                          << ", which a U-Net with --num-downs " << D << " needs");

  // Down path: d_1 = conv(x); a_i = lrelu(d_{i-1}), d_i = norm(conv(a_i)) for i = 2..D.
  const Tensor* d = &down1_conv_->forward(x);
  for (Down& L : down_) {
    d = &L.conv.forward(L.lrelu.forward(*d));
    if (L.norm) d = &L.norm->forward(*d, training);
  }
  // Up path: u_i = dropout(norm(convt(relu(s)))) with s = d_D at the innermost level, else cat_{i+1};
  // cat_i = cat(a_i, u_i).
  const Tensor* s = d;
  for (int i = D; i >= 2; --i) {
    Up& U = up_[i - 2];
    const Tensor* u = &U.convt.forward(U.relu.forward(*s));
    if (U.norm) u = &U.norm->forward(*u, training);
    if (U.dropout) u = &U.dropout->forward(*u, training, rng);
    s = &U.cat.forward(down_[i - 2].lrelu.output(), *u);
  }
  return up1_tanh_.forward(up1_convt_->forward(up1_relu_.forward(*s)));
}

void UNet::backward(const Tensor& dy, Tensor* dx) {
  const int D = opts_.num_downs;
  check_shape(dy, up1_tanh_.output().shape(), (prefix_ + " dy").c_str());
  // Up path, outermost first: each level's relu backward writes dL/d(its input), which is
  // dL/dcat_{i+1} (or dL/dd_D at the innermost level).
  up1_tanh_.backward(dy, &g_tanh_);
  up1_convt_->backward(g_tanh_, &g_up1_relu_);
  up1_relu_.backward(g_up1_relu_, &up_[0].g_cat);
  for (int i = 2; i <= D; ++i) {
    Up& U = up_[i - 2];
    U.cat.backward(U.g_cat, &U.g_skip, &U.g_u);
    const Tensor* g = &U.g_u;
    if (U.dropout) {
      U.dropout->backward(*g, &U.g_dropout);
      g = &U.g_dropout;
    }
    if (U.norm) {
      U.norm->backward(*g, &U.g_norm);
      g = &U.g_norm;
    }
    U.convt.backward(*g, &U.g_convt);
    U.relu.backward(U.g_convt, i < D ? &up_[i - 1].g_cat : &down_[D - 2].g_d);
  }
  // Down path, innermost first: dL/da_i = (down path) + (skip share); dL/dd_{i-1} = lrelu'(d_{i-1}) dL/da_i.
  for (int i = D; i >= 2; --i) {
    Down& L = down_[i - 2];
    const Tensor* g = &L.g_d;
    if (L.norm) {
      L.norm->backward(*g, &L.g_conv);
      g = &L.g_conv;
    }
    L.conv.backward(*g, &L.g_a);
    axpy(1.0f, up_[i - 2].g_skip, L.g_a);
    L.lrelu.backward(L.g_a, i > 2 ? &down_[i - 3].g_d : &g_d1_);
  }
  down1_conv_->backward(g_d1_, dx);
}

std::vector<const Tensor*> UNet::kink_inputs() const {
  std::vector<const Tensor*> v;
  for (const Down& L : down_) v.push_back(&L.lrelu.input());
  for (const Up& U : up_) v.push_back(&U.relu.input());
  v.push_back(&up1_relu_.input());
  return v;
}

std::vector<std::pair<std::string, const Tensor*>> UNet::layer_outputs() const {
  const int D = opts_.num_downs;
  std::vector<std::pair<std::string, const Tensor*>> v = {{"down1", &down1_conv_->output()}};
  for (int i = 2; i <= D; ++i) {
    const Down& L = down_[i - 2];
    v.push_back({"down" + std::to_string(i), L.norm ? &L.norm->output() : &L.conv.output()});
  }
  for (int i = D; i >= 2; --i) {
    const Up& U = up_[i - 2];
    v.push_back({"up" + std::to_string(i), U.norm ? &U.norm->output() : &U.convt.output()});
  }
  v.push_back({"up1", &up1_tanh_.output()});
  return v;
}

std::string UNet::summary() const {
  const int D = opts_.num_downs;
  std::ostringstream os;
  summary_row(os, down1_conv_->name(), down1_conv_->output(), down1_conv_->num_params());
  for (int i = 2; i <= D; ++i) {
    const Down& L = down_[i - 2];
    summary_row(os, layer_name(prefix_, "down", i, "lrelu"), L.lrelu.output(), 0);
    summary_row(os, L.conv.name(), L.conv.output(), L.conv.num_params());
    if (L.norm) summary_row(os, L.norm->name(), L.norm->output(), L.norm->num_params());
  }
  for (int i = D; i >= 2; --i) {
    const Up& U = up_[i - 2];
    summary_row(os, layer_name(prefix_, "up", i, "relu"), U.relu.output(), 0);
    summary_row(os, U.convt.name(), U.convt.output(), U.convt.num_params());
    if (U.norm) summary_row(os, U.norm->name(), U.norm->output(), U.norm->num_params());
    if (U.dropout)
      summary_row(os, layer_name(prefix_, "up", i, "dropout"), U.norm ? U.norm->output() : U.convt.output(), 0);
    summary_row(os, layer_name(prefix_, "up", i, "cat"), U.cat.output(), 0);
  }
  summary_row(os, layer_name(prefix_, "up", 1, "relu"), up1_relu_.output(), 0);
  summary_row(os, up1_convt_->name(), up1_convt_->output(), up1_convt_->num_params());
  summary_row(os, layer_name(prefix_, "up", 1, "tanh"), up1_tanh_.output(), 0);
  os << prefix_ << ": U-Net, " << D << " levels, " << num_params() << " parameters\n";
  return os.str();
}

}  // namespace p2p
