#include "models/option_table.h"

#include <cstdlib>

namespace p2p {

std::string option_text(int64_t v) { return std::to_string(v); }
std::string option_text(uint64_t v) { return std::to_string(v); }
std::string option_text(bool v) { return v ? "true" : "false"; }

std::string option_text(float v) {
  // The shortest text that reads back to the same float: people see 0.0002, files keep every bit.
  char buf[32];
  for (int digits = 6; digits <= 9; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, static_cast<double>(v));
    if (std::strtof(buf, nullptr) == v) break;
  }
  return buf;
}

namespace {
// parse(s, &used) over all of s, else an error naming `what` and saying `expected`.
template <class F>
auto parse_whole(const std::string& s, const std::string& what, const char* expected, F parse) {
  size_t used = 0;
  decltype(parse(s, &used)) v{};
  try {
    v = parse(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  P2P_CHECK(used == s.size() && !s.empty(), what << ": '" << s << "' is not " << expected);
  return v;
}
}  // namespace

int64_t parse_option_int(const std::string& s, const std::string& what) {
  return parse_whole(s, what, "an integer", [](const std::string& x, size_t* used) { return std::stoll(x, used); });
}

float parse_option_float(const std::string& s, const std::string& what) {
  return parse_whole(s, what, "a number", [](const std::string& x, size_t* used) { return std::stof(x, used); });
}

bool parse_option_bool(const std::string& s, const std::string& what) {
  P2P_CHECK(s == "true" || s == "false", what << ": '" << s << "' is not true or false");
  return s == "true";
}

std::string options_text(const std::vector<std::pair<std::string, std::string>>& values,
                         const std::vector<std::pair<std::string, std::string>>& defaults) {
  std::ostringstream os;
  os << "----------------- Options ---------------\n";
  for (size_t i = 0; i < values.size(); ++i) {
    char line[512];
    std::snprintf(line, sizeof line, "%18s: %-30s", values[i].first.c_str(), values[i].second.c_str());
    os << line;
    if (i < defaults.size() && values[i].second != defaults[i].second)
      os << "\t[default: " << (defaults[i].second.empty() ? "none" : defaults[i].second) << "]";
    os << "\n";
  }
  os << "----------------- End -------------------\n";
  return os.str();
}

}  // namespace p2p
