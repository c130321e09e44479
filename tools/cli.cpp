// The command line (CLI11): `pix2pix train | test | synth | bench` with the options of tools/options.h
// (bench's in tools/commands.h).
// Value errors CLI11 can see (unknown option, --norm foo, --direction XY, --device tpu, a non-number)
// are its own messages; everything else is a p2p::Error from the command, printed as "error: ...".
// Either way the exit code is non-zero.
#include <CLI/CLI.hpp>
#include <exception>
#include <ostream>

#include "runtime/check.h"
#include "tools/commands.h"

namespace p2p {
namespace {

void add_train(CLI::App& app, TrainOptions& o) {
  CLI::App* c = app.add_subcommand("train", "train a pix2pix model on aligned AB pairs");
  c->add_option("--dataroot", o.dataroot, "folder of AB images (its train/ subfolder, or itself)")->required();
  c->add_option("--name", o.name, "experiment name: checkpoints go to <checkpoints-dir>/<name>");
  c->add_option("--checkpoints-dir", o.checkpoints_dir, "where experiments are saved");
  c->add_option("--direction", o.direction, "AtoB or BtoA (facades: BtoA = labels -> photo)")
      ->check(CLI::IsMember({"AtoB", "BtoA"}));
  c->add_option("--epochs", o.epochs, "epochs at the initial learning rate")->check(CLI::NonNegativeNumber);
  c->add_option("--epochs-decay", o.epochs_decay, "epochs of linear decay to zero")->check(CLI::NonNegativeNumber);
  c->add_option("--max-iters", o.max_iters, "stop after this many steps in all (0 = no limit)")
      ->check(CLI::NonNegativeNumber);
  c->add_option("--batch-size", o.batch_size, "pairs per step")->check(CLI::PositiveNumber);
  c->add_option("--lr", o.lr, "Adam learning rate")->check(CLI::PositiveNumber);
  c->add_option("--beta1", o.beta1, "Adam beta1")->check(CLI::Range(0.0, 0.9999));
  c->add_option("--lambda-l1", o.lambda_l1, "weight of the L1 term")->check(CLI::NonNegativeNumber);
  c->add_option("--num-downs", o.num_downs, "U-Net levels (8 for 256x256, 7 for 128x128)")->check(CLI::Range(5, 12));
  c->add_option("--netG", o.netG, "unet_256 (8 levels) or unet_128 (7 levels)")
      ->check(CLI::IsMember({"unet_256", "unet_128"}));
  c->add_option("--ngf", o.ngf, "generator filters in the first layer")->check(CLI::PositiveNumber);
  c->add_option("--ndf", o.ndf, "discriminator filters in the first layer")->check(CLI::PositiveNumber);
  c->add_option("--n-layers-d", o.n_layers_d, "PatchGAN layers (3 = 70x70; 0 = PixelGAN)")->check(CLI::Range(0, 8));
  c->add_option("--norm", o.norm, "batch, instance or none")->check(CLI::IsMember({"batch", "instance", "none"}));
  c->add_flag("--dropout,!--no-dropout", o.dropout, "dropout in the generator (on by default)");
  c->add_option("--gan-mode", o.gan_mode, "vanilla (BCE) or lsgan (least squares)")
      ->check(CLI::IsMember({"vanilla", "lsgan"}));
  c->add_option("--preprocess", o.preprocess, "resize_and_crop, crop, scale_width, scale_width_and_crop or none")
      ->check(CLI::IsMember({"resize_and_crop", "crop", "scale_width", "scale_width_and_crop", "none"}));
  c->add_option("--load-size", o.load_size, "resize to this size")->check(CLI::PositiveNumber);
  c->add_option("--crop-size", o.crop_size, "then crop to this size")->check(CLI::PositiveNumber);
  c->add_flag("--no-flip", o.no_flip, "no random horizontal flips");
  c->add_option("--device", o.device, "cuda or cpu (default: cuda when a GPU is present)")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  c->add_option("--seed", o.seed, "seed of the initialisation, data order, augmentation and dropout");
  c->add_option("--threads", o.threads, "data loading threads")->check(CLI::Range(0, 256));
  c->add_option("--cache-mb", o.cache_mb, "MiB of decoded, resized pairs kept in memory (0 = off)")
      ->check(CLI::Range(0, 1 << 20));
  c->add_flag("--skip-bad-files", o.skip_bad_files,
              "leave out, with a warning each, files the start-up scan rejects (default: stop and list them)");
  c->add_option("--print-freq", o.print_freq, "steps between progress lines")->check(CLI::PositiveNumber);
  c->add_option("--sample-freq", o.sample_freq, "steps between sample images (0 = none)")
      ->check(CLI::NonNegativeNumber);
  c->add_option("--save-epoch-freq", o.save_epoch_freq, "epochs between epoch_<N> checkpoints (0 = none)")
      ->check(CLI::NonNegativeNumber);
  c->add_option("--save-latest-freq", o.save_latest_freq, "steps between latest checkpoints (0 = epoch ends only)")
      ->check(CLI::NonNegativeNumber);
  c->add_flag("--resume", o.resume, "continue from <checkpoints-dir>/<name>/latest.safetensors");
}

void add_test(CLI::App& app, TestOptions& o) {
  CLI::App* c = app.add_subcommand("test", "run a trained model over a split and measure L1, PSNR and SSIM");
  c->add_option("--dataroot", o.dataroot, "folder of AB images (its <phase>/ subfolder, or itself)")->required();
  c->add_option("--name", o.name, "experiment name");
  c->add_option("--checkpoints-dir", o.checkpoints_dir, "where experiments are saved");
  c->add_option("--epoch", o.epoch, "which checkpoint: latest or an epoch number");
  c->add_option("--phase", o.phase, "the split: a subfolder of dataroot");
  c->add_option("--results-dir", o.results_dir, "where results are written");
  c->add_flag("--eval", o.eval, "eval-mode norm and dropout (default: training mode, as the paper)");
  c->add_option("--num-test", o.num_test, "images to run (0 = all)")->check(CLI::NonNegativeNumber);
  c->add_flag("--skip-bad-files", o.skip_bad_files,
              "leave out, with a warning each, files the start-up scan rejects (default: stop and list them)");
  c->add_option("--direction", o.direction, "AtoB or BtoA (default: as trained)")
      ->check(CLI::IsMember({"AtoB", "BtoA"}));
  c->add_option("--device", o.device, "cuda or cpu (default: cuda when a GPU is present)")
      ->check(CLI::IsMember({"cpu", "cuda"}));
}

void add_synth(CLI::App& app, SynthOptions& o) {
  CLI::App* c = app.add_subcommand("synth", "write a synthetic AB dataset (labels | photo pairs)");
  c->add_option("--out", o.out, "output folder (train/ and test/ inside)")->required();
  c->add_option("--count", o.count, "training pairs")->check(CLI::PositiveNumber);
  c->add_option("--test-count", o.test_count, "test pairs")->check(CLI::NonNegativeNumber);
  c->add_option("--size", o.size, "size of each half in pixels")->check(CLI::Range(16, 4096));
  c->add_option("--seed", o.seed, "seed of the layouts");
}

void add_bench(CLI::App& app, BenchOptions& o) {
  CLI::App* c = app.add_subcommand("bench", "time the whole training step on synthetic data, with and without loading");
  c->add_option("--batch-sizes", o.batch_sizes, "comma-separated batch sizes (two table rows each)");
  c->add_option("--size", o.size, "image size (divisible by 2^num-downs)");
  c->add_option("--num-downs", o.num_downs, "U-Net levels (8 for 256x256, 7 for 128x128)")->check(CLI::Range(5, 12));
  c->add_option("--netG", o.netG, "unet_256 (8 levels) or unet_128 (7 levels)")
      ->check(CLI::IsMember({"unet_256", "unet_128"}));
  c->add_option("--ngf", o.ngf, "generator filters in the first layer")->check(CLI::PositiveNumber);
  c->add_option("--ndf", o.ndf, "discriminator filters in the first layer")->check(CLI::PositiveNumber);
  c->add_option("--n-layers-d", o.n_layers_d, "PatchGAN layers (3 = 70x70; 0 = PixelGAN)")->check(CLI::Range(0, 8));
  c->add_option("--norm", o.norm, "batch, instance or none")->check(CLI::IsMember({"batch", "instance", "none"}));
  c->add_option("--device", o.device, "cuda or cpu (default: cuda when a GPU is present)")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  c->add_option("--warmup", o.warmup, "untimed steps before each timed pass");
  c->add_option("--iters", o.iters, "timed steps per batch size and mode");
  c->add_option("--seed", o.seed, "seed of the initialisation, the synthetic data and the data order");
  c->add_option("--threads", o.threads, "data loading threads (data included)");
  c->add_option("--json", o.json, "also write the results to this JSON file");
}

// --netG and --num-downs given together must agree (validate() cannot tell a given default from none).
void check_netG(CLI::App* c, const std::string& netG, int num_downs) {
  if (!c->count("--netG") || !c->count("--num-downs")) return;
  int n = netG == "unet_256" ? 8 : 7;
  P2P_CHECK(num_downs == n,
            "--netG " << netG << " means --num-downs " << n << ", but --num-downs " << num_downs << " was given");
}

}  // namespace

int run_cli(int argc, const char* const* argv, Console& con) {
  CLI::App app{"pix2pix: image-to-image translation with conditional adversarial networks (Isola et al. 2017)"};
  // A repeated option takes its last value (so a script's defaults can be overridden by appending).
  app.option_defaults()->always_capture_default()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.require_subcommand(1);
  TrainOptions train;
  TestOptions test;
  SynthOptions synth;
  BenchOptions bench;
  add_train(app, train);
  add_test(app, test);
  add_synth(app, synth);
  add_bench(app, bench);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e, con.out, con.err);
  }
  try {
    if (app.got_subcommand("train")) {
      check_netG(app.get_subcommand("train"), train.netG, train.num_downs);
      run_train(train, con);
    } else if (app.got_subcommand("test")) {
      run_test(test, con);
    } else if (app.got_subcommand("bench")) {
      check_netG(app.get_subcommand("bench"), bench.netG, bench.num_downs);
      run_bench(bench, con);
    } else {
      run_synth(synth, con);
    }
  } catch (const std::exception& e) {
    con.out << std::flush;
    con.err << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace p2p
