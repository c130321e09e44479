// pix2pix test: runs a checkpoint over a split and measures the outputs against the targets.
//
// The model is rebuilt from the options stored in the checkpoint (nothing to repeat on the command
// line). Preprocessing as the official test with the training crop size: each half resized to
// crop-size x crop-size, no random crop, no flip (--preprocess none stays none). G runs with
// training-mode norm and dropout as in the paper, or in eval mode with --eval. Outputs under
// <results-dir>/<name>/<phase>_<epoch>/: images/<stem>_{real_A,fake_B,real_B}.png, index.html
// (input | output | target per row), metrics.csv (per image and the mean) and metrics.json (means).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "data/aligned_dataset.h"
#include "data/metrics.h"
#include "runtime/check.h"
#include "tools/commands.h"

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

  SafetensorsFile f(ckpt.string());
  const std::string what = "checkpoint " + ckpt.string();
  Pix2PixOptions mopt = pix2pix_options_from_metadata(parse_json_object(f.meta("model"), what + ": model"), what);
  Metadata trained = parse_json_object(f.meta("options"), what + ": options");
  auto trained_opt = [&](const char* key) {
    auto it = trained.find(key);
    P2P_CHECK(it != trained.end(), what << ": the training options lack --" << key);
    return it->second;
  };
  Pix2Pix model(mopt, dev);
  model.load(ckpt.string(), /*with_optimizer=*/false);

  DatasetOptions d;
  d.dataroot = o.dataroot;
  d.phase = o.phase;
  d.direction = o.direction.empty() ? trained_opt("direction") : o.direction;
  d.preprocess = trained_opt("preprocess") == "none" ? "none" : "resize_and_crop";
  d.load_size = d.crop_size = std::stoi(trained_opt("crop-size"));
  d.flip = false;
  AlignedDataset ds(d);  // no cache: the test visits each file once
  check_dataset(ds, o.skip_bad_files, 1, con);
  const size_t n = o.num_test > 0 ? std::min<size_t>(ds.size(), static_cast<size_t>(o.num_test)) : ds.size();

  const fs::path out_dir = fs::path(o.results_dir) / o.name / (o.phase + "_" + o.epoch);
  fs::create_directories(out_dir / "images");
  con.out << "testing " << ckpt.string() << " (step " << f.meta("step") << ") on " << n << " images of " << ds.folder()
          << ", direction " << d.direction << ", " << (o.eval ? "eval" : "training") << "-mode G, " << device_name(dev)
          << "\n";

  std::ofstream csv(out_dir / "metrics.csv");
  csv << "image,l1,psnr,ssim\n";
  std::ofstream html(out_dir / "index.html");
  html << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" << o.name << " " << o.phase << " " << o.epoch
       << "</title></head><body>\n<h2>" << o.name << ": " << o.phase << ", checkpoint " << o.epoch
       << "</h2>\n<table>\n<tr><th>image</th><th>input (real_A)</th><th>output (fake_B)</th><th>target "
          "(real_B)</th></tr>\n";
  double sum_l1 = 0, sum_psnr = 0, sum_ssim = 0;
  for (size_t i = 0; i < n; ++i) {
    AlignedDataset::Sample s = ds.get(i, 0);
    if (i == 0) check_unet_size(s.A.h(), s.A.w(), mopt.num_downs, "the test images of " + ds.folder());
    Tensor out = model.generate(s.A, o.eval).to(Device::CPU);
    Image in = tensor_to_image(s.A), fake = tensor_to_image(out), real = tensor_to_image(s.B);
    const std::string stem = fs::path(s.path).stem().string();
    const std::string names[3] = {stem + "_real_A.png", stem + "_fake_B.png", stem + "_real_B.png"};
    save_png((out_dir / "images" / names[0]).string(), in);
    save_png((out_dir / "images" / names[1]).string(), fake);
    save_png((out_dir / "images" / names[2]).string(), real);
    double l1 = mean_l1(out, s.B), p = psnr(fake, real), q = ssim(fake, real);
    sum_l1 += l1;
    sum_psnr += p;
    sum_ssim += q;
    csv << stem << "," << json_number(l1) << "," << json_number(p) << "," << json_number(q) << "\n";
    html << "<tr><td>" << stem << "</td>";
    for (const std::string& name : names) html << "<td><img src=\"images/" << name << "\" width=\"256\"></td>";
    html << "</tr>\n";
  }
  html << "</table>\n</body></html>\n";
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
