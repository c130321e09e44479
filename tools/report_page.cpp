#include "tools/report_page.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "runtime/check.h"

namespace p2p {

const std::vector<double>* LossLog::column(const std::string& name) const {
  for (size_t c = 0; c < columns.size(); ++c)
    if (columns[c] == name) return &values[c];
  return nullptr;
}

LossLog read_loss_log(const std::string& path) {
  std::ifstream in(path);
  P2P_CHECK(in, "report: cannot read the loss log " << path);
  LossLog log;
  std::string line, cell;
  if (std::getline(in, line)) {
    std::istringstream header(line);
    while (std::getline(header, cell, ',')) log.columns.push_back(cell);
  }
  P2P_CHECK(std::find(log.columns.begin(), log.columns.end(), "step") != log.columns.end(),
            "report: the loss log " << path << " has no 'step' column in its header");
  log.values.resize(log.columns.size());
  while (std::getline(in, line)) {
    std::istringstream row(line);
    for (size_t c = 0; c < log.columns.size(); ++c) {
      double v = NAN;
      if (std::getline(row, cell, ',') && !cell.empty()) {
        char* end = nullptr;
        v = std::strtod(cell.c_str(), &end);
        if (*end != '\0') v = NAN;
      }
      log.values[c].push_back(v);
    }
  }
  return log;
}

std::vector<ChartGroup> loss_charts(const LossLog& log) {
  static const char* bookkeeping[] = {"epoch", "iter", "step", "time", "lr"};
  const std::vector<double>* step = log.column("step");
  const std::vector<double>* epoch = log.column("epoch");
  const std::vector<double>* lr = log.column("lr");
  std::vector<double> epoch_starts;
  if (epoch)
    for (size_t r = 1; r < epoch->size(); ++r)
      if ((*epoch)[r] != (*epoch)[r - 1]) epoch_starts.push_back((*step)[r]);
  Series lr_series;
  if (lr) lr_series = {"lr", *step, *lr};
  std::vector<ChartGroup> groups;
  for (size_t c = 0; c < log.columns.size(); ++c) {
    const std::string& name = log.columns[c];
    if (std::any_of(std::begin(bookkeeping), std::end(bookkeeping), [&](const char* b) { return name == b; })) continue;
    const size_t dot = name.rfind('.');
    const std::string group = dot == std::string::npos ? "losses" : name.substr(0, dot);
    auto it = std::find_if(groups.begin(), groups.end(), [&](const ChartGroup& g) { return g.name == group; });
    if (it == groups.end()) it = groups.insert(groups.end(), ChartGroup{group, {}});
    it->charts.push_back(svg_chart({name, *step, log.values[c]}, epoch_starts, lr ? &lr_series : nullptr));
  }
  return groups;
}

Tensor patch_belief(const Tensor& d_out, const std::string& gan_mode) {
  Tensor host = d_out.to(Device::CPU);
  float* p = host.data();
  for (int64_t i = 0; i < host.numel(); ++i)
    p[i] = gan_mode == "lsgan" ? std::clamp(p[i], 0.0f, 1.0f) : 1.0f / (1.0f + std::exp(-p[i]));
  return host;
}

const std::array<std::array<uint8_t, 3>, kHeatStops> kHeatRamp = {
    {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}}};

std::array<uint8_t, 3> heat_colour(double p) {
  if (!(p > 0)) p = 0;  // NaN too
  p = std::min(p, 1.0) * (kHeatStops - 1);
  const int i = std::min(static_cast<int>(p), kHeatStops - 2);
  const double t = p - i;
  std::array<uint8_t, 3> c;
  for (int ch = 0; ch < 3; ++ch)
    c[ch] = static_cast<uint8_t>(std::lround(kHeatRamp[i][ch] + t * (kHeatRamp[i + 1][ch] - kHeatRamp[i][ch])));
  return c;
}

Image report_picture(const std::vector<Tensor>& images, const std::vector<Tensor>& maps) {
  P2P_CHECK(!images.empty(), "report picture: no images");
  const int n = static_cast<int>(images[0].n()), h = static_cast<int>(images[0].h()),
            w = static_cast<int>(images[0].w());
  const int cols = static_cast<int>(images.size() + maps.size());
  Image out(cols * w + (cols - 1) * kGap, n * h + (n - 1) * kGap);
  std::fill(out.px.begin(), out.px.end(), 255);
  for (int i = 0; i < n; ++i) {
    const int y0 = i * (h + kGap);
    int col = 0;
    for (const Tensor& t : images) {
      P2P_CHECK(t.n() == n && t.h() == h && t.w() == w,
                "report picture: image " << col << " is " << shape_str(t.shape()));
      const Image im = tensor_to_image(t, i);
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
          for (int ch = 0; ch < 3; ++ch) out.at(col * (w + kGap) + x, y0 + y, ch) = im.at(x, y, ch);
      ++col;
    }
    for (const Tensor& m : maps) {
      check_rank(m, 4, "report picture map");
      P2P_CHECK(m.n() == n && m.c() == 1, "report picture: map " << col << " is " << shape_str(m.shape()));
      const Tensor host = m.to(Device::CPU);
      const float* p = host.data() + static_cast<int64_t>(i) * m.h() * m.w();
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
          const int my = static_cast<int>(static_cast<int64_t>(y) * m.h() / h);
          const int mx = static_cast<int>(static_cast<int64_t>(x) * m.w() / w);
          const std::array<uint8_t, 3> c = heat_colour(p[my * m.w() + mx]);
          for (int ch = 0; ch < 3; ++ch) out.at(col * (w + kGap) + x, y0 + y, ch) = c[ch];
        }
      ++col;
    }
  }
  return out;
}

void write_file_atomic(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    P2P_CHECK(out, "cannot write " << tmp << " (" << std::strerror(errno) << ")");
    out << content;
    out.flush();
    P2P_CHECK(out, "cannot write " << tmp << " (disk full?)");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    std::remove(tmp.c_str());
    P2P_FAIL("cannot rename " << tmp << " to " << path << " (" << std::strerror(saved) << ")");
  }
}

}  // namespace p2p
