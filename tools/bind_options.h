// Binds an option table (models/option_table.h) to a CLI11 subcommand: one option per entry, named
// and described as in the table; a bool is a flag (with a --no- form when its default is true); a
// value with choices is checked by CLI11. The limits are checked after parsing by the table.
#pragma once
#include <CLI/CLI.hpp>

#include "models/option_table.h"
#include "tools/model_kind.h"

namespace p2p {

template <class T>
void bind_options(CLI::App* c, const OptionTable<T>& table, T& o) {
  for (const auto& e : table.entries()) {
    const std::string flag = "--" + e.name;
    e.field.visit([&](const auto& path) {
      using V = typename std::decay_t<decltype(path)>::Value;
      if constexpr (std::is_same_v<V, bool>) {
        c->add_flag(path(T{}) ? flag + ",!--no-" + e.name : flag, path(o), e.help);
      } else if constexpr (std::is_same_v<V, NormKind>) {
        c->add_option_function<std::string>(
             flag, [&o, path](const std::string& v) { path(o) = parse_norm(v); }, e.help)
            ->check(CLI::IsMember(e.choices));
      } else {
        CLI::Option* opt = c->add_option(flag, path(o), e.help);
        if (!e.choices.empty()) opt->check(CLI::IsMember(e.choices));
      }
    });
  }
}

template <class O, class A>
void TableModelKind<O, A>::bind(CLI::App* c) {
  bind_options(c, table_, opt_);
}

}  // namespace p2p
