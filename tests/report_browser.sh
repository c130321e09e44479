#!/usr/bin/env bash
# report_browser.sh TOOL: a tiny pix2pix run and its test on synthetic pairs, then both pages (the
# training report and the test page) opened in headless Chromium by tools/browser_check.sh: no broken
# images, no script errors, a screenshot each. Skipped (77) without Chromium.
set -euo pipefail
tool=${1:?usage: report_browser.sh TOOL}
here=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d /tmp/p2p_report_browser_XXXXXX)
trap 'rm -rf "$scratch"' EXIT
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || {
  echo "report_browser: SKIPPED: chromium is not installed (tools/setup.sh installs it)"
  exit 77
}
"$tool" synth --out "$scratch/data" --count 4 --test-count 3 --size 32 >/dev/null
small=(--dataroot "$scratch/data" --checkpoints-dir "$scratch/ck" --name tiny)
"$tool" train "${small[@]}" --direction BtoA --load-size 32 --crop-size 32 --num-downs 5 --ngf 4 --ndf 4 \
  --device cpu --threads 1 --max-iters 6 --report-freq 3 --print-freq 1000 --sample-freq 0 >/dev/null
"$tool" test "${small[@]}" --results-dir "$scratch/results" --device cpu >/dev/null
"$here/tools/browser_check.sh" "$scratch/ck/tiny/report.html" "$scratch/report.png"
"$here/tools/browser_check.sh" "$scratch/results/tiny/test_latest/index.html" "$scratch/test.png"
