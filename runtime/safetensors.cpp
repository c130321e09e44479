#include "runtime/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>

#include "runtime/check.h"

namespace p2p {
namespace {

// Headers beyond this are refused before being read (the reference implementation's limit too).
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

bool host_is_little_endian() {
  const uint32_t one = 1;
  unsigned char first;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

// ---- a small JSON reader: objects, arrays, strings, numbers (kept as text), true/false/null ----

struct Json {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  std::string text;                                  // String: the decoded value; Number/Bool: the token
  std::vector<Json> items;                           // Array
  std::vector<std::pair<std::string, Json>> fields;  // Object, in file order
};

class JsonParser {
 public:
  explicit JsonParser(const std::string& s) : s_(s) {}

  Json parse_document() {
    Json v = value(0);
    skip_ws();
    if (i_ != s_.size()) error("unexpected text after the JSON value");
    return v;
  }

 private:
  [[noreturn]] void error(const std::string& what) { throw Error(what + " at byte " + std::to_string(i_)); }

  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }

  void expect(char c) {
    skip_ws();
    if (i_ >= s_.size() || s_[i_] != c) error(std::string("expected '") + c + "'");
    ++i_;
  }

  Json value(int depth) {
    if (depth > 32) error("JSON nested too deeply");
    skip_ws();
    if (i_ >= s_.size()) error("unexpected end of JSON");
    char c = s_[i_];
    Json v;
    if (c == '{') {
      v.kind = Json::Object;
      ++i_;
      skip_ws();
      if (i_ < s_.size() && s_[i_] == '}') return ++i_, v;
      for (;;) {
        skip_ws();
        std::string key = string();
        expect(':');
        v.fields.emplace_back(key, value(depth + 1));
        skip_ws();
        if (i_ < s_.size() && s_[i_] == ',') {
          ++i_;
          continue;
        }
        expect('}');
        return v;
      }
    }
    if (c == '[') {
      v.kind = Json::Array;
      ++i_;
      skip_ws();
      if (i_ < s_.size() && s_[i_] == ']') return ++i_, v;
      for (;;) {
        v.items.push_back(value(depth + 1));
        skip_ws();
        if (i_ < s_.size() && s_[i_] == ',') {
          ++i_;
          continue;
        }
        expect(']');
        return v;
      }
    }
    if (c == '"') {
      v.kind = Json::String;
      v.text = string();
      return v;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      v.kind = Json::Number;
      size_t start = i_;
      while (i_ < s_.size() && std::strchr("+-.eE0123456789", s_[i_])) ++i_;
      v.text = s_.substr(start, i_ - start);
      return v;
    }
    for (const char* word : {"true", "false", "null"}) {
      if (s_.compare(i_, std::strlen(word), word) == 0) {
        i_ += std::strlen(word);
        v.kind = word[0] == 'n' ? Json::Null : Json::Bool;
        v.text = word;
        return v;
      }
    }
    error(std::string("unexpected character '") + c + "'");
  }

  std::string string() {
    if (i_ >= s_.size() || s_[i_] != '"') error("expected a string");
    ++i_;
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_++];
      if (static_cast<unsigned char>(c) < 0x20) error("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) break;
      char e = s_[i_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u':
          out += utf8(hex4());
          break;
        default:
          error(std::string("bad escape '\\") + e + "'");
      }
    }
    if (i_ >= s_.size()) error("unterminated string");
    ++i_;
    return out;
  }

  unsigned hex4() {
    if (i_ + 4 > s_.size()) error("short \\u escape");
    unsigned cp = 0;
    for (int k = 0; k < 4; ++k) {
      char h = s_[i_++];
      cp <<= 4;
      if (h >= '0' && h <= '9')
        cp |= h - '0';
      else if (h >= 'a' && h <= 'f')
        cp |= h - 'a' + 10;
      else if (h >= 'A' && h <= 'F')
        cp |= h - 'A' + 10;
      else
        error("bad hex digit in \\u escape");
    }
    return cp;
  }

  // Code points of the Basic Multilingual Plane (surrogate pairs are not needed for our names).
  static std::string utf8(unsigned cp) {
    std::string out;
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return out;
  }

  const std::string& s_;
  size_t i_ = 0;
};

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// A non-negative integer token; false when the token is not one or does not fit in 63 bits.
bool to_u64(const Json& v, uint64_t& out) {
  if (v.kind != Json::Number || v.text.empty() || v.text.size() > 18) return false;
  out = 0;
  for (char c : v.text) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<uint64_t>(c - '0');
  }
  return true;
}

const Json* field(const Json& obj, const char* key) {
  for (const auto& [k, v] : obj.fields)
    if (k == key) return &v;
  return nullptr;
}

}  // namespace

std::string json_object(const Metadata& m) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : m) {
    out += (first ? "" : ",") + json_string(k) + ":" + json_string(v);
    first = false;
  }
  return out + "}";
}

Metadata parse_json_object(const std::string& text, const std::string& what) {
  Json doc;
  try {
    doc = JsonParser(text).parse_document();
  } catch (const Error& e) {
    P2P_FAIL(what << ": not valid JSON (" << e.what() << ")");
  }
  P2P_CHECK(doc.kind == Json::Object, what << ": expected a JSON object");
  Metadata m;
  for (const auto& [k, v] : doc.fields) {
    P2P_CHECK(v.kind == Json::String, what << ": value of '" << k << "' is not a string");
    m[k] = v.text;
  }
  return m;
}

void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors, const Metadata& metadata) {
  P2P_CHECK(host_is_little_endian(), "safetensors: writing needs a little-endian host");
  std::set<std::string> seen;
  std::string header = "{";
  if (!metadata.empty()) header += "\"__metadata__\":" + json_object(metadata);
  uint64_t offset = 0;
  for (const NamedTensor& t : tensors) {
    P2P_CHECK(t.tensor.defined(), "checkpoint " << path << ": tensor " << t.name << " is undefined");
    P2P_CHECK(t.name != "__metadata__" && seen.insert(t.name).second,
              "checkpoint " << path << ": duplicate tensor name " << t.name);
    uint64_t bytes = static_cast<uint64_t>(t.tensor.numel()) * sizeof(float);
    std::string shape;
    for (size_t i = 0; i < t.tensor.shape().size(); ++i) shape += (i ? "," : "") + std::to_string(t.tensor.shape()[i]);
    header += (header.size() > 1 ? "," : "") + json_string(t.name) + ":{\"dtype\":\"F32\",\"shape\":[" + shape +
              "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + bytes) + "]}";
    offset += bytes;
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');

  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  P2P_CHECK(f, "checkpoint " << path << ": cannot open " << tmp << " for writing (" << std::strerror(errno) << ")");
  bool ok = true;
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(static_cast<uint64_t>(header.size()) >> (8 * i));
  ok = ok && std::fwrite(len, 1, 8, f) == 8;
  ok = ok && std::fwrite(header.data(), 1, header.size(), f) == header.size();
  for (const NamedTensor& t : tensors) {
    if (!ok) break;
    std::vector<float> host = t.tensor.to_vector();
    if (!host.empty())  // an empty tensor's data() may be null, which fwrite must not get
      ok = std::fwrite(host.data(), sizeof(float), host.size(), f) == host.size();
  }
  ok = ok && std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
  int saved_errno = errno;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) {
    std::remove(tmp.c_str());
    P2P_FAIL("checkpoint " << path << ": writing " << tmp << " failed (" << std::strerror(saved_errno) << ")");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    saved_errno = errno;
    std::remove(tmp.c_str());
    P2P_FAIL("checkpoint " << path << ": cannot rename " << tmp << " (" << std::strerror(saved_errno) << ")");
  }
  // Make the rename itself durable.
  std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
  int dfd = ::open(dir.empty() ? "/" : dir.c_str(), O_RDONLY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  P2P_CHECK(host_is_little_endian(), "safetensors: reading needs a little-endian host");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  P2P_CHECK(in, "checkpoint " << path << ": cannot open (" << std::strerror(errno) << ")");
  const uint64_t size = static_cast<uint64_t>(in.tellg());
  P2P_CHECK(size >= 8, "checkpoint " << path << ": not a safetensors file (only " << size << " bytes)");
  in.seekg(0);
  unsigned char len[8];
  in.read(reinterpret_cast<char*>(len), 8);
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(len[i]) << (8 * i);
  P2P_CHECK(n <= kMaxHeaderBytes, "checkpoint " << path << ": header length " << n << " is too large (limit "
                                                << kMaxHeaderBytes << " bytes); not a safetensors file?");
  P2P_CHECK(n >= 2 && 8 + n <= size, "checkpoint " << path << ": truncated or not a safetensors file (header of " << n
                                                   << " bytes, file of " << size << " bytes)");
  std::string header(n, '\0');
  in.read(header.data(), static_cast<std::streamsize>(n));
  P2P_CHECK(in, "checkpoint " << path << ": read error in the header");

  Json doc;
  try {
    doc = JsonParser(header).parse_document();
  } catch (const Error& e) {
    P2P_FAIL("checkpoint " << path << ": not a safetensors file (header is not valid JSON: " << e.what() << ")");
  }
  P2P_CHECK(doc.kind == Json::Object, "checkpoint " << path << ": not a safetensors file (header is not an object)");

  const uint64_t data_start = 8 + n, data_size = size - data_start;
  std::vector<std::pair<uint64_t, uint64_t>> spans;
  for (const auto& [name, v] : doc.fields) {
    if (name == "__metadata__") {
      P2P_CHECK(v.kind == Json::Object, "checkpoint " << path << ": __metadata__ is not an object");
      for (const auto& [k, s] : v.fields) {
        P2P_CHECK(s.kind == Json::String, "checkpoint " << path << ": metadata value '" << k << "' is not a string");
        metadata_[k] = s.text;
      }
      continue;
    }
    P2P_CHECK(v.kind == Json::Object, "checkpoint " << path << ": tensor " << name << ": entry is not an object");
    P2P_CHECK(!entries_.count(name), "checkpoint " << path << ": tensor " << name << " appears twice");
    const Json* dtype = field(v, "dtype");
    const Json* shape = field(v, "shape");
    const Json* offsets = field(v, "data_offsets");
    P2P_CHECK(dtype && dtype->kind == Json::String && shape && shape->kind == Json::Array && offsets &&
                  offsets->kind == Json::Array && offsets->items.size() == 2,
              "checkpoint " << path << ": tensor " << name << ": needs dtype, shape and data_offsets [begin, end]");
    P2P_CHECK(dtype->text == "F32", "checkpoint " << path << ": tensor " << name << " has dtype " << dtype->text
                                                  << "; only F32 is supported");
    Entry e;
    uint64_t numel = 1;
    for (const Json& d : shape->items) {
      uint64_t x;
      P2P_CHECK(to_u64(d, x) && x < (1ull << 40), "checkpoint " << path << ": tensor " << name << ": bad shape");
      e.shape.push_back(static_cast<int64_t>(x));
      numel *= x;
      P2P_CHECK(numel < (1ull << 40), "checkpoint " << path << ": tensor " << name << ": shape too large");
    }
    uint64_t b, en;
    P2P_CHECK(to_u64(offsets->items[0], b) && to_u64(offsets->items[1], en) && b <= en,
              "checkpoint " << path << ": tensor " << name << ": bad data_offsets");
    P2P_CHECK(en <= data_size, "checkpoint " << path << ": tensor " << name << ": data_offsets [" << b << ", " << en
                                             << "] out of range (the data section holds " << data_size
                                             << " bytes; truncated file?)");
    P2P_CHECK(en - b == numel * sizeof(float), "checkpoint " << path << ": tensor " << name << ": data_offsets [" << b
                                                             << ", " << en << "] do not match shape "
                                                             << shape_str(e.shape) << " of F32");
    e.begin = data_start + b;
    e.end = data_start + en;
    spans.emplace_back(b, en);
    entries_.emplace(name, std::move(e));
  }
  // The tensors must tile the data section exactly (no overlaps, no holes, nothing after).
  std::sort(spans.begin(), spans.end());
  uint64_t at = 0;
  for (const auto& [b, en] : spans) {
    P2P_CHECK(b == at, "checkpoint " << path << ": tensor data overlaps or leaves a hole at byte " << at);
    at = en;
  }
  P2P_CHECK(at == data_size, "checkpoint " << path << ": " << (data_size - at) << " stray bytes after the tensors");
}

const std::string& SafetensorsFile::meta(const std::string& key) const {
  auto it = metadata_.find(key);
  P2P_CHECK(it != metadata_.end(), "checkpoint " << path_ << ": metadata '" << key << "' is missing");
  return it->second;
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> out;
  for (const auto& [name, e] : entries_) out.push_back(name);
  return out;
}

const SafetensorsFile::Entry& SafetensorsFile::entry(const std::string& name) const {
  auto it = entries_.find(name);
  P2P_CHECK(it != entries_.end(), "checkpoint " << path_ << ": tensor " << name << " is missing");
  return it->second;
}

const Shape& SafetensorsFile::shape(const std::string& name) const { return entry(name).shape; }

void SafetensorsFile::read_into(const std::string& name, Tensor& dst, const std::string& hint) const {
  const Entry& e = entry(name);
  P2P_CHECK(dst.shape() == e.shape, "checkpoint " << path_ << ": tensor " << name << " has shape " << shape_str(e.shape)
                                                  << ", the model expects " << shape_str(dst.shape())
                                                  << (hint.empty() ? "" : " " + hint));
  std::ifstream in(path_, std::ios::binary);
  P2P_CHECK(in, "checkpoint " << path_ << ": cannot reopen (" << std::strerror(errno) << ")");
  in.seekg(static_cast<std::streamoff>(e.begin));
  Tensor host = dst.device() == Device::CPU ? dst : Tensor(e.shape, Device::CPU);
  in.read(reinterpret_cast<char*>(host.data()), static_cast<std::streamsize>(e.end - e.begin));
  P2P_CHECK(in, "checkpoint " << path_ << ": tensor " << name << ": read error (file changed or truncated?)");
  if (dst.device() != Device::CPU) dst.copy_from(host);
}

Tensor SafetensorsFile::read(const std::string& name) const {
  Tensor t(entry(name).shape, Device::CPU);
  read_into(name, t);
  return t;
}

}  // namespace p2p
