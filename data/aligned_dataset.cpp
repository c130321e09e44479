// The aligned AB dataset: file scan, option checks, and the per-sample preprocessing.
#include "data/aligned_dataset.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "runtime/check.h"
#include "runtime/philox.h"

namespace fs = std::filesystem;

namespace p2p {
namespace {

// Keeps the augmentation stream apart from other users of the same seed (weights, dropout).
constexpr uint64_t kAugmentKey = 0x6175676d656e7431ull;  // "augment1"

bool is_image_name(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp";
}

}  // namespace

std::vector<std::string> list_images(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_regular_file(ec) && is_image_name(entry.path())) files.push_back(entry.path().string());
  P2P_CHECK(!ec, "cannot list folder '" << dir << "': " << ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

AlignedDataset::AlignedDataset(const DatasetOptions& opt) : opt_(opt) {
  if (opt.direction == "AtoB" || opt.direction == "BtoA")
    btoa_ = opt.direction == "BtoA";
  else
    P2P_FAIL("--direction: unknown value '" << opt.direction << "' (expected AtoB or BtoA)");

  const std::string& pre = opt.preprocess;
  if (pre == "resize_and_crop" || pre == "crop" || pre == "scale_width_and_crop" || pre == "scale_width" ||
      pre == "none") {
    resize_square_ = pre == "resize_and_crop";
    scale_width_ = pre.rfind("scale_width", 0) == 0;
    crop_ = pre.find("crop") != std::string::npos;
  } else {
    P2P_FAIL("--preprocess: unknown value '" << pre
                                             << "' (expected resize_and_crop, crop, scale_width_and_crop, "
                                                "scale_width or none)");
  }
  if (resize_square_ || scale_width_) P2P_CHECK(opt.load_size > 0, "--load-size " << opt.load_size << " must be > 0");
  if (crop_ || scale_width_) P2P_CHECK(opt.crop_size > 0, "--crop-size " << opt.crop_size << " must be > 0");
  if (crop_ && (resize_square_ || scale_width_))
    P2P_CHECK(opt.crop_size <= opt.load_size, "--crop-size " << opt.crop_size << " is larger than --load-size "
                                                             << opt.load_size << " (--preprocess " << pre << ")");

  P2P_CHECK(!opt.dataroot.empty(), "--dataroot is not set");
  std::error_code ec;
  P2P_CHECK(fs::is_directory(opt.dataroot, ec), "--dataroot '" << opt.dataroot << "': no such folder");
  fs::path phase_dir = fs::path(opt.dataroot) / opt.phase;
  if (!opt.phase.empty() && fs::is_directory(phase_dir, ec)) {
    folder_ = phase_dir.string();
    files_ = list_images(folder_);
    P2P_CHECK(!files_.empty(),
              "--dataroot '" << opt.dataroot << "': folder '" << folder_ << "' holds no images (.jpg .jpeg .png .bmp)");
  } else {
    folder_ = opt.dataroot;
    files_ = list_images(folder_);
    P2P_CHECK(!files_.empty(), "--dataroot '" << opt.dataroot << "': no folder '" << phase_dir.string()
                                              << "' and no images (.jpg .jpeg .png .bmp) in '" << opt.dataroot
                                              << "' itself");
  }
}

AlignedDataset::Sample AlignedDataset::get(size_t index, uint64_t epoch) const {
  P2P_CHECK(index < files_.size(), "sample " << index << " out of range: the dataset holds " << files_.size());
  const std::string& path = files_[index];
  Image ab = load_image(path);
  P2P_CHECK(ab.w >= 2 && ab.w % 2 == 0, "'" << path << "' (" << ab.w << "x" << ab.h
                                            << ") is not an AB pair: its width is odd, so the left (A) and right "
                                               "(B) halves differ in size");
  int half = ab.w / 2;
  Image a = crop(ab, 0, 0, half, ab.h), b = crop(ab, half, 0, half, ab.h);

  int w = half, h = ab.h;
  if (resize_square_) {
    w = h = opt_.load_size;
  } else if (scale_width_ && !(half == opt_.load_size && ab.h >= opt_.crop_size)) {
    w = opt_.load_size;
    h = std::max(static_cast<int>(static_cast<int64_t>(opt_.load_size) * ab.h / half), opt_.crop_size);
  }
  if (w != half || h != ab.h) {
    a = resize_bicubic(a, w, h);
    b = resize_bicubic(b, w, h);
  }

  Philox4 r = philox4x32_10(index, epoch, opt_.seed ^ kAugmentKey);
  Augment aug;
  if (crop_) {
    P2P_CHECK(w >= opt_.crop_size && h >= opt_.crop_size, "'" << path << "': each half is " << w << "x" << h
                                                              << " after --preprocess " << opt_.preprocess
                                                              << ", smaller than --crop-size " << opt_.crop_size);
    aug.x = static_cast<int>(r.v[0] % static_cast<uint32_t>(w - opt_.crop_size + 1));
    aug.y = static_cast<int>(r.v[1] % static_cast<uint32_t>(h - opt_.crop_size + 1));
    a = crop(a, aug.x, aug.y, opt_.crop_size, opt_.crop_size);
    b = crop(b, aug.x, aug.y, opt_.crop_size, opt_.crop_size);
  }
  aug.flip = opt_.flip && (r.v[2] >> 31) != 0;
  if (aug.flip) {
    a = flip_horizontal(a);
    b = flip_horizontal(b);
  }
  if (btoa_) std::swap(a, b);
  return Sample{image_to_tensor(a), image_to_tensor(b), path, aug};
}

}  // namespace p2p
