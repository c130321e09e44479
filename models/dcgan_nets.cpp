// The DCGAN generator and discriminator (see dcgan_nets.h for the drawing and the counts).
#include "models/dcgan_nets.h"

#include <sstream>

#include "nn/summary.h"
#include "runtime/check.h"
#include "runtime/random.h"

namespace p2p {

void check_dcgan_image_size(int s) {
  P2P_CHECK(s == 16 || s == 32 || s == 64,
            "--image-size must be 16, 32 or 64 (DCGAN's 64 with up to two stages "
            "fewer), got "
                << s);
}

void validate(const DCGANGeneratorOptions& o) {
  check_dcgan_image_size(o.image_size);
  P2P_CHECK(o.nz > 0 && o.ngf > 0 && o.nc > 0,
            "DCGAN generator: --nz, --ngf and nc must be positive, got " << o.nz << ", " << o.ngf << ", " << o.nc);
}

void validate(const DCGANDiscriminatorOptions& o) {
  check_dcgan_image_size(o.image_size);
  P2P_CHECK(o.ndf > 0 && o.nc > 0 && o.out_channels > 0,
            "DCGAN discriminator: nc, --ndf and the outputs must be "
            "positive, got "
                << o.nc << ", " << o.ndf << ", " << o.out_channels);
}

Tensor prior_noise(int count, int dim, uint64_t seed) {
  P2P_CHECK(count >= 1, "asked for " << count << " images (at least 1)");
  Tensor z({count, dim, 1, 1});
  fill_normal(z, 0.0f, 1.0f, seed, 0);
  return z;
}

namespace {
// The widest stage's channel multiplier: 8 at 64x64 (8 ngf, 8 ndf), halved per stage dropped.
int top_mult(int image_size) { return image_size / 8; }

ConvLayer conv4(const std::string& name, int cin, int cout, int stride, int pad, bool transposed, bool norm,
                bool after_lrelu) {
  ConvLayer l;
  l.name = name;
  l.cin = cin;
  l.cout = cout;
  l.k = 4;
  l.stride = stride;
  l.pad = pad;
  l.transposed = transposed;
  l.norm = norm;
  l.after_leaky_relu = after_lrelu;
  return l;
}
}  // namespace

std::vector<ConvLayer> DCGANGenerator::layers(const DCGANGeneratorOptions& o, const std::string& prefix) {
  validate(o);
  std::vector<ConvLayer> v;
  auto name = [&](size_t k) { return prefix + ".convt" + std::to_string(k); };
  int mult = top_mult(o.image_size);
  v.push_back(conv4(name(0), o.nz, mult * o.ngf, 1, 0, true, true, false));  // 1x1 -> 4x4
  for (; mult > 1; mult /= 2)
    v.push_back(conv4(name(v.size()), mult * o.ngf, mult / 2 * o.ngf, 2, 1, true, true, false));
  v.push_back(conv4(name(v.size()), o.ngf, o.nc, 2, 1, true, false, false));  // the image (or its logits)
  chain_sizes(v, 1, 1);
  return v;
}

DCGANGenerator::DCGANGenerator(const DCGANGeneratorOptions& o, ParamStore& store, const std::string& prefix)
    : opts_(o), prefix_(prefix) {
  const std::vector<ConvLayer> convs = layers(o, prefix);
  for (size_t k = 0; k < convs.size(); ++k) {
    const ConvLayer& l = convs[k];
    ConvTranspose2d convt(store, l.name, l.cin, l.cout, l.k, l.stride, l.pad, /*bias=*/false);
    std::optional<Norm2d> norm;
    if (l.norm) norm.emplace(store, prefix + ".norm" + std::to_string(k), NormKind::batch, l.cout);
    stages_.push_back(Stage{std::move(convt), std::move(norm), ReLU()});
  }
}

int64_t DCGANGenerator::num_params() const {
  int64_t n = 0;
  for (const Stage& s : stages_) n += s.convt.num_params() + (s.norm ? s.norm->num_params() : 0);
  return n;
}

const Tensor& DCGANGenerator::forward(const Tensor& z, bool training) {
  P2P_CHECK(z.rank() == 4 && z.c() == opts_.nz && z.h() == 1 && z.w() == 1,
            prefix_ << ": expected noise [N, " << opts_.nz << ", 1, 1], got " << shape_str(z.shape()));
  const Tensor* h = &z;
  for (Stage& s : stages_) {
    h = &s.convt.forward(*h);
    if (s.norm) h = &s.relu.forward(s.norm->forward(*h, training));
  }
  return opts_.tanh ? tanh_.forward(*h) : *h;
}

std::vector<std::pair<std::string, const Tensor*>> DCGANGenerator::layer_outputs() const {
  std::vector<std::pair<std::string, const Tensor*>> v;
  for (const Stage& s : stages_)
    v.push_back({s.convt.name().substr(prefix_.size() + 1), s.norm ? &s.relu.output() : &s.convt.output()});
  if (opts_.tanh) v.back().second = &tanh_.output();
  return v;
}

void DCGANGenerator::backward(const Tensor& dy, Tensor* dz) {
  const Tensor* g = &dy;
  if (opts_.tanh) {
    tanh_.backward(dy, &g_tanh_);
    g = &g_tanh_;
  }
  for (size_t k = stages_.size(); k-- > 0;) {
    Stage& s = stages_[k];
    if (s.norm) {
      s.relu.backward(*g, &s.g_relu);
      s.norm->backward(s.g_relu, &s.g_norm);
      g = &s.g_norm;
    }
    s.convt.backward(*g, k > 0 ? &s.g_in : dz);
    g = &s.g_in;
  }
}

std::string DCGANGenerator::summary() const {
  std::ostringstream os;
  for (const Stage& s : stages_) {
    summary_row(os, s.convt.name(), s.convt.output(), s.convt.num_params());
    if (s.norm) summary_row(os, s.norm->name(), s.norm->output(), s.norm->num_params());
  }
  os << "DCGAN generator: " << opts_.image_size << "x" << opts_.image_size << ", " << num_params() << " parameters\n";
  return os.str();
}

std::vector<ConvLayer> DCGANDiscriminator::layers(const DCGANDiscriminatorOptions& o, const std::string& prefix) {
  validate(o);
  std::vector<ConvLayer> v;
  auto name = [&](size_t k) { return prefix + ".conv" + std::to_string(k); };
  v.push_back(conv4(name(0), o.nc, o.ndf, 2, 1, false, false, false));
  for (int mult = 2; mult <= top_mult(o.image_size); mult *= 2)
    v.push_back(conv4(name(v.size()), mult / 2 * o.ndf, mult * o.ndf, 2, 1, false, true, true));
  v.push_back(conv4(name(v.size()), top_mult(o.image_size) * o.ndf, o.out_channels, 1, 0, false, false, true));
  chain_sizes(v, o.image_size, o.image_size);
  return v;
}

DCGANDiscriminator::DCGANDiscriminator(const DCGANDiscriminatorOptions& o, ParamStore& store, const std::string& prefix)
    : opts_(o), prefix_(prefix) {
  const std::vector<ConvLayer> convs = layers(o, prefix);
  for (size_t k = 0; k < convs.size(); ++k) {
    const ConvLayer& l = convs[k];
    Conv2d conv(store, l.name, l.cin, l.cout, l.k, l.stride, l.pad, /*bias=*/false);
    std::optional<Norm2d> norm;
    if (l.norm) norm.emplace(store, prefix + ".norm" + std::to_string(k), NormKind::batch, l.cout);
    std::optional<LeakyReLU> lrelu;
    if (k + 1 < convs.size()) lrelu.emplace(0.2f);
    stack_.add(std::move(conv), std::move(norm), std::move(lrelu));
  }
}

int64_t DCGANDiscriminator::num_params() const { return stack_.num_params(); }

const Tensor& DCGANDiscriminator::forward(const Tensor& x, bool training) {
  P2P_CHECK(x.rank() == 4 && x.c() == opts_.nc && x.h() == opts_.image_size && x.w() == opts_.image_size,
            prefix_ << ": expected images [N, " << opts_.nc << ", " << opts_.image_size << ", " << opts_.image_size
                    << "], got " << shape_str(x.shape()));
  return stack_.forward(x, training);
}

void DCGANDiscriminator::backward(const Tensor& dy, Tensor* dx, bool param_grads) {
  stack_.backward(dy, dx, param_grads);  // the image's dx only when asked (the generator's step)
}

std::string DCGANDiscriminator::summary() const {
  std::ostringstream os;
  stack_.summary(os, prefix_);
  os << "DCGAN discriminator: " << opts_.image_size << "x" << opts_.image_size << ", " << num_params()
     << " parameters\n";
  return os.str();
}

}  // namespace p2p
