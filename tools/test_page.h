// The `test` subcommand's index.html: one row per test image in natural order of names
// (tools/natural_order.h), its metrics against the ground truth when the split has it (L1 on [-1, 1],
// PSNR in dB, SSIM), then its images. Buttons re-sort the rows by L1 (worst or best first) or by
// name: a few lines of inline script over the rows' data-l1 and data-order attributes, no library;
// without script the natural order stays.
#pragma once
#include <string>
#include <vector>

namespace p2p {

struct TestRow {
  std::string stem;                // the image's name
  std::vector<std::string> files;  // its images, relative to the page, in the header's order
  double l1 = 0, psnr = 0, ssim = 0;
};

// title: the page's heading; visuals: the images' names (the header); metrics: the rows have them.
std::string test_page_html(const std::string& title, const std::vector<std::string>& visuals, std::vector<TestRow> rows,
                           bool metrics);

}  // namespace p2p
