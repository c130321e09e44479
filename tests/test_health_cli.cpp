// Training health in loss_log.csv (models/health.h, --health-freq): the columns each model declares,
// filled on the watched steps with sane values and empty on the others; watching changes no bit of
// the training; a resumed run logs the same health numbers as the uninterrupted one.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "data/synthetic.h"
#include "runtime/safetensors.h"
#include "tests/cli_runner.h"

using namespace p2p;

namespace {

using testing::cli;

// loss_log.csv as columns by header name, each a string per row.
std::map<std::string, std::vector<std::string>> columns(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::vector<std::string> names;
  std::map<std::string, std::vector<std::string>> cols;
  for (bool header = true; std::getline(in, line); header = false) {
    std::vector<std::string> fields;
    std::istringstream row(line);
    for (std::string f; std::getline(row, f, ',');) fields.push_back(f);
    if (line.back() == ',') fields.push_back("");  // an empty last field
    if (header) {
      names = fields;
      continue;
    }
    REQUIRE(fields.size() == names.size());
    for (size_t i = 0; i < names.size(); ++i) cols[names[i]].push_back(fields[i]);
  }
  return cols;
}

// The columns from the first to the last named, of every row (e.g. the losses).
std::vector<std::vector<std::string>> slice(const std::map<std::string, std::vector<std::string>>& c,
                                            const std::vector<std::string>& names) {
  std::vector<std::vector<std::string>> v;
  for (const std::string& n : names) v.push_back(c.at(n));
  return v;
}

struct Scratch : testing::ScratchDir {
  Scratch() : ScratchDir("p2p_health_cli_") { write_synthetic_dataset((dir / "data").string(), 6, 2, 64, 3); }
  std::vector<std::string> train(const std::string& name, std::vector<std::string> extra) const {
    std::vector<std::string> a = {"train", "--dataroot",   p("data"), "--checkpoints-dir", p("ck"), "--name",
                                  name,    "--load-size",  "72",      "--crop-size",       "64",    "--ngf",
                                  "8",     "--ndf",        "8",       "--device",          "cpu",   "--threads",
                                  "1",     "--print-freq", "1000",    "--sample-freq",     "0"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  std::string log(const std::string& name) const { return p("ck/" + name + "/loss_log.csv"); }
};

double num(const std::string& s) { return std::stod(s); }

}  // namespace

TEST_CASE("health: pix2pix logs sane health columns every --health-freq steps and trains the same bits",
          "[cli][health]") {
  Scratch s;
  const std::vector<std::string> pix = {"--num-downs", "6", "--max-iters", "4"};
  auto run = [&](const std::string& name, const char* freq) {
    std::vector<std::string> extra = pix;
    extra.insert(extra.end(), {"--health-freq", freq});
    const testing::CliRun r = cli(s.train(name, extra));
    INFO(r.err);
    REQUIRE(r.code == 0);
    return columns(s.log(name));
  };
  const auto on = run("on", "2"), off = run("off", "0");

  // Watching changes nothing the training computes: the same losses, and after 4 steps every
  // parameter, running statistic and Adam moment the same bits.
  const std::vector<std::string> losses = {"step", "lr", "G_GAN", "G_L1", "D_real", "D_fake"};
  CHECK(slice(on, losses) == slice(off, losses));
  const SafetensorsFile a(s.p("ck/on/latest.safetensors")), b(s.p("ck/off/latest.safetensors"));
  REQUIRE(a.names() == b.names());
  for (const std::string& n : a.names()) {
    INFO(n);
    const std::vector<float> x = a.read(n).to_vector(), y = b.read(n).to_vector();
    REQUIRE(x.size() == y.size());
    CHECK(std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0);
  }

  const std::vector<std::string> names = {"G.grad_norm",      "G.update_ratio",  "D.grad_norm",      "D.update_ratio",
                                          "G.act.down1.mean", "G.act.down1.std", "G.act.down6.mean", "G.act.down6.std",
                                          "G.act.up1.mean",   "G.act.up1.std",   "D.act.conv0.mean", "D.act.conv0.std",
                                          "D.act.conv2.mean", "D.act.conv2.std", "D.act.conv4.mean", "D.act.conv4.std",
                                          "D.p_real",         "D.p_fake"};
  for (const std::string& n : names) {
    INFO(n);
    REQUIRE(on.count("health." + n) == 1);
    const std::vector<std::string>& v = on.at("health." + n);
    REQUIRE(v.size() == 4);
    CHECK(v[0].empty());  // steps 1 and 3: not watched
    CHECK(v[2].empty());
    for (size_t k : {size_t(1), size_t(3)}) {
      REQUIRE(!v[k].empty());
      CHECK(std::isfinite(num(v[k])));
    }
    for (const std::string& e : off.at("health." + n)) CHECK(e.empty());  // 0: off, the columns stay
  }
  for (size_t k : {size_t(1), size_t(3)}) {
    for (const char* net : {"G", "D"}) {
      INFO(net << " at row " << k);
      CHECK(num(on.at(std::string("health.") + net + ".grad_norm")[k]) > 0);
      const double r = num(on.at(std::string("health.") + net + ".update_ratio")[k]);
      CHECK(r > 1e-6);  // lr 2e-4 on weights of std 0.02: about 1e-3
      CHECK(r < 1e-1);
    }
    for (const char* p : {"health.D.p_real", "health.D.p_fake"}) {
      CHECK(num(on.at(p)[k]) > 0.0);
      CHECK(num(on.at(p)[k]) < 1.0);
    }
    CHECK(num(on.at("health.G.act.up1.std")[k]) > 0.0);  // the tanh output: in (-1, 1), not collapsed
    CHECK(std::abs(num(on.at("health.G.act.up1.mean")[k])) < 1.0);
  }
}

TEST_CASE("health: a resumed run logs the same health numbers; cycle_gan's lsgan D gives raw scores", "[cli][health]") {
  Scratch s;
  const std::vector<std::string> pix = {"--num-downs", "6", "--health-freq", "1"};
  auto with = [&](std::vector<std::string> a, std::vector<std::string> b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  REQUIRE(cli(s.train("straight", with(pix, {"--max-iters", "4"}))).code == 0);
  REQUIRE(cli(s.train("resumed", with(pix, {"--max-iters", "2"}))).code == 0);
  REQUIRE(cli(s.train("resumed", with(pix, {"--max-iters", "4", "--resume"}))).code == 0);
  const std::vector<std::string> a = testing::rows_but_last_column(s.log("straight")),
                                 b = testing::rows_but_last_column(s.log("resumed"));
  CHECK(a.size() == 5);
  CHECK(a == b);  // the losses and every health number, bit for bit

  const testing::CliRun r = cli(s.train(
      "cycle", {"--model", "cycle_gan", "--n-blocks", "1", "--max-iters", "2", "--health-freq", "2", "--ngf", "4"}));
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto c = columns(s.log("cycle"));
  for (const char* n :
       {"G_A.grad_norm", "G_B.update_ratio", "D_A.grad_norm", "D_B.update_ratio", "G_A.act.in.mean", "G_A.act.res1.std",
        "G_B.act.out.mean", "D_A.score_real", "D_A.score_fake", "D_B.score_real", "D_B.score_fake"}) {
    INFO(n);
    REQUIRE(c.count(std::string("health.") + n) == 1);
    CHECK(c.at(std::string("health.") + n)[0].empty());
    CHECK(std::isfinite(num(c.at(std::string("health.") + n)[1])));
  }
  CHECK(c.count("health.D_A.p_real") == 0);
}
