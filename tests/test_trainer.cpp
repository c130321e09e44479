// The Pix2Pix trainer on the CPU with a tiny model (ngf 8, 6 U-Net levels, 64x64 synthetic pairs):
// it learns, its schedule is the official one, checkpoints round-trip, and a resumed run continues
// bit for bit.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "models/gan.h"
#include "models/pix2pix.h"
#include "runtime/check.h"
#include "tests/trainer_fixtures.h"

using namespace p2p;

namespace {

// The model seed and the synthetic data set of these tests.
using testing::Pair;
Pix2PixOptions tiny_options() { return testing::tiny_options(/*seed=*/5); }
Pair synthetic_batch(uint64_t first, int n) { return testing::synthetic_batch(first, n, /*data_seed=*/1); }

std::string temp_path(const std::string& stem) {
  return "/tmp/p2p_trainer_" + std::to_string(::getpid()) + "_" + stem + ".safetensors";
}

// Every tensor a checkpoint holds, flattened in store order: values, buffers, Adam moments.
std::vector<float> model_state(Pix2Pix& m) {
  std::vector<float> out;
  for (ParamStore* s : {&m.g_store(), &m.d_store()})
    for (Tensor* t : {&s->values(), &s->buffers(), &s->adam_m(), &s->adam_v()}) {
      std::vector<float> v = t->to_vector();
      out.insert(out.end(), v.begin(), v.end());
    }
  return out;
}

bool same_losses(const StepLosses& a, const StepLosses& b) {
  return a.g_gan == b.g_gan && a.g_l1 == b.g_l1 && a.d_real == b.d_real && a.d_fake == b.d_fake;
}

}  // namespace

TEST_CASE("pix2pix: the L1 loss falls over a short run", "[trainer]") {
  Pix2Pix model(tiny_options(), Device::CPU);
  std::vector<Pair> data;
  for (int i = 0; i < 4; ++i) data.push_back(synthetic_batch(i, 1));
  std::vector<float> l1;
  for (int step = 0; step < 60; ++step) {
    StepLosses l = model.train_step(data[step % 4].A, data[step % 4].B);
    REQUIRE(std::isfinite(l.g_gan));
    REQUIRE(std::isfinite(l.d_real));
    REQUIRE(std::isfinite(l.d_fake));
    l1.push_back(l.g_l1);
  }
  auto mean = [](const float* p, int n) {
    double s = 0;
    for (int i = 0; i < n; ++i) s += p[i];
    return s / n;
  };
  double first = mean(l1.data(), 8), last = mean(l1.data() + l1.size() - 8, 8);
  INFO("mean G_L1 of the first 8 steps " << first << ", of the last 8 " << last);
  // A 25% drop over 60 steps: the tiny net fits 4 pairs quickly, while noise from the adversarial
  // term and dropout moves the per-step L1 by a few percent.
  CHECK(last < 0.75 * first);
  CHECK(model.step() == 60);
}

TEST_CASE("pix2pix: the official linear learning-rate policy", "[trainer]") {
  // The schedule lives in one place (models/gan.h); the trainer sets its value on the model.
  const float lr = tiny_options().adam.lr;
  CHECK(lr == 2e-4f);
  CHECK(linear_lr(lr, 100, 100, 0) == Approx(2e-4).epsilon(1e-6));
  CHECK(linear_lr(lr, 100, 100, 99) == Approx(2e-4).epsilon(1e-6));  // last epoch at the full rate
  CHECK(linear_lr(lr, 100, 100, 100) == Approx(2e-4 * 100.0 / 101.0).epsilon(1e-6));
  CHECK(linear_lr(lr, 100, 100, 150) == Approx(2e-4 * 50.0 / 101.0).epsilon(1e-6));
  CHECK(linear_lr(lr, 100, 100, 199) == Approx(2e-4 / 101.0).epsilon(1e-6));  // the last epoch: ~0, not 0

  const double want[] = {1.0, 1.0, 0.75, 0.5, 0.25};
  for (int e = 0; e < 5; ++e) CHECK(linear_lr(lr, 2, 3, e) == Approx(2e-4 * want[e]).epsilon(1e-6));

  Pix2Pix m(tiny_options(), Device::CPU);
  CHECK(m.current_learning_rate() == lr);
  m.set_learning_rate(linear_lr(lr, 2, 3, 3));
  CHECK(m.current_learning_rate() == Approx(1e-4).epsilon(1e-6));
}

TEST_CASE("pix2pix: a checkpoint round-trips every tensor and the metadata", "[trainer]") {
  std::string path = temp_path("roundtrip");
  Pix2Pix a(tiny_options(), Device::CPU);
  Pair p = synthetic_batch(0, 2);
  for (int i = 0; i < 3; ++i) a.train_step(p.A, p.B);
  a.save(path, {{"epoch", "4"}, {"epoch_iter", "17"}});

  Pix2PixOptions other = tiny_options();
  other.seed = 99;  // a different initialisation: everything must come from the file
  Pix2Pix b(other, Device::CPU);
  REQUIRE(model_state(b) != model_state(a));
  Metadata meta = b.load(path);
  CHECK(model_state(b) == model_state(a));
  CHECK(b.step() == 3);
  CHECK(meta.at("epoch") == "4");
  CHECK(meta.at("epoch_iter") == "17");
  CHECK(meta.at("step") == "3");
  CHECK(meta.at("format") == Pix2Pix::kFormat);
  Pix2PixOptions stored = pix2pix_options_from_metadata(parse_json_object(meta.at("model"), "model"), "model");
  CHECK(stored.g.ngf == 8);
  CHECK(stored.g.num_downs == 6);
  CHECK(stored.adam.lr == tiny_options().adam.lr);
  CHECK(stored.seed == 5);
  // A file from before --input-nc / --output-nc was RGB; any other option missing is an error.
  Metadata older = parse_json_object(meta.at("model"), "model");
  REQUIRE(older.at("input-nc") == "3");
  older.erase("input-nc");
  older.erase("output-nc");
  const Pix2PixOptions rgb = pix2pix_options_from_metadata(older, "model");
  CHECK((rgb.g.input_nc == 3 && rgb.g.output_nc == 3));
  older.erase("ngf");
  CHECK_THROWS_WITH(pix2pix_options_from_metadata(older, "old"), Catch::Contains("old does not record option --ngf"));

  // The names are the documented scheme.
  SafetensorsFile f(path);
  CHECK(f.has("G.down1.conv.weight"));
  CHECK(f.has("adam_m.G.down1.conv.weight"));
  CHECK(f.has("adam_v.D.conv0.weight"));
  CHECK(f.has("D.norm1.running_mean"));

  // Inference loading skips the optimizer state.
  Pix2Pix c(other, Device::CPU);
  c.load(path, /*with_optimizer=*/false);
  CHECK(c.g_store().values().to_vector() == a.g_store().values().to_vector());
  CHECK(c.step() == 0);
  std::remove(path.c_str());
}

TEST_CASE("pix2pix: a resumed run reproduces the uninterrupted one bit for bit", "[trainer]") {
  const int n = 4;
  std::string path = temp_path("resume");
  std::vector<Pair> data;
  for (int i = 0; i < 2 * n; ++i) data.push_back(synthetic_batch(2 * i, 2));  // batch 2: batch norm over 2 images

  Pix2Pix straight(tiny_options(), Device::CPU);
  std::vector<StepLosses> want;
  for (int i = 0; i < 2 * n; ++i) want.push_back(straight.train_step(data[i].A, data[i].B));

  {
    Pix2Pix first(tiny_options(), Device::CPU);
    for (int i = 0; i < n; ++i) REQUIRE(same_losses(first.train_step(data[i].A, data[i].B), want[i]));
    first.save(path, {});
  }
  Pix2PixOptions fresh = tiny_options();
  fresh.seed = 77;  // another initialisation and seed: the file brings the state and the dropout seed
  Pix2Pix resumed(fresh, Device::CPU);
  resumed.load(path);
  for (int i = n; i < 2 * n; ++i) {
    StepLosses l = resumed.train_step(data[i].A, data[i].B);
    INFO("step " << i);
    CHECK(l.g_gan == want[i].g_gan);
    CHECK(l.g_l1 == want[i].g_l1);
    CHECK(l.d_real == want[i].d_real);
    CHECK(l.d_fake == want[i].d_fake);
  }
  CHECK(model_state(resumed) == model_state(straight));
  std::remove(path.c_str());
}

TEST_CASE("pix2pix: loading a checkpoint of another architecture names the option", "[trainer]") {
  std::string path = temp_path("arch");
  Pix2Pix a(tiny_options(), Device::CPU);
  a.save(path, {});
  Pix2PixOptions wider = tiny_options();
  wider.g.ngf = 16;
  Pix2Pix b(wider, Device::CPU);
  CHECK_THROWS_WITH(b.load(path), Catch::Contains(path) && Catch::Contains("was trained with --ngf 8") &&
                                      Catch::Contains("this model has --ngf 16"));
  Pix2PixOptions instance = tiny_options();
  instance.g.norm = NormKind::instance;
  Pix2Pix c(instance, Device::CPU);
  CHECK_THROWS_WITH(c.load(path), Catch::Contains("--norm batch"));
  std::remove(path.c_str());
}

TEST_CASE("pix2pix: lsgan mode and eval-mode generation run", "[trainer]") {
  Pix2PixOptions o = tiny_options();
  o.gan_mode = "lsgan";
  Pix2Pix m(o, Device::CPU);
  Pair p = synthetic_batch(0, 1);
  StepLosses l = m.train_step(p.A, p.B);
  CHECK(std::isfinite(l.g_gan));
  CHECK(l.d_real >= 0);  // squared errors
  std::vector<float> eval1 = m.generate(p.A, true).to_vector();
  std::vector<float> eval2 = m.generate(p.A, true).to_vector();
  CHECK(eval1 == eval2);  // eval mode: no dropout, running statistics: deterministic
  std::vector<float> train1 = m.generate(p.A, false).to_vector();
  std::vector<float> train2 = m.generate(p.A, false).to_vector();
  CHECK(train1 != train2);  // training mode draws fresh dropout masks per call
  o.gan_mode = "wgan";
  CHECK_THROWS_WITH(Pix2Pix(o, Device::CPU), Catch::Contains("--gan-mode") && Catch::Contains("wgan"));
}
