// The Pix2Pix step on the GPU against the same step on the CPU reference, its determinism, the
// caching allocator staying still once training has started, and the step as a CUDA graph: graphed
// steps equal ungraphed ones bit for bit, also across a checkpoint and a learning-rate change.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "data/aligned_dataset.h"
#include "data/loader.h"
#include "data/synthetic.h"
#include "kernels/conv2d.h"
#include "models/pix2pix.h"
#include "runtime/allocator.h"
#include "runtime/device.h"
#include "runtime/safetensors.h"
#include "tests/cli_runner.h"
#include "tests/testing.h"
#include "tests/trainer_fixtures.h"

using namespace p2p;

namespace {

// The model seed of these tests, and batches of two pairs of the synthetic set with data seed 2.
Pix2PixOptions tiny_options() { return testing::tiny_options(/*seed=*/11); }
testing::Pair batch(uint64_t first) { return testing::synthetic_batch(first, 2, /*data_seed=*/2); }

double rel(float got, float want) { return std::fabs(got - want) / std::max(std::fabs(want), 1e-6f); }

// Where the two backends' steps take different branches at a kink that is still visible after the
// step: G's ReLU / LeakyReLU inputs, the last D pass's LeakyReLU inputs, and the L1 term's signs of
// G(A) - B. (The D step's own two passes are overwritten by then.)
int64_t straddles(const Pix2Pix& a, const Pix2Pix& b) {
  std::vector<const Tensor*> ka = a.generator().kink_inputs(), kb = b.generator().kink_inputs();
  for (const Tensor* t : a.discriminator().kink_inputs()) ka.push_back(t);
  for (const Tensor* t : b.discriminator().kink_inputs()) kb.push_back(t);
  auto diff = [](const Pix2Pix& m) {
    std::vector<float> f = m.fake_B().to_vector(), r = m.real_B().to_vector();
    for (size_t i = 0; i < f.size(); ++i) f[i] -= r[i];
    return Tensor::from_vector(m.fake_B().shape(), f);
  };
  const Tensor da = diff(a), db = diff(b);
  ka.push_back(&da);
  kb.push_back(&db);
  return testing::sign_straddles(ka, kb);
}

// Everything a step leaves behind, by name: parameters, gradients, both Adam moments and the running
// statistics of G and D, and G's output.
std::vector<std::pair<std::string, std::vector<float>>> state(Pix2Pix& m) {
  std::vector<std::pair<std::string, std::vector<float>>> s;
  for (auto [net, st] : {std::pair<const char*, ParamStore*>{"G", &m.g_store()}, {"D", &m.d_store()}}) {
    s.push_back({std::string(net) + " values", st->values().to_vector()});
    s.push_back({std::string(net) + " grads", st->grads().to_vector()});
    s.push_back({std::string(net) + " adam_m", st->adam_m().to_vector()});
    s.push_back({std::string(net) + " adam_v", st->adam_v().to_vector()});
    s.push_back({std::string(net) + " running statistics", st->buffers().to_vector()});
  }
  s.push_back({"fake_B", m.fake_B().to_vector()});
  return s;
}

// "" when the two states are the same bits, else what differs and in how many elements (a short
// message: Catch would print the whole vectors).
std::string differences(Pix2Pix& a, Pix2Pix& b) {
  const auto sa = state(a), sb = state(b);
  std::string out;
  for (size_t i = 0; i < sa.size(); ++i) {
    const std::vector<float>&x = sa[i].second, &y = sb[i].second;
    size_t n = x.size() == y.size() ? 0 : std::max(x.size(), y.size());
    for (size_t k = 0; k < std::min(x.size(), y.size()); ++k) n += std::memcmp(&x[k], &y[k], sizeof(float)) != 0;
    if (n) out += sa[i].first + ": " + std::to_string(n) + " of " + std::to_string(x.size()) + " differ; ";
  }
  return out;
}

std::vector<float> losses(const StepLosses& l) { return {l.g_gan, l.g_l1, l.d_real, l.d_fake}; }

// A batch in page-locked memory, as the trainer's loader stages it.
Tensor pinned_copy(const Tensor& t) {
  Tensor p = Tensor::pinned(t.shape());
  p.copy_from(t);
  return p;
}

using Mode = StepGraph::Mode;

}  // namespace

TEST_CASE("pix2pix step: CUDA matches the CPU reference", "[trainer][gpu]") {
  // Same seed: the initial weights are drawn on the host (identical), the dropout masks come from
  // the same Philox streams on both backends. The batch is one where no visible kink input lies on
  // different sides of 0 in the two steps (a different mask would be an O(1) gradient difference):
  // almost always the first.
  std::unique_ptr<Pix2Pix> cpu_model, gpu_model;
  StepLosses lc, lg;
  for (uint64_t first = 0;; first += 2) {
    const testing::Pair p = batch(first);
    cpu_model = std::make_unique<Pix2Pix>(tiny_options(), Device::CPU);
    gpu_model = std::make_unique<Pix2Pix>(tiny_options(), Device::CUDA);
    REQUIRE(cpu_model->g_store().values().to_vector() == gpu_model->g_store().values().to_vector());
    lc = cpu_model->train_step(p.A, p.B);
    lg = gpu_model->train_step(p.A, p.B);
    if (straddles(*cpu_model, *gpu_model) == 0) break;
    REQUIRE(first < 20);
  }
  Pix2Pix &cpu = *cpu_model, &gpu = *gpu_model;
  // 1e-4: the kernels sum in another order than the reference (convolutions, norm statistics, loss
  // means), ~1e-7 relative per reduction, compounded over ~20 layers forward and backward and three
  // D passes; a real bug (a wrong index, a missed term) shows up at 1e-2 or more.
  CHECK(rel(lg.g_gan, lc.g_gan) < 1e-4);
  CHECK(rel(lg.g_l1, lc.g_l1) < 1e-4);
  CHECK(rel(lg.d_real, lc.d_real) < 1e-4);
  CHECK(rel(lg.d_fake, lc.d_fake) < 1e-4);

  // The gradients the step used (left in the stores after it): 1e-4 relative to the largest, as above.
  for (auto [c, g] :
       {std::pair<ParamStore*, ParamStore*>{&cpu.g_store(), &gpu.g_store()}, {&cpu.d_store(), &gpu.d_store()}}) {
    double e = testing::rel_error(g->grads().to_vector(), testing::to_double(c->grads().to_vector()));
    INFO("gradient rel error " << e);
    CHECK(e < 1e-4);
  }

  // The generator's weights after the Adam step: rel error 1e-4 relative to the largest weight.
  // Adam's first step moves each weight by lr * g / (|g| + eps), about +-lr: where a gradient element
  // is at rounding-noise level the two backends may move it in opposite directions, so in addition
  // each element's difference is bounded by 2 lr (and that holds always).
  std::vector<float> wc = cpu.g_store().values().to_vector(), wg = gpu.g_store().values().to_vector();
  double max_diff = 0;
  for (size_t i = 0; i < wc.size(); ++i) max_diff = std::max(max_diff, static_cast<double>(std::fabs(wc[i] - wg[i])));
  CHECK(max_diff <= 2 * tiny_options().adam.lr * (1 + 1e-3));
  CHECK(testing::rel_error(wg, testing::to_double(wc)) < 1e-4);
  // Running statistics (three D passes and one G pass updated them).
  CHECK(testing::rel_error(gpu.g_store().buffers().to_vector(),
                           testing::to_double(cpu.g_store().buffers().to_vector())) < 1e-4);
}

TEST_CASE("pix2pix step on CUDA: deterministic, and no cudaMalloc after the first step", "[trainer][gpu]") {
  std::vector<testing::Pair> data;
  for (int i = 0; i < 5; ++i) data.push_back(batch(2 * i));
  // Inputs already on the GPU, as the trainer could hand them over, and on the host: both paths.
  Pix2Pix a(tiny_options(), Device::CUDA), b(tiny_options(), Device::CUDA);
  std::vector<float> la, lb;
  size_t mallocs_after_first = 0;
  for (int i = 0; i < 5; ++i) {
    StepLosses x = a.train_step(data[i].A, data[i].B);
    if (i == 0) mallocs_after_first = allocator_stats().cuda_mallocs;
    la.insert(la.end(), {x.g_gan, x.g_l1, x.d_real, x.d_fake});
  }
  // Steps 2..5 reuse every buffer (layer outputs, gradients, the loss slots): no new device memory.
  if (allocator_caches())
    CHECK(allocator_stats().cuda_mallocs == mallocs_after_first);
  else
    WARN("the sanitizer build allocates every tensor afresh: the no-cudaMalloc check needs the caching allocator");
  for (int i = 0; i < 5; ++i) {
    StepLosses x = b.train_step(data[i].A.to(Device::CUDA), data[i].B.to(Device::CUDA));
    lb.insert(lb.end(), {x.g_gan, x.g_l1, x.d_real, x.d_fake});
  }
  CHECK(la == lb);  // bit for bit: fixed reduction orders, no atomics
  CHECK(a.g_store().values().to_vector() == b.g_store().values().to_vector());
}

namespace {
// gan train's arguments for a tiny CUDA run: data in dir/data, checkpoints in dir/ck/tiny, no samples.
std::vector<std::string> tiny_cuda_train(const std::filesystem::path& dir, int64_t iters) {
  return {"train",
          "--dataroot",
          (dir / "data").string(),
          "--checkpoints-dir",
          (dir / "ck").string(),
          "--name",
          "tiny",
          "--load-size",
          "36",
          "--crop-size",
          "32",
          "--num-downs",
          "5",
          "--ngf",
          "4",
          "--ndf",
          "4",
          "--device",
          "cuda",
          "--max-iters",
          std::to_string(iters),
          "--sample-freq",
          "0"};
}
}  // namespace

TEST_CASE("gan train --device cuda runs the CUDA kernels and says where", "[trainer][gpu][cli]") {
  namespace fs = std::filesystem;
  char tmpl[] = "/tmp/p2p_gpu_cli_XXXXXX";
  const fs::path dir = ::mkdtemp(tmpl);
  write_synthetic_dataset((dir / "data").string(), 4, 1, 32, 3);
  const testing::CliRun r = testing::cli(tiny_cuda_train(dir, 3));
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  CHECK(r.out.find("device: cuda (" + cuda_device_info() + ")") != std::string::npos);
  if (cuda_emulated()) CHECK(r.out.find("CUDA emulation: kernels run on the CPU") != std::string::npos);
  CHECK(fs::exists(dir / "ck" / "tiny" / "latest.safetensors"));
  // It trained at the default --precision tf32, and gave the process its exact convolutions back.
  CHECK(r.out.find("precision: tf32") != std::string::npos);
  CHECK(conv_precision() == ConvPrecision::fp32);
  fs::remove_all(dir);
}

// The conv launch configurations (kernels/conv_config.h) of a CUDA run: one log line per layer
// and pass as each is chosen, saved in the checkpoint, and restored by --resume, which then chooses
// nothing anew (even under --no-autotune) and saves the same configurations again.
TEST_CASE("gan train --device cuda: conv configurations logged, saved, restored on --resume", "[trainer][gpu][cli]") {
  namespace fs = std::filesystem;
  char tmpl[] = "/tmp/p2p_gpu_tune_XXXXXX";
  const fs::path dir = ::mkdtemp(tmpl);
  write_synthetic_dataset((dir / "data").string(), 4, 1, 32, 3);
  auto train = [&](int64_t iters, std::vector<std::string> extra) {
    std::vector<std::string> args = tiny_cuda_train(dir, iters);
    args.insert(args.end(), {"--report-freq", "0"});
    args.insert(args.end(), extra.begin(), extra.end());
    return testing::cli(args);
  };
  auto count = [](const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  const fs::path latest = dir / "ck" / "tiny" / "latest.safetensors";
  const testing::CliRun first = train(1, {});
  INFO(first.out << first.err);
  REQUIRE(first.code == 0);
  const std::string saved = SafetensorsFile(latest.string()).meta("conv_configs");
  // One entry and one log line per (pass, geometry): the U-Net's 10 and the PatchGAN's 5 convs
  // have some geometries twice (D sees the fake and the real pair alike, once each).
  const size_t entries = count(saved, ";") + 1;
  CHECK(entries >= 15);
  CHECK(count(first.out, "\nconv forward [") + count(first.out, "\nconv backward-data [") +
            count(first.out, "\nconv backward-weight [") ==
        entries);
  const testing::CliRun resumed = train(2, {"--resume", "--no-autotune"});
  INFO(resumed.out << resumed.err);
  REQUIRE(resumed.code == 0);
  CHECK(count(resumed.out, "\nconv ") == 0);
  CHECK(SafetensorsFile(latest.string()).meta("conv_configs") == saved);
  fs::remove_all(dir);
}

TEST_CASE("pinned loader batches: the same pixels, and the same CUDA losses, as ordinary ones",
          "[trainer][gpu][pinned]") {
  namespace fs = std::filesystem;
  char tmpl[] = "/tmp/p2p_gpu_pinned_XXXXXX";
  const fs::path dir = ::mkdtemp(tmpl);
  write_synthetic_dataset((dir / "data").string(), 6, 0, 64, 4);
  DatasetOptions d;
  d.dataroot = (dir / "data").string();
  d.load_size = 72;  // the tiny U-Net's 6 levels need 64x64 crops
  d.crop_size = 64;
  d.cache_bytes = size_t{1} << 20;
  AlignedDataset ds(d);
  Loader pinned(ds, 2, true, 2, 2, /*pinned=*/true), plain(ds, 2, true, 0, 1);
  Pix2Pix a(tiny_options(), Device::CUDA), b(tiny_options(), Device::CUDA);
  const size_t allocs0 = allocator_stats().host_allocs;
  for (uint64_t epoch = 0; epoch < 3; ++epoch) {
    pinned.start_epoch(epoch);
    plain.start_epoch(epoch);
    Batch p, q;
    while (pinned.next(p)) {
      REQUIRE(plain.next(q));
      REQUIRE(p.A.is_pinned());
      CHECK_FALSE(q.A.is_pinned());
      CHECK(p.A.to_vector() == q.A.to_vector());
      CHECK(p.B.to_vector() == q.B.to_vector());
      StepLosses x = a.train_step(p.A, p.B), y = b.train_step(q.A, q.B);
      CHECK(x.g_l1 == y.g_l1);
      CHECK(x.d_fake == y.d_fake);
    }
  }
  // 9 batches of 2 pinned tensors each, from a handful of recycled blocks (those in flight at once).
  CHECK(allocator_stats().host_allocs - allocs0 <= 2 * 6);
  fs::remove_all(dir);
}

TEST_CASE("pix2pix health on CUDA: matches the CPU reference's, and watching changes no bit", "[trainer][gpu]") {
  const testing::Pair p = batch(0);
  Pix2Pix cpu(tiny_options(), Device::CPU), gpu(tiny_options(), Device::CUDA), plain(tiny_options(), Device::CUDA);
  cpu.health().watch(true);
  gpu.health().watch(true);
  cpu.train_step(p.A, p.B);
  const StepLosses lg = gpu.train_step(p.A, p.B), lp = plain.train_step(p.A, p.B);
  const std::vector<float> hc = cpu.health().gather(cpu.step()), hg = gpu.health().gather(gpu.step());
  const std::vector<std::string> names = gpu.health().names();
  REQUIRE(hg.size() == names.size());
  REQUIRE(hc.size() == names.size());
  // 1e-3 relative (plus 1e-5 for means near 0): the two steps agree to 1e-4 (the test above), and
  // each statistic adds one float rounding of a double sum.
  for (size_t i = 0; i < names.size(); ++i) {
    INFO(names[i] << ": CUDA " << hg[i] << ", CPU " << hc[i]);
    CHECK(std::isfinite(hg[i]));
    CHECK(std::fabs(hg[i] - hc[i]) <= 1e-3 * std::fabs(hc[i]) + 1e-5);
  }
  // The watched CUDA step trained exactly as the unwatched one.
  CHECK(std::memcmp(&lg, &lp, sizeof lg) == 0);
  CHECK(gpu.g_store().values().to_vector() == plain.g_store().values().to_vector());
  CHECK(gpu.d_store().values().to_vector() == plain.d_store().values().to_vector());
}

TEST_CASE("pix2pix on CUDA: graphed steps equal ungraphed ones bit for bit", "[trainer][gpu][graph]") {
  std::vector<testing::Pair> data;
  for (int i = 0; i < 6; ++i) data.push_back(batch(2 * i));
  Pix2Pix graphed(tiny_options(), Device::CUDA), plain(tiny_options(), Device::CUDA);
  plain.set_graph(false);
  // Step 0 allocates (ungraphed), 1 is captured, 2 and 3 replay; 4 is watched (health): ungraphed, on
  // the same buffers; 5 replays again. The learning rate changes before step 3, as the trainer's
  // schedule does between epochs: a replay must read the new one. (That the replays advance the step
  // count, hence Adam's t and the dropout masks, the resume test below shows: a resumed model's count
  // comes from the checkpoint.)
  const Mode want[] = {Mode::ungraphed, Mode::captured,  Mode::replayed,
                       Mode::replayed,  Mode::ungraphed, Mode::replayed};
  size_t mallocs = 0;
  for (int i = 0; i < 6; ++i) {
    INFO("step " << i);
    if (i == 3)
      for (Pix2Pix* m : {&graphed, &plain}) m->set_learning_rate(0.5f * tiny_options().adam.lr);
    graphed.health().watch(i == 4);
    const Tensor A = pinned_copy(data[i].A), B = pinned_copy(data[i].B);  // as the trainer's loader stages them
    const StepLosses lg = graphed.train_step(A, B), lp = plain.train_step(A, B);
    CHECK(graphed.last_step_mode() == want[i]);
    CHECK(plain.last_step_mode() == Mode::ungraphed);
    CHECK(losses(lg) == losses(lp));
    CHECK(differences(graphed, plain) == "");
    // After the first step, no step allocates device memory; the watched one allocates health's
    // buffer, once, which is not the step's.
    if (i > 0 && i != 4 && allocator_caches()) CHECK(allocator_stats().cuda_mallocs == mallocs);
    mallocs = allocator_stats().cuda_mallocs;
  }
}

TEST_CASE("pix2pix on CUDA: a graphed run resumed from a checkpoint equals the uninterrupted one",
          "[trainer][gpu][graph]") {
  char tmpl[] = "/tmp/p2p_graph_resume_XXXXXX";
  const std::filesystem::path dir = ::mkdtemp(tmpl);
  const std::string ckpt = (dir / "latest.safetensors").string();
  std::vector<testing::Pair> data;
  for (int i = 0; i < 5; ++i) data.push_back(batch(2 * i));
  Pix2Pix whole(tiny_options(), Device::CUDA), first(tiny_options(), Device::CUDA);
  std::vector<float> lw, lr;
  for (int i = 0; i < 5; ++i) {
    const std::vector<float> l = losses(whole.train_step(data[i].A, data[i].B));
    if (i >= 3) lw.insert(lw.end(), l.begin(), l.end());
  }
  for (int i = 0; i < 3; ++i) first.train_step(data[i].A, data[i].B);  // ungraphed, captured, replayed
  CHECK(first.last_step_mode() == Mode::replayed);
  first.save(ckpt, {});
  Pix2Pix resumed(tiny_options(), Device::CUDA);
  resumed.load(ckpt);
  for (int i = 3; i < 5; ++i) {
    const std::vector<float> l = losses(resumed.train_step(data[i].A, data[i].B));
    lr.insert(lr.end(), l.begin(), l.end());
  }
  CHECK(resumed.last_step_mode() == Mode::captured);  // step 3 allocated, step 4 was captured
  CHECK(lr == lw);
  CHECK(differences(resumed, whole) == "");
  std::filesystem::remove_all(dir);
}

TEST_CASE("gan bench --device cuda times the pix2pix step with the graph and without", "[trainer][gpu][graph][cli]") {
  char tmpl[] = "/tmp/p2p_gpu_bench_XXXXXX";
  const std::filesystem::path dir = ::mkdtemp(tmpl);
  const std::string json = (dir / "bench.json").string();
  const testing::CliRun r = testing::cli(
      {"bench", "--device", "cuda", "--size",   "64", "--num-downs", "6", "--ngf",  "8", "--ndf", "8", "--batch-sizes",
       "1",     "--iters",  "2",    "--warmup", "2",  "--threads",   "1", "--json", json});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  // Each mode twice, graph on (as gan train runs) first; no cudaMalloc in any timed step.
  std::istringstream out(r.out);
  std::vector<std::string> rows;
  for (std::string line; std::getline(out, line);) {
    std::istringstream f(line);
    int batch;
    std::string mode, graph;
    double mean, min, median, images_per_s;
    long mallocs;
    if (f >> batch >> mode >> mean >> min >> median >> images_per_s >> mallocs >> graph) {
      CHECK(mallocs == 0);
      rows.push_back(mode + " " + graph);
    }
  }
  CHECK(rows == std::vector<std::string>{"excluded on", "excluded off", "included on", "included off"});
  std::ifstream in(json);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str().find("\"cuda_mallocs\": 0, \"graph\": true}") != std::string::npos);
  CHECK(text.str().find("\"cuda_mallocs\": 0, \"graph\": false}") != std::string::npos);
  std::filesystem::remove_all(dir);
}
