#include "models/model_io.h"

#include "models/option_table.h"
#include "runtime/check.h"

namespace p2p {

std::vector<NamedTensor> store_tensors(std::initializer_list<ParamStore*> stores, bool with_optimizer) {
  std::vector<NamedTensor> out;
  for (ParamStore* s : stores) {
    for (const auto& e : s->params()) out.push_back({e.name, s->values().slice(e.offset, e.shape)});
    for (const auto& e : s->buffer_entries()) out.push_back({e.name, s->buffers().slice(e.offset, e.shape)});
    if (!with_optimizer) continue;
    for (const auto& e : s->params()) out.push_back({"adam_m." + e.name, s->adam_m().slice(e.offset, e.shape)});
    for (const auto& e : s->params()) out.push_back({"adam_v." + e.name, s->adam_v().slice(e.offset, e.shape)});
  }
  return out;
}

void save_checkpoint(const std::string& path, std::initializer_list<ParamStore*> stores, const char* format,
                     int64_t step, uint64_t seed, const Metadata& model, const Metadata& extra) {
  Metadata meta = extra;
  meta["format"] = format;
  meta["step"] = std::to_string(step);
  meta["seed"] = std::to_string(seed);
  meta["model"] = json_object(model);
  save_safetensors(path, store_tensors(stores, true), meta);
}

Metadata checkpoint_model(const SafetensorsFile& f, const std::string& path, const char* format) {
  P2P_CHECK(f.meta("format") == format,
            "checkpoint " << path << ": format '" << f.meta("format") << "', this model reads '" << format << "'");
  return parse_json_object(f.meta("model"), "checkpoint " + path);
}

int64_t read_checkpoint(const SafetensorsFile& f, const std::string& path, std::initializer_list<ParamStore*> stores,
                        bool with_optimizer) {
  for (NamedTensor& t : store_tensors(stores, with_optimizer)) f.read_into(t.name, t.tensor);
  return parse_option_int(f.meta("step"), "checkpoint " + path + ": metadata step");
}

}  // namespace p2p
