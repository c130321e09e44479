#!/usr/bin/env bash
# Downloads the CMP facades set as packaged for pix2pix (400 train, 100 val, 106 test; each file a
# 512x256 JPEG: photo A on the left, label map B on the right; train labels -> photo with
# --direction BtoA) and unpacks it to TARGET/facades.
#
#   data/download_facades.sh [TARGET]      (TARGET defaults to datasets/)
#
# Needs internet access and curl or wget (FACADES_URL overrides the address). Not run by the tests.
set -euo pipefail

URL="${FACADES_URL:-http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/facades.tar.gz}"  # FACADES_URL: a mirror
TARGET="${1:-datasets}"

if [[ "${TARGET}" == "-h" || "${TARGET}" == "--help" ]]; then
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

if [[ -d "${TARGET}/facades/train" ]]; then
  echo "facades is already at ${TARGET}/facades (remove it to download again)"
  exit 0
fi

mkdir -p "${TARGET}"
archive="$(mktemp "${TARGET}/facades.tar.gz.XXXXXX")"
trap 'rm -f "${archive}"' EXIT

echo "downloading ${URL}"
echo "        to ${TARGET}/facades ..."
if command -v curl > /dev/null; then
  curl -fL --retry 3 --connect-timeout 20 -o "${archive}" "${URL}" || { echo "error: download failed (no internet access, or the server is down?)" >&2; exit 1; }
elif command -v wget > /dev/null; then
  wget -q --tries=3 --timeout=20 -O "${archive}" "${URL}" || { echo "error: download failed (no internet access, or the server is down?)" >&2; exit 1; }
else
  echo "error: neither curl nor wget is installed" >&2
  exit 1
fi

if ! tar -tzf "${archive}" > /dev/null 2>&1; then
  echo "error: the downloaded file is not a gzip tar archive (a proxy or error page?)" >&2
  exit 1
fi
tar -xzf "${archive}" -C "${TARGET}"

for phase in train val test; do
  if [[ ! -d "${TARGET}/facades/${phase}" ]]; then
    echo "error: ${TARGET}/facades/${phase} is missing after unpacking" >&2
    exit 1
  fi
  echo "  ${phase}: $(find "${TARGET}/facades/${phase}" -type f | wc -l) images"
done
echo "done: train with --dataroot ${TARGET}/facades --direction BtoA"
