// The training report through the tool (run in-process, tiny networks on the CPU): written every
// --report-freq steps and at the end for pix2pix, cycle_gan, dcgan and vae, with the model's pictures
// and D maps; a resume keeps the earlier history and drops stale pictures; and the report's forwards
// leave training exactly as it would be without them.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data/synthetic.h"
#include "runtime/safetensors.h"
#include "tests/cli_runner.h"

using namespace p2p;
namespace fs = std::filesystem;

namespace {

using testing::cli;

// A scratch folder with a synthetic AB set in ab/ (6 train, 2 test pairs of 32x32 halves).
struct Scratch : testing::ScratchDir {
  Scratch() : ScratchDir("p2p_report_cli_") { write_synthetic_dataset((dir / "ab").string(), 6, 2, 32, 3); }
  std::vector<std::string> train(const std::string& model, const std::string& name,
                                 std::vector<std::string> extra) const {
    std::vector<std::string> a = {"train", "--model",       model, "--dataroot",      p("ab"), "--checkpoints-dir",
                                  p("ck"), "--name",        name,  "--ngf",           "4",     "--ndf",
                                  "4",     "--device",      "cpu", "--threads",       "1",     "--print-freq",
                                  "1000",  "--sample-freq", "0",   "--report-images", "2"};
    if (model == "pix2pix") a.insert(a.end(), {"--load-size", "32", "--crop-size", "32", "--num-downs", "5"});
    if (model == "cycle_gan") a.insert(a.end(), {"--load-size", "32", "--crop-size", "32", "--n-blocks", "1"});
    if (model == "dcgan" || model == "vae") {
      a[4] = p("ab/train");
      a.insert(a.end(), {"--half", "left", "--image-size", "16", "--batch-size", "2"});
    }
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  std::string read(const std::string& rel) const {
    std::ifstream in(p(rel), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
};

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The number of points of the raw line of the chart titled `name`.
size_t raw_points(const std::string& html, const std::string& name) {
  const size_t chart = html.find("<title>" + name + "</title>");
  REQUIRE(chart != std::string::npos);
  const size_t at = html.find("class=\"raw\" points=\"", chart);
  const std::string pts = html.substr(at, html.find("\"/>", at) - at);
  return static_cast<size_t>(std::count(pts.begin(), pts.end(), ','));
}

}  // namespace

TEST_CASE("report cli: pix2pix writes its report every --report-freq steps and at the end", "[cli][report]") {
  Scratch s;
  testing::CliRun r = cli(s.train("pix2pix", "p", {"--max-iters", "5", "--report-freq", "2"}));
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(has(r.out, "report: " + s.p("ck/p/report.html")));
  for (const char* f : {"step_0000002.png", "step_0000004.png", "step_0000005.png"})
    CHECK(fs::exists(s.p("ck/p/report/") + f));
  CHECK_FALSE(fs::exists(s.p("ck/p/report.html.tmp")));
  const std::string html = s.read("ck/p/report.html");
  for (const char* part :
       {"<title>G_GAN</title>", "<title>G_L1</title>", "<title>D_real</title>", "<title>D_fake</title>",
        "D(real_A, real_B)", "D(real_A, fake_B)", "src=\"report/step_0000005.png\"", "step 5 of 5"})
    CHECK(has(html, part));
  CHECK(raw_points(html, "G_GAN") == 5);
  // Two fixed inputs of 32x32, five columns (three images, two maps) with gaps.
  const Image pic = load_image(s.p("ck/p/report/step_0000005.png"));
  CHECK(pic.w == 5 * 32 + 4 * 4);
  CHECK(pic.h == 2 * 32 + 4);
}

TEST_CASE("report cli: a resume keeps the history and drops pictures after the checkpoint", "[cli][report]") {
  Scratch s;
  REQUIRE(cli(s.train("pix2pix", "r", {"--max-iters", "3", "--report-freq", "1"})).code == 0);
  // A picture from a later step of an interrupted run, not in the checkpoint.
  fs::copy_file(s.p("ck/r/report/step_0000003.png"), s.p("ck/r/report/step_0000009.png"));
  testing::CliRun r = cli(s.train("pix2pix", "r", {"--max-iters", "4", "--report-freq", "1", "--resume"}));
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK_FALSE(fs::exists(s.p("ck/r/report/step_0000009.png")));
  CHECK(fs::exists(s.p("ck/r/report/step_0000001.png")));
  const std::string html = s.read("ck/r/report.html");
  CHECK(raw_points(html, "D_fake") == 4);  // steps 1-3 from before the resume, read back from the log
  CHECK(has(html, "[1,\"report/step_0000001.png\"],[2,\"report/step_0000002.png\"],[3,"));
}

TEST_CASE("report cli: the report's forwards leave training unchanged", "[cli][report]") {
  // Batch norm's running statistics are updated by every training-mode forward; the report must
  // restore them, so that a run with reports saves the checkpoint a run without them saves.
  Scratch s;
  REQUIRE(cli(s.train("pix2pix", "with", {"--max-iters", "3", "--report-freq", "1"})).code == 0);
  REQUIRE(cli(s.train("pix2pix", "without", {"--max-iters", "3", "--report-freq", "0"})).code == 0);
  CHECK_FALSE(fs::exists(s.p("ck/without/report.html")));
  SafetensorsFile a(s.p("ck/with/latest.safetensors")), b(s.p("ck/without/latest.safetensors"));
  REQUIRE(a.names() == b.names());
  size_t running = 0;
  for (const std::string& n : a.names()) {
    INFO(n);
    running += n.find("running_mean") != std::string::npos;
    CHECK(a.read(n).to_vector() == b.read(n).to_vector());
  }
  CHECK(running > 0);
}

TEST_CASE("report cli: cycle_gan shows both D's maps; dcgan and vae their pictures", "[cli][report]") {
  Scratch s;
  testing::CliRun c = cli(s.train("cycle_gan", "c", {"--max-iters", "2"}));
  INFO(c.err);
  REQUIRE(c.code == 0);
  const std::string cycle = s.read("ck/c/report.html");
  for (const char* part : {"D_A(real_B)", "D_A(fake_B)", "D_B(real_A)", "D_B(fake_A)", "rec_A",
                           "<title>cycle_B</title>", "lsgan output clamped"})
    CHECK(has(cycle, part));
  for (const char* model : {"dcgan", "vae"}) {
    testing::CliRun g = cli(s.train(model, model, {"--max-iters", "2"}));
    INFO(g.err);
    REQUIRE(g.code == 0);
    const std::string html = s.read(std::string("ck/") + model + "/report.html");
    CHECK(has(html, model == std::string("dcgan") ? "<div>sample</div>" : "<div>reconstruction</div>"));
    CHECK_FALSE(has(html, "linearGradient"));  // no D maps, no legend
    CHECK(fs::exists(s.p(std::string("ck/") + model + "/report/step_0000002.png")));
  }
}
