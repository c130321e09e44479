// gan sample: the pictures of a generative checkpoint (--model dcgan or vae), the model and its
// options read from the file. Under --out:
//   sample_NNN.png, samples.png    --count images from the latent points of --seed, and their grid
//   interpolate_S1_S2.png          --steps images from seed S1's latent point to S2's, one row
//                                  (DCGAN: along the great circle; VAE: the straight line)
//   reconstruction.png             (vae, --recon-dataroot) up to 8 held-out images, each over its
//                                  reconstruction (decode(mu)), as the training preprocesses them
// The models run in eval mode (batch norm on running statistics), so the same checkpoint and seed
// give the same pictures every time.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "data/grid.h"
#include "data/image_folder.h"
#include "runtime/check.h"
#include "tools/commands.h"
#include "tools/model_kind.h"

namespace p2p {
namespace {
namespace fs = std::filesystem;

// "S1,S2" as two seeds; the error names --interpolate.
std::pair<uint64_t, uint64_t> seed_pair(const std::string& text) {
  const size_t comma = text.find(',');
  P2P_CHECK(comma != std::string::npos, "--interpolate '" << text << "': expected two seeds, SEED1,SEED2");
  return {static_cast<uint64_t>(parse_option_int(text.substr(0, comma), "--interpolate: SEED1")),
          static_cast<uint64_t>(parse_option_int(text.substr(comma + 1), "--interpolate: SEED2"))};
}

// The images of a and then b in one [Na + Nb, C, H, W] tensor.
Tensor stack(const Tensor& a, const Tensor& b) {
  Tensor out({a.n() + b.n(), a.c(), a.h(), a.w()});
  std::memcpy(out.data(), a.data(), a.numel() * sizeof(float));
  std::memcpy(out.data() + a.numel(), b.data(), b.numel() * sizeof(float));
  return out;
}

}  // namespace

void run_sample(const SampleOptions& o, Console& con) {
  P2P_CHECK(fs::exists(o.checkpoint), "--checkpoint '" << o.checkpoint << "': no such file");
  CheckpointModel c = load_checkpoint_model(o.checkpoint, resolve_device(o.device), /*with_optimizer=*/false);
  TrainModel& model = *c.model;
  P2P_CHECK(model.generative(), "sample: --checkpoint " << o.checkpoint << " holds a " << c.kind->name()
                                                        << " model, which draws no samples (only dcgan and vae do)");
  fs::create_directories(o.out);
  const fs::path out(o.out);
  if (o.count > 0) {
    const Tensor images = model.sample(o.count, o.seed);
    for (int i = 0; i < o.count; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "sample_%03d.png", i);
      save_png((out / name).string(), tensor_to_image(images.batch(i)));
    }
    save_grid((out / "samples.png").string(), images);
    con.out << "wrote " << o.count << " samples (seed " << o.seed << ") and their grid to " << o.out << "\n";
  }
  if (!o.interpolate.empty()) {
    const auto [a, b] = seed_pair(o.interpolate);
    const std::string name = "interpolate_" + std::to_string(a) + "_" + std::to_string(b) + ".png";
    save_grid((out / name).string(), model.interpolate(a, b, o.steps), o.steps);
    con.out << "wrote " << (out / name).string() << " (" << o.steps << " steps)\n";
  }
  if (!o.recon_dataroot.empty()) {
    ImageFolderOptions f;
    f.root = o.recon_dataroot;
    f.image_size = c.kind->image_size();
    f.half = o.half;
    ImageFolder folder(f);
    const int n = static_cast<int>(std::min<size_t>(8, folder.size()));
    Tensor x({n, 3, f.image_size, f.image_size});
    for (int i = 0; i < n; ++i) folder.prepare(i, 0).write(x.batch(i).data(), nullptr);
    save_grid((out / "reconstruction.png").string(), stack(x, model.reconstruct(x)), n);
    con.out << "wrote " << (out / "reconstruction.png").string() << " (" << n
            << " images over their reconstructions)\n";
  }
}

}  // namespace p2p
