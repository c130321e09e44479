// gan train: the training loop, one for every model (tools/model_kind.h).
//
// Per epoch e (from 0; --epochs + --epochs-decay in all): lr = linear_lr(--lr, e) set on the
// model (the one schedule, models/gan.h); the loader visits
// the training set in the order of (seed, e); every batch is one step. Outputs under
// <checkpoints-dir>/<name>/:
//   opt.txt             the options table printed at start
//   loss_log.csv        one row per step: epoch, iter (in the epoch), step, lr, every loss the model
//                       reports (its names as the header), the training-health numbers as
//                       health.<name> (models/health.h; filled on the steps that are multiples of
//                       --health-freq, empty on the others), time (s)
//   samples/*.png       the model's named images of the current batch side by side, every --sample-freq steps
//   report.html, report/step_<N>.png  the training report, every --report-freq steps and at the end
//                       (tools/training_report.h)
//   latest.safetensors  every --save-latest-freq steps, at each epoch end, and when --max-iters stops
//   epoch_<N>.safetensors  after epoch N (counted from 1) when N is a multiple of --save-epoch-freq
// Checkpoint metadata (besides the model's, see models/pix2pix.h): epoch (the epoch in progress,
// from 0), epoch_iter (its batches done), options (the train and model options as JSON, under
// their command-line names). --resume reloads latest and continues at the same epoch and batch
// with the same step count, so the data order, the dropout masks and Adam's step all continue as
// in an uninterrupted run. conv_configs holds the CUDA convolutions' launch configuration per
// layer (kernels/conv_config.h: chosen at each layer's first use, by timing unless --no-autotune, and
// logged then); --resume restores them, since another configuration rounds differently.
//
// SIGINT and SIGTERM (Ctrl-C, kill): the handler only sets a flag; the loop finishes the step in
// progress, saves latest, says so and returns normally, so `train --resume` continues exactly.
// A second signal while saving is ignored (the save is a temporary file and a rename anyway).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "data/loader.h"
#include "kernels/conv2d.h"
#include "kernels/conv_config.h"
#include "models/gan.h"
#include "runtime/check.h"
#include "tools/commands.h"
#include "tools/model_kind.h"
#include "tools/training_report.h"

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

std::atomic<int> g_signal{0};
extern "C" void on_stop_signal(int sig) { g_signal = sig; }

// Installs the handlers for the training loop and restores the previous ones at its end.
struct StopSignals {
  using Handler = void (*)(int);
  Handler old_int, old_term;
  StopSignals() {
    g_signal = 0;
    old_int = std::signal(SIGINT, on_stop_signal);
    old_term = std::signal(SIGTERM, on_stop_signal);
  }
  ~StopSignals() {
    std::signal(SIGINT, old_int);
    std::signal(SIGTERM, old_term);
  }
};

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

void run_train(TrainOptions o, ModelKind& kind, Console& con) {
  validate(o);
  kind.validate();
  const Device dev = resolve_device(o.device);
  o.device = device_name(dev);
  const ConvPrecisionScope precision(parse_conv_precision(o.precision));

  const fs::path dir = fs::path(o.checkpoints_dir) / o.name;
  const fs::path latest = dir / "latest.safetensors";
  TrainOptions model_defaults;
  kind.train_defaults(model_defaults);
  auto values = train_option_table().values(o), defaults = train_option_table().values(model_defaults);
  for (const auto& v : kind.values()) values.push_back(v);
  for (const auto& v : kind.defaults()) defaults.push_back(v);
  Metadata opts_meta;
  for (const auto& [k, v] : values) opts_meta[k] = v;
  // --resume continues the same run: the same model, and every option that shapes it the same,
  // checked before the data is read.
  if (o.resume) {
    P2P_CHECK(fs::exists(latest), "--resume: no checkpoint " << latest.string() << " (nothing to resume)");
    SafetensorsFile f(latest.string());
    const std::string what = "--resume: checkpoint " + latest.string();
    P2P_CHECK(f.meta("format") == kind.format(), what << " has format '" << f.meta("format") << "', not --model "
                                                      << o.model << "'s '" << kind.format()
                                                      << "' (resume with the --model it was trained with)");
    const Metadata saved = parse_json_object(f.meta("options"), what + ": options");
    train_option_table().check_same(o, saved, OptionRole::run, what, "this run has",
                                    " (resume with the options of the original run)");
    kind.check_resume(saved, what);
  }

  // The data, and the image size the networks will see, before anything is trained or written.
  ModelData data;
  if (kind.image_size() > 0)
    data.images = std::make_unique<ImageFolder>(image_folder_options(o, kind.image_size()));
  else
    data = open_model_data(dataset_options(o, kind), o.dataset_mode, kind.unpaired(), o.model, false);
  data.check(o.skip_bad_files, o.threads, con);
  const SampleSource::Prepared first = data.source().prepare(0, 0);
  kind.check_size(static_cast<int>(first.shape[2]), static_cast<int>(first.shape[3]),
                  "--preprocess " + o.preprocess + " on " + first.path);

  std::unique_ptr<TrainModel> model = kind.create(o.seed, dev);
  model->set_graph(!o.no_graph);
  int64_t epoch = 0, epoch_iter = 0;
  ConvTuneRun tuning(!o.no_autotune, con.out);
  if (o.resume) {
    Metadata meta = model->load(latest.string(), true);
    epoch = meta_int(meta, "epoch", latest.string());
    epoch_iter = meta_int(meta, "epoch_iter", latest.string());
    // Checkpoints from before the configurations were saved have none: their layers choose anew.
    if (auto it = meta.find("conv_configs"); it != meta.end())
      conv_tune_restore(it->second, "--resume: checkpoint " + latest.string());
  }
  fs::create_directories(dir / "samples");
  const std::string table = options_text(values, defaults);
  con.out << table;
  std::ofstream(dir / "opt.txt") << table;
  con.out << "device: " << device_name(dev) << (dev == Device::CUDA ? " (" + cuda_device_info() + ")" : "") << "\n"
          << kind.name() << ": " << model->describe() << "\ndataset: " << data.source().size() << " "
          << (data.aligned  ? "pairs"
              : data.images ? "images"
                            : "items")
          << " in " << data.folder() << ", images " << first.shape[3] << "x" << first.shape[2] << "\n";
  if (o.resume)
    con.out << "resuming from " << latest.string() << " at epoch " << epoch + 1 << ", iteration " << epoch_iter
            << ", step " << model->step() << "\n";

  // On CUDA the batches are staged in pinned memory: train_step's copy to the GPU is then asynchronous.
  Loader loader(data.source(), o.batch_size, /*shuffle=*/true, o.threads, std::max(2, 2 * o.threads),
                dev == Device::CUDA);
  const int64_t bpe = static_cast<int64_t>(loader.batches_per_epoch());
  const int64_t total_epochs = o.epochs + o.epochs_decay;
  int64_t total_steps = total_epochs * bpe;
  if (o.max_iters > 0) total_steps = std::min(total_steps, o.max_iters);
  if (model->step() >= total_steps) {
    con.out << "nothing to do: step " << model->step() << " already reaches " << total_steps << "\n";
    return;
  }

  const std::vector<std::string> loss_names = model->loss_names(), health_names = model->health_names();
  const fs::path log_path = dir / "loss_log.csv";
  if (o.resume && fs::exists(log_path)) {
    truncate_loss_log(log_path, model->step());
  } else {
    std::ofstream header(log_path, std::ios::trunc);
    header << "epoch,iter,step,lr";
    for (const std::string& n : loss_names) header << "," << n;
    for (const std::string& n : health_names) header << ",health." << n;
    header << ",time\n";
  }
  std::ofstream log(log_path, std::ios::app);
  P2P_CHECK(log, "cannot write " << log_path.string());

  // The report's fixed inputs: the first items of the training set in epoch 0's crops, whatever the
  // epoch of the run (or of its resume).
  std::unique_ptr<TrainingReport> report;
  if (o.report_freq > 0) {
    Loader fixed(data.source(), std::min<int>(o.report_images, static_cast<int>(data.source().size())), false, 0, 1);
    fixed.start_epoch(0);
    Batch b;
    fixed.next(b);
    report = std::make_unique<TrainingReport>(dir, o.name, kind.name(), b.A, b.B, model->step());
  }
  auto write_report = [&] {
    log.flush();
    if (report) report->write(*model, model->step(), total_steps);
  };

  auto save = [&](const fs::path& path, int64_t ep, int64_t iter) {
    Metadata m{{"epoch", std::to_string(ep)},
               {"epoch_iter", std::to_string(iter)},
               {"options", json_object(opts_meta)},
               {"conv_configs", conv_tune_save()}};
    model->save(path.string(), m);
  };

  StopSignals signals;
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t step0 = model->step();
  bool stop = false;
  for (; epoch < total_epochs && !stop; ++epoch, epoch_iter = 0) {
    const float lr = linear_lr(kind.lr(), o.epochs, o.epochs_decay, static_cast<int>(epoch));
    model->set_learning_rate(lr);
    loader.start_epoch(static_cast<uint64_t>(epoch), static_cast<size_t>(epoch_iter));
    Batch batch;
    while (loader.next(batch)) {
      // Health is read after the step, and only read: a watched step trains exactly as any other.
      const bool watch = o.health_freq > 0 && (model->step() + 1) % o.health_freq == 0;
      model->watch_health(watch);
      const std::vector<float> l = model->train_step(batch.A, batch.B);
      const std::vector<float> health = watch ? model->health() : std::vector<float>();
      ++epoch_iter;
      const int64_t step = model->step();
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      char num[32];
      std::string row = std::to_string(epoch + 1) + "," + std::to_string(epoch_iter) + "," + std::to_string(step);
      std::snprintf(num, sizeof num, ",%.7g", lr);
      row += num;
      std::string losses;
      for (size_t i = 0; i < l.size(); ++i) {
        std::snprintf(num, sizeof num, ",%.6f", l[i]);
        row += num;
        std::snprintf(num, sizeof num, " %s %.3f", loss_names[i].c_str(), l[i]);
        losses += num;
      }
      for (size_t i = 0; i < health_names.size(); ++i) {
        if (watch) std::snprintf(num, sizeof num, ",%.7g", health[i]);
        row += watch ? num : ",";
      }
      std::snprintf(num, sizeof num, ",%.3f\n", secs);
      log << row << num;
      stop = (o.max_iters > 0 && step >= o.max_iters) || g_signal != 0;
      if (step % std::max(1, o.print_freq) == 0 || stop || step == total_steps) {
        const double rate = (step - step0) / std::max(secs, 1e-9);
        char line[160];
        std::snprintf(line, sizeof line, "epoch %lld/%lld iter %lld/%lld step %lld | %.2f it/s ETA %s |",
                      static_cast<long long>(epoch + 1), static_cast<long long>(total_epochs),
                      static_cast<long long>(epoch_iter), static_cast<long long>(bpe), static_cast<long long>(step),
                      rate, duration_text((total_steps - step) / std::max(rate, 1e-9)).c_str());
        con.out << (con.tty ? "\r\033[K" : "") << line << losses << (con.tty ? "" : "\n") << std::flush;
      }
      if (o.sample_freq > 0 && step % o.sample_freq == 0) {
        char name[64];
        std::snprintf(name, sizeof name, "epoch%03lld_step%07lld.png", static_cast<long long>(epoch + 1),
                      static_cast<long long>(step));
        save_png((dir / "samples" / name).string(), model->sample_picture());
      }
      if (o.save_latest_freq > 0 && step % o.save_latest_freq == 0) save(latest, epoch, epoch_iter);
      if (o.report_freq > 0 && step % o.report_freq == 0) write_report();
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
      if (g_signal == 0) con.out << "stopped at --max-iters " << o.max_iters << ", saved " << latest.string() << "\n";
    }
    if (stop && g_signal != 0)
      con.out << "stopped by " << (g_signal == SIGINT ? "SIGINT" : "SIGTERM") << " after step " << model->step()
              << ", saved " << latest.string() << " (continue with --resume)\n";
  }
  write_report();
  con.out << "done: " << model->step() << " steps; checkpoints and logs in " << dir.string() << "\n";
  if (report) con.out << "report: " << (dir / "report.html").string() << "\n";
}

}  // namespace p2p
