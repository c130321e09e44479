// gan test: runs a checkpoint of any model over a split and measures fake_B against real_B
// where the split has ground truth (aligned pairs, or AB files split into domains for cycle_gan).
//
// The model (its "format") and its options are read from the checkpoint (nothing to repeat on the
// command line). Preprocessing as the official test with the training crop size: each half resized to
// crop-size x crop-size, no random crop, no flip (--preprocess none stays none). G runs with
// training-mode norm and dropout as in the paper, or in eval mode with --eval. Outputs under
// <results-dir>/<name>/<phase>_<epoch>/: images/<stem>_<visual>.png for each of the model's named
// images (pix2pix: real_A, fake_B, real_B; cycle_gan: real_A, fake_B, rec_A, real_B, fake_A, rec_B),
// index.html (one row per image in natural order of names, with its metrics, sortable by L1:
// tools/test_page.h), metrics.csv (per image and the mean) and metrics.json (means).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "data/aligned_dataset.h"
#include "data/metrics.h"
#include "runtime/check.h"
#include "tools/commands.h"
#include "tools/model_kind.h"
#include "tools/test_page.h"

namespace p2p {
namespace {
namespace fs = std::filesystem;

std::string json_number(double x) {
  if (!std::isfinite(x)) return "null";  // e.g. the PSNR of identical images
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", x);
  return buf;
}

}  // namespace

void run_test(const TestOptions& o, Console& con) {
  const Device dev = resolve_device(o.device);
  bool numeric = !o.epoch.empty() && o.epoch.find_first_not_of("0123456789") == std::string::npos;
  P2P_CHECK(o.epoch == "latest" || numeric, "--epoch '" << o.epoch << "': expected latest or an epoch number");
  const fs::path ckpt_dir = fs::path(o.checkpoints_dir) / o.name;
  const fs::path ckpt = ckpt_dir / (o.epoch == "latest" ? "latest.safetensors" : "epoch_" + o.epoch + ".safetensors");
  P2P_CHECK(fs::exists(ckpt), "--name " << o.name << " --epoch " << o.epoch << ": no checkpoint " << ckpt.string());

  const std::string what = "checkpoint " + ckpt.string();
  CheckpointModel c = load_checkpoint_model(ckpt.string(), dev, /*with_optimizer=*/false);
  std::unique_ptr<ModelKind>& kind = c.kind;
  std::unique_ptr<TrainModel>& model = c.model;
  P2P_CHECK(o.model.empty() || o.model == kind->name(),
            "--model " << o.model << ": " << what << " holds a " << kind->name() << " model");
  P2P_CHECK(!kind->image_size(), "test: " << what << " holds a " << kind->name()
                                          << " model, which has no test set; use `sample --checkpoint`");
  Metadata trained = parse_json_object(c.meta["options"], what + ": options");
  auto trained_opt = [&](const char* key) {
    auto it = trained.find(key);
    P2P_CHECK(it != trained.end(), what << ": the training options lack --" << key);
    return it->second;
  };

  DatasetOptions d;
  d.dataroot = o.dataroot;
  d.phase = o.phase;
  d.direction = o.direction.empty() ? trained_opt("direction") : o.direction;
  d.preprocess = trained_opt("preprocess") == "none" ? "none" : "resize_and_crop";
  d.load_size = d.crop_size = std::stoi(trained_opt("crop-size"));
  d.flip = false;
  kind->data_channels(d);
  ModelData data = open_model_data(d, o.dataset_mode, kind->unpaired(), kind->name(), /*testing=*/true);
  data.check(o.skip_bad_files, 1, con);  // no cache: the test visits each file once
  SampleSource& ds = data.source();
  const bool metrics = data.paired();
  const size_t n = o.num_test > 0 ? std::min<size_t>(ds.size(), static_cast<size_t>(o.num_test)) : ds.size();

  const fs::path out_dir = fs::path(o.results_dir) / o.name / (o.phase + "_" + o.epoch);
  fs::create_directories(out_dir / "images");
  con.out << "testing " << ckpt.string() << " (" << kind->name() << ", step " << c.meta["step"] << ") on " << n
          << " images of " << data.folder() << ", direction " << d.direction << ", " << (o.eval ? "eval" : "training")
          << "-mode G, " << device_name(dev) << (metrics ? "" : "; no ground truth: images only") << "\n";

  std::ofstream csv(out_dir / "metrics.csv");
  csv << "image,l1,psnr,ssim\n";
  std::vector<std::string> visual_names;
  std::vector<TestRow> rows;
  double sum_l1 = 0, sum_psnr = 0, sum_ssim = 0;
  for (size_t i = 0; i < n; ++i) {
    const SampleSource::Prepared p = ds.prepare(i, 0);
    Tensor A(p.shape), B(p.shape_b);
    p.write(A.data(), B.data());
    if (i == 0)
      kind->check_size(static_cast<int>(A.h()), static_cast<int>(A.w()), "the test images of " + data.folder());
    const NamedImages visuals = model->test(A, B, o.eval);
    TestRow row;
    row.stem = fs::path(p.path).stem().string();
    visual_names.clear();
    Tensor fake_B;
    for (const auto& [name, t] : visuals) {
      Tensor cpu = t.to(Device::CPU);
      if (name == "fake_B") fake_B = cpu;
      const std::string file = row.stem + "_" + name + ".png";
      save_png((out_dir / "images" / file).string(), tensor_to_image(cpu));
      visual_names.push_back(name);
      row.files.push_back("images/" + file);
    }
    if (metrics) {
      const Image fake = tensor_to_image(fake_B), real = tensor_to_image(B);
      row.l1 = mean_l1(fake_B, B);
      row.psnr = psnr(fake, real);
      row.ssim = ssim(fake, real);
      sum_l1 += row.l1;
      sum_psnr += row.psnr;
      sum_ssim += row.ssim;
      csv << row.stem << "," << json_number(row.l1) << "," << json_number(row.psnr) << "," << json_number(row.ssim)
          << "\n";
    }
    rows.push_back(std::move(row));
  }
  std::ofstream(out_dir / "index.html") << test_page_html(o.name + ": " + o.phase + ", checkpoint " + o.epoch,
                                                          visual_names, std::move(rows), metrics);
  if (!metrics) {
    con.out << "results: " << (out_dir / "index.html").string() << "\n";
    return;
  }
  const double mean_l1_v = sum_l1 / n, mean_psnr = sum_psnr / n, mean_ssim = sum_ssim / n;
  csv << "mean," << json_number(mean_l1_v) << "," << json_number(mean_psnr) << "," << json_number(mean_ssim) << "\n";
  std::ofstream(out_dir / "metrics.json")
      << "{\"checkpoint\": \"" << ckpt.string() << "\", \"images\": " << n
      << ", \"eval\": " << (o.eval ? "true" : "false") << ", \"mean_l1\": " << json_number(mean_l1_v)
      << ", \"psnr\": " << json_number(mean_psnr) << ", \"ssim\": " << json_number(mean_ssim) << "}\n";
  char line[256];
  std::snprintf(line, sizeof line, "mean over %zu images: L1 %.4f (on [-1, 1])  PSNR %.2f dB  SSIM %.4f\n", n,
                mean_l1_v, mean_psnr, mean_ssim);
  con.out << line << "results: " << (out_dir / "index.html").string() << "\n";
}

}  // namespace p2p
