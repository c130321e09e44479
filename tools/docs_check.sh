#!/usr/bin/env bash
# docs_check.sh BUILD_DIR [PAGE.md ...]: runs every command of the docs, so they cannot rot.
# For each page (default: docs/*.md), its ```sh blocks run in order, in one fresh scratch folder
# (the page's commands build on each other), under `bash -euo pipefail`; a failing command fails the
# check and names the page and the block. The commands are the ones shown, with two substitutions:
#   - a word `build` or `build/...` (the README's build folder) becomes BUILD_DIR, and `tools/...`
#     the repository's tools/ (the pages run from a checkout's root; the check runs elsewhere);
#   - with P2P_DOCS_SMALL=1 (the ctest registration sets it), `--max-iters N` becomes
#     `--max-iters 4`, so training runs shown with hundreds of steps stay seconds long.
# A page may also pin numbers its commands print: the ```csv block right after a line
#   <!-- docs_check: compare FILE -->
# must equal FILE (relative to the scratch folder) after the page's commands ran, cell by cell, the
# last column (a time) left out, numbers within a relative 1e-5 (the CSV has 6 decimals).
# Pages with pinned numbers are not shrunk (their runs are short already). A block that exits 77
# (a command that cannot run on this machine, e.g. tools/browser_check.sh without Chromium) is
# reported as skipped, and the whole check then exits 77 (ctest's SKIP), never as a pass.
set -euo pipefail
build=$(cd "${1:?usage: docs_check.sh BUILD_DIR [PAGE.md ...]}" && pwd)
shift
root=$(cd "$(dirname "$0")/.." && pwd)
pages=("$@")
[ ${#pages[@]} -gt 0 ] || pages=("$root"/docs/*.md)

# The ```LANG blocks of a page as files BLOCKDIR/<lang>_<n> (n from 1, in page order), each csv block
# preceded by a compare marker named in BLOCKDIR/csv_<n>.target.
split_blocks() {  # page, dir
  awk -v dir="$2" '
    /^<!-- docs_check: compare [^ ]+ -->/ { target = $4; next }
    /^```[a-z]+$/ && !inside { lang = substr($0, 4); n[lang]++; file = dir "/" lang "_" n[lang]; inside = 1;
                               printf "" > file;
                               if (lang == "csv" && target != "") { print target > (file ".target"); target = "" }
                               next }
    /^```$/ && inside { inside = 0; close(file); next }
    inside { print >> file }
  ' "$1"
}

# Compares a pinned csv block with the file the commands wrote: the page pins its first columns (the
# losses); the run's later ones (health numbers, empty in a short run, and the time) are left out.
compare_csv() {  # expected, actual
  awk -F, -v expected="$1" '
    function fail(msg) { print "docs_check: " msg > "/dev/stderr"; bad = 1; exit 1 }
    BEGIN { while ((getline line < expected) > 0) want[++rows] = line }
    { got[++n] = $0 }
    END {
      if (bad) exit 1
      if (n != rows) fail("the page pins " rows " rows, the run wrote " n)
      for (r = 1; r <= rows; r++) {
        nw = split(want[r], w, ","); ng = split(got[r], g, ",")
        if (nw >= ng) fail("row " r ": the page has " nw " columns, the run only " ng)
        for (c = 1; c <= nw; c++) {
          if (w[c] == g[c]) continue
          if (w[c] !~ /^-?[0-9.e+-]+$/ || g[c] !~ /^-?[0-9.e+-]+$/) fail("row " r " column " c ": page " w[c] ", run " g[c])
          d = w[c] - g[c]; if (d < 0) d = -d
          s = w[c] < 0 ? -w[c] : w[c]; if (s < 1) s = 1
          if (d > 1e-5 * s) fail("row " r " column " c ": page " w[c] ", run " g[c])
        }
      }
    }' "$2"
}

failed=0 skipped=0
for page in "${pages[@]}"; do
  name=$(basename "$page")
  scratch=$(mktemp -d /tmp/p2p_docs_XXXXXX)
  blocks="$scratch/.blocks"
  mkdir "$blocks"
  split_blocks "$page" "$blocks"
  pinned=$(find "$blocks" -name '*.target' | wc -l)
  n=1
  while [ -f "$blocks/sh_$n" ]; do
    script=$(sed -E -e "s#(^|[ =])build(/| |\$)#\\1$build\\2#g" -e "s#(^|[ =])tools/#\\1$root/tools/#g" "$blocks/sh_$n")
    if [ "${P2P_DOCS_SMALL:-0}" = 1 ] && [ "$pinned" = 0 ]; then
      script=$(sed -E 's/--max-iters [0-9]+/--max-iters 4/g' <<<"$script")
    fi
    echo "docs_check: $name, block $n"
    rc=0
    (cd "$scratch" && bash -euo pipefail -c "$script") >"$scratch/.out" 2>&1 || rc=$?
    if [ $rc = 77 ]; then  # a command that cannot run here says so (e.g. no Chromium): not a pass
      echo "docs_check: SKIPPED: $name, block $n: $(tail -1 "$scratch/.out")"
      skipped=1
    elif [ $rc != 0 ]; then
      echo "docs_check: FAILED: $name, block $n:" >&2
      sed 's/^/    /' <<<"$script" >&2
      tail -20 "$scratch/.out" >&2
      failed=1
      break
    fi
    n=$((n + 1))
  done
  for target in "$blocks"/csv_*.target; do
    if [ ! -e "$target" ] || [ $failed != 0 ]; then continue; fi
    file=$(cat "$target")
    if [ ! -f "$scratch/$file" ] || ! compare_csv "${target%.target}" "$scratch/$file"; then
      echo "docs_check: FAILED: $name pins numbers that $file does not have" >&2
      failed=1
    fi
  done
  rm -rf "$scratch"
  [ $failed = 0 ] || exit 1
  echo "docs_check: $name: $((n - 1)) blocks ran$([ "$pinned" = 0 ] || echo ", $pinned pinned table(s) match")"
done
[ $skipped = 0 ] || { echo "docs_check: some blocks were skipped (above): reported as skipped"; exit 77; }
