// What the models' checkpoints share: the stores' tensors by name (all models); the checkpoint
// write and the read back (the DCGAN and the VAE). The options' metadata comes from each model's
// option table (models/option_table.h).
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "nn/params.h"
#include "runtime/safetensors.h"

namespace p2p {

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
// Reads the stores' tensors, with the Adam moments when with_optimizer (after the caller compared the
// options), and returns the saved step.
int64_t read_checkpoint(const SafetensorsFile& f, const std::string& path, std::initializer_list<ParamStore*> stores,
                        bool with_optimizer = true);

}  // namespace p2p
