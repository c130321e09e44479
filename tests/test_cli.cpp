// The gan command line (--model pix2pix), run in-process through run_cli: a train / resume / test round on tiny
// synthetic data, and every kind of bad input ending in a clear message and a non-zero exit code.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "data/image.h"
#include "data/synthetic.h"
#include "runtime/device.h"
#include "runtime/safetensors.h"
#include "tests/cli_runner.h"

using namespace p2p;
namespace fs = std::filesystem;

namespace {

using Run = testing::CliRun;
using testing::cli;

// A scratch folder with a tiny synthetic dataset in data/ (6 train, 2 test pairs of 64x64 halves).
struct Scratch {
  fs::path dir;
  Scratch() {
    char tmpl[] = "/tmp/p2p_cli_XXXXXX";
    dir = ::mkdtemp(tmpl);
    write_synthetic_dataset((dir / "data").string(), 6, 2, 64, 3);
  }
  ~Scratch() { fs::remove_all(dir); }
  std::string p(const std::string& rel) const { return (dir / rel).string(); }
  // The train command on the tiny model, plus extra arguments.
  std::vector<std::string> train(const std::string& name, std::vector<std::string> extra = {}) const {
    std::vector<std::string> a = {
        "train", "--dataroot",    p("data"), "--checkpoints-dir", p("ck"), "--name",      name, "--direction",
        "BtoA",  "--load-size",   "72",      "--crop-size",       "64",    "--num-downs", "6",  "--ngf",
        "8",     "--ndf",         "8",       "--device",          "cpu",   "--threads",   "1",  "--print-freq",
        "1000",  "--sample-freq", "0"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
};

// The loss columns (epoch .. D_fake, not the time) of loss_log.csv.
std::vector<std::string> loss_rows(const std::string& path) { return testing::rows_but_last_column(path); }

void write_text(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace

TEST_CASE("cli: train, resume mid-epoch and test", "[cli]") {
  Scratch s;
  // 10 steps straight (one epoch is 6 steps), and 4 steps then a resume to 10.
  Run straight = cli(s.train("straight", {"--max-iters", "10"}));
  REQUIRE(straight.code == 0);
  CHECK(straight.out.find("[default: 286]") != std::string::npos);  // the options table marks changes
  Run part = cli(s.train("resumed", {"--max-iters", "4"}));
  REQUIRE(part.code == 0);
  CHECK(part.out.find("stopped at --max-iters 4") != std::string::npos);
  // The cache size and thread count may change on resume: neither changes a result.
  Run rest = cli(s.train("resumed", {"--max-iters", "10", "--resume", "--cache-mb", "0", "--threads", "3"}));
  INFO(rest.err);
  REQUIRE(rest.code == 0);
  CHECK(rest.out.find("resuming from") != std::string::npos);
  std::vector<std::string> a = loss_rows(s.p("ck/straight/loss_log.csv")),
                           b = loss_rows(s.p("ck/resumed/loss_log.csv"));
  CHECK(a.size() == 11);  // header + 10 steps
  CHECK(a == b);          // same data order, dropout masks, Adam state and running statistics: same losses
  CHECK(fs::exists(s.p("ck/resumed/opt.txt")));

  Run test = cli({"test", "--dataroot", s.p("data"), "--checkpoints-dir", s.p("ck"), "--name", "resumed",
                  "--results-dir", s.p("results"), "--device", "cpu"});
  INFO(test.err);
  REQUIRE(test.code == 0);
  CHECK(test.out.find("PSNR") != std::string::npos);
  const std::string res = s.p("results/resumed/test_latest/");
  CHECK(fs::exists(res + "index.html"));
  CHECK(fs::exists(res + "metrics.json"));
  CHECK(fs::exists(res + "images/000006_fake_B.png"));  // test pairs are indices 6 and 7
  CHECK(loss_rows(res + "metrics.csv").size() == 4);    // header, 2 images, mean
}

TEST_CASE("cli: --input-nc / --output-nc 1 train and test on grey images", "[cli]") {
  Scratch s;
  Run train = cli(s.train("grey", {"--input-nc", "1", "--output-nc", "1", "--max-iters", "2"}));
  INFO(train.err);
  REQUIRE(train.code == 0);
  CHECK(train.out.find("input-nc: 1") != std::string::npos);
  // G maps 1 channel to 1 (down1 1 -> 8, up1 16 -> 1), D judges 2 (D.conv0 2 -> 8): the checkpoint's shapes.
  SafetensorsFile f(s.p("ck/grey/latest.safetensors"));
  CHECK(f.shape("G.down1.conv.weight") == Shape{8, 1, 4, 4});
  CHECK(f.shape("G.up1.convt.weight") == Shape{16, 1, 4, 4});
  CHECK(f.shape("D.conv0.weight") == Shape{8, 2, 4, 4});
  Run test = cli({"test", "--dataroot", s.p("data"), "--checkpoints-dir", s.p("ck"), "--name", "grey", "--results-dir",
                  s.p("results"), "--device", "cpu"});
  INFO(test.err);
  REQUIRE(test.code == 0);
  CHECK(test.out.find("PSNR") != std::string::npos);  // metrics of grey fake_B against grey real_B
  const Image fake = load_image(s.p("results/grey/test_latest/images/000006_fake_B.png"));
  bool grey = true;  // written with its channel in R, G and B
  for (size_t i = 0; i < fake.px.size(); i += 3)
    grey = grey && fake.px[i] == fake.px[i + 1] && fake.px[i] == fake.px[i + 2];
  CHECK(grey);
  // Another channel count on --resume is another network.
  Run resume = cli(s.train("grey", {"--max-iters", "3", "--resume"}));
  CHECK(resume.code != 0);
  CHECK(resume.err.find("--input-nc 1") != std::string::npos);
  Run two = cli(s.train("x", {"--input-nc", "2"}));
  CHECK(two.code != 0);
  CHECK(two.err.find("--input-nc") != std::string::npos);
}

TEST_CASE("cli: bad input gives a clear error and a non-zero exit", "[cli]") {
  Scratch s;
  auto fails_with = [](const Run& r, const std::string& text) {
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.code != 0);
    CHECK(r.err.find(text) != std::string::npos);
  };
  SECTION("missing and empty dataroot") {
    std::vector<std::string> a = s.train("x");
    a[2] = s.p("nowhere");
    fails_with(cli(a), "no such folder");
    fs::create_directories(s.p("empty"));
    a[2] = s.p("empty");
    fails_with(cli(a), "--dataroot");
  }
  SECTION("images that are not AB pairs, and corrupt files") {
    fs::create_directories(s.p("odd/train"));
    Image odd(65, 64);
    save_png(s.p("odd/train/a.png"), odd);
    std::vector<std::string> a = s.train("x");
    a[2] = s.p("odd");
    fails_with(cli(a), "not an AB pair");
    write_text(s.p("corrupt/train/a.png"), "\x89PNG\r\n\x1a\n this is not really a png");
    a[2] = s.p("corrupt");
    fails_with(cli(a), "corrupt/train/a.png");
    // A corrupt file sorted last (not the first sample): the start-up scan names it before any step.
    fs::create_directories(s.p("late"));
    fs::copy(s.p("data/train"), s.p("late/train"));
    write_text(s.p("late/train/zzz.png"), "garbage");
    a[2] = s.p("late");
    fails_with(cli(a), "zzz.png");
  }
  SECTION("sizes") {
    fails_with(cli(s.train("x", {"--load-size", "60"})), "--crop-size 64 is larger than --load-size 60");
    fails_with(cli(s.train("x", {"--crop-size", "48"})), "divisible by 2^6 = 64");
    fails_with(cli(s.train("x", {"--netG", "unet_128"})), "--num-downs");
  }
  SECTION("checkpoints") {
    fails_with(cli(s.train("x", {"--resume"})), "--resume: no checkpoint");
    REQUIRE(cli(s.train("x", {"--max-iters", "1"})).code == 0);
    fails_with(cli(s.train("x", {"--resume", "--ngf", "16"})), "was trained with --ngf 8");
    // The convolutions' precision shapes the run's arithmetic: saved, and a resume keeps it.
    fails_with(cli(s.train("x", {"--resume", "--precision", "fp32"})), "was trained with --precision tf32");
    fails_with(cli({"test", "--dataroot", s.p("data"), "--checkpoints-dir", s.p("ck"), "--name", "x", "--epoch", "7",
                    "--device", "cpu"}),
               "no checkpoint");
    write_text(s.p("ck/x/latest.safetensors"), "not a checkpoint at all, just text");
    fails_with(
        cli({"test", "--dataroot", s.p("data"), "--checkpoints-dir", s.p("ck"), "--name", "x", "--device", "cpu"}),
        "latest.safetensors");
    fails_with(cli(s.train("x", {"--resume"})), "latest.safetensors");
  }
  SECTION("unknown option values") {
    fails_with(cli(s.train("x", {"--norm", "foo"})), "--norm");
    fails_with(cli(s.train("x", {"--direction", "XY"})), "--direction");
    fails_with(cli(s.train("x", {"--device", "tpu"})), "--device");
    fails_with(cli(s.train("x", {"--precision", "fp16"})), "--precision");
    fails_with(cli(s.train("x", {"--gan-mode", "wgan"})), "--gan-mode");
    // The limits of the networks' and Adam's options, checked beside their structs, before training.
    fails_with(cli(s.train("x", {"--ngf", "0"})), "--ngf must be positive, got 0");
    fails_with(cli(s.train("x", {"--num-downs", "4"})), "--num-downs: the pix2pix U-Net has between 5 and 12 levels");
    fails_with(cli(s.train("x", {"--n-layers-d", "9"})), "--n-layers-d must be in 0..8, got 9");
    fails_with(cli(s.train("x", {"--beta1", "1"})), "--beta1 1: Adam's betas lie in [0, 1)");
    fails_with(cli(s.train("x", {"--lambda-l1", "-1"})), "--lambda-l1 -1: expected at least 0");
    fails_with(cli(s.train("x", {"--bogus"})), "bogus");
    fails_with(cli({"train"}), "--dataroot");
  }
  SECTION("--device cuda without a GPU") {
    if (cuda_available()) return;  // nothing to check on a GPU machine
    fails_with(cli(s.train("x", {"--device", "cuda"})), "use --device cpu");
  }
}

TEST_CASE("cli: the cache and the thread count change no loss; bad files are listed at start or skipped",
          "[cli][cache]") {
  Scratch s;
  // Default cache (the whole set, prefilled) on 2 threads, against no cache decoded inline.
  Run cached = cli(s.train("cached", {"--max-iters", "8", "--threads", "2"}));
  INFO(cached.err);
  REQUIRE(cached.code == 0);
  CHECK(cached.out.find("cache: all 6 pairs decoded") != std::string::npos);
  CHECK(cached.out.find("cache-mb: 1024") != std::string::npos);
  Run plain = cli(s.train("plain", {"--max-iters", "8", "--threads", "0", "--cache-mb", "0"}));
  REQUIRE(plain.code == 0);
  CHECK(plain.out.find("cache:") == std::string::npos);
  CHECK(loss_rows(s.p("ck/cached/loss_log.csv")) == loss_rows(s.p("ck/plain/loss_log.csv")));

  // Three bad files: one error names all of them before training starts.
  fs::create_directories(s.p("bad"));
  fs::copy(s.p("data/train"), s.p("bad/train"));
  write_text(s.p("bad/train/000001.png"), "garbage");
  save_png(s.p("bad/train/000003.png"), Image(65, 64));
  save_png(s.p("bad/train/000004.png"), Image(64, 32));  // 32x32 halves: too small to --preprocess crop 64
  std::vector<std::string> a = s.train("bad", {"--preprocess", "crop", "--max-iters", "2"});
  a[2] = s.p("bad");
  Run r = cli(a);
  INFO(r.out << r.err);
  CHECK(r.code != 0);
  CHECK(r.err.find("3 files are unusable") != std::string::npos);
  for (const char* f : {"000001.png", "000003.png", "000004.png"}) CHECK(r.err.find(f) != std::string::npos);
  CHECK(r.err.find("--skip-bad-files") != std::string::npos);
  CHECK(r.out.find("epoch 1") == std::string::npos);
  CHECK_FALSE(fs::exists(s.p("ck/bad")));  // refused before anything is written

  a.push_back("--skip-bad-files");
  Run skipped = cli(a);
  INFO(skipped.err);
  REQUIRE(skipped.code == 0);
  CHECK(skipped.err.find("leaving out") != std::string::npos);
  CHECK(skipped.out.find("dataset: 3 pairs") != std::string::npos);

  Run help = cli({"train", "--help"});
  CHECK(help.out.find("--cache-mb") != std::string::npos);
  CHECK(help.out.find("--skip-bad-files") != std::string::npos);
}
