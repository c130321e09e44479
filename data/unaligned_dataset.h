// The unaligned dataset of CycleGAN (the official unaligned_dataset.py): two domains with no pairing,
//   folders  <dataroot>/<phase>A and <dataroot>/<phase>B (trainA/, trainB/; testA/, testB/), any
//            number of images in each, each file one image;
//   split    <dataroot>/<phase> (or dataroot itself) of aligned AB files, domain A the left halves
//            and domain B the right halves, so a paired set such as facades serves as an unpaired
//            one with no download (and keeps its ground truth for testing).
// An epoch has max(|A|, |B|) items. Item i of an epoch is A[i mod |A|] (the loader shuffles the
// items) and B[j], j drawn per item and epoch from Philox(i, epoch, seed ^ kUnalignedKey) mod |B|
// (the official code's random B index), or j = i mod |B| with `serial` (its serial_batches, which
// its test uses). --direction BtoA swaps the domains.
// Each domain is an AlignedDataset over single images (DatasetOptions::part), so the preprocessing
// (resize_and_crop 286 -> 256, flip), the determinism in (seed, epoch, index), the start-up scan and
// the PairCache are the aligned set's; the two domains draw their crops and flips from different
// seeds, as the official code's independent transforms. They share one PairCache of the whole
// --cache-mb: split, an AB file is decoded once for both domains (each reads its half of the entry).
#pragma once
#include <memory>

#include "data/aligned_dataset.h"

namespace p2p {

class UnalignedDataset : public SampleSource {
 public:
  // split false: the folders <phase>A, <phase>B; true: the halves of <phase>'s AB files. Errors name
  // the folder that is missing or holds no images. opt.cache_bytes bounds the one cache of both domains.
  UnalignedDataset(const DatasetOptions& opt, bool split, bool serial);

  size_t size() const override { return std::max(a_->size(), b_->size()); }
  uint64_t seed() const override { return opt_.seed; }
  bool paired() const override { return true; }
  Prepared prepare(size_t index, uint64_t epoch) const override;
  // The file index of B paired with item `index` in `epoch`.
  size_t b_index(size_t index, uint64_t epoch) const;

  // The domains, after --direction (A the input): for the scan and the cache.
  AlignedDataset& domain_a() { return *a_; }
  AlignedDataset& domain_b() { return *b_; }
  std::string folder() const;

 private:
  DatasetOptions opt_;
  bool serial_;
  std::unique_ptr<AlignedDataset> a_, b_;
};

}  // namespace p2p
