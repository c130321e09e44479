// The command-line rows of an AdamConfig (kernels/adam.h) held whole by a model's options as O::adam:
// its defaults are AdamConfig's or the member initialiser O gives it, its limits are here. beta1 and
// beta2 stay below 1: at 1 the bias corrections 1 - beta^t are 0.
#pragma once
#include <string>

#include "kernels/adam.h"
#include "models/option_table.h"

namespace p2p {

template <class O>
void add_adam_options(OptionTable<O>& t, std::string lr_help) {
  using R = OptionRole;
  t.range("lr", {&O::adam, &AdamConfig::lr}, std::move(lr_help), R::run, 0);
  t.range("beta1", {&O::adam, &AdamConfig::beta1}, "Adam beta1", R::run, 0, 0.9999);
  t.range("beta2", {&O::adam, &AdamConfig::beta2}, "Adam beta2", R::run, 0, 0.9999);
}

}  // namespace p2p
