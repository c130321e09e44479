// pix2pix train: the training loop around Pix2Pix::train_step.
//
// Per epoch e (from 0; --epochs + --epochs-decay in all): lr = learning_rate(e); the loader visits
// the training set in the order of (seed, e); every batch is one step. Outputs under
// <checkpoints-dir>/<name>/:
//   opt.txt             the options table printed at start
//   loss_log.csv        one row per step: epoch, iter (in the epoch), step, lr, the four losses, time (s)
//   samples/*.png       input | output | target of the current batch, every --sample-freq steps
//   latest.safetensors  every --save-latest-freq steps, at each epoch end, and when --max-iters stops
//   epoch_<N>.safetensors  after epoch N (counted from 1) when N is a multiple of --save-epoch-freq
// Checkpoint metadata (besides the model's, see models/pix2pix.h): epoch (the epoch in progress,
// from 0), epoch_iter (its batches done), options (this table as JSON). --resume reloads latest and
// continues at the same epoch and batch with the same step count, so the data order, the dropout
// masks and Adam's step all continue as in an uninterrupted run.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "data/loader.h"
#include "runtime/check.h"
#include "tools/commands.h"

namespace p2p {
namespace {
namespace fs = std::filesystem;

std::string duration_text(double s) {
  char buf[32];
  long t = static_cast<long>(s + 0.5);
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, t / 60 % 60);
  else if (t >= 60)
    std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%lds", t);
  return buf;
}

Metadata options_metadata(const TrainOptions& o) {
  Metadata m;
  for (const auto& [k, v] : option_values(o)) m[k] = v;
  return m;
}

// On --resume the run must be the one the checkpoint started: every option that shapes the model,
// the data or the schedule must agree. Those that only control output and speed may change.
void check_resume_options(const TrainOptions& o, const Metadata& saved, const std::string& path) {
  static const char* free_to_change[] = {
      "dataroot", "name",       "checkpoints-dir", "max-iters",       "device",
      "threads",  "print-freq", "sample-freq",     "save-epoch-freq", "save-latest-freq",
      "resume",   "cache-mb",   "skip-bad-files"};
  for (const auto& [k, v] : option_values(o)) {
    if (std::find(std::begin(free_to_change), std::end(free_to_change), k) != std::end(free_to_change)) continue;
    auto it = saved.find(k);
    P2P_CHECK(it != saved.end(), "--resume: checkpoint " << path << " does not record option --" << k);
    P2P_CHECK(it->second == v, "--resume: checkpoint " << path << " was trained with --" << k << " " << it->second
                                                       << ", this run has --" << k << " " << v
                                                       << " (resume with the options of the original run)");
  }
}

// Keeps the header and the rows of steps <= last_step: a resumed run rewrites what came after.
void truncate_loss_log(const fs::path& path, int64_t last_step) {
  std::ifstream in(path);
  if (!in) return;
  std::string line, kept;
  for (bool header = true; std::getline(in, line); header = false) {
    if (!header) {
      std::istringstream row(line);
      std::string epoch, iter, step;
      std::getline(row, epoch, ',');
      std::getline(row, iter, ',');
      std::getline(row, step, ',');
      if (step.empty() || std::stoll(step) > last_step) continue;
    }
    kept += line + "\n";
  }
  in.close();
  std::ofstream(path, std::ios::trunc) << kept;
}

int64_t meta_int(const Metadata& m, const char* key, const std::string& path) {
  auto it = m.find(key);
  P2P_CHECK(it != m.end(), "checkpoint " << path << ": metadata '" << key << "' is missing");
  try {
    return std::stoll(it->second);
  } catch (const std::exception&) {
    P2P_FAIL("checkpoint " << path << ": metadata '" << key << "' is not an integer");
  }
}

}  // namespace

void run_train(TrainOptions o, Console& con) {
  validate(o);
  const Device dev = resolve_device(o.device);
  o.device = device_name(dev);

  // The data, and the image size the U-Net will see, before anything is trained or written.
  AlignedDataset ds(dataset_options(o));
  check_dataset(ds, o.skip_bad_files, o.threads, con);
  AlignedDataset::Sample first = ds.get(0, 0);
  check_unet_size(first.A.h(), first.A.w(), o.num_downs, "--preprocess " + o.preprocess + " on " + first.path);

  const fs::path dir = fs::path(o.checkpoints_dir) / o.name;
  const fs::path latest = dir / "latest.safetensors";
  Pix2Pix model(model_options(o), dev);
  int64_t epoch = 0, epoch_iter = 0;
  if (o.resume) {
    P2P_CHECK(fs::exists(latest), "--resume: no checkpoint " << latest.string() << " (nothing to resume)");
    SafetensorsFile f(latest.string());
    check_resume_options(o, parse_json_object(f.meta("options"), "checkpoint " + latest.string() + ": options"),
                         latest.string());
    Metadata meta = model.load(latest.string());
    epoch = meta_int(meta, "epoch", latest.string());
    epoch_iter = meta_int(meta, "epoch_iter", latest.string());
  }
  fs::create_directories(dir / "samples");
  const std::string table = options_table(o);
  con.out << table;
  std::ofstream(dir / "opt.txt") << table;
  con.out << "device: " << device_name(dev) << (dev == Device::CUDA ? " (" + cuda_device_info() + ")" : "")
          << "\ngenerator: U-Net, " << model.g_store().num_params() << " parameters; discriminator: PatchGAN, "
          << model.d_store().num_params() << " parameters\ndataset: " << ds.size() << " pairs in " << ds.folder()
          << ", images " << first.A.w() << "x" << first.A.h() << "\n";
  if (o.resume)
    con.out << "resuming from " << latest.string() << " at epoch " << epoch + 1 << ", iteration " << epoch_iter
            << ", step " << model.step() << "\n";

  // On CUDA the batches are staged in pinned memory: train_step's copy to the GPU is then asynchronous.
  Loader loader(ds, o.batch_size, /*shuffle=*/true, o.threads, std::max(2, 2 * o.threads), dev == Device::CUDA);
  const int64_t bpe = static_cast<int64_t>(loader.batches_per_epoch());
  const int64_t total_epochs = o.epochs + o.epochs_decay;
  int64_t total_steps = total_epochs * bpe;
  if (o.max_iters > 0) total_steps = std::min(total_steps, o.max_iters);
  if (model.step() >= total_steps) {
    con.out << "nothing to do: step " << model.step() << " already reaches " << total_steps << "\n";
    return;
  }

  const fs::path log_path = dir / "loss_log.csv";
  if (o.resume && fs::exists(log_path)) {
    truncate_loss_log(log_path, model.step());
  } else {
    std::ofstream(log_path, std::ios::trunc) << "epoch,iter,step,lr,G_GAN,G_L1,D_real,D_fake,time\n";
  }
  std::ofstream log(log_path, std::ios::app);
  P2P_CHECK(log, "cannot write " << log_path.string());

  const Metadata opts_meta = options_metadata(o);
  auto save = [&](const fs::path& path, int64_t ep, int64_t iter) {
    Metadata m{
        {"epoch", std::to_string(ep)}, {"epoch_iter", std::to_string(iter)}, {"options", json_object(opts_meta)}};
    model.save(path.string(), m);
  };

  const auto t0 = std::chrono::steady_clock::now();
  const int64_t step0 = model.step();
  bool stop = false;
  for (; epoch < total_epochs && !stop; ++epoch, epoch_iter = 0) {
    const float lr = model.learning_rate(static_cast<int>(epoch));
    model.set_learning_rate(lr);
    loader.start_epoch(static_cast<uint64_t>(epoch), static_cast<size_t>(epoch_iter));
    Batch batch;
    while (loader.next(batch)) {
      StepLosses l = model.train_step(batch.A, batch.B);
      ++epoch_iter;
      const int64_t step = model.step();
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      char row[256];
      std::snprintf(row, sizeof row, "%lld,%lld,%lld,%.7g,%.6f,%.6f,%.6f,%.6f,%.3f\n",
                    static_cast<long long>(epoch + 1), static_cast<long long>(epoch_iter), static_cast<long long>(step),
                    lr, l.g_gan, l.g_l1, l.d_real, l.d_fake, secs);
      log << row;
      stop = o.max_iters > 0 && step >= o.max_iters;
      if (step % std::max(1, o.print_freq) == 0 || stop || step == total_steps) {
        const double rate = (step - step0) / std::max(secs, 1e-9);
        char line[320];
        std::snprintf(line, sizeof line,
                      "epoch %lld/%lld iter %lld/%lld step %lld | %.2f it/s ETA %s | G_GAN %.3f G_L1 %.3f D_real %.3f "
                      "D_fake %.3f",
                      static_cast<long long>(epoch + 1), static_cast<long long>(total_epochs),
                      static_cast<long long>(epoch_iter), static_cast<long long>(bpe), static_cast<long long>(step),
                      rate, duration_text((total_steps - step) / std::max(rate, 1e-9)).c_str(), l.g_gan, l.g_l1,
                      l.d_real, l.d_fake);
        con.out << (con.tty ? "\r\033[K" : "") << line << (con.tty ? "" : "\n") << std::flush;
      }
      if (o.sample_freq > 0 && step % o.sample_freq == 0) {
        char name[64];
        std::snprintf(name, sizeof name, "epoch%03lld_step%07lld.png", static_cast<long long>(epoch + 1),
                      static_cast<long long>(step));
        save_png((dir / "samples" / name).string(),
                 side_by_side({tensor_to_image(model.real_A()), tensor_to_image(model.fake_B()),
                               tensor_to_image(model.real_B())}));
      }
      if (o.save_latest_freq > 0 && step % o.save_latest_freq == 0) save(latest, epoch, epoch_iter);
      if (stop) break;
    }
    if (con.tty) con.out << "\n";
    if (epoch_iter == bpe) {
      save(latest, epoch + 1, 0);
      con.out << "end of epoch " << epoch + 1 << "/" << total_epochs << " (lr " << lr << "), saved " << latest.string();
      if (o.save_epoch_freq > 0 && (epoch + 1) % o.save_epoch_freq == 0) {
        fs::path p = dir / ("epoch_" + std::to_string(epoch + 1) + ".safetensors");
        save(p, epoch + 1, 0);
        con.out << " and " << p.string();
      }
      con.out << "\n";
    } else if (stop) {
      save(latest, epoch, epoch_iter);
      con.out << "stopped at --max-iters " << o.max_iters << ", saved " << latest.string() << "\n";
    }
  }
  con.out << "done: " << model.step() << " steps; checkpoints and logs in " << dir.string() << "\n";
}

}  // namespace p2p
