#include "tools/report_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace p2p {
namespace {

std::string num(const char* fmt, double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

struct Range {
  double lo = INFINITY, hi = -INFINITY;
  void add(double v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return lo > hi; }
  Range widened() const {  // a constant series v gets [v - |v| / 2, v + |v| / 2] ([-1, 1] for 0)
    Range r = *this;
    if (r.empty()) return {0, 1};
    const double d = r.lo == 0 ? 1 : std::abs(r.lo) / 2;
    if (r.lo == r.hi) r = {r.lo - d, r.hi + d};
    return r;
  }
};

Range range_of(const std::vector<double>& v) {
  Range r;
  for (double d : v) r.add(d);
  return r;
}

// The raw points to draw: all when few, else each run's minimum and maximum in step order.
void decimate_raw(const Series& s, std::vector<double>& x, std::vector<double>& y) {
  const size_t n = s.x.size(), runs = ChartStyle::kMaxPoints / 2;
  if (n <= ChartStyle::kMaxPoints) {
    x = s.x;
    y = s.y;
    return;
  }
  for (size_t r = 0; r < runs; ++r) {
    size_t lo = r * n / runs, hi = (r + 1) * n / runs, imin = lo, imax = lo;
    for (size_t i = lo; i < hi; ++i) {
      if (!std::isfinite(s.y[i])) continue;
      if (!std::isfinite(s.y[imin]) || s.y[i] < s.y[imin]) imin = i;
      if (!std::isfinite(s.y[imax]) || s.y[i] > s.y[imax]) imax = i;
    }
    for (size_t i : {std::min(imin, imax), std::max(imin, imax)}) {
      x.push_back(s.x[i]);
      y.push_back(s.y[i]);
    }
  }
}

// Each run's last point of a smoothed series (all points when few).
void decimate_last(const std::vector<double>& sx, const std::vector<double>& sy, std::vector<double>& x,
                   std::vector<double>& y) {
  const size_t n = sx.size(), runs = ChartStyle::kMaxPoints / 2;
  if (n <= ChartStyle::kMaxPoints) {
    x = sx;
    y = sy;
    return;
  }
  for (size_t r = 0; r < runs; ++r) {
    const size_t last = (r + 1) * n / runs - 1;
    x.push_back(sx[last]);
    y.push_back(sy[last]);
  }
}

std::string text(double x, double y, const std::string& anchor, const std::string& s, const char* cls = "tick") {
  return "<text class=\"" + std::string(cls) + "\" x=\"" + num("%.1f", x) + "\" y=\"" + num("%.1f", y) +
         "\" text-anchor=\"" + anchor + "\">" + html_escape(s) + "</text>";
}

}  // namespace

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

double smoothing_span(size_t n) {
  return std::max(ChartStyle::kMinSpan, static_cast<double>(n) / ChartStyle::kSpanDivisor);
}

std::vector<double> smooth(const std::vector<double>& y, double span) {
  const double beta = 1.0 - 1.0 / std::max(1.0, span);
  std::vector<double> out(y.size());
  double m = 0, debias = 1;
  for (size_t i = 0; i < y.size(); ++i) {
    if (!std::isfinite(y[i])) {
      out[i] = y[i];
      continue;
    }
    m = beta * m + (1 - beta) * y[i];
    debias *= beta;
    out[i] = m / (1 - debias);
  }
  return out;
}

std::string polyline_points(const std::vector<double>& x, const std::vector<double>& y, const Frame& f) {
  std::string pts;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(y[i])) continue;
    const double px = f.x0 + (x[i] - f.xmin) / (f.xmax - f.xmin) * (f.x1 - f.x0);
    const double py = f.y1 - (y[i] - f.ymin) / (f.ymax - f.ymin) * (f.y1 - f.y0);
    pts += (pts.empty() ? "" : " ") + num("%.1f", px) + "," + num("%.1f", py);
  }
  return pts;
}

std::string svg_chart(const Series& s, const std::vector<double>& epoch_starts, const Series* second,
                      const ChartStyle& st) {
  const Range xr = range_of(s.x).widened(), yr = range_of(s.y).widened();
  Frame f{ChartStyle::kLeft,
          static_cast<double>(st.width - ChartStyle::kRight),
          ChartStyle::kTop,
          static_cast<double>(st.height - ChartStyle::kBottom),
          xr.lo,
          xr.hi,
          yr.lo,
          yr.hi};
  std::string svg = "<svg class=\"chart\" width=\"" + std::to_string(st.width) + "\" height=\"" +
                    std::to_string(st.height) + "\" viewBox=\"0 0 " + std::to_string(st.width) + " " +
                    std::to_string(st.height) + "\" role=\"img\"><title>" + html_escape(s.name) + "</title>";
  svg += "<rect class=\"box\" x=\"" + num("%.1f", f.x0) + "\" y=\"" + num("%.1f", f.y0) + "\" width=\"" +
         num("%.1f", f.x1 - f.x0) + "\" height=\"" + num("%.1f", f.y1 - f.y0) + "\"/>";
  // Epoch marks, labelled while there are few enough to read.
  for (size_t e = 0; e < epoch_starts.size(); ++e) {
    const double x = epoch_starts[e];
    if (x <= f.xmin || x > f.xmax) continue;
    const double px = f.x0 + (x - f.xmin) / (f.xmax - f.xmin) * (f.x1 - f.x0);
    svg += "<line class=\"epoch\" x1=\"" + num("%.1f", px) + "\" x2=\"" + num("%.1f", px) + "\" y1=\"" +
           num("%.1f", f.y0) + "\" y2=\"" + num("%.1f", f.y1) + "\"/>";
    if (epoch_starts.size() <= 12) svg += text(px + 2, f.y0 + 10, "start", "e" + std::to_string(e + 2), "epoch");
  }
  std::vector<double> rx, ry, sx, sy;
  decimate_raw(s, rx, ry);
  decimate_last(s.x, smooth(s.y, smoothing_span(s.y.size())), sx, sy);
  svg += "<polyline class=\"raw\" points=\"" + polyline_points(rx, ry, f) + "\"/>";
  svg += "<polyline class=\"smooth\" points=\"" + polyline_points(sx, sy, f) + "\"/>";
  if (second) {
    Range lr = range_of(second->y).widened();  // from 0: the schedule decays to 0
    lr.lo = std::min(lr.lo, 0.0);
    Frame g = f;
    g.ymin = lr.lo;
    g.ymax = lr.hi;
    std::vector<double> lx, ly;
    decimate_last(second->x, second->y, lx, ly);
    svg += "<polyline class=\"second\" points=\"" + polyline_points(lx, ly, g) + "\"/>";
    svg += text(f.x1 + 4, f.y0 + 4, "start", num("%.3g", lr.hi), "second");
    svg += text(f.x1 + 4, f.y1, "start", num("%.3g", lr.lo), "second");
    svg += text(f.x1 + 4, (f.y0 + f.y1) / 2, "start", second->name, "second");
  }
  svg += text(f.x0 - 4, f.y0 + 4, "end", num("%.4g", yr.hi));
  svg += text(f.x0 - 4, (f.y0 + f.y1) / 2 + 4, "end", num("%.4g", (yr.lo + yr.hi) / 2));
  svg += text(f.x0 - 4, f.y1, "end", num("%.4g", yr.lo));
  svg += text(f.x0, f.y1 + 16, "start", "step " + num("%.0f", xr.lo));
  svg += text(f.x1, f.y1 + 16, "end", num("%.0f", xr.hi));
  svg += text(f.x0, 14, "start", s.name, "name");
  return svg + "</svg>";
}

}  // namespace p2p
