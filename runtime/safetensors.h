// The safetensors checkpoint format (https://github.com/huggingface/safetensors), the subset we use:
//
//   [8 bytes]  N, the header length, unsigned little-endian
//   [N bytes]  a JSON object, UTF-8, padded with spaces to a multiple of 8 bytes:
//                { "<tensor name>": {"dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end]}, ...,
//                  "__metadata__": {"<key>": "<string value>", ...} }
//   [rest]     the tensors' raw little-endian bytes; data_offsets count from the start of this section,
//              end - begin = 4 * numel(shape), and the tensors tile the section without gaps.
//
// Only F32 tensors are written or accepted. The JSON reader and writer are our own, for this subset.
// Saving is atomic: the file is written to "<path>.tmp", flushed, fsync'ed and renamed over <path>,
// so a crash mid-save leaves the previous checkpoint intact. Reading validates the whole header
// against the file size before any tensor is read; every error names the file and the problem.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "runtime/tensor.h"

namespace p2p {

using Metadata = std::map<std::string, std::string>;

struct NamedTensor {
  std::string name;
  Tensor tensor;  // any device; copied to the host while writing
};

// Writes the tensors (in the given order) and the metadata to path atomically. Names must be unique.
void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors, const Metadata& metadata);

class SafetensorsFile {
 public:
  // Opens path and validates its header (magic length, JSON, dtypes, shapes, offsets in range).
  explicit SafetensorsFile(const std::string& path);

  const std::string& path() const { return path_; }
  const Metadata& metadata() const { return metadata_; }
  // The metadata value for key; an error naming the file and the key when it is absent.
  const std::string& meta(const std::string& key) const;
  bool has(const std::string& name) const { return entries_.count(name) != 0; }
  std::vector<std::string> names() const;  // sorted
  const Shape& shape(const std::string& name) const;

  // Reads tensor name into dst (any device). Errors: the tensor is missing, or its shape differs from
  // dst's ("tensor X has shape [..], the model expects [..]" followed by hint when hint is not empty).
  void read_into(const std::string& name, Tensor& dst, const std::string& hint = "") const;
  // Reads tensor name into a new CPU tensor.
  Tensor read(const std::string& name) const;

 private:
  struct Entry {
    Shape shape;
    uint64_t begin, end;  // absolute file offsets
  };
  const Entry& entry(const std::string& name) const;

  std::string path_;
  Metadata metadata_;
  std::map<std::string, Entry> entries_;
};

// A flat JSON object of string values, as the metadata holds (used for the options too).
std::string json_object(const Metadata& m);
Metadata parse_json_object(const std::string& text, const std::string& what);

}  // namespace p2p
