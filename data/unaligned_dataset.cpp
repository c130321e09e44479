#include "data/unaligned_dataset.h"

#include <filesystem>

#include "runtime/check.h"
#include "runtime/philox.h"

namespace p2p {
namespace {
namespace fs = std::filesystem;

constexpr uint64_t kUnalignedKey = 0x756e616c69676e31ull;  // "unalign1": B's index, apart from other streams
constexpr uint64_t kDomainBKey = 0x646f6d61696e4231ull;    // "domainB1": B's crops and flips, apart from A's

}  // namespace

UnalignedDataset::UnalignedDataset(const DatasetOptions& opt, bool split, bool serial) : opt_(opt), serial_(serial) {
  P2P_CHECK(opt.direction == "AtoB" || opt.direction == "BtoA",
            "--direction: unknown value '" << opt.direction << "' (expected AtoB or BtoA)");
  DatasetOptions a = opt, b = opt;
  b.seed = opt.seed ^ kDomainBKey;
  if (split) {
    a.part = "A";
    b.part = "B";
  } else {
    P2P_CHECK(fs::is_directory(opt.dataroot), "--dataroot '" << opt.dataroot << "': no such folder");
    for (DatasetOptions* d : {&a, &b}) {
      const std::string sub = opt.phase + (d == &a ? "A" : "B");
      P2P_CHECK(fs::is_directory(fs::path(opt.dataroot) / sub),
                "--dataroot '" << opt.dataroot << "': no folder '" << sub << "/' (CycleGAN's unaligned data needs "
                               << opt.phase << "A/ and " << opt.phase << "B/; for aligned AB files use "
                               << "--dataset-mode split)");
      d->phase = sub;
      d->part = "whole";
    }
    b.grey_A = opt.grey_B;  // a whole file is its dataset's A
  }
  if (opt.direction == "BtoA") std::swap(a.part, b.part), std::swap(a.phase, b.phase);
  // One cache for both: split, both domains read (and cache) both halves of a file, so each file is
  // decoded once; unaligned, the two folders share the one budget.
  std::shared_ptr<PairCache> cache = opt.cache_bytes > 0 ? std::make_shared<PairCache>(opt.cache_bytes) : nullptr;
  a_ = std::make_unique<AlignedDataset>(a, cache);
  b_ = std::make_unique<AlignedDataset>(b, cache);
}

std::string UnalignedDataset::folder() const {
  return a_->folder() == b_->folder() ? a_->folder() + " (split into its A and B halves)"
                                      : a_->folder() + " and " + b_->folder();
}

size_t UnalignedDataset::b_index(size_t index, uint64_t epoch) const {
  if (serial_) return index % b_->size();
  return philox4x32_10(index, epoch, opt_.seed ^ kUnalignedKey).v[0] % b_->size();
}

SampleSource::Prepared UnalignedDataset::prepare(size_t index, uint64_t epoch) const {
  P2P_CHECK(index < size(), "sample " << index << " out of range: the dataset holds " << size());
  const size_t ia = index % a_->size(), ib = b_index(index, epoch);
  std::shared_ptr<const Halves> ha = a_->halves(ia), hb = b_->halves(ib);
  const Augment aug_a = a_->augment(*ha, ia, epoch), aug_b = b_->augment(*hb, ib, epoch);
  const Shape sa = a_->sample_shape(*ha), sb = b_->sample_shape(*hb);
  P2P_CHECK(sa[2] == sb[2] && sa[3] == sb[3], "'" << a_->files()[ia] << "' (" << shape_str(sa) << ") and '"
                                                  << b_->files()[ib] << "' (" << shape_str(sb)
                                                  << ") differ in size after --preprocess " << opt_.preprocess
                                                  << "; use a --preprocess that resizes or crops to one size");
  return {sa, sb, a_->files()[ia], [this, ha, hb, aug_a, aug_b](float* a, float* b) {
            a_->write_image(*ha, aug_a, a);
            b_->write_image(*hb, aug_b, b);
          }};
}

}  // namespace p2p
