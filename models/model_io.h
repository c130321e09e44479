// What the models' checkpoints share: options as metadata text (floats with 9 significant digits,
// an exact round trip) and the stores' tensors by name (all models); option field lists, the
// checkpoint write and the checks on reading one back (the DCGAN and the VAE).
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <variant>
#include <vector>

#include "nn/params.h"
#include "runtime/safetensors.h"

namespace p2p {

std::string float_text(float x);
// Parse a whole string as a number; errors name `what` and the text.
int64_t parse_int(const std::string& s, const std::string& what);
float parse_float(const std::string& s, const std::string& what);

// One model option as the checkpoint metadata holds it: its key and where its value lives. A model
// lists its options once (e.g. dcgan.cpp's fields()); both directions below follow the list.
struct OptionField {
  const char* key;
  std::variant<int*, float*, uint64_t*, std::string*> value;
};
Metadata fields_to_metadata(const std::vector<OptionField>& fields);
// Sets every field from m; errors name `what`, the key and the text.
void fields_from_metadata(const std::vector<OptionField>& fields, const Metadata& m, const std::string& what);
// A model's options struct through its list of fields (fields(o) points into o).
template <class Options>
Metadata options_to_metadata(const Options& o, std::vector<OptionField> (*fields)(Options&)) {
  Options copy = o;
  return fields_to_metadata(fields(copy));
}
template <class Options>
Options options_from_metadata(const Metadata& m, const std::string& what,
                              std::vector<OptionField> (*fields)(Options&)) {
  Options o;
  fields_from_metadata(fields(o), m, what);
  return o;
}

// Every store's parameters and running statistics as "<name>" views, then (with_optimizer) the Adam
// moments as "adam_m.<name>" and "adam_v.<name>".
std::vector<NamedTensor> store_tensors(std::initializer_list<ParamStore*> stores, bool with_optimizer);

// Writes the stores' tensors (store_tensors with the optimizer) and the metadata: the caller's extra
// keys, then format, step, seed and model (the options as a JSON object), atomically.
void save_checkpoint(const std::string& path, std::initializer_list<ParamStore*> stores, const char* format,
                     int64_t step, uint64_t seed, const Metadata& model, const Metadata& extra);
// For a checkpoint of save_checkpoint: checks its format (the error names the file and both
// formats) and returns its model options' metadata.
Metadata checkpoint_model(const SafetensorsFile& f, const std::string& path, const char* format);
// Reads the stores' tensors (after the caller compared the options) and returns the saved step.
int64_t read_checkpoint(const SafetensorsFile& f, const std::string& path, std::initializer_list<ParamStore*> stores);

// Refuses a checkpoint whose architecture differs from the model's: for each key the saved and
// the model's option metadata must agree; the error names the file and the option (--key, with -
// for _) and both values.
void check_same_options(const std::string& path, const Metadata& saved, const Metadata& ours,
                        std::initializer_list<const char*> keys);

}  // namespace p2p
