// The training report's page (report.html) from its parts, as pure functions the tests drive:
// the loss log read back from its CSV, the D maps coloured as heat maps, the picture of one report
// step, the HTML itself and its atomic write. tools/training_report.h gathers the parts while training.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "data/image.h"
#include "runtime/tensor.h"
#include "tools/report_chart.h"

namespace p2p {

// loss_log.csv as columns of numbers: the header's names, and for each row a value per column (NaN
// where a cell is empty or not a number, so a column added later, e.g. by a newer trainer, reads).
// Errors name the file (missing, or without the step column).
struct LossLog {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> values;  // values[column][row]
  // The column's values, or empty when there is no such column.
  const std::vector<double>* column(const std::string& name) const;
};
LossLog read_loss_log(const std::string& path);

// The charts of a log: every numeric column but the bookkeeping ones (epoch, iter, step, time; lr is
// every chart's second axis), grouped by prefix: names without a '.' are "losses", others go to the
// group named by what precedes their last '.' (health.G.grad_norm: "health.G"), in order of first
// appearance.
struct ChartGroup {
  std::string name;
  std::vector<std::string> charts;  // SVG each
};
std::vector<ChartGroup> loss_charts(const LossLog& log);

// D's belief that a patch is real, in [0, 1], from its raw output: sigmoid(x) for --gan-mode vanilla
// (D's output is a logit), and x clamped to [0, 1] for lsgan (D regresses to 1 for real, 0 for fake).
// A host tensor of the same shape.
Tensor patch_belief(const Tensor& d_out, const std::string& gan_mode);
// The heat map colour of p in [0, 1] (a perceptually ordered ramp, dark violet to yellow: viridis at
// kStops stops, linear between them); out-of-range values are clamped.
std::array<uint8_t, 3> heat_colour(double p);
constexpr int kHeatStops = 5;
extern const std::array<std::array<uint8_t, 3>, kHeatStops> kHeatRamp;

// One report step's picture: a row per input item, its images (each [N, 3, H, W] in [-1, 1]) then its
// maps (each [N, 1, h, w] in [0, 1], coloured by heat_colour and enlarged to H x W by nearest
// neighbour), kGap white pixels apart.
constexpr int kGap = 4;
Image report_picture(const std::vector<Tensor>& images, const std::vector<Tensor>& maps);

struct ReportShot {
  int64_t step;
  std::string src;  // relative to the page
};
struct ReportPage {
  std::string name, model;
  int64_t step = 0, total_steps = 0;
  LossLog log;
  std::vector<ReportShot> shots;    // in step order; the last is shown first
  std::vector<std::string> labels;  // the picture's columns, left to right
  bool has_maps = false;            // the last labels are D maps: show the legend
  std::string gan_mode;             // for the maps' legend
};
// The page: self-contained HTML with inline SVG and CSS; a short inline script drives the step
// slider and sets data-ready="yes" on <body> (the browser check reads it).
std::string report_html(const ReportPage& page);

// Writes content to path through a temporary file in the same folder and a rename, so a reader
// never sees a half-written file. Errors name the file.
void write_file_atomic(const std::string& path, const std::string& content);

}  // namespace p2p
