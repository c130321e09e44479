#include "models/model_io.h"

#include <algorithm>
#include <cstdio>
#include <type_traits>

#include "runtime/check.h"

namespace p2p {

std::string float_text(float x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(x));  // 9 digits: exact float round trip
  return buf;
}

namespace {
// Parses all of s with parse(s, &used); false when it throws or leaves characters over.
template <class Parse>
bool parse_whole(const std::string& s, Parse parse) {
  size_t used = 0;
  try {
    parse(s, &used);
  } catch (const std::exception&) {
    return false;
  }
  return !s.empty() && used == s.size();
}
}  // namespace

int64_t parse_int(const std::string& s, const std::string& what) {
  int64_t v = 0;
  P2P_CHECK(parse_whole(s, [&](const std::string& t, size_t* used) { v = std::stoll(t, used); }),
            what << ": '" << s << "' is not an integer");
  return v;
}

float parse_float(const std::string& s, const std::string& what) {
  float v = 0;
  P2P_CHECK(parse_whole(s, [&](const std::string& t, size_t* used) { v = std::stof(t, used); }),
            what << ": '" << s << "' is not a number");
  return v;
}

Metadata fields_to_metadata(const std::vector<OptionField>& fields) {
  Metadata m;
  for (const OptionField& f : fields)
    m[f.key] = std::visit(
        [](auto* v) -> std::string {
          using T = std::remove_pointer_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>)
            return *v;
          else if constexpr (std::is_same_v<T, float>)
            return float_text(*v);
          else
            return std::to_string(*v);
        },
        f.value);
  return m;
}

void fields_from_metadata(const std::vector<OptionField>& fields, const Metadata& m, const std::string& what) {
  for (const OptionField& f : fields) {
    auto it = m.find(f.key);
    P2P_CHECK(it != m.end(), what << ": model option '" << f.key << "' is missing");
    const std::string &text = it->second, name = what + ": option " + f.key;
    std::visit(
        [&](auto* v) {
          using T = std::remove_pointer_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>)
            *v = text;
          else if constexpr (std::is_same_v<T, float>)
            *v = parse_float(text, name);
          else
            *v = static_cast<T>(parse_int(text, name));
        },
        f.value);
  }
}

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

int64_t read_checkpoint(const SafetensorsFile& f, const std::string& path, std::initializer_list<ParamStore*> stores) {
  for (NamedTensor& t : store_tensors(stores, true)) f.read_into(t.name, t.tensor);
  return parse_int(f.meta("step"), "checkpoint " + path + ": metadata step");
}

void check_same_options(const std::string& path, const Metadata& saved, const Metadata& ours,
                        std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    std::string flag = std::string("--") + key;
    std::replace(flag.begin(), flag.end(), '_', '-');
    const std::string theirs = saved.count(key) ? saved.at(key) : "(none)";
    P2P_CHECK(theirs == ours.at(key), "checkpoint " << path << " was trained with " << flag << " " << theirs
                                                    << ", this model has " << ours.at(key));
  }
}

}  // namespace p2p
