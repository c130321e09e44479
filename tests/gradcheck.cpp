#include "tests/gradcheck.h"

#include <cmath>
#include <limits>
#include <sstream>

#include "tests/testing.h"

namespace p2p::testing {

namespace {
double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0.0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}
}  // namespace

GradReport check_gradients(GradCase c, uint64_t seed) {
  GradReport report;
  std::ostringstream text;
  text << c.name << " (tol " << c.tol << ": " << c.tol_reason << ")\n";

  std::vector<double> out;
  c.forward(c.inputs, out);
  const std::vector<double> u = random_values(out.size(), seed ^ 0x5eed, -1.0, 1.0);
  auto loss = [&]() {
    std::vector<double> y;
    c.forward(c.inputs, y);
    return dot(y, u);
  };

  // Analytic gradients, with the conventions' starting values.
  std::vector<std::vector<double>> start(c.inputs.size());
  for (size_t k = 0; k < c.inputs.size(); ++k) {
    GradInput& in = c.inputs[k];
    if (!in.differentiable) continue;
    start[k] = in.accumulates ? random_values(in.value.size(), seed + 17 * k + 1)
                              : std::vector<double>(in.value.size(), std::numeric_limits<double>::quiet_NaN());
    in.grad = start[k];
  }
  c.backward(c.inputs, u);

  for (size_t k = 0; k < c.inputs.size(); ++k) {
    GradInput& in = c.inputs[k];
    if (!in.differentiable) continue;
    const size_t n = in.value.size();
    const size_t step = n <= c.max_points ? 1 : (n + c.max_points - 1) / c.max_points;
    double diff = 0.0, scale = 0.0;
    size_t probed = 0;
    for (size_t e = 0; e < n; e += step, ++probed) {
      const double saved = in.value[e];
      in.value[e] = saved + c.h;
      const double lp = loss();
      in.value[e] = saved - c.h;
      const double lm = loss();
      in.value[e] = saved;
      const double numeric = (lp - lm) / (2.0 * c.h);
      const double analytic = in.accumulates ? in.grad[e] - start[k][e] : in.grad[e];
      if (!std::isfinite(analytic)) diff = std::numeric_limits<double>::infinity();
      diff = std::max(diff, std::abs(numeric - analytic));
      scale = std::max(scale, std::abs(numeric));
    }
    const double err = scale > 0.0 ? diff / scale : diff;
    const bool ok = err <= c.tol;
    report.ok = report.ok && ok;
    text << "  d/d" << in.name << ": " << probed << " of " << n << " elements, rel err " << err
         << (ok ? "" : "  <-- FAIL") << "\n";
  }
  report.text = text.str();
  return report;
}

}  // namespace p2p::testing
