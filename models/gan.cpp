#include "models/gan.h"

#include <algorithm>

#include "kernels/loss.h"
#include "nn/buffer.h"
#include "runtime/check.h"

namespace p2p {

void gan_loss(const std::string& mode, const Tensor& pred, bool target_real, Tensor& loss) {
  const float target = target_real ? 1.0f : 0.0f;
  if (mode == "vanilla")
    bce_with_logits_forward(pred, target, loss);
  else
    mse_forward(pred, target, loss);
}

void gan_loss_backward(const std::string& mode, const Tensor& pred, bool target_real, float scale, Tensor& dpred) {
  ensure_buffer(dpred, pred.shape(), pred.device());
  const float target = target_real ? 1.0f : 0.0f;
  if (mode == "vanilla")
    bce_with_logits_backward(pred, target, scale, dpred);
  else
    mse_backward(pred, target, scale, dpred);
}

float linear_lr(float base, int epochs, int epochs_decay, int epoch) {
  // lr_l = 1 - max(0, epoch + epoch_count - n_epochs) / (n_epochs_decay + 1), epoch_count = 1.
  double decay = std::max(0, epoch + 1 - epochs) / static_cast<double>(epochs_decay + 1);
  return static_cast<float>(base * (1.0 - decay));
}

uint64_t derive_seed(uint64_t seed, uint64_t tag) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (tag + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace p2p
