// The training report's parts (tools/report_chart.h, tools/report_page.h): the SVG of known series,
// smoothing and decimation, escaping, the loss log read back with extra and empty cells, the chart
// groups, the heat-map colours and picture, the page and its atomic write.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/cli_runner.h"
#include "tools/natural_order.h"
#include "tools/report_page.h"
#include "tools/test_page.h"

using namespace p2p;
namespace fs = std::filesystem;

namespace {
bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
size_t count_of(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}
std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
}  // namespace

TEST_CASE("report chart: polyline points map values into the box", "[report]") {
  Frame f{10, 110, 0, 100, 0, 2, 0, 1};
  CHECK(polyline_points({0, 1, 2}, {0, 1, 0.5}, f) == "10.0,100.0 60.0,0.0 110.0,50.0");
  CHECK(polyline_points({0, 1, 2}, {0, NAN, 0.5}, f) == "10.0,100.0 110.0,50.0");  // a missing cell is left out
}

TEST_CASE("report chart: the SVG of a known series has its raw points and the lr axis", "[report]") {
  // Default 460 x 200: box x in [56, 396], y in [24, 172]; steps [1, 3], values [2, 4].
  const std::string svg = svg_chart({"G_GAN", {1, 2, 3}, {2, 4, 3}}, {2}, nullptr);
  CHECK(has(svg, "class=\"raw\" points=\"56.0,172.0 226.0,24.0 396.0,98.0\""));
  CHECK(has(svg, "<title>G_GAN</title>"));
  CHECK(has(svg, "class=\"epoch\" x1=\"226.0\""));  // epoch 2 starts at step 2
  CHECK_FALSE(has(svg, "class=\"second\""));
  Series lr{"lr", {1, 2, 3}, {2e-4, 2e-4, 1e-4}};  // its axis: [0, 2e-4]
  const std::string with_lr = svg_chart({"G_GAN", {1, 2, 3}, {2, 4, 3}}, {}, &lr);
  CHECK(has(with_lr, "class=\"second\" points=\"56.0,24.0 226.0,24.0 396.0,98.0\""));
}

TEST_CASE("report chart: names are escaped", "[report]") {
  const std::string svg = svg_chart({"a<b & \"c\"", {1, 2}, {0, 1}}, {}, nullptr);
  CHECK(has(svg, "<title>a&lt;b &amp; &quot;c&quot;</title>"));
  CHECK_FALSE(has(svg, "a<b"));
  CHECK(html_escape("<'&>") == "&lt;&#39;&amp;&gt;");
}

TEST_CASE("report chart: the debiased moving average", "[report]") {
  // span 2: beta 0.5. m1 = 2, s1 = 2 / 0.5 = 4; m2 = 1, s2 = 1 / 0.75.
  const std::vector<double> s = smooth({4, 0}, 2);
  CHECK(s[0] == Approx(4.0).epsilon(1e-12));
  CHECK(s[1] == Approx(4.0 / 3.0).epsilon(1e-12));
  const std::vector<double> gap = smooth({4, NAN, 0}, 2);  // a missing value is skipped, not averaged in
  CHECK(std::isnan(gap[1]));
  CHECK(gap[2] == Approx(4.0 / 3.0).epsilon(1e-12));
  CHECK(smoothing_span(10) == ChartStyle::kMinSpan);
  CHECK(smoothing_span(100000) == 1000);
}

TEST_CASE("report chart: a long series is decimated and keeps its spikes", "[report]") {
  Series s{"loss", {}, {}};
  for (int i = 0; i < 10000; ++i) {
    s.x.push_back(i + 1);
    s.y.push_back(i == 5000 ? 100.0 : 1.0 + (i % 7) * 0.01);
  }
  const std::string svg = svg_chart(s, {}, nullptr);
  const size_t at = svg.find("class=\"raw\" points=\"");
  REQUIRE(at != std::string::npos);
  const std::string raw = svg.substr(at, svg.find('"', at + 20) - at);
  CHECK(count_of(raw, ",") == ChartStyle::kMaxPoints);  // min and max of kMaxPoints / 2 runs
  CHECK(has(raw, ",24.0"));                             // the spike reaches the top of the box
}

TEST_CASE("report page: the loss log reads back with extra columns and empty cells", "[report]") {
  testing::ScratchDir d("p2p_report_log_");
  std::ofstream(d.p("log.csv")) << "epoch,iter,step,lr,G_GAN,health.G.grad_norm,health.D.grad_norm,time\n"
                                   "1,1,1,0.0002,0.7,,3.5,0.1\n1,2,2,0.0002,0.6,2.5,x,0.2\n2,1,3,0.0001,0.5,2,3,0.3\n";
  const LossLog log = read_loss_log(d.p("log.csv"));
  REQUIRE(log.columns.size() == 8);
  REQUIRE(log.column("G_GAN"));
  CHECK(*log.column("G_GAN") == std::vector<double>{0.7, 0.6, 0.5});
  CHECK(std::isnan((*log.column("health.G.grad_norm"))[0]));
  CHECK(std::isnan((*log.column("health.D.grad_norm"))[1]));
  CHECK(log.column("missing") == nullptr);

  const std::vector<ChartGroup> groups = loss_charts(log);
  REQUIRE(groups.size() == 3);
  CHECK(groups[0].name == "losses");
  CHECK(groups[0].charts.size() == 1);  // G_GAN: not epoch, iter, step, lr or time
  CHECK(groups[1].name == "health.G");
  CHECK(groups[2].name == "health.D");
  CHECK(has(groups[0].charts[0], "class=\"second\""));       // lr on the right axis
  CHECK(has(groups[0].charts[0], "class=\"epoch\" x1=\""));  // epoch 2 begins at step 3

  std::ofstream(d.p("bad.csv")) << "epoch,iter,lr\n1,1,0.1\n";
  CHECK_THROWS_WITH(read_loss_log(d.p("bad.csv")), Catch::Contains("bad.csv") && Catch::Contains("'step'"));
  CHECK_THROWS_WITH(read_loss_log(d.p("none.csv")), Catch::Contains("none.csv"));
}

TEST_CASE("report page: heat colours, D beliefs and the picture", "[report]") {
  CHECK(heat_colour(0) == kHeatRamp[0]);
  CHECK(heat_colour(1) == kHeatRamp[kHeatStops - 1]);
  CHECK(heat_colour(0.5) == kHeatRamp[2]);
  CHECK(heat_colour(-3) == kHeatRamp[0]);
  CHECK(heat_colour(NAN) == kHeatRamp[0]);
  CHECK(heat_colour(7) == kHeatRamp[kHeatStops - 1]);

  const Tensor logits = Tensor::from_vector({1, 1, 1, 3}, {0.0f, 100.0f, -2.0f});
  CHECK(patch_belief(logits, "vanilla").to_vector() ==
        std::vector<float>{0.5f, 1.0f, static_cast<float>(1 / (1 + std::exp(2.0)))});
  CHECK(patch_belief(logits, "lsgan").to_vector() == std::vector<float>{0.0f, 1.0f, 0.0f});

  // Two items of 4x4: two images, then a 2x2 map enlarged by nearest neighbour.
  const Tensor img = Tensor::full({2, 3, 4, 4}, 1.0f), dark = Tensor::full({2, 3, 4, 4}, -1.0f);
  const Tensor map = Tensor::from_vector({2, 1, 2, 2}, {0, 1, 1, 0, 0.5f, 0.5f, 0.5f, 0.5f});
  const Image pic = report_picture({img, dark}, {map});
  CHECK(pic.w == 3 * 4 + 2 * kGap);
  CHECK(pic.h == 2 * 4 + kGap);
  CHECK(pic.at(0, 0, 0) == 255);       // the white image
  CHECK(pic.at(4 + kGap, 0, 0) == 0);  // the black one
  CHECK(pic.at(4, 0, 0) == 255);       // the gap
  const int mx = 2 * (4 + kGap);
  CHECK(pic.at(mx + 1, 1, 2) == kHeatRamp[0][2]);               // map (0, 0) = 0
  CHECK(pic.at(mx + 2, 1, 2) == kHeatRamp[kHeatStops - 1][2]);  // map (0, 1) = 1
  CHECK(pic.at(mx + 3, 3, 1) == kHeatRamp[0][1]);               // map (1, 1) = 0
  CHECK(pic.at(mx, 4 + kGap, 1) == kHeatRamp[2][1]);            // item 2: 0.5
  CHECK_THROWS_WITH(report_picture({img, Tensor::full({1, 3, 4, 4}, 0)}, {}), Catch::Contains("image 1"));
}

TEST_CASE("report page: the HTML has the charts, the latest picture and the slider", "[report]") {
  testing::ScratchDir d("p2p_report_page_");
  std::ofstream(d.p("log.csv")) << "epoch,iter,step,lr,G_<L1>,time\n1,1,1,0.1,3,0\n1,2,2,0.1,2,0\n";
  ReportPage p;
  p.name = "run <1>";
  p.model = "pix2pix";
  p.step = 2;
  p.total_steps = 10;
  p.log = read_loss_log(d.p("log.csv"));
  p.shots = {{1, "report/step_0000001.png"}, {2, "report/step_0000002.png"}};
  p.labels = {"real_A", "fake_B", "D(real_A, fake_B)"};
  p.has_maps = true;
  p.gan_mode = "vanilla";
  const std::string html = report_html(p);
  CHECK(has(html, "<h1>run &lt;1&gt; (pix2pix)</h1>"));
  CHECK(has(html, "<title>G_&lt;L1&gt;</title>"));
  CHECK(has(html, "src=\"report/step_0000002.png\""));  // the latest shown first
  CHECK(has(html, "[1,\"report/step_0000001.png\"],[2,\"report/step_0000002.png\"]"));
  CHECK(has(html, "D(real_A, fake_B)"));
  CHECK(has(html, "linearGradient id=\"heat\""));  // the legend
  CHECK(has(html, "sigmoid"));
  CHECK(has(html, "dataset.ready='yes'"));
  CHECK_FALSE(has(html, "http"));  // nothing from the network
}

TEST_CASE("report page: the atomic write replaces the file and leaves no temporary", "[report]") {
  testing::ScratchDir d("p2p_report_write_");
  write_file_atomic(d.p("r.html"), "one");
  write_file_atomic(d.p("r.html"), "two");
  CHECK(read_text(d.p("r.html")) == "two");
  CHECK_FALSE(fs::exists(d.p("r.html.tmp")));
  CHECK_THROWS_WITH(write_file_atomic(d.p("no/such/r.html"), "x"), Catch::Contains("no/such/r.html.tmp"));
}

TEST_CASE("natural order: numbers by value, then plain order", "[report][test-page]") {
  std::vector<std::string> names = {"10", "2", "1", "100", "img10_b", "img2_b", "img10_a", "a01", "a1", "b", "a"};
  std::sort(names.begin(), names.end(), natural_less);
  CHECK(names ==
        std::vector<std::string>{"1", "2", "10", "100", "a", "a01", "a1", "b", "img2_b", "img10_a", "img10_b"});
  CHECK_FALSE(natural_less("x5", "x5"));  // irreflexive
  CHECK(natural_less("x5", "x05y"));      // a prefix (by value) first
  CHECK(natural_less("x9", "x10"));
  CHECK_FALSE(natural_less("x10", "x9"));
  CHECK(natural_less("99999999999999999999", "100000000000000000000"));  // beyond 64 bits
}

TEST_CASE("test page: rows in natural order, metrics, L1 sort keys and escaping", "[report][test-page]") {
  std::vector<TestRow> rows;
  for (const char* stem : {"10", "2", "1"}) {
    TestRow r;
    r.stem = stem;
    r.files = {std::string("images/") + stem + "_real_A.png", std::string("images/") + stem + "_fake_B.png"};
    r.l1 = std::stod(stem) / 100;
    r.psnr = INFINITY;
    r.ssim = 0.5;
    rows.push_back(r);
  }
  const std::string html = test_page_html("run <x>", {"real_A", "fake_B"}, rows, true);
  const size_t one = html.find("<td>1</td>"), two = html.find("<td>2</td>"), ten = html.find("<td>10</td>");
  REQUIRE(one != std::string::npos);
  CHECK(one < two);
  CHECK(two < ten);
  CHECK(
      has(html, "<tr data-order=\"0\" data-l1=\"0.010000\"><td>1</td><td>0.0100</td><td>&infin;</td><td>0.5000</td>"));
  CHECK(has(html, "<tr data-order=\"2\" data-l1=\"0.100000\"><td>10</td>"));
  CHECK(has(html, "sortRows('l1', true)"));
  CHECK(has(html, "<h2>run &lt;x&gt;</h2>"));
  CHECK(has(html, "<img src=\"images/2_fake_B.png\""));
  const std::string plain = test_page_html("t", {"real_A"}, rows, false);  // no ground truth: no metrics
  CHECK_FALSE(has(plain, "data-l1"));
  CHECK_FALSE(has(plain, "<th>L1</th>"));
}
