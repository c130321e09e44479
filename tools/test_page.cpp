#include "tools/test_page.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tools/natural_order.h"
#include "tools/report_chart.h"

namespace p2p {
namespace {

std::string cell(const char* fmt, double v) {
  if (!std::isfinite(v)) return "<td>&infin;</td>";  // the PSNR of identical images
  char buf[48];
  std::snprintf(buf, sizeof buf, fmt, v);
  return std::string("<td>") + buf + "</td>";
}

// Sorts the table body by a row attribute: data-order (the natural order) or data-l1.
const char* kSortScript = R"(<script>
function sortRows(key, descending) {
  const body = document.getElementById('rows');
  const rows = Array.from(body.rows);
  rows.sort((a, b) => (Number(a.dataset[key]) - Number(b.dataset[key])) * (descending ? -1 : 1));
  rows.forEach(r => body.appendChild(r));
}
document.body.dataset.ready = 'yes';
</script>)";

}  // namespace

std::string test_page_html(const std::string& title, const std::vector<std::string>& visuals, std::vector<TestRow> rows,
                           bool metrics) {
  std::stable_sort(rows.begin(), rows.end(),
                   [](const TestRow& a, const TestRow& b) { return natural_less(a.stem, b.stem); });
  std::string html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + html_escape(title) +
                     "</title><style>body{font:14px system-ui,sans-serif;margin:16px}td,th{padding:2px 6px;"
                     "text-align:right}th{text-align:center}img{image-rendering:pixelated}</style></head><body>\n<h2>" +
                     html_escape(title) + "</h2>\n";
  if (metrics)
    html +=
        "<p>Sort: <button onclick=\"sortRows('l1', true)\">L1, worst first</button> <button "
        "onclick=\"sortRows('l1', false)\">L1, best first</button> <button onclick=\"sortRows('order', "
        "false)\">name</button> (L1 on [-1, 1], PSNR in dB, SSIM of fake_B against real_B)</p>\n";
  html += "<table>\n<thead><tr><th>image</th>";
  if (metrics) html += "<th>L1</th><th>PSNR</th><th>SSIM</th>";
  for (const std::string& v : visuals) html += "<th>" + html_escape(v) + "</th>";
  html += "</tr></thead>\n<tbody id=\"rows\">\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const TestRow& r = rows[i];
    char l1[32];
    std::snprintf(l1, sizeof l1, "%.6f", r.l1);
    html += "<tr data-order=\"" + std::to_string(i) + "\"" + (metrics ? std::string(" data-l1=\"") + l1 + "\"" : "") +
            "><td>" + html_escape(r.stem) + "</td>";
    if (metrics) html += cell("%.4f", r.l1) + cell("%.2f", r.psnr) + cell("%.4f", r.ssim);
    for (const std::string& f : r.files) html += "<td><img src=\"" + html_escape(f) + "\" width=\"256\"></td>";
    html += "</tr>\n";
  }
  return html + "</tbody></table>\n" + kSortScript + "\n</body></html>\n";
}

}  // namespace p2p
