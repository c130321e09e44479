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
//
// The fast path: the split and resize are deterministic, so their result (Halves) can be kept in a
// PairCache (DatasetOptions::cache_bytes); a step then only crops, flips and converts, in one pass
// straight into the batch (write_sample). The cache never changes a pixel: write_sample gives the
// bits of image_to_tensor(crop(...)) whether the halves came from the cache or the file.
//
// The scan: scan() reads every file's header (probe_image) before any training, so a file that is
// unreadable, not an AB pair (odd width) or too small for the crop is reported by name at start;
// prefill() decodes every file into the cache (when it holds them all), which also catches a file
// whose header is sound but whose pixels are not.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/image.h"
#include "data/pair_cache.h"
#include "data/sample_source.h"
#include "runtime/tensor.h"

namespace p2p {

struct DatasetOptions {
  std::string dataroot, phase = "train", direction = "AtoB", preprocess = "resize_and_crop";
  int load_size = 286, crop_size = 256;
  bool flip = true;
  uint64_t seed = 0;
  size_t cache_bytes = 0;  // the PairCache's bound; 0 = no cache (the commands set it from --cache-mb)
  // Which part of each file is the image: "AB" both halves (a pair), "A" or "B" one half only, or
  // "whole" the file itself; the single-image parts feed the unaligned dataset (unaligned_dataset.h).
  // "A" and "B" still decode (and cache) both halves, so that the two domains of one split set, given
  // one cache, decode each file once.
  std::string part = "AB";
  // A / B (after --direction) loaded as one grey channel (data/image.h: to_grey) before the resize,
  // as the official get_transform's Grayscale for --input_nc 1 / --output_nc 1. A "whole" file is A.
  bool grey_A = false, grey_B = false;
};

// A file the scan or the prefill found unusable, and why (a sentence that names the file).
struct BadFile {
  std::string path, problem;
};
// One error text for all of them: the first `listed` problems, then "and N more".
std::string bad_files_message(const std::vector<BadFile>& bad, size_t listed = 10);

// The files of a folder that look like images (.jpg .jpeg .png .bmp, any case), sorted by path;
// with recursive, those of its subfolders too.
std::vector<std::string> list_images(const std::string& dir, bool recursive = false);

class AlignedDataset : public SampleSource {
 public:
  // Scans dataroot/phase, or dataroot itself when it holds images directly. Errors: missing or
  // empty folder, unknown --direction / --preprocess value, bad sizes, crop larger than load size.
  // The cache: `cache` when given (shared with another dataset over the same preprocessing), else
  // one of opt.cache_bytes (none at 0).
  explicit AlignedDataset(const DatasetOptions& opt, std::shared_ptr<PairCache> cache = nullptr);

  struct Sample {
    Tensor A, B;  // [1, 3, H, W] on the CPU in [-1, 1]; A the input, B the target (after --direction)
    std::string path;
    Augment augment;
  };

  size_t size() const override { return files_.size(); }
  uint64_t seed() const override { return opt_.seed; }
  bool paired() const override { return true; }
  Prepared prepare(size_t index, uint64_t epoch) const override;
  const std::vector<std::string>& files() const { return files_; }
  const DatasetOptions& options() const { return opt_; }
  const std::string& folder() const { return folder_; }

  // Sample `index` as seen in `epoch`: deterministic, and safe to call from several threads.
  Sample get(size_t index, uint64_t epoch) const;

  // The pieces of get() the loader calls to write a batch in place (all thread-safe):
  // the halves of file `index` (from the cache, or decoded, resized and offered to the cache);
  std::shared_ptr<const Halves> halves(size_t index) const;
  // the [1, C, H, W] shape its samples' A (b: B) takes (C 1 for a grey side, else 3), and the crop
  // and flip of (index, epoch);
  Shape sample_shape(const Halves& h, bool b = false) const;
  Augment augment(const Halves& h, size_t index, uint64_t epoch) const;
  // A and B (after --direction) cropped, flipped and converted to [-1, 1], each C * H * W floats
  // written planar (CHW) from `a` and `b`.
  void write_sample(const Halves& h, const Augment& aug, float* a, float* b) const;
  // With a single-image part: that image (image() below) cropped, flipped and converted into `out`.
  void write_image(const Halves& h, const Augment& aug, float* out) const;

  struct ScanResult {
    std::vector<BadFile> bad;
    size_t pair_bytes = 0;  // what the good files take in the cache
  };
  // Every file's header checked; see the header comment. Reads headers only.
  ScanResult scan() const;
  // Decodes every file into the cache on `threads` threads; returns those that failed. Call it
  // only when the cache holds them all (cache_bytes() >= scan().pair_bytes).
  std::vector<BadFile> prefill(int threads) const;
  // Drops these files (--skip-bad-files); the cache is keyed by path, so it stays valid.
  void remove_files(const std::vector<BadFile>& bad);
  const PairCache* cache() const { return cache_.get(); }  // null without one

 private:
  // Each half's size after the deterministic resize, from the file's size.
  void resized_size(int half_w, int h, int& w_out, int& h_out) const;
  std::string check_pair_size(const std::string& path, int w, int h) const;  // "" when usable
  // A single-image part's image: the right half for part "B", else Halves::a.
  const Image& image(const Halves& h) const { return opt_.part == "B" ? h.b : h.a; }
  // Whether the file's left (right) half loads grey: grey_A or grey_B as --direction maps them.
  bool grey_left() const;
  bool grey_right() const;

  DatasetOptions opt_;
  std::string folder_;
  std::vector<std::string> files_;
  bool resize_square_ = false, scale_width_ = false, crop_ = false, btoa_ = false;
  bool whole_ = false;                // part "whole": the file is one image, not an AB pair
  std::shared_ptr<PairCache> cache_;  // shared: copies of the dataset see one cache
};

}  // namespace p2p
