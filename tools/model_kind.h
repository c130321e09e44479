// The models the tool trains, tests and benchmarks (`--model NAME`), behind one interface, so that
// the trainer, the test and the bench are written once. Adding a model is one file: a ModelKind
// subclass (its options table bound to the command line, its networks built from it) and a
// TrainModel adapter (its step, its losses by name, its images by name), registered with
// P2P_REGISTER_MODEL (tools/pix2pix_model.cpp and tools/cycle_gan_model.cpp are the examples).
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "data/image.h"
#include "models/option_table.h"
#include "nn/params.h"
#include "runtime/device.h"
#include "runtime/safetensors.h"
#include "runtime/tensor.h"

namespace p2p {

struct TrainOptions;    // tools/options.h
struct DatasetOptions;  // data/aligned_dataset.h

using NamedImages = std::vector<std::pair<std::string, Tensor>>;  // named [N, 3, H, W] images

// What the training report (tools/training_report.h) shows of fixed inputs: named images [N, 3, H, W]
// in [-1, 1], and for a model with a PatchGAN named maps [N, 1, h, w] of D's belief that each patch
// is real, in [0, 1] (patch_belief in tools/report_page.h, after --gan-mode, which the page names).
struct ReportView {
  NamedImages images, maps;
  std::string gan_mode;
};

// A model as the trainer, the test and the bench see it.
class TrainModel {
 public:
  virtual ~TrainModel() = default;
  // The names of the losses train_step returns, in its order (loss_log.csv's columns).
  virtual std::vector<std::string> loss_names() const = 0;
  // One optimisation step on a batch; returns the losses (as logged).
  virtual std::vector<float> train_step(const Tensor& A, const Tensor& B) = 0;
  // Training health (models/health.h): the names of health()'s values, in order (loss_log.csv's
  // health.<name> columns); watch_health(true) makes the following steps keep what only the step sees
  // (D's verdicts); health() computes the values after a watched step. Watching changes no result.
  virtual std::vector<std::string> health_names() const = 0;
  virtual void watch_health(bool on) = 0;
  virtual std::vector<float> health() = 0;
  // The last step's images, named (the samples show them left to right).
  virtual NamedImages visuals() const = 0;
  // Test-time outputs for an input pair: named images, the input first.
  virtual NamedImages test(const Tensor& A, const Tensor& B, bool eval) = 0;
  virtual void set_learning_rate(float lr) = 0;
  // CUDA graphs for the steps on CUDA (--no-graph turns them off; the results are the same bits).
  // Returns false for a model whose steps always run kernel by kernel: only pix2pix graphs its step.
  // The others' steps decide on the host between kernels, which a graph would freeze: dcgan and vae
  // draw their noise on the host (fill_normal, copied up each step), cycle_gan's image pool picks
  // its images on the host, and their Adam takes t as a host value.
  virtual bool set_graph(bool) { return false; }
  virtual int64_t step() const = 0;
  virtual std::string describe() const = 0;  // the networks and their parameter counts, one line
  virtual void save(const std::string& path, const Metadata& extra) = 0;
  // with_optimizer false: the parameters only (test).
  virtual Metadata load(const std::string& path, bool with_optimizer) = 0;

  // The report's pictures of the fixed inputs A, B (B undefined for single images). Leaves the
  // training state as it was: running statistics are restored (KeepBuffers), no training stream is
  // drawn. By default test(A, B, false).
  virtual ReportView report_view(const Tensor& A, const Tensor& B) { return {test(A, B, false), {}, ""}; }

  // The picture written every --sample-freq steps: visuals() side by side, or for a generative
  // model (dcgan, vae) the grid of sample(64, kGridSeed), the same latent points every time.
  virtual Image sample_picture();
  // Generative models only (the others fail, naming the command): `count` images from the latent
  // points of `seed`; `steps` images along the path between the points of seeds a and b; the
  // reconstructions of images x (the VAE). All [N, 3, H, W] in [-1, 1] on the CPU.
  virtual bool generative() const { return false; }
  virtual Tensor sample(int count, uint64_t seed);
  virtual Tensor interpolate(uint64_t seed_a, uint64_t seed_b, int steps);
  virtual Tensor reconstruct(const Tensor& x);
  static constexpr uint64_t kGridSeed = 0x67726964;  // "grid": the training's sample grid
};

// The forwarding every adapter of a model class M (Pix2Pix, CycleGAN) shares.
template <class M>
class ModelAdapter : public TrainModel {
 public:
  using Model = M;
  template <class O>
  ModelAdapter(const O& o, Device dev) : m_(o, dev) {}
  void set_learning_rate(float lr) override { m_.set_learning_rate(lr); }
  int64_t step() const override { return m_.step(); }
  void save(const std::string& path, const Metadata& extra) override { m_.save(path, extra); }
  Metadata load(const std::string& path, bool with_optimizer) override { return m_.load(path, with_optimizer); }
  std::vector<std::string> health_names() const override { return m_.health().names(); }
  void watch_health(bool on) override { m_.health().watch(on); }
  std::vector<float> health() override { return m_.health().gather(m_.step()); }

 protected:
  // "<g>: <n> parameters; <d>: <n> parameters" for the generator and discriminator stores.
  std::string count(const std::string& g, const std::string& d) const {
    M& m = const_cast<M&>(m_);  // the stores' counts are const in all but the accessor's name
    return g + ", " + std::to_string(m.g_store().num_params()) + " parameters; " + d + ", " +
           std::to_string(m.d_store().num_params()) + " parameters";
  }
  M m_;
};

// Restores the stores' running statistics (batch norm) at the end of its scope: a forward in training
// mode updates them, and the report's forwards must leave a run exactly as it would be without them.
class KeepBuffers {
 public:
  explicit KeepBuffers(std::vector<ParamStore*> stores) : stores_(std::move(stores)) {
    for (ParamStore* s : stores_) saved_.push_back(s->num_buffer_values() > 0 ? s->buffers().clone() : Tensor());
  }
  ~KeepBuffers() {
    for (size_t i = 0; i < stores_.size(); ++i)
      if (stores_[i]->num_buffer_values() > 0) stores_[i]->buffers().copy_from(saved_[i]);
  }
  KeepBuffers(const KeepBuffers&) = delete;
  KeepBuffers& operator=(const KeepBuffers&) = delete;

 private:
  std::vector<ParamStore*> stores_;
  std::vector<Tensor> saved_;
};

// One model's entry: its options (bound to the command line) and how to build it.
class ModelKind {
 public:
  virtual ~ModelKind() = default;
  virtual std::string name() const = 0;    // the --model value
  virtual std::string format() const = 0;  // its checkpoints' "format"
  virtual bool unpaired() const = 0;       // its data is unaligned (dataset/unaligned_dataset.h)
  // > 0: it trains on single images of this side from an image folder (data/image_folder.h).
  virtual int image_size() const { return 0; }
  virtual float lr() const = 0;  // the base learning rate of the schedule
  // The train options whose default differs for this model (its reference's), set before the command
  // line is bound, so --help, opt.txt and the README show them as this model's defaults.
  virtual void train_defaults(TrainOptions&) const {}
  // Asks the data for the channels the networks take: A and B loaded grey where --input-nc /
  // --output-nc is 1 (the image models read RGB).
  virtual void data_channels(DatasetOptions&) const {}
  // The options table's parts (see TableModelKind below).
  virtual void bind(CLI::App* c) = 0;
  virtual void validate() = 0;
  virtual std::vector<std::pair<std::string, std::string>> values() const = 0;
  virtual std::vector<std::pair<std::string, std::string>> defaults() const = 0;
  virtual Metadata metadata() const = 0;  // the options as the checkpoint's "model"
  virtual void set_metadata(const Metadata& model, const std::string& what) = 0;
  // Refuses a checkpoint's "options" that differ in a model or run option.
  virtual void check_resume(const Metadata& saved, const std::string& what) const = 0;
  virtual std::string markdown_rows() const = 0;
  // The image size the networks take; errors name `source`.
  virtual void check_size(int h, int w, const std::string& source) const = 0;
  virtual std::unique_ptr<TrainModel> create(uint64_t seed, Device dev) const = 0;
};

// The train defaults of the models of single images (dcgan, vae): pytorch/examples dcgan/main.py's
// --batchSize 64 and --niter 25 epochs at a constant learning rate (the VAE, which has no reference
// code, trains alike).
void image_model_train_defaults(TrainOptions& o);

// validate(o) as declared beside O (found by argument-dependent lookup: a ModelKind's own validate()
// would hide it).
template <class O>
void validate_options(O& o) {
  validate(o);
}

// The table-driven parts of a ModelKind: options type O, adapter A (a ModelAdapter of the model).
template <class O, class A>
class TableModelKind : public ModelKind {
 public:
  TableModelKind(const OptionTable<O>& table, std::string name, bool unpaired)
      : table_(table), name_(std::move(name)), unpaired_(unpaired) {}
  std::string name() const override { return name_; }
  std::string format() const override { return A::Model::kFormat; }
  bool unpaired() const override { return unpaired_; }
  void bind(CLI::App* c) override;  // tools/bind_options.h
  std::vector<std::pair<std::string, std::string>> values() const override { return table_.values(opt_); }
  std::vector<std::pair<std::string, std::string>> defaults() const override { return table_.values(O{}); }
  Metadata metadata() const override { return table_.to_metadata(opt_); }
  void set_metadata(const Metadata& m, const std::string& what) override { opt_ = table_.from_metadata(m, what); }
  void check_resume(const Metadata& saved, const std::string& what) const override {
    table_.check_same(opt_, saved, OptionRole::run, what, "this run has",
                      " (resume with the options of the original run)");
  }
  std::string markdown_rows() const override { return table_.markdown_rows(); }
  // validate(O), declared beside O: the table's limits and the checks of O's sub-options.
  void validate() override { validate_options(opt_); }
  float lr() const override { return opt_.adam.lr; }
  std::unique_ptr<TrainModel> create(uint64_t seed, Device dev) const override {
    O o = opt_;
    o.seed = seed;
    return std::make_unique<A>(o, dev);
  }

 protected:
  const OptionTable<O>& table_;
  const std::string name_;
  const bool unpaired_;
  O opt_{};
};

// A and B grey where the channel count is 1 (data_channels of the models with --input-nc, --output-nc).
void grey_channels(DatasetOptions& d, int input_nc, int output_nc);

// The model a checkpoint holds: its "format" picks the kind, its "model" options build the networks,
// then its tensors are read (the Adam moments too when with_optimizer); meta is the file's metadata.
// Errors name the file.
struct CheckpointModel {
  std::unique_ptr<ModelKind> kind;
  std::unique_ptr<TrainModel> model;
  Metadata meta;
};
CheckpointModel load_checkpoint_model(const std::string& path, Device dev, bool with_optimizer);

// The kind of a model of single images from a folder (dcgan, vae): options O with image_size, which
// the folder resizes to, so any image fits.
template <class O, class A>
class ImageModelKind : public TableModelKind<O, A> {
 public:
  using TableModelKind<O, A>::TableModelKind;
  int image_size() const override { return this->opt_.image_size(); }
  void check_size(int, int, const std::string&) const override {}
  void train_defaults(TrainOptions& o) const override { image_model_train_defaults(o); }
};

// The registry: P2P_REGISTER_MODEL(Kind) in a model's file adds it (tools/ is an object library, so
// the registration is linked in).
std::vector<std::string> model_names();
// A fresh entry for `name`; unknown names are an error listing the known ones.
std::unique_ptr<ModelKind> make_model_kind(const std::string& name);
// Registers under make()->name().
bool register_model(std::function<std::unique_ptr<ModelKind>()> make);
#define P2P_REGISTER_MODEL(KIND) \
  static const bool p2p_registered_##KIND = ::p2p::register_model([] { return std::make_unique<KIND>(); })

}  // namespace p2p
