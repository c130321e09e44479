#include "models/image_pool.h"

#include "nn/buffer.h"
#include "runtime/check.h"
#include "runtime/philox.h"

namespace p2p {

ImagePool::ImagePool(int size, uint64_t seed, Device dev) : size_(size), seed_(seed), dev_(dev) {
  P2P_CHECK(size >= 0, "--pool-size must not be negative, got " << size);
}

const Tensor& ImagePool::query(const Tensor& images) {
  if (size_ == 0) return images;
  check_rank(images, 4, "image pool input");
  P2P_CHECK(images.device() == dev_, "image pool: the images are on another device than the pool");
  const Shape one{1, images.c(), images.h(), images.w()};
  const int64_t chw = shape_numel(one);
  if (!images_.defined()) images_ = Tensor::zeros({size_, images.c(), images.h(), images.w()}, dev_);
  P2P_CHECK(images_.dim(1) == images.c() && images_.dim(2) == images.h() && images_.dim(3) == images.w(),
            "image pool: images " << shape_str(images.shape()) << " differ in size from the stored "
                                  << shape_str(images_.shape()));
  ensure_buffer(out_, images.shape(), dev_);
  ensure_buffer(tmp_, one, dev_);
  for (int64_t i = 0; i < images.n(); ++i) {
    const Tensor image = images.slice(i * chw, one);
    Tensor out = out_.slice(i * chw, one);
    if (count_ < size_) {  // filling: store and return the new image
      images_.slice(count_++ * chw, one).copy_from(image);
      out.copy_from(image);
      continue;
    }
    const float u = philox_uniform(seed_, 0, draws_);
    const uint32_t slot = philox_bits(seed_, 0, draws_ + 1) % uint32_t(size_);
    draws_ += 2;
    if (u > 0.5f) {  // return a stored image, keep the new one in its place
      Tensor stored = images_.slice(int64_t(slot) * chw, one);
      tmp_.copy_from(stored);
      stored.copy_from(image);
      out.copy_from(tmp_);
    } else {
      out.copy_from(image);
    }
  }
  return out_;
}

void ImagePool::save(const std::string& name, std::vector<NamedTensor>& tensors, Metadata& meta) const {
  meta[name + ".count"] = std::to_string(count_);
  meta[name + ".draws"] = std::to_string(draws_);
  if (count_ > 0)
    tensors.push_back({name + ".images", images_.slice(0, {count_, images_.dim(1), images_.dim(2), images_.dim(3)})});
}

void ImagePool::load(const SafetensorsFile& f, const std::string& name) {
  const std::string what = "checkpoint " + f.path() + ": image pool " + name;
  const int count = std::stoi(f.meta(name + ".count"));
  P2P_CHECK(count >= 0 && count <= size_, what << " holds " << count << " images, this pool has room for " << size_);
  draws_ = std::stoull(f.meta(name + ".draws"));
  count_ = count;
  images_ = Tensor();
  if (count == 0) return;
  const Shape s = f.shape(name + ".images");
  P2P_CHECK(s.size() == 4 && s[0] == count, what << ": tensor " << name << ".images has shape " << shape_str(s));
  images_ = Tensor::zeros({size_, s[1], s[2], s[3]}, dev_);
  Tensor stored = images_.slice(0, s);
  f.read_into(name + ".images", stored);
}

}  // namespace p2p
