// The training report (`train --report-freq`): <checkpoints-dir>/<name>/report.html, rewritten
// (atomically) every --report-freq steps and at the end of training, with
//   - a chart per logged number, read back from loss_log.csv (so a resumed run shows its whole
//     history, and columns added to the log appear without code here: tools/report_page.h);
//   - the model's pictures of a fixed set of inputs (the first --report-images items of the training
//     set, epoch 0's crops, chosen once at start), one PNG per report step in report/, kept, with a
//     step slider: the same inputs every time, so progress is visible;
//   - for pix2pix and CycleGAN, D's PatchGAN maps on the real and the fake pair beside them.
// A resumed run first removes the pictures of steps after the checkpoint's (as the loss log's rows).
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/tensor.h"

namespace p2p {

class TrainModel;

class TrainingReport {
 public:
  // dir: the experiment's folder; A, B: the fixed inputs (B undefined for single images);
  // kept_step: pictures of later steps are stale and removed.
  TrainingReport(std::filesystem::path dir, std::string name, std::string model, Tensor A, Tensor B, int64_t kept_step);
  // The picture of this step (once per step) and the page. The model's training state is untouched.
  void write(TrainModel& model, int64_t step, int64_t total_steps);

  static std::string picture_name(int64_t step);  // "step_0000400.png"

 private:
  std::filesystem::path dir_;
  std::string name_, model_, gan_mode_;
  Tensor A_, B_;
  int64_t last_picture_ = -1;
  std::vector<std::string> labels_;
  bool has_maps_ = false;
};

}  // namespace p2p
