#!/usr/bin/env bash
# Installs the CPU ONNX Runtime shared library into lib/ort/cpu/ by npm package name,
# verifying the package tarball and the extracted library by sha256, plus a per-user
# copy in ${XDG_DATA_HOME:-~/.local/share}/duckinfer/ort/cpu/ that duckinfer searches by
# default, so a copied binary or a Go program built outside this checkout finds it too
# (models.LibraryCandidates has the whole search order). Idempotent.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/lib/ort/cpu"
lib="$dest/libonnxruntime.so.1"
pkg="onnxruntime-node@1.30.0"
tgz_sha=6e3390d6b783e7be946fad629292799da28d0b42f84856e50d2c1b0383291e75
lib_sha=ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23

user_dir="${XDG_DATA_HOME:-${HOME:-}/.local/share}/duckinfer/ort/cpu"

# install_checked SRC DEST: copies SRC to DEST through a temporary file beside it, checked
# by sha256 before it replaces DEST in one rename. An interrupted or disk-full copy
# leaves the previous file or none, never a truncated library (which crashes the loader).
install_checked() {
  local tmpf="$2.tmp.$$"
  if install -m 0644 "$1" "$tmpf" 2>/dev/null && echo "$lib_sha  $tmpf" | sha256sum -c --status \
    && mv -f "$tmpf" "$2"; then
    return 0
  fi
  rm -f "$tmpf"
  return 1
}

user_copy() { # the per-user copy; a failure only warns: the checkout copy still works
  local u="$user_dir/libonnxruntime.so.1"
  if [ -f "$u" ] && echo "$lib_sha  $u" | sha256sum -c --status; then
    return 0
  fi
  if mkdir -p "$user_dir" 2>/dev/null && install_checked "$lib" "$u"; then
    echo "onnxruntime: installed the per-user copy $u"
  else
    # A broken copy left from before would be found first by binaries outside the
    # checkout; better none.
    rm -f "$u" 2>/dev/null || true
    echo "setup-ort: warning: could not write $u; binaries outside this checkout need DUCKINFER_ORT_LIB=$lib" >&2
  fi
}

if [ -f "$lib" ] && echo "$lib_sha  $lib" | sha256sum -c --status; then
  echo "onnxruntime: $lib (present, checksum ok)"
  user_copy
  exit 0
fi
command -v npm >/dev/null || { echo "setup-ort: npm is required (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# npm pack fetches the tarball only: no install scripts run (the package's postinstall
# would try to download CUDA files from a host this machine cannot reach).
(cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
tgz=$(ls "$tmp"/onnxruntime-node-*.tgz)
echo "$tgz_sha  $tgz" | sha256sum -c --status || { echo "setup-ort: checksum mismatch for $pkg tarball" >&2; exit 1; }
tar -xzf "$tgz" -C "$tmp" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
echo "$lib_sha  $tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" | sha256sum -c --status \
  || { echo "setup-ort: checksum mismatch for libonnxruntime.so.1" >&2; exit 1; }
mkdir -p "$dest"
install_checked "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$lib" \
  || { echo "setup-ort: could not write $lib (disk full?)" >&2; exit 1; }
echo "onnxruntime: installed $lib (ORT 1.30.0, CPU)"
user_copy
