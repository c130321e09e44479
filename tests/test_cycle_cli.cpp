// CycleGAN through the shared trainer and tool (run in-process through run_cli, tiny networks on the
// CPU): unaligned folders and AB files split into domains, all eight losses logged, samples and
// checkpoints written, an exact resume, `test` with its six images, page and metrics, and each kind
// of bad input ending in a clear message. Also: the README's option tables are the generated ones.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
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

// A scratch folder with a synthetic AB set in ab/ (6 train, 2 test pairs of 32x32 halves) and an
// unaligned one in un/ (trainA 5, trainB 3, testA 2, testB 2 single images).
struct Scratch : testing::ScratchDir {
  Scratch() : ScratchDir("p2p_cycle_cli_") {
    write_synthetic_dataset((dir / "ab").string(), 6, 2, 32, 3);
    const int counts[] = {5, 3, 2, 2};
    const char* folders[] = {"trainA", "trainB", "testA", "testB"};
    for (int f = 0; f < 4; ++f) {
      fs::create_directories(dir / "un" / folders[f]);
      for (int i = 0; i < counts[f]; ++i) {
        SyntheticPair p = make_synthetic_pair(32, 7, 10 * f + i);
        save_png((dir / "un" / folders[f] / (std::to_string(i) + ".png")).string(), f % 2 ? p.photo : p.labels);
      }
    }
  }
  // The train command on a tiny CycleGAN (32x32, 4 filters, 1 residual block), plus extra arguments.
  std::vector<std::string> train(const std::string& data, const std::string& name,
                                 std::vector<std::string> extra = {}) const {
    std::vector<std::string> a = {"train", "--model",       "cycle_gan", "--dataroot",  p(data), "--checkpoints-dir",
                                  p("ck"), "--name",        name,        "--load-size", "36",    "--crop-size",
                                  "32",    "--ngf",         "4",         "--ndf",       "4",     "--n-blocks",
                                  "1",     "--device",      "cpu",       "--threads",   "1",     "--print-freq",
                                  "1000",  "--sample-freq", "0"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
};

std::vector<std::string> loss_rows(const std::string& path) { return testing::rows_but_last_column(path); }

void fails_with(const Run& r, const std::string& text) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.code != 0);
  CHECK(r.err.find(text) != std::string::npos);
}

}  // namespace

TEST_CASE("cycle_gan cli: split AB files train, log eight losses, resume exactly and test with metrics",
          "[cli][cycle]") {
  Scratch s;
  Run straight = cli(s.train("ab", "straight", {"--max-iters", "9", "--sample-freq", "4"}));
  INFO(straight.err);
  REQUIRE(straight.code == 0);
  CHECK(straight.out.find("split into its A and B halves") != std::string::npos);
  CHECK(straight.out.find("lambda-identity: 0.5") != std::string::npos);
  const std::vector<std::string> a = loss_rows(s.p("ck/straight/loss_log.csv"));
  REQUIRE(a.size() == 10);
  // The losses, then the health columns (tests/test_health_cli.cpp checks those).
  CHECK(a[0].rfind("epoch,iter,step,lr,D_A,G_A,cycle_A,idt_A,D_B,G_B,cycle_B,idt_B,health.G_A.grad_norm,", 0) == 0);
  CHECK(fs::exists(s.p("ck/straight/samples/epoch001_step0000004.png")));
  CHECK(fs::exists(s.p("ck/straight/opt.txt")));

  // 4 steps, then a resume to 9 (across the epoch boundary at 6): the same losses, bit for bit
  // (data order, B draws, crops, the image pools and Adam continue).
  REQUIRE(cli(s.train("ab", "resumed", {"--max-iters", "4"})).code == 0);
  Run rest = cli(s.train("ab", "resumed", {"--max-iters", "9", "--resume", "--threads", "2", "--cache-mb", "0"}));
  INFO(rest.err);
  REQUIRE(rest.code == 0);
  CHECK(loss_rows(s.p("ck/resumed/loss_log.csv")) == a);

  Run test = cli({"test", "--dataroot", s.p("ab"), "--checkpoints-dir", s.p("ck"), "--name", "resumed", "--results-dir",
                  s.p("results"), "--device", "cpu"});
  INFO(test.out << test.err);
  REQUIRE(test.code == 0);
  CHECK(test.out.find("cycle_gan") != std::string::npos);
  CHECK(test.out.find("PSNR") != std::string::npos);
  const std::string res = s.p("results/resumed/test_latest/");
  for (const char* v : {"real_A", "fake_B", "rec_A", "real_B", "fake_A", "rec_B"})
    CHECK(fs::exists(res + "images/000006_" + v + ".png"));
  CHECK(fs::exists(res + "index.html"));
  CHECK(fs::exists(res + "metrics.json"));
  CHECK(loss_rows(res + "metrics.csv").size() == 4);  // header, 2 images, mean
}

TEST_CASE("cycle_gan cli: unaligned folders, grey and RGBA images, one image in a domain", "[cli][cycle]") {
  Scratch s;
  // Grey and RGBA files are converted to RGB on decoding (data/image.h): grey replicated, alpha dropped.
  Image grey(32, 32, 1), rgba(32, 32, 4);
  for (size_t i = 0; i < grey.px.size(); ++i) grey.px[i] = static_cast<uint8_t>(i * 7);
  for (size_t i = 0; i < rgba.px.size(); ++i) rgba.px[i] = static_cast<uint8_t>(i * 13);
  save_png(s.p("un/trainA/grey.png"), grey);
  save_png(s.p("un/trainA/rgba.png"), rgba);
  Run r = cli(s.train("un", "un", {"--max-iters", "8"}));
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("dataset: 7 items") != std::string::npos);  // max(|A| = 7, |B| = 3)
  CHECK(r.out.find("trainA and") != std::string::npos);
  CHECK(loss_rows(s.p("ck/un/loss_log.csv")).size() == 9);

  // testA/testB hold no pairs: images only, no metrics.
  Run test = cli({"test", "--dataroot", s.p("un"), "--checkpoints-dir", s.p("ck"), "--name", "un", "--results-dir",
                  s.p("results"), "--device", "cpu"});
  INFO(test.out << test.err);
  REQUIRE(test.code == 0);
  CHECK(test.out.find("no ground truth") != std::string::npos);
  CHECK(fs::exists(s.p("results/un/test_latest/images/0_rec_B.png")));
  CHECK_FALSE(fs::exists(s.p("results/un/test_latest/metrics.json")));

  // One image in a domain is enough (it is drawn for every item).
  for (const char* f : {"1.png", "2.png"}) fs::remove(s.p(std::string("un/trainB/") + f));
  Run one = cli(s.train("un", "one", {"--max-iters", "2"}));
  INFO(one.out << one.err);
  CHECK(one.code == 0);
}

TEST_CASE("cycle_gan cli: bad input gives a clear error", "[cli][cycle]") {
  Scratch s;
  SECTION("missing or empty domain folders") {
    fs::rename(s.p("un/trainB"), s.p("un/elsewhere"));
    fails_with(cli(s.train("un", "x", {"--dataset-mode", "unaligned"})), "no folder 'trainB/'");
    fs::create_directories(s.p("un/trainB"));
    fails_with(cli(s.train("un", "x")), "trainB' holds no images");
  }
  SECTION("the wrong kind of data for the model") {
    fails_with(cli(s.train("ab", "x", {"--dataset-mode", "aligned"})), "--model cycle_gan trains on two unpaired");
    const std::vector<std::string> p2p = {"train",   "--model",        "pix2pix", "--dataroot",
                                          s.p("ab"), "--dataset-mode", "split",   "--checkpoints-dir",
                                          s.p("ck"), "--device",       "cpu"};
    fails_with(cli(p2p), "--model pix2pix trains on aligned AB pairs");
  }
  SECTION("a pad larger than the image") {
    fails_with(cli(s.train("ab", "x", {"--load-size", "4", "--crop-size", "4"})),
               "the ResNet generator needs sizes divisible by 4 and at least 8");
  }
  SECTION("resuming another model's checkpoint") {
    REQUIRE(cli(s.train("ab", "cg", {"--max-iters", "1"})).code == 0);
    const std::vector<std::string> p2p = {
        "train", "--model",     "pix2pix", "--dataroot",  s.p("ab"), "--checkpoints-dir", s.p("ck"), "--name",
        "cg",    "--load-size", "36",      "--crop-size", "32",      "--num-downs",       "5",       "--ngf",
        "4",     "--ndf",       "4",       "--device",    "cpu",     "--resume"};
    fails_with(cli(p2p), "has format 'cyclegan-cpp-1', not --model pix2pix's 'pix2pix-cpp-2'");
    std::vector<std::string> fresh = p2p;
    fresh.pop_back();
    fresh[8] = "p2";
    fresh.insert(fresh.end(), {"--max-iters", "1"});
    REQUIRE(cli(fresh).code == 0);
    fails_with(cli(s.train("ab", "p2", {"--resume"})), "has format 'pix2pix-cpp-2', not --model cycle_gan's");
    fails_with(cli(s.train("ab", "cg", {"--resume", "--lambda-A", "5"})), "was trained with --lambda-A 10");
    fails_with(cli({"test", "--model", "pix2pix", "--dataroot", s.p("ab"), "--checkpoints-dir", s.p("ck"), "--name",
                    "cg", "--device", "cpu"}),
               "holds a cycle_gan model");
  }
  SECTION("channels") {
    // G_A would be fed B's channels by the identity loss.
    fails_with(cli(s.train("ab", "x", {"--input-nc", "1"})), "--lambda-identity 0.5 needs input_nc == output_nc");
    fails_with(cli(s.train("ab", "x", {"--output-nc", "4"})), "--output-nc");
    fails_with(cli(s.train("ab", "x", {"--n-blocks", "65"})), "--n-blocks 65: at most 64");
    fails_with(cli(s.train("ab", "x", {"--ndf", "0"})), "--ndf must be positive, got 0");
    // Without it, a grey A and an RGB B train, and the sample shows the grey images in RGB.
    const Run grey = cli(
        s.train("ab", "grey", {"--input-nc", "1", "--lambda-identity", "0", "--max-iters", "1", "--sample-freq", "1"}));
    INFO(grey.err);
    CHECK(grey.code == 0);
  }
  SECTION("an unknown model") {
    fails_with(cli(s.train("ab", "x", {"--model", "stylegan"})), "--model: unknown value 'stylegan'");
  }
}

TEST_CASE("the README's option tables are the generated ones", "[cli][readme]") {
  std::ifstream in(P2P_SOURCE_DIR "/README.md");
  std::stringstream readme;
  readme << in.rdbuf();
  const std::string tables = options_markdown();
  INFO("regenerate with: gan options --markdown\n" << tables);
  CHECK(readme.str().find(tables) != std::string::npos);
}

TEST_CASE("cycle_gan bench: both modes on the CPU through the shared bench", "[cli][cycle][bench]") {
  const Run r = cli({"bench", "--model",    "cycle_gan", "--size",        "32", "--ngf",   "4", "--ndf",
                     "4",     "--n-blocks", "1",         "--batch-sizes", "1",  "--iters", "2", "--warmup",
                     "1",     "--device",   "cpu",       "--threads",     "1"});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("model: cycle_gan, --n-blocks 1") != std::string::npos);
  CHECK(r.out.find("excluded") != std::string::npos);
  CHECK(r.out.find("included") != std::string::npos);
  fails_with(cli({"bench", "--model", "cycle_gan", "--size", "30", "--device", "cpu"}), "divisible by 4");
}
