// The command line (CLI11): `gan train | test | sample | synth | bench | options`. train and bench bind
// the shared options (tools/options.h, tools/commands.h) and those of the --model (tools/model_kind.h).
// Value errors CLI11 can see (unknown option, --norm foo, --direction XY, --device tpu, a non-number)
// are its own messages; everything else is a p2p::Error from the command, printed as "error: ...".
// Either way the exit code is non-zero.
#include <CLI/CLI.hpp>
#include <exception>
#include <ostream>

#include "runtime/check.h"
#include "tools/bind_options.h"
#include "tools/commands.h"
#include "tools/model_kind.h"

namespace p2p {
namespace {

void add_train(CLI::App& app, TrainOptions& o, ModelKind& kind) {
  CLI::App* c = app.add_subcommand(
      "train", "train --model " + kind.name() + " (its options below; `--model NAME --help` shows another model's)");
  bind_options(c, train_option_table(), o);
  c->get_option("--dataroot")->required();
  kind.bind(c);
}

void add_test(CLI::App& app, TestOptions& o) {
  CLI::App* c =
      app.add_subcommand("test", "run a trained model over a split; L1, PSNR and SSIM where it has ground truth");
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
  c->add_option("--model", o.model, "the checkpoint's model (default: whichever it is; another is an error)")
      ->check(CLI::IsMember(model_names()));
  c->add_option("--dataset-mode", o.dataset_mode, "as train's (default auto)")
      ->check(CLI::IsMember({"auto", "aligned", "unaligned", "split"}));
}

void add_synth(CLI::App& app, SynthOptions& o) {
  CLI::App* c = app.add_subcommand("synth", "write a synthetic AB dataset (labels | photo pairs)");
  c->add_option("--out", o.out, "output folder (train/ and test/ inside)")->required();
  c->add_option("--count", o.count, "training pairs")->check(CLI::PositiveNumber);
  c->add_option("--test-count", o.test_count, "test pairs")->check(CLI::NonNegativeNumber);
  c->add_option("--size", o.size, "size of each half in pixels")->check(CLI::Range(16, 4096));
  c->add_option("--seed", o.seed, "seed of the layouts");
}

void add_sample(CLI::App& app, SampleOptions& o) {
  CLI::App* c = app.add_subcommand("sample", "draw images from a dcgan or vae checkpoint (the model is read from it)");
  c->add_option("--checkpoint", o.checkpoint, "a .safetensors file of train --model dcgan or vae")->required();
  c->add_option("--out", o.out, "output folder")->required();
  c->add_option("--count", o.count, "images to draw: sample_NNN.png each and samples.png, their grid (0 = none)")
      ->check(CLI::NonNegativeNumber);
  c->add_option("--seed", o.seed, "seed of the latent points drawn");
  c->add_option("--interpolate", o.interpolate,
                "SEED1,SEED2: interpolate_SEED1_SEED2.png, --steps images between the two seeds' latent points "
                "(spherical for dcgan noise, linear for the vae)");
  c->add_option("--steps", o.steps, "images in the interpolation, both ends included")->check(CLI::Range(2, 1024));
  c->add_option(
      "--recon-dataroot", o.recon_dataroot,
      "vae: a folder of held-out images; reconstruction.png shows up to 8 of them over their reconstructions");
  c->add_option("--half", o.half, "of --recon-dataroot's files, as train's --half")
      ->check(CLI::IsMember({"none", "left", "right"}));
  c->add_option("--device", o.device, "cuda or cpu (default: cuda when a GPU is present)")
      ->check(CLI::IsMember({"cpu", "cuda"}));
}

void add_bench(CLI::App& app, BenchOptions& o, ModelKind& kind) {
  CLI::App* c = app.add_subcommand("bench", "time the whole training step of --model " + kind.name() +
                                                " on synthetic data, with and without loading");
  c->add_option("--model", o.model, "the model (its options below)")->check(CLI::IsMember(model_names()));
  c->add_option("--batch-sizes", o.batch_sizes, "comma-separated batch sizes (two table rows each)");
  c->add_option("--size", o.size, "image size (as the model's networks allow)");
  c->add_option("--device", o.device, "cuda or cpu (default: cuda when a GPU is present)")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  c->add_option("--precision", o.precision,
                "the CUDA convolutions' arithmetic, as train's --precision: tf32 (tensor cores) or fp32; the CPU is "
                "always exact")
      ->check(CLI::IsMember({"fp32", "tf32"}));
  c->add_option("--warmup", o.warmup, "untimed steps before each timed pass");
  c->add_option("--iters", o.iters, "timed steps per batch size and mode");
  c->add_option("--seed", o.seed, "seed of the initialisation, the synthetic data and the data order");
  c->add_option("--threads", o.threads, "data loading threads (data included)");
  c->add_option("--json", o.json, "also write the results to this JSON file");
  kind.bind(c);
}

void add_options(CLI::App& app, bool& markdown) {
  CLI::App* c = app.add_subcommand("options", "list the options of train and of --model with their defaults");
  c->add_flag("--markdown", markdown, "every model's, as the README's Markdown tables");
}

// The --model value on the command line (its last, as CLI11 takes), or the default: it picks which
// model's options train and bench have, so it is read before they are bound.
std::string model_arg(int argc, const char* const* argv) {
  std::string model = TrainOptions{}.model;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--model" && i + 1 < argc) model = argv[i + 1];
    if (a.rfind("--model=", 0) == 0) model = a.substr(8);
  }
  return model;
}

}  // namespace

std::string options_markdown() {
  std::string out = "| option | default | meaning |\n|---|---|---|\n" + train_option_table().markdown_rows();
  for (const std::string& name : model_names()) {
    std::unique_ptr<ModelKind> kind = make_model_kind(name);
    out += "\n`--model " + name + "`:\n\n| option | default | meaning |\n|---|---|---|\n" + kind->markdown_rows();
    TrainOptions own;
    kind->train_defaults(own);
    std::string differ;
    const auto shared = train_option_table().values(TrainOptions{}), its = train_option_table().values(own);
    for (size_t i = 0; i < its.size(); ++i)
      if (its[i].second != shared[i].second)
        differ += (differ.empty() ? "" : ", ") + ("`--" + its[i].first + " " + its[i].second + "`");
    if (!differ.empty()) out += "\nTrain defaults of this model: " + differ + ".\n";
  }
  return out;
}

int run_cli(int argc, const char* const* argv, Console& con) {
  CLI::App app{
      "Generative models from scratch in C++/CUDA, one tool for all: --model pix2pix (Isola et al. 2017, "
      "aligned pairs), cycle_gan (Zhu et al. 2017, unpaired domains), dcgan (Radford et al. 2016) or vae "
      "(Kingma and Welling 2014) (single images). `train --model NAME --help` lists a model's options."};
  // A repeated option takes its last value (so a script's defaults can be overridden by appending).
  app.option_defaults()->always_capture_default()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.require_subcommand(1);
  std::unique_ptr<ModelKind> kind;
  try {
    kind = make_model_kind(model_arg(argc, argv));
  } catch (const std::exception& e) {
    con.err << "error: " << e.what() << "\n";
    return 1;
  }
  TrainOptions train;
  kind->train_defaults(train);
  TestOptions test;
  SynthOptions synth;
  BenchOptions bench;
  SampleOptions sample;
  bool markdown = false;
  add_train(app, train, *kind);
  add_test(app, test);
  add_synth(app, synth);
  add_bench(app, bench, *kind);
  add_sample(app, sample);
  add_options(app, markdown);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e, con.out, con.err);
  }
  try {
    if (app.got_subcommand("train")) {
      run_train(train, *kind, con);
    } else if (app.got_subcommand("test")) {
      run_test(test, con);
    } else if (app.got_subcommand("sample")) {
      run_sample(sample, con);
    } else if (app.got_subcommand("bench")) {
      run_bench(bench, *kind, con);
    } else if (app.got_subcommand("options")) {
      auto values = train_option_table().values(train);
      for (const auto& v : kind->values()) values.push_back(v);
      con.out << (markdown ? options_markdown() : options_text(values, values));
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
