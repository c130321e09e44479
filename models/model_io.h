// What the DCGAN and VAE checkpoints share (models/dcgan.h, models/vae.h): options as metadata text
// (floats with 9 significant digits, an exact round trip), the stores' tensors by name, and the
// checks on a file being read back.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "nn/params.h"
#include "runtime/safetensors.h"

namespace p2p {

std::string float_text(float x);
// Parse a whole string as a number; errors name `what` and the text.
int64_t parse_int(const std::string& s, const std::string& what);
float parse_float(const std::string& s, const std::string& what);

// Reads metadata keys of one checkpoint: errors name the file and the missing or malformed key.
class MetadataReader {
 public:
  MetadataReader(const Metadata& m, std::string what) : m_(m), what_(std::move(what)) {}
  const std::string& text(const char* key) const;
  int integer(const char* key) const;
  float real(const char* key) const;
  uint64_t seed(const char* key) const;

 private:
  const Metadata& m_;
  std::string what_;
};

// Every store's parameters and running statistics as "<name>" views, then (with_optimizer) the Adam
// moments as "adam_m.<name>" and "adam_v.<name>".
std::vector<NamedTensor> store_tensors(std::initializer_list<ParamStore*> stores, bool with_optimizer);

// Opens a checkpoint and checks its "format"; the error names the file and both formats.
void check_format(const SafetensorsFile& f, const std::string& path, const char* format);

// Refuses a checkpoint whose architecture option differs from the model's, naming the option.
void check_same_option(const std::string& path, const char* option, int saved, int ours);

}  // namespace p2p
