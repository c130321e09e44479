// The training report's charts (tools/report.h): one logged series against the step as an inline SVG
// line chart, raw and smoothed, with the epochs marked and optionally a second series (the learning
// rate) on a right-hand axis. Plain SVG text, no script, so a browser draws it from a file.
//
// Geometry: the plot box is [kLeft, width - kRight] x [kTop, height - kBottom] pixels; x maps the
// steps' [min, max] onto it left to right, y the raw values' [min, max] bottom to top (a constant
// series v gets v +- |v| / 2), and the second series' [min(0, min), max]. Values that are not finite (a missing CSV
// cell) are left out.
//
// Smoothing: the debiased exponential moving average of TensorBoard,
//   m_t = beta m_{t-1} + (1 - beta) y_t,  s_t = m_t / (1 - beta^t),  beta = 1 - 1 / span,
// which starts at y_1 instead of being pulled towards 0; span = max(kMinSpan, n / kSpanDivisor)
// points, so a long run is smoothed over about a hundredth of its length.
// Decimation: a series of more than kMaxPoints points is cut into kMaxPoints / 2 equal runs; the raw
// line keeps each run's minimum and maximum (in step order), so spikes stay visible, and the smoothed
// line each run's last value.
#pragma once
#include <string>
#include <vector>

namespace p2p {

struct Series {
  std::string name;
  std::vector<double> x, y;  // equal lengths; x increasing
};

struct ChartStyle {
  static constexpr int kLeft = 56, kRight = 64, kTop = 24, kBottom = 28;
  static constexpr int kMaxPoints = 800;
  static constexpr double kMinSpan = 5, kSpanDivisor = 100;
  int width = 460, height = 200;
};

// The debiased EMA above, over the finite values (others are copied through).
std::vector<double> smooth(const std::vector<double>& y, double span);
// The smoothing span for a series of n points.
double smoothing_span(size_t n);
// The SVG chart of s (raw and smoothed), epoch_starts drawn as vertical marks (the steps at which an
// epoch after the first begins), and `second` (may be null) on the right axis.
std::string svg_chart(const Series& s, const std::vector<double>& epoch_starts, const Series* second,
                      const ChartStyle& style = {});
// The polyline "x,y x,y ..." of the points (x[i], y[i]) in the box [x0, x1] x [y0, y1] of value ranges
// [xmin, xmax] and [ymin, ymax] (y grows downwards on screen), one decimal each.
struct Frame {
  double x0, x1, y0, y1, xmin, xmax, ymin, ymax;
};
std::string polyline_points(const std::vector<double>& x, const std::vector<double>& y, const Frame& f);
// Text safe inside HTML and SVG elements and attribute values.
std::string html_escape(const std::string& s);

}  // namespace p2p
