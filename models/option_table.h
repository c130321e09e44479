// An option table: every option of an options struct described once (its name as on the command line,
// the field it sets (a member, or a member of a nested options struct), its help, its role and its limits), so that the
// command line, the saved options (opt.txt), the checkpoint metadata, the resume check and the README table are all
// derived from one list and cannot disagree. The default of each option is the struct's member
// initialiser, nothing else: the table reads it from T{}.
//
// Roles say what a checkpoint must agree on: `model` options shape the networks (a checkpoint of
// another value cannot load), `run` options shape the training (data, loss, schedule: --resume
// refuses another value), `free` ones only affect output and speed (they may change on --resume).
//
// Values are written as text: integers in decimal, floats in the shortest form that reads back to
// the same float (2e-4f is "0.0002"), bools as true/false, NormKind by name.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "nn/norm.h"
#include "runtime/check.h"
#include "runtime/safetensors.h"

namespace p2p {

enum class OptionRole { model, run, free };

// Text <-> value for the option field types; `what` names the option in errors.
std::string option_text(int64_t v);
std::string option_text(uint64_t v);
std::string option_text(float v);
std::string option_text(bool v);
int64_t parse_option_int(const std::string& s, const std::string& what);
float parse_option_float(const std::string& s, const std::string& what);
bool parse_option_bool(const std::string& s, const std::string& what);

// The official-style options text: one "name: value" line each, "[default: x]" where it differs.
std::string options_text(const std::vector<std::pair<std::string, std::string>>& values,
                         const std::vector<std::pair<std::string, std::string>>& defaults);

template <class T>
class OptionTable {
 public:
  // Where an option's value lives in T: a member (&T::x) or a member of a member struct
  // ({&T::g, &UNetOptions::ngf}), so that a model's options can hold its networks' and its
  // optimiser's option structs whole, each default written once, in the struct that owns it.
  template <class V>
  class Path {
   public:
    using Value = V;
    Path(V T::*f) : get_([f](const T& o) -> const V& { return o.*f; }), ref_([f](T& o) -> V& { return o.*f; }) {}
    template <class S>
    Path(S T::*s, V S::*f)
        : get_([s, f](const T& o) -> const V& { return (o.*s).*f; }), ref_([s, f](T& o) -> V& { return (o.*s).*f; }) {}
    const V& operator()(const T& o) const { return get_(o); }
    V& operator()(T& o) const { return ref_(o); }

   private:
    std::function<const V&(const T&)> get_;
    std::function<V&(T&)> ref_;
  };
  class Field {
   public:
    template <class V>
    Field(V T::*f) : path_(Path<V>(f)) {}
    template <class S, class V>
    Field(S T::*s, V S::*f) : path_(Path<V>(s, f)) {}
    // f(path) for the field's Path<V>.
    template <class F>
    decltype(auto) visit(F&& f) const {
      return std::visit(std::forward<F>(f), path_);
    }
    bool is_norm() const { return std::holds_alternative<Path<NormKind>>(path_); }

   private:
    std::variant<Path<int>, Path<int64_t>, Path<uint64_t>, Path<float>, Path<std::string>, Path<bool>, Path<NormKind>>
        path_;
  };
  struct Entry {
    std::string name, help;  // name as on the command line, without "--"
    Field field;
    OptionRole role;
    std::vector<std::string> choices;  // allowed values (strings); empty = any
    double min = -std::numeric_limits<double>::infinity(), max = std::numeric_limits<double>::infinity();
    // For an option added after files were written: the value a saved file without it implies.
    std::optional<std::string> implied;
  };

  OptionTable() = default;
  // The table `fill` builds (for a function-local static: built once, on first use).
  explicit OptionTable(void (*fill)(OptionTable&)) { fill(*this); }

  OptionTable& add(std::string name, Field field, std::string help, OptionRole role,
                   std::vector<std::string> choices = {}, double min = -std::numeric_limits<double>::infinity(),
                   double max = std::numeric_limits<double>::infinity()) {
    if (field.is_norm() && choices.empty()) choices = {"batch", "instance", "none"};
    entries_.push_back({std::move(name), std::move(help), field, role, std::move(choices), min, max});
    return *this;
  }
  // The last option added is newer than some saved files: those without it had `value`.
  OptionTable& implied_when_absent(std::string value) {
    entries_.back().implied = std::move(value);
    return *this;
  }
  // A number option with limits and no choices.
  OptionTable& range(std::string name, Field field, std::string help, OptionRole role, double min,
                     double max = std::numeric_limits<double>::infinity()) {
    return add(std::move(name), field, std::move(help), role, {}, min, max);
  }

  const std::vector<Entry>& entries() const { return entries_; }

  std::string get(const T& o, const Entry& e) const {
    return e.field.visit([&](const auto& path) -> std::string {
      using V = typename std::decay_t<decltype(path)>::Value;
      const V& v = path(o);
      if constexpr (std::is_same_v<V, std::string>)
        return v;
      else if constexpr (std::is_same_v<V, NormKind>)
        return norm_name(v);
      else if constexpr (std::is_same_v<V, bool> || std::is_same_v<V, float> || std::is_same_v<V, uint64_t>)
        return option_text(v);
      else
        return option_text(static_cast<int64_t>(v));
    });
  }

  void set(T& o, const Entry& e, const std::string& text) const {
    const std::string what = "--" + e.name;
    e.field.visit([&](const auto& path) {
      using V = typename std::decay_t<decltype(path)>::Value;
      V& v = path(o);
      if constexpr (std::is_same_v<V, std::string>)
        v = text;
      else if constexpr (std::is_same_v<V, NormKind>)
        v = parse_norm(text);
      else if constexpr (std::is_same_v<V, bool>)
        v = parse_option_bool(text, what);
      else if constexpr (std::is_same_v<V, float>)
        v = parse_option_float(text, what);
      else
        v = static_cast<V>(parse_option_int(text, what));
    });
  }

  std::vector<std::pair<std::string, std::string>> values(const T& o) const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const Entry& e : entries_) out.emplace_back(e.name, get(o, e));
    return out;
  }
  Metadata to_metadata(const T& o) const {
    Metadata m;
    for (const Entry& e : entries_) m[e.name] = get(o, e);
    return m;
  }
  // Every option from metadata written by to_metadata; `what` (e.g. "checkpoint x: model") names
  // the source in errors.
  T from_metadata(const Metadata& m, const std::string& what) const {
    T o{};
    for (const Entry& e : entries_) set(o, e, saved_value(m, e, what));
    return o;
  }

  // The limits and choices of every option; errors name the option and the value.
  void check(const T& o) const {
    for (const Entry& e : entries_) {
      const std::string v = get(o, e);
      if (!e.choices.empty()) {
        bool ok = false;
        std::string list;
        for (const std::string& c : e.choices) {
          ok = ok || c == v;
          list += (list.empty() ? "" : ", ") + c;
        }
        P2P_CHECK(ok, "--" << e.name << ": unknown value '" << v << "' (expected " << list << ")");
      }
      if (std::isfinite(e.min) || std::isfinite(e.max)) {
        const double x = std::stod(v);
        if (std::isfinite(e.max))
          P2P_CHECK(x >= e.min && x <= e.max, "--" << e.name << " " << v << ": expected " << e.min << " to " << e.max);
        else
          P2P_CHECK(x >= e.min, "--" << e.name << " " << v << ": expected at least " << e.min);
      }
    }
  }

  // Refuses saved options (metadata under the same names) that differ from o's in an option whose
  // role is `role` or stricter (model before run before free): "<what> was trained with --x 1,
  // <ours_are> --x 2<hint>".
  void check_same(const T& o, const Metadata& saved, OptionRole role, const std::string& what,
                  const std::string& ours_are, const std::string& hint) const {
    for (const Entry& e : entries_) {
      if (static_cast<int>(e.role) > static_cast<int>(role)) continue;
      const std::string theirs = saved_value(saved, e, what), ours = get(o, e);
      P2P_CHECK(theirs == ours, what << " was trained with --" << e.name << " " << theirs << ", " << ours_are << " --"
                                     << e.name << " " << ours << hint);
    }
  }

  // The README's rows: | `--name` | default | help |.
  std::string markdown_rows() const {
    std::ostringstream os;
    const T d{};
    for (const Entry& e : entries_) {
      std::string v = get(d, e);
      os << "| `--" << e.name << "` | " << (v.empty() ? "" : "`" + v + "`") << " | " << e.help << " |\n";
    }
    return os.str();
  }

 private:
  // e's value in saved metadata (or the value its absence implies); else an error naming `what`.
  static std::string saved_value(const Metadata& m, const Entry& e, const std::string& what) {
    auto it = m.find(e.name);
    if (it != m.end()) return it->second;
    P2P_CHECK(e.implied, what << " does not record option --" << e.name);
    return *e.implied;
  }

  std::vector<Entry> entries_;
};

// A model's options as its checkpoint's "model" metadata: the table's options plus the seed (the
// trainer's --seed, which the model's initialisation and dropout streams derive from); and back.
template <class O>
Metadata model_options_metadata(const OptionTable<O>& t, const O& o) {
  Metadata m = t.to_metadata(o);
  m["seed"] = option_text(o.seed);
  return m;
}
template <class O>
O model_options_from_metadata(const OptionTable<O>& t, const Metadata& m, const std::string& what) {
  O o = t.from_metadata(m, what);
  auto it = m.find("seed");
  P2P_CHECK(it != m.end(), what << ": model option 'seed' is missing");
  o.seed = static_cast<uint64_t>(parse_option_int(it->second, what + ": option seed"));
  return o;
}

}  // namespace p2p
