// ImagePool: the history of generated images that CycleGAN's discriminators see (Shrivastava et al.
// 2017), exactly as util/image_pool.py of the official code. query(images) handles the images of the
// batch one at a time, in order:
//   size 0:             the input is returned unchanged (no pool);
//   fewer than size stored: the image is stored and returned;
//   full:               with probability 1/2 (u > 0.5, u uniform in [0, 1)) a stored image at a uniformly
//                       random slot is returned and the new image takes its slot, else the new image
//                       is returned.
// Randomness: while full, each image takes two words of the Philox stream (seed, stream 0) (runtime/
// philox.h): word 2k gives u, word 2k + 1 the slot (word mod size: the modulo bias is below
// size / 2^32, ~1e-8). The counter k is part of the pool's state, so the draws are a pure function of
// (seed, counter) and a pool restored from a checkpoint continues exactly as the uninterrupted one.
// The images live on the pool's device in one buffer [size, C, H, W], filled slot by slot.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/safetensors.h"
#include "runtime/tensor.h"

namespace p2p {

class ImagePool {
 public:
  ImagePool(int size, uint64_t seed, Device dev);
  // images: [N, C, H, W] on the pool's device. Returns the N chosen images, the pool's own buffer
  // (valid until the next query), or images itself when the size is 0.
  const Tensor& query(const Tensor& images);

  int size() const { return size_; }
  int count() const { return count_; }  // images stored
  uint64_t draws() const { return draws_; }

  // Checkpoint state under name: the tensor "<name>.images" [count, C, H, W] (absent while empty)
  // and the metadata "<name>.count" and "<name>.draws".
  void save(const std::string& name, std::vector<NamedTensor>& tensors, Metadata& meta) const;
  void load(const SafetensorsFile& f, const std::string& name);

 private:
  int size_;
  uint64_t seed_;
  Device dev_;
  int count_ = 0;
  uint64_t draws_ = 0;  // Philox words used
  Tensor images_;       // [size, C, H, W] once the first image arrives
  Tensor out_, tmp_;
};

}  // namespace p2p
