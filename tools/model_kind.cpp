#include "tools/model_kind.h"

#include <map>

#include "data/aligned_dataset.h"
#include "data/grid.h"
#include "runtime/check.h"
#include "tools/commands.h"
#include "tools/options.h"

namespace p2p {
namespace {
std::map<std::string, std::function<std::unique_ptr<ModelKind>()>>& registry() {
  static std::map<std::string, std::function<std::unique_ptr<ModelKind>()>> r;  // built before main, read after
  return r;
}
}  // namespace

Image TrainModel::sample_picture() {
  if (generative()) return make_grid(sample(64, kGridSeed));
  std::vector<Image> images;
  for (const auto& [n, t] : visuals()) images.push_back(tensor_to_image(t));
  return side_by_side(images);
}

Tensor TrainModel::sample(int, uint64_t) {
  P2P_FAIL("sample: this checkpoint's model draws no samples (only dcgan and vae do)");
}

Tensor TrainModel::interpolate(uint64_t, uint64_t, int) {
  P2P_FAIL("sample --interpolate: this checkpoint's model draws no samples (only dcgan and vae do)");
}

Tensor TrainModel::reconstruct(const Tensor&) {
  P2P_FAIL("sample --recon-dataroot: this checkpoint's model has no reconstructions (only vae has)");
}

CheckpointModel load_checkpoint_model(const std::string& path, Device dev, bool with_optimizer) {
  SafetensorsFile f(path);
  const std::string what = "checkpoint " + path;
  CheckpointModel c;
  for (const std::string& name : model_names())
    if (make_model_kind(name)->format() == f.meta("format")) c.kind = make_model_kind(name);
  P2P_CHECK(c.kind, what << ": format '" << f.meta("format") << "' is no model's this program knows");
  c.kind->set_metadata(parse_json_object(f.meta("model"), what + ": model"), what);
  c.model = c.kind->create(static_cast<uint64_t>(parse_option_int(f.meta("seed"), what + ": seed")), dev);
  c.meta = c.model->load(path, with_optimizer);
  return c;
}

bool register_model(std::function<std::unique_ptr<ModelKind>()> make) {
  const std::string name = make()->name();
  registry()[name] = std::move(make);
  return true;
}

void grey_channels(DatasetOptions& d, int input_nc, int output_nc) {
  d.grey_A = input_nc == 1;
  d.grey_B = output_nc == 1;
}

void image_model_train_defaults(TrainOptions& o) {
  o.batch_size = 64;
  o.epochs = 25;
  o.epochs_decay = 0;
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
