#include "tools/model_kind.h"

#include <map>

#include "runtime/check.h"

namespace p2p {
namespace {
std::map<std::string, std::function<std::unique_ptr<ModelKind>()>>& registry() {
  static std::map<std::string, std::function<std::unique_ptr<ModelKind>()>> r;  // built before main, read after
  return r;
}
}  // namespace

bool register_model(std::function<std::unique_ptr<ModelKind>()> make) {
  const std::string name = make()->name();
  registry()[name] = std::move(make);
  return true;
}

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const auto& [name, make] : registry()) names.push_back(name);
  return names;
}

std::unique_ptr<ModelKind> make_model_kind(const std::string& name) {
  auto it = registry().find(name);
  if (it == registry().end()) {
    std::string known;
    for (const std::string& n : model_names()) known += (known.empty() ? "" : ", ") + n;
    P2P_FAIL("--model: unknown value '" << name << "' (expected one of " << known << ")");
  }
  return it->second();
}

}  // namespace p2p
