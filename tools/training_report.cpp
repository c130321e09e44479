#include "tools/training_report.h"

#include <algorithm>
#include <cstdio>

#include "data/image.h"
#include "tools/model_kind.h"
#include "tools/report_page.h"

namespace p2p {
namespace fs = std::filesystem;

namespace {
// The step of a picture's file name, or -1 when it is none of ours.
int64_t picture_step(const std::string& file) {
  long long step = -1;
  char tail[8] = {};
  if (std::sscanf(file.c_str(), "step_%lld.%4s", &step, tail) != 2 || std::string(tail) != "png") return -1;
  return step;
}
}  // namespace

std::string TrainingReport::picture_name(int64_t step) {
  char name[48];
  std::snprintf(name, sizeof name, "step_%07lld.png", static_cast<long long>(step));
  return name;
}

TrainingReport::TrainingReport(fs::path dir, std::string name, std::string model, Tensor A, Tensor B, int64_t kept_step)
    : dir_(std::move(dir)), name_(std::move(name)), model_(std::move(model)), A_(std::move(A)), B_(std::move(B)) {
  fs::create_directories(dir_ / "report");
  for (const fs::directory_entry& e : fs::directory_iterator(dir_ / "report"))
    if (picture_step(e.path().filename().string()) > kept_step) fs::remove(e.path());
}

void TrainingReport::write(TrainModel& model, int64_t step, int64_t total_steps) {
  if (step != last_picture_) {
    const ReportView v = model.report_view(A_, B_);
    std::vector<Tensor> images, maps;
    labels_.clear();
    for (const auto& [n, t] : v.images) {
      labels_.push_back(n);
      images.push_back(t);
    }
    for (const auto& [n, t] : v.maps) {
      labels_.push_back(n);
      maps.push_back(t);
    }
    has_maps_ = !maps.empty();
    gan_mode_ = v.gan_mode;
    const fs::path png = dir_ / "report" / picture_name(step);
    const fs::path tmp = dir_ / "report" / ("tmp_" + picture_name(step));
    save_png(tmp.string(), report_picture(images, maps));
    fs::rename(tmp, png);
    last_picture_ = step;
  }
  ReportPage page;
  page.name = name_;
  page.model = model_;
  page.step = step;
  page.total_steps = total_steps;
  page.log = read_loss_log((dir_ / "loss_log.csv").string());
  for (const fs::directory_entry& e : fs::directory_iterator(dir_ / "report")) {
    const int64_t s = picture_step(e.path().filename().string());
    if (s >= 0) page.shots.push_back({s, "report/" + e.path().filename().string()});
  }
  std::sort(page.shots.begin(), page.shots.end(),
            [](const ReportShot& a, const ReportShot& b) { return a.step < b.step; });
  page.labels = labels_;
  page.has_maps = has_maps_;
  page.gan_mode = gan_mode_;
  write_file_atomic((dir_ / "report.html").string(), report_html(page));
}

}  // namespace p2p
