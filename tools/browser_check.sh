#!/usr/bin/env bash
# browser_check.sh PAGE.html SHOT.png [WIDTHxHEIGHT [SCALE]]: opens one of our pages (the training report,
# the test page) from disk in headless Chromium and fails when it is broken:
#   - an <img src> or a slider picture (report's "shots" list) that names a missing file;
#   - a script error (Chromium's console log says "Uncaught ...");
#   - the inline script never finished (it sets data-ready="yes" on <body> as its last line);
# then renders the page to SHOT.png (default window 1280x1600 CSS pixels, at SCALE device pixels
# per CSS pixel, default 1: 0.7 gives the small pictures of docs/).
# Exit 77 (ctest's SKIP) when Chromium is not installed (tools/setup.sh installs the Debian package).
set -euo pipefail
page=${1:?usage: browser_check.sh PAGE.html SHOT.png [WIDTHxHEIGHT [SCALE]]}
shot=${2:?usage: browser_check.sh PAGE.html SHOT.png [WIDTHxHEIGHT [SCALE]]}
size=${3:-1280x1600}
scale=${4:-1}
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "browser_check: SKIPPED: chromium is not installed (tools/setup.sh installs it)"
  exit 77
fi
[ -f "$page" ] || { echo "browser_check: no page $page" >&2; exit 1; }
dir=$(cd "$(dirname "$page")" && pwd)
url="file://$dir/$(basename "$page")"

# Every picture the page names, in <img src="..."> and in the slider's list ([step,"file"]).
missing=0
while read -r src; do
  [ -n "$src" ] || continue
  [ -f "$dir/$src" ] || { echo "browser_check: $page shows $src, which does not exist" >&2; missing=1; }
done < <(grep -o 'src="[^"]*"' "$page" | sed 's/^src="//; s/"$//'; grep -o '\[[0-9]*,"[^"]*"\]' "$page" | sed 's/^.*,"//; s/"\]$//')
[ $missing -eq 0 ] || exit 1

# A local page of our own: no sandbox needed (and a root user in CI cannot have one); no GPU.
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --enable-logging=stderr --v=0)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
dom=$(timeout 120 "$browser" "${flags[@]}" --dump-dom "$url" 2>"$log")
if grep -q "Uncaught" "$log"; then
  echo "browser_check: script errors in $page:" >&2
  grep "Uncaught" "$log" >&2
  exit 1
fi
if ! grep -q '<body[^>]*data-ready="yes"' <<<"$dom"; then
  echo "browser_check: $page: the inline script did not finish (no data-ready=\"yes\" on <body>)" >&2
  exit 1
fi
timeout 120 "$browser" "${flags[@]}" --screenshot="$shot" --window-size="${size/x/,}" \
  --force-device-scale-factor="$scale" "$url" 2>"$log" >/dev/null
[ -s "$shot" ] || { echo "browser_check: Chromium wrote no screenshot $shot" >&2; cat "$log" >&2; exit 1; }
echo "browser_check: $page renders without broken images or script errors: $shot"
