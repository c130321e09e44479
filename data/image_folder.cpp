#include "data/image_folder.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "runtime/check.h"
#include "runtime/philox.h"

namespace p2p {
namespace {
constexpr uint64_t kFolderAugmentKey = 0x666f6c6465726631ull;  // "folderf1": apart from the pairs' augmentation
}  // namespace

ImageFolder::ImageFolder(const ImageFolderOptions& opt) : opt_(opt) {
  P2P_CHECK(opt.image_size > 0, "--image-size " << opt.image_size << " must be > 0");
  P2P_CHECK(opt.half == "none" || opt.half == "left" || opt.half == "right",
            "--half: unknown value '" << opt.half << "' (expected none, left or right)");
  P2P_CHECK(!opt.root.empty(), "--dataroot is not set");
  std::error_code ec;
  P2P_CHECK(std::filesystem::is_directory(opt.root, ec), "--dataroot '" << opt.root << "': no such folder");
  files_ = list_images(opt.root, /*recursive=*/true);
  P2P_CHECK(!files_.empty(),
            "--dataroot '" << opt.root << "': no images (.jpg .jpeg .png .bmp) in it or in its subfolders");
  if (opt.cache_bytes > 0) cache_ = std::make_shared<PairCache>(opt.cache_bytes);
}

std::string ImageFolder::check_size(const std::string& path, int w, int h) const {
  std::ostringstream os;
  if (opt_.half != "none" && (w < 2 || w % 2 != 0))
    os << "'" << path << "' (" << w << "x" << h << ") has no " << opt_.half
       << " half (--half needs an even width, as AB pairs have)";
  return os.str();
}

std::shared_ptr<const Halves> ImageFolder::halves(size_t index) const {
  P2P_CHECK(index < files_.size(), "sample " << index << " out of range: the folder holds " << files_.size());
  const std::string& path = files_[index];
  if (cache_)
    if (std::shared_ptr<const Halves> hit = cache_->find(path)) return hit;
  Image img = load_image(path);
  const std::string problem = check_size(path, img.w, img.h);
  P2P_CHECK(problem.empty(), problem);
  if (opt_.half != "none") img = crop(img, opt_.half == "left" ? 0 : img.w / 2, 0, img.w / 2, img.h);
  // torchvision Resize(int): the short side to s, the long one to int(s * long / short).
  const int s = opt_.image_size;
  const int w = img.w <= img.h ? s : static_cast<int>(int64_t(s) * img.w / img.h);
  const int h = img.h < img.w ? s : static_cast<int>(int64_t(s) * img.h / img.w);
  if (w != img.w || h != img.h) img = resize_bicubic(img, w, h);
  // CenterCrop: offsets round((side - s) / 2) by Python's round, half to even (std::lrint's default).
  const int x0 = static_cast<int>(std::lrint((w - s) / 2.0)), y0 = static_cast<int>(std::lrint((h - s) / 2.0));
  auto out = std::make_shared<Halves>();
  out->a = crop(img, x0, y0, s, s);
  if (cache_) cache_->insert(path, out);
  return out;
}

Shape ImageFolder::sample_shape(const Halves&, bool) const { return {1, 3, opt_.image_size, opt_.image_size}; }

Augment ImageFolder::augment(const Halves&, size_t index, uint64_t epoch) const {
  Augment aug;
  aug.flip = opt_.flip && (philox4x32_10(index, epoch, opt_.seed ^ kFolderAugmentKey).v[2] >> 31) != 0;
  return aug;
}

void ImageFolder::write_sample(const Halves& h, const Augment& aug, float* a, float*) const {
  write_window(h.a, 0, 0, opt_.image_size, opt_.image_size, aug.flip, a);
}

SampleSource::Prepared ImageFolder::prepare(size_t index, uint64_t epoch) const {
  return prepare_file(*this, index, epoch);
}

Tensor ImageFolder::get(size_t index, uint64_t epoch) const {
  const Prepared p = prepare(index, epoch);
  Tensor t(p.shape);
  p.write(t.data(), nullptr);
  return t;
}

std::vector<BadFile> ImageFolder::scan() const {
  std::vector<BadFile> bad;
  for (const std::string& path : files_) {
    try {
      const ImageInfo info = probe_image(path);
      const std::string problem = check_size(path, info.w, info.h);
      if (!problem.empty()) bad.push_back({path, problem});
    } catch (const std::exception& e) {
      bad.push_back({path, e.what()});
    }
  }
  return bad;
}

}  // namespace p2p
