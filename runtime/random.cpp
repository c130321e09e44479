#include "runtime/random.h"

#include <cmath>

#include "runtime/philox.h"

namespace p2p {

namespace {
template <typename F>
void fill_host(Tensor& t, F value_at) {
  Tensor host = t.device() == Device::CPU ? t : Tensor(t.shape(), Device::CPU);
  float* p = host.data();
  for (int64_t i = 0; i < host.numel(); ++i) p[i] = value_at(static_cast<uint64_t>(i));
  if (t.device() != Device::CPU) t.copy_from(host);
}
}  // namespace

void fill_uniform(Tensor& t, float lo, float hi, uint64_t seed, uint64_t offset) {
  fill_host(t, [&](uint64_t i) { return lo + (hi - lo) * philox_uniform(seed, offset, i); });
}

void fill_normal(Tensor& t, float mean, float std, uint64_t seed, uint64_t offset) {
  // z = sqrt(-2 ln u1) cos(2 pi u2), u1 in (0, 1], u2 in [0, 1): element i uses words 2i, 2i+1.
  fill_host(t, [&](uint64_t i) {
    double u1 = 1.0 - philox_uniform(seed, offset, 2 * i);
    double u2 = philox_uniform(seed, offset, 2 * i + 1);
    double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
    return static_cast<float>(mean + std * z);
  });
}

}  // namespace p2p
