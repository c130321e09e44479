// DCGAN and VAE through the shared trainer and tool (run in-process through run_cli, tiny networks
// on the CPU at 16x16): the losses logged, the fixed-noise grid, an exact resume, `sample` (images,
// grid, interpolation strip, the VAE's reconstructions) and bad inputs with clear messages.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data/image.h"
#include "data/synthetic.h"
#include "tests/cli_runner.h"

using namespace p2p;
namespace fs = std::filesystem;

namespace {

using Run = testing::CliRun;
using testing::cli;

// A scratch folder with 12 synthetic 24x24 images in img/ (two in a subfolder: the scan is recursive).
struct Scratch : testing::ScratchDir {
  Scratch() : ScratchDir("p2p_noise_cli_") {
    write_synthetic_images((dir / "img").string(), 10, 24, 5);
    write_synthetic_images((dir / "img" / "sub").string(), 2, 24, 6);
  }
  // The train command on a tiny model (16x16, 8 filters, batch 4, health every 3 steps), plus extra arguments.
  std::vector<std::string> train(const std::string& model, const std::string& name,
                                 std::vector<std::string> extra = {}) const {
    std::vector<std::string> a = {"train", "--model",       model, "--dataroot",   p("img"), "--checkpoints-dir",
                                  p("ck"), "--name",        name,  "--ngf",        "8",      "--ndf",
                                  "8",     "--image-size",  "16",  "--batch-size", "4",      "--device",
                                  "cpu",   "--threads",     "1",   "--print-freq", "1000",   "--sample-freq",
                                  "0",     "--health-freq", "3"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
};

void fails_with(const Run& r, const std::string& text) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.code != 0);
  CHECK(r.err.find(text) != std::string::npos);
}

void trains_resumes_and_samples(const std::string& model, const std::string& header) {
  Scratch s;
  Run straight = cli(s.train(model, "straight", {"--max-iters", "7", "--sample-freq", "3"}));
  INFO(straight.err);
  REQUIRE(straight.code == 0);
  CHECK(straight.out.find("12 images") != std::string::npos);
  const std::vector<std::string> a = testing::rows_but_last_column(s.p("ck/straight/loss_log.csv"));
  REQUIRE(a.size() == 8);
  CHECK(a[0].rfind(header + ",health.", 0) == 0);  // the losses, then the health columns:
  CHECK(a[1].find(",,") != std::string::npos);     // empty at step 1,
  CHECK(a[3].find(",,") == std::string::npos);     // all filled at step 3 (and the resume below repeats them)
  // The fixed-noise grid: 64 tiles of 16 pixels, 8 to a row, 2-pixel gaps: 8 * 18 + 2 = 146.
  const Image grid = load_image(s.p("ck/straight/samples/epoch002_step0000006.png"));
  CHECK(grid.w == 146);
  CHECK(grid.h == 146);

  // 2 steps, then a resume to 7 (across the epoch boundary at 3): the same losses, bit for bit.
  REQUIRE(cli(s.train(model, "resumed", {"--max-iters", "2"})).code == 0);
  Run rest = cli(s.train(model, "resumed", {"--max-iters", "7", "--resume"}));
  INFO(rest.err);
  REQUIRE(rest.code == 0);
  CHECK(testing::rows_but_last_column(s.p("ck/resumed/loss_log.csv")) == a);

  // sample: the model read from the checkpoint.
  std::vector<std::string> args = {"sample",
                                   "--checkpoint",
                                   s.p("ck/straight/latest.safetensors"),
                                   "--out",
                                   s.p("out"),
                                   "--count",
                                   "5",
                                   "--interpolate",
                                   "3,4",
                                   "--steps",
                                   "6",
                                   "--device",
                                   "cpu"};
  if (model == "vae") args.insert(args.end(), {"--recon-dataroot", s.p("img/sub")});
  Run sample = cli(args);
  INFO(sample.err);
  REQUIRE(sample.code == 0);
  for (int i = 0; i < 5; ++i) {
    const Image im = load_image(s.p("out/sample_00" + std::to_string(i) + ".png"));
    CHECK(im.w == 16);
    CHECK(im.h == 16);
  }
  CHECK(!fs::exists(s.p("out/sample_005.png")));
  const Image strip = load_image(s.p("out/interpolate_3_4.png"));
  CHECK(strip.w == 6 * 18 + 2);
  CHECK(strip.h == 18 + 2);
  if (model == "vae") {
    const Image recon = load_image(s.p("out/reconstruction.png"));  // 2 images over their reconstructions
    CHECK(recon.w == 2 * 18 + 2);
    CHECK(recon.h == 2 * 18 + 2);
  }
}

}  // namespace

TEST_CASE("dcgan cli: trains on an image folder, grids, resumes exactly and samples", "[cli][noise]") {
  trains_resumes_and_samples("dcgan", "epoch,iter,step,lr,D,G,D_x,D_G_z1,D_G_z2");
}

TEST_CASE("vae cli: trains on an image folder, grids, resumes exactly, samples and reconstructs", "[cli][noise]") {
  trains_resumes_and_samples("vae", "epoch,iter,step,lr,loss,recon,kl");
}

TEST_CASE("dcgan and vae cli: bad inputs name the folder, the file or the option", "[cli][noise]") {
  Scratch s;
  fs::create_directories(s.p("empty"));
  fails_with(cli({"train", "--model", "dcgan", "--dataroot", s.p("empty"), "--device", "cpu"}),
             "--dataroot '" + s.p("empty") + "': no images");
  // A file named as an image that is not one: the start-up scan names it.
  std::ofstream(s.p("img/broken.png")) << "not a png";
  fails_with(cli(s.train("vae", "bad")), "broken.png");
  fs::remove(s.p("img/broken.png"));
  Run zero = cli(s.train("vae", "zero", {"--latent", "0"}));
  fails_with(zero, "--latent");
  fails_with(cli(s.train("dcgan", "size", {"--image-size", "48"})), "--image-size");
  // sample needs a generative checkpoint, and one that exists.
  fails_with(cli({"sample", "--checkpoint", s.p("none.safetensors"), "--out", s.p("o")}), "none.safetensors");
  REQUIRE(cli(s.train("dcgan", "ok", {"--max-iters", "1"})).code == 0);
  fails_with(cli({"sample", "--checkpoint", s.p("ck/ok/latest.safetensors"), "--out", s.p("o"), "--interpolate", "3",
                  "--device", "cpu"}),
             "--interpolate '3'");
}
