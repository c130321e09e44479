#include "models/model_io.h"

#include <cstdio>

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

const std::string& MetadataReader::text(const char* key) const {
  auto it = m_.find(key);
  P2P_CHECK(it != m_.end(), what_ << ": model option '" << key << "' is missing");
  return it->second;
}
int MetadataReader::integer(const char* key) const {
  return static_cast<int>(parse_int(text(key), what_ + ": option " + key));
}
float MetadataReader::real(const char* key) const { return parse_float(text(key), what_ + ": option " + key); }
uint64_t MetadataReader::seed(const char* key) const {
  return static_cast<uint64_t>(parse_int(text(key), what_ + ": option " + key));
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

void check_format(const SafetensorsFile& f, const std::string& path, const char* format) {
  P2P_CHECK(f.meta("format") == format,
            "checkpoint " << path << ": format '" << f.meta("format") << "', this model reads '" << format << "'");
}

void check_same_option(const std::string& path, const char* option, int saved, int ours) {
  P2P_CHECK(saved == ours,
            "checkpoint " << path << " was trained with " << option << " " << saved << ", this model has " << ours);
}

}  // namespace p2p
