// report_html (tools/report_page.h): the page's markup. No network, no library: inline CSS and SVG,
// and a dozen lines of script for the step slider (without script the latest step still shows).
#include <cstdio>

#include "tools/report_page.h"

namespace p2p {
namespace {

const char* kStyle = R"(<style>
body{font:14px/1.4 system-ui,sans-serif;margin:16px 24px;color:#222;background:#fff}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:20px 0 6px} .note{color:#666;max-width:64em}
.charts{display:flex;flex-wrap:wrap;gap:8px}
svg.chart{border:1px solid #eee;background:#fff}
svg .box{fill:none;stroke:#ccc} svg .epoch{stroke:#ddd;stroke-dasharray:3 3}
svg .raw{fill:none;stroke:#9ecae1;stroke-width:1} svg .smooth{fill:none;stroke:#08519c;stroke-width:1.8}
svg .second{fill:none;stroke:#e6550d;stroke-width:1;stroke-dasharray:5 3}
svg text{font:11px system-ui,sans-serif;fill:#444} svg text.second{fill:#e6550d;stroke:none}
svg text.name{font-weight:bold;fill:#222} svg text.epoch{fill:#999}
.key span{display:inline-block;margin-right:14px} .key i{display:inline-block;width:18px;height:3px;vertical-align:middle;margin-right:4px}
.samples{max-width:min(100%,1200px)} .labels{display:grid;text-align:center;font-size:12px;color:#444}
.samples img{width:100%;image-rendering:pixelated;display:block}
#slider{width:min(40em,100%)}
</style>)";

std::string legend(const std::string& gan_mode) {
  std::string stops;
  for (int i = 0; i < kHeatStops; ++i) {
    char s[96];
    std::snprintf(s, sizeof s, "<stop offset=\"%d%%\" stop-color=\"rgb(%d,%d,%d)\"/>", 100 * i / (kHeatStops - 1),
                  kHeatRamp[i][0], kHeatRamp[i][1], kHeatRamp[i][2]);
    stops += s;
  }
  return "<p class=\"note\">The D maps: each PatchGAN output (one per patch of the input) as D's belief that the "
         "patch is real, " +
         std::string(gan_mode == "lsgan" ? "its lsgan output clamped to [0, 1]" : "the sigmoid of its logit") +
         ", enlarged without smoothing. Early on D is unsure everywhere (about 0.5); a D that wins paints real "
         "pairs yellow and fakes violet; a generator that wins makes both maps alike.</p>"
         "<svg width=\"300\" height=\"34\" role=\"img\"><title>heat map legend 0 to 1</title>"
         "<defs><linearGradient id=\"heat\">" +
         stops +
         "</linearGradient></defs><rect x=\"30\" y=\"2\" width=\"240\" height=\"14\" fill=\"url(#heat)\"/>"
         "<text x=\"30\" y=\"30\" text-anchor=\"middle\" font-size=\"11\">0 (fake)</text>"
         "<text x=\"150\" y=\"30\" text-anchor=\"middle\" font-size=\"11\">0.5</text>"
         "<text x=\"270\" y=\"30\" text-anchor=\"middle\" font-size=\"11\">1 (real)</text></svg>";
}

std::string samples(const ReportPage& p) {
  if (p.shots.empty()) return "<p class=\"note\">No samples yet.</p>";
  const ReportShot& last = p.shots.back();
  std::string html = "<p><input type=\"range\" id=\"slider\" min=\"0\" max=\"" + std::to_string(p.shots.size() - 1) +
                     "\" value=\"" + std::to_string(p.shots.size() - 1) + "\"> <span id=\"shot\">step " +
                     std::to_string(last.step) + "</span></p><div class=\"samples\"><div class=\"labels\" " +
                     "style=\"grid-template-columns:repeat(" + std::to_string(p.labels.size()) + ",1fr)\">";
  for (const std::string& l : p.labels) html += "<div>" + html_escape(l) + "</div>";
  html += "</div><img id=\"picture\" src=\"" + html_escape(last.src) + "\" alt=\"samples at step " +
          std::to_string(last.step) + "\"></div>";
  if (p.has_maps) html += legend(p.gan_mode);
  // The slider: the shots' steps and files as a literal, the picture swapped on input.
  std::string list;
  for (const ReportShot& s : p.shots)
    list += (list.empty() ? "" : ",") + std::string("[") + std::to_string(s.step) + ",\"" + s.src +
            "\"]";  // our own names: digits and '_'

  html += "<script>\nconst shots=[" + list +
          "];\n"
          "const slider=document.getElementById('slider'),picture=document.getElementById('picture'),"
          "label=document.getElementById('shot');\n"
          "slider.addEventListener('input',()=>{const s=shots[slider.value];picture.src=s[1];"
          "picture.alt='samples at step '+s[0];label.textContent='step '+s[0];});\n"
          "document.body.dataset.ready='yes';\n</script>";
  return html;
}

}  // namespace

std::string report_html(const ReportPage& p) {
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + html_escape(p.name) +
                     " — training report</title>" + kStyle + "</head><body>\n";
  html += "<h1>" + html_escape(p.name) + " (" + html_escape(p.model) + ")</h1><p class=\"note\">step " +
          std::to_string(p.step) + " of " + std::to_string(p.total_steps) +
          ". Rewritten while training runs: reload to update. Options: <a href=\"opt.txt\">opt.txt</a>; every "
          "number: <a href=\"loss_log.csv\">loss_log.csv</a>.</p>\n";
  html +=
      "<p class=\"key\"><span><i style=\"background:#9ecae1\"></i>logged value</span><span><i "
      "style=\"background:#08519c\"></i>smoothed</span><span><i style=\"background:#e6550d\"></i>learning rate "
      "(right axis)</span><span><i style=\"background:#ddd\"></i>epoch start</span></p>\n";
  // The losses, then the samples and D's maps, then the many health.* groups: the pictures stay on the
  // first screen.
  const std::vector<ChartGroup> groups = loss_charts(p.log);
  const auto charts = [&](bool health) {
    for (const ChartGroup& g : groups) {
      if ((g.name.rfind("health", 0) == 0) != health) continue;
      html += "<h2>" + html_escape(g.name) + "</h2><div class=\"charts\">";
      for (const std::string& c : g.charts) html += c;
      html += "</div>\n";
    }
  };
  charts(false);
  html += "<h2>Samples on fixed inputs</h2>" + samples(p) + "\n";
  charts(true);
  if (p.shots.empty()) html += "<script>document.body.dataset.ready='yes';</script>";
  return html + "</body></html>\n";
}

}  // namespace p2p
