#include "models/patchgan.h"

#include <algorithm>
#include <sstream>

#include "runtime/check.h"

namespace p2p {

void validate(const PatchGANOptions& o) {
  P2P_CHECK(o.n_layers >= 0 && o.n_layers <= 8, "--n-layers-d must be in 0..8, got " << o.n_layers);
  P2P_CHECK(o.ndf > 0, "--ndf must be positive, got " << o.ndf);
  P2P_CHECK(o.input_nc > 0, "PatchGAN: input_nc must be positive, got " << o.input_nc);
}

namespace {
// The convolutions in declaration order, input sizes unset (chain_sizes sets them).
std::vector<ConvLayer> conv_layers(const PatchGANOptions& o, const std::string& prefix) {
  const bool use_bias = o.norm == NormKind::instance;  // as PyTorch: batch norm brings its own shift
  const int ndf = o.ndf;
  std::vector<ConvLayer> convs;
  // Stage idx's conv, then a norm when `norm` (and --norm is not none). Every stage but the last
  // ends in LeakyReLU(0.2), so every conv but the first reads one.
  auto conv = [&](int idx, int cin, int cout, int k, int stride, int pad, bool bias, bool norm) {
    convs.push_back(ConvLayer{prefix + ".conv" + std::to_string(idx), cin, cout, 0, 0, k, stride, pad,
                              /*transposed=*/false, bias, norm && o.norm != NormKind::none,
                              /*after_leaky_relu=*/idx > 0});
  };

  if (o.n_layers == 0) {  // PixelDiscriminator: 1x1 convolutions
    conv(0, o.input_nc, ndf, 1, 1, 0, true, false);
    conv(1, ndf, 2 * ndf, 1, 1, 0, use_bias, true);
    conv(2, 2 * ndf, 1, 1, 1, 0, use_bias, false);
    return convs;
  }
  // NLayerDiscriminator, nf(n) = ndf * min(2^n, 8).
  auto nf = [&](int n) { return ndf * std::min(1 << std::min(n, 3), 8); };
  conv(0, o.input_nc, ndf, 4, 2, 1, true, false);
  for (int n = 1; n < o.n_layers; ++n) conv(n, nf(n - 1), nf(n), 4, 2, 1, use_bias, true);
  conv(o.n_layers, nf(o.n_layers - 1), nf(o.n_layers), 4, 1, 1, use_bias, true);
  conv(o.n_layers + 1, nf(o.n_layers), 1, 4, 1, 1, true, false);
  return convs;
}
}  // namespace

std::vector<ConvLayer> PatchGAN::layers(const PatchGANOptions& o, int h, int w, const std::string& prefix) {
  std::vector<ConvLayer> convs = conv_layers(validated(o), prefix);
  chain_sizes(convs, h, w);
  return convs;
}

PatchGAN::PatchGAN(const PatchGANOptions& o, ParamStore& store, const std::string& prefix)
    : opts_(validated(o)), prefix_(prefix) {
  // One stage per conv of conv_layers: Conv -> [Norm] -> [LeakyReLU(0.2), when the next conv reads one].
  const std::vector<ConvLayer> convs = conv_layers(o, prefix);
  for (size_t n = 0; n < convs.size(); ++n) {
    const ConvLayer& l = convs[n];
    Conv2d conv(store, l.name, l.cin, l.cout, l.k, l.stride, l.pad, l.bias);
    std::optional<Norm2d> norm;
    if (l.norm) norm.emplace(store, prefix + ".norm" + std::to_string(n), o.norm, l.cout);
    std::optional<LeakyReLU> lrelu;
    if (n + 1 < convs.size() && convs[n + 1].after_leaky_relu) lrelu.emplace(0.2f);
    stack_.add(std::move(conv), std::move(norm), std::move(lrelu));
  }
}

int64_t PatchGAN::num_params() const { return stack_.num_params(); }

const Tensor& PatchGAN::forward(const Tensor& x, bool training) {
  P2P_CHECK(x.rank() == 4 && x.c() == opts_.input_nc,
            "PatchGAN: expected an input [N, " << opts_.input_nc << ", H, W], got " << shape_str(x.shape()));
  return stack_.forward(x, training);
}

void PatchGAN::backward(const Tensor& dy, Tensor* dx, bool param_grads) { stack_.backward(dy, dx, param_grads); }

std::vector<const Tensor*> PatchGAN::kink_inputs() const { return stack_.kink_inputs(); }

std::string PatchGAN::summary() const {
  std::ostringstream os;
  stack_.summary(os, prefix_);
  os << "PatchGAN: n_layers " << opts_.n_layers << ", " << num_params() << " parameters\n";
  return os.str();
}

}  // namespace p2p
