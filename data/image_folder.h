// A folder of single images (JPEG/PNG/BMP, searched recursively, sorted by path) as the DCGAN and the
// VAE read them, torchvision's ImageFolder with pytorch/examples dcgan's transform:
//   Resize(image_size)      bicubic (resize_bicubic), the short side to image_size, the long side
//                           to int(image_size * long / short) as torchvision computes it
//   CenterCrop(image_size)  offset round((side - image_size) / 2) on each axis (half to even, as
//                           Python's round)
//   flip (off by default, as the reference): a horizontal flip drawn from Philox with key
//                           seed ^ kFolderAugmentKey and counter (index, epoch), word 2's top bit, so
//                           a sample is a pure function of (seed, epoch, index) (exact resume)
// then [-1, 1] as image_to_tensor. half (none | left | right) first keeps one half of each image:
// facades' AB files (photo | labels) give their photos with half "left", a demo set with no download.
//
// The resized crop is deterministic, so it is what the PairCache keeps (Halves::a; b stays empty),
// and it is what the Loader batches (paired() is false: Batch::B stays undefined).
// Errors, each naming the path: the folder is missing or holds no images; scan() lists the files
// that are not images (or whose half would be empty: a width below 2 with half set); the decode of
// a file whose header is sound but whose pixels are not fails when it is read. Every image can take
// any image_size: the resize makes the short side exactly image_size.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/aligned_dataset.h"
#include "data/sample_source.h"

namespace p2p {

struct ImageFolderOptions {
  std::string root;
  int image_size = 64;
  std::string half = "none";  // none | left | right
  bool flip = false;
  uint64_t seed = 0;
  size_t cache_bytes = 0;  // the PairCache's bound; 0 = no cache
};

class ImageFolder : public SampleSource {
 public:
  explicit ImageFolder(const ImageFolderOptions& opt);

  size_t size() const override { return files_.size(); }
  uint64_t seed() const override { return opt_.seed; }
  bool paired() const override { return false; }
  Prepared prepare(size_t index, uint64_t epoch) const override;

  // The pieces of prepare() (sample_source.h's prepare_file), as the aligned dataset's.
  const std::vector<std::string>& files() const { return files_; }
  std::shared_ptr<const Halves> halves(size_t index) const;
  Shape sample_shape(const Halves& h, bool b = false) const;  // b: no B here, the same shape
  Augment augment(const Halves& h, size_t index, uint64_t epoch) const;
  void write_sample(const Halves& h, const Augment& aug, float* a, float* b) const;

  const ImageFolderOptions& options() const { return opt_; }
  // Sample `index` of `epoch`: [1, 3, image_size, image_size] on the CPU in [-1, 1].
  Tensor get(size_t index, uint64_t epoch) const;
  // Every file's header checked (no pixels decoded); the unusable ones with the reason.
  std::vector<BadFile> scan() const;
  const PairCache* cache() const { return cache_.get(); }  // null without one

 private:
  std::string check_size(const std::string& path, int w, int h) const;  // "" when usable

  ImageFolderOptions opt_;
  std::vector<std::string> files_;
  std::shared_ptr<PairCache> cache_;
};

}  // namespace p2p
