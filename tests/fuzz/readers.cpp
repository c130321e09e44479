// The readers of tests/fuzz/readers.h.
#include "tests/fuzz/readers.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <vector>

#include "data/aligned_dataset.h"
#include "data/image.h"
#include "runtime/check.h"
#include "runtime/safetensors.h"

namespace p2p::fuzz {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("fuzz: cannot open " + path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void read_image(const std::string& path) {
  ImageInfo info;
  bool probed = true;
  try {
    info = probe_image(path);
  } catch (const Error&) {
    probed = false;
  }
  const Image img = load_image(path);
  if (!probed || info.w != img.w || info.h != img.h)
    throw std::logic_error("probe_image " + std::string(probed ? "disagrees on the size of " : "refuses ") + path +
                           ", which load_image decodes");
}

void read_probe(const std::string& path) { probe_image(path); }

void read_safetensors(const std::string& path) {
  SafetensorsFile file(path);
  for (const std::string& name : file.names()) file.read(name);
}

void read_json(const std::string& path) { parse_json_object(read_text(path), path); }

std::string dataset_dir() { return scratch_dir() + "/dataset"; }

void read_dataset(const std::string& path) {
  const std::string bytes = read_text(path);
  if (bytes.empty()) return;
  static const char* const kPreprocess[] = {"resize_and_crop", "crop", "scale_width_and_crop", "scale_width", "none"};
  const unsigned mode = static_cast<unsigned char>(bytes[0]);
  std::filesystem::remove_all(dataset_dir());
  std::filesystem::create_directories(dataset_dir());
  std::ofstream(dataset_dir() + "/ab.jpg", std::ios::binary).write(bytes.data() + 1, bytes.size() - 1);
  DatasetOptions opt;
  opt.dataroot = dataset_dir();
  opt.preprocess = kPreprocess[mode % 5];
  opt.direction = mode & 8 ? "BtoA" : "AtoB";
  opt.flip = mode & 16;
  opt.load_size = 8;
  opt.crop_size = 6;
  AlignedDataset(opt).get(0, 0);
}

}  // namespace

const std::vector<Reader>& readers() {
  static const std::vector<Reader> all = {{"fuzz_image", read_image},
                                          {"fuzz_probe", read_probe},
                                          {"fuzz_safetensors", read_safetensors},
                                          {"fuzz_json", read_json},
                                          {"fuzz_dataset", read_dataset}};
  return all;
}

const Reader* find_reader(const std::string& target) {
  for (const Reader& r : readers())
    if (target == r.target) return &r;
  return nullptr;
}

void run_reader(const Reader& reader, const std::string& path) {
  try {
    reader.read(path);
  } catch (const Error& e) {
    const std::string msg = e.what();
    if (msg.find(path) == std::string::npos && msg.find(dataset_dir()) == std::string::npos)
      throw std::logic_error(std::string(reader.target) + ": the error does not name the file " + path + ": " + msg);
  }
}

const std::string& scratch_dir() {
  // Never destroyed, so that the exit handler that removes the folder can still name it.
  static const std::string* dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string base = tmp && *tmp ? tmp : std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    auto* d = new std::string(base + "/p2p_fuzz_" + std::to_string(::getpid()));
    std::filesystem::create_directories(*d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_dir(), ec);
    });
    return d;
  }();
  return *dir;
}

}  // namespace p2p::fuzz
