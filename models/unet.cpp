#include "models/unet.h"

#include <algorithm>
#include <sstream>

#include "kernels/elementwise.h"
#include "nn/summary.h"
#include "runtime/check.h"

namespace p2p {

namespace {
std::string layer_name(const std::string& prefix, const char* side, int level, const char* layer) {
  return prefix + "." + side + std::to_string(level) + "." + layer;
}

const UNetOptions& validated(const UNetOptions& o) {
  P2P_CHECK(o.num_downs >= 5 && o.num_downs <= 12,
            "--num-downs: the pix2pix U-Net has between 5 and 12 levels, got " << o.num_downs);
  P2P_CHECK(o.ngf > 0, "--ngf must be positive, got " << o.ngf);
  P2P_CHECK(o.input_nc > 0 && o.output_nc > 0,
            "U-Net: channel counts must be positive, got input_nc " << o.input_nc << ", output_nc " << o.output_nc);
  return o;
}
}  // namespace

// inner(i) = ngf * min(2^(i-1), 8): ngf, 2 ngf, 4 ngf, then 8 ngf from level 4 on; outer(i) = inner(i-1).
int UNet::inner(int level, int ngf) { return ngf << std::min(level - 1, 3); }

UNet::UNet(const UNetOptions& o, ParamStore& store, const std::string& prefix) : opts_(validated(o)), prefix_(prefix) {
  const int D = o.num_downs, ngf = o.ngf;
  const bool use_bias = o.norm == NormKind::instance;  // as PyTorch: batch norm brings its own shift
  const std::optional<NormKind> norm = o.norm == NormKind::none ? std::nullopt : std::optional<NormKind>(o.norm);
  auto make_norm = [&](const std::string& name, int channels) {
    return norm ? std::optional<Norm2d>(Norm2d(store, name, *norm, channels)) : std::nullopt;
  };

  // Down path, outermost first. Level 1: Conv(input_nc -> ngf).
  down1_conv_.emplace(store, layer_name(prefix, "down", 1, "conv"), o.input_nc, ngf, 4, 2, 1, use_bias);
  // Levels 2..D: LeakyReLU(0.2) -> Conv(outer -> inner) -> Norm (none at the innermost level D).
  down_.reserve(D - 1);
  for (int i = 2; i <= D; ++i) {
    Conv2d conv(store, layer_name(prefix, "down", i, "conv"), inner(i - 1, ngf), inner(i, ngf), 4, 2, 1, use_bias);
    std::optional<Norm2d> n = i < D ? make_norm(layer_name(prefix, "down", i, "norm"), inner(i, ngf)) : std::nullopt;
    down_.push_back(Down{LeakyReLU(0.2f), std::move(conv), std::move(n)});
  }

  // Up path, innermost first. Levels D..2: ReLU -> ConvT(in -> outer) -> Norm -> [Dropout(0.5)], then
  // cat(a_i, .); in = inner at the innermost level, else 2 inner (the concatenation from below).
  // Dropout only in the num_downs - 5 middle levels 5..D-1 (the ngf*8 blocks between the innermost
  // one and the fixed ngf*4 / ngf*2 / ngf ones).
  std::vector<Up> up_rev;  // built innermost first, stored by level
  up_rev.reserve(D - 1);
  for (int i = D; i >= 2; --i) {
    const int cin = i == D ? inner(i, ngf) : 2 * inner(i, ngf);
    ConvTranspose2d convt(store, layer_name(prefix, "up", i, "convt"), cin, inner(i - 1, ngf), 4, 2, 1, use_bias);
    std::optional<Norm2d> n = make_norm(layer_name(prefix, "up", i, "norm"), inner(i - 1, ngf));
    std::optional<Dropout> drop = o.dropout && i >= 5 && i < D ? std::optional<Dropout>(Dropout(0.5f)) : std::nullopt;
    up_rev.push_back(Up{ReLU(), std::move(convt), std::move(n), std::move(drop), Concat()});
  }
  up_.assign(std::make_move_iterator(up_rev.rbegin()), std::make_move_iterator(up_rev.rend()));

  // Level 1: ReLU -> ConvT(2 ngf -> output_nc, always with bias) -> Tanh.
  up1_convt_.emplace(store, layer_name(prefix, "up", 1, "convt"), 2 * ngf, o.output_nc, 4, 2, 1, true);
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
