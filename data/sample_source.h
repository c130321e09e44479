// What the Loader (data/loader.h) batches: numbered samples whose pixels are a pure function of
// (index, epoch), so one loader, with its threads, order and exact resume, serves every model.
//   AlignedDataset    one AB file per sample: A and B (pix2pix)
//   UnalignedDataset  A and B from two domains, each file of its own (CycleGAN)
//   ImageFolder       one image per sample: A only (DCGAN, VAE; paired() is false)
// A source answers prepare(index, epoch): the decoding and the random choices happen there, the
// returned writer fills the batch slot, so the loader needs no knowledge of how a sample is made.
// Every method is thread-safe.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "data/image.h"
#include "runtime/tensor.h"

namespace p2p {

// The crop offsets and flip a sample received (in the resized image's pixels).
struct Augment {
  int x = 0, y = 0;
  bool flip = false;
};

class SampleSource {
 public:
  virtual ~SampleSource() = default;
  virtual size_t size() const = 0;
  virtual uint64_t seed() const = 0;  // the shuffle's (epoch_permutation)
  // false: samples have an A only; the writer ignores b, and the Loader's Batch::B stays undefined.
  virtual bool paired() const = 0;
  // Sample `index` of `epoch`, decoded: the [1, C, H, W] shapes of A and of B (C = 3, or 1 for a
  // side loaded grey: DatasetOptions::grey_A / grey_B), a path naming it in errors, and the writer of
  // A (and B when paired), C * H * W planar floats each in [-1, 1].
  struct Prepared {
    Shape shape, shape_b;
    std::string path;
    std::function<void(float* a, float* b)> write;
  };
  virtual Prepared prepare(size_t index, uint64_t epoch) const = 0;
};

// prepare() for a source of one file per sample, from the pieces such a source has: files(),
// halves(index) (decoded, resized, cached), sample_shape(halves, b), augment(halves, index, epoch) and
// write_sample(halves, augment, a, b). The source must outlive the writer.
template <class FileSource>
SampleSource::Prepared prepare_file(const FileSource& src, size_t index, uint64_t epoch) {
  auto h = src.halves(index);
  const Augment aug = src.augment(*h, index, epoch);
  return {src.sample_shape(*h), src.sample_shape(*h, /*b=*/true), src.files()[index],
          [&src, h, aug](float* a, float* b) { src.write_sample(*h, aug, a, b); }};
}

// The w x h window at (x0, y0) of img (3 channels, or 1 for a grey image), mirrored left to right
// when flip, as planar floats in [-1, 1] with image_to_tensor's bits: one pass, no copies.
void write_window(const Image& img, int x0, int y0, int w, int h, bool flip, float* out);

}  // namespace p2p
