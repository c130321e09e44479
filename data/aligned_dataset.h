// The aligned dataset of pix2pix: each file holds one pair side by side, A the left half and B the
// right half (facades: photo | labels, so labels-to-photo training uses --direction BtoA).
//
// Preprocessing (pix2pix's get_transform, applied identically to A and B):
//   resize_and_crop       resize both halves to load_size x load_size (bicubic), random crop crop_size
//   crop                  random crop crop_size from the image as it is
//   scale_width_and_crop  resize to width load_size, height max(load_size * h / w, crop_size), random crop
//   scale_width           that resize only
//   none                  the image as it is (the model reports sizes it cannot take)
// then a random horizontal flip when `flip` is set (pix2pix's default; --no_flip there).
//
// Refinements of notes/nn_api.md: the two extra preprocess values above (pix2pix's names and
// meaning); crop and flip are a pure function of (seed, epoch, index): Philox4x32-10 with key
// seed ^ kAugmentKey and counter (index, epoch) gives word 0 -> crop x, word 1 -> crop y,
// word 2 -> flip, so any sample of any epoch can be recomputed (exact --resume); Sample also
// carries the augmentation it used.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/image.h"
#include "runtime/tensor.h"

namespace p2p {

struct DatasetOptions {
  std::string dataroot, phase = "train", direction = "AtoB", preprocess = "resize_and_crop";
  int load_size = 286, crop_size = 256;
  bool flip = true;
  uint64_t seed = 0;
};

// The crop offsets and flip a sample received (in the resized image's pixels).
struct Augment {
  int x = 0, y = 0;
  bool flip = false;
};

// The files of a folder that look like images (.jpg .jpeg .png .bmp, any case), sorted by name.
std::vector<std::string> list_images(const std::string& dir);

class AlignedDataset {
 public:
  // Scans dataroot/phase, or dataroot itself when it holds images directly. Errors: missing or
  // empty folder, unknown --direction / --preprocess value, bad sizes, crop larger than load size.
  explicit AlignedDataset(const DatasetOptions& opt);

  struct Sample {
    Tensor A, B;  // [1, 3, H, W] on the CPU in [-1, 1]; A the input, B the target (after --direction)
    std::string path;
    Augment augment;
  };

  size_t size() const { return files_.size(); }
  const std::vector<std::string>& files() const { return files_; }
  const DatasetOptions& options() const { return opt_; }
  const std::string& folder() const { return folder_; }

  // Sample `index` as seen in `epoch`: deterministic, and safe to call from several threads.
  Sample get(size_t index, uint64_t epoch) const;

 private:
  DatasetOptions opt_;
  std::string folder_;
  std::vector<std::string> files_;
  bool resize_square_ = false, scale_width_ = false, crop_ = false, btoa_ = false;
};

}  // namespace p2p
