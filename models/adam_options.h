// The command-line rows of an AdamConfig (kernels/adam.h) held whole by a model's options as O::adam:
// its defaults are AdamConfig's or the member initialiser O gives it, its checks validate(AdamConfig).
#pragma once
#include <string>

#include "kernels/adam.h"
#include "models/option_table.h"

namespace p2p {

template <class O>
void add_adam_options(OptionTable<O>& t, std::string lr_help) {
  using R = OptionRole;
  t.add("lr", {&O::adam, &AdamConfig::lr}, std::move(lr_help), R::run);
  t.add("beta1", {&O::adam, &AdamConfig::beta1}, "Adam beta1", R::run);
  t.add("beta2", {&O::adam, &AdamConfig::beta2}, "Adam beta2", R::run);
}

}  // namespace p2p
