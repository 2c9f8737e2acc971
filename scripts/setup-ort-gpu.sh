#!/usr/bin/env bash
# Installs the CUDA set of ONNX Runtime files into lib/ort/gpu/ by npm package name,
# verifying each package tarball and each extracted library by sha256. Idempotent.
# Kept apart from lib/ort/cpu/: ONNX Runtime loads one library per process, and the
# CUDA providers must sit in the same folder as the core library that loads them.
#   lib/ort/gpu/libonnxruntime.so.1                   ORT 1.29.0 core (npm onnxruntime-node@1.29.0)
#   lib/ort/gpu/libonnxruntime_providers_shared.so    } CUDA 13 providers built for ORT 1.29.0
#   lib/ort/gpu/libonnxruntime_providers_cuda.so      } (npm com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9)
# The CUDA provider loads libcublasLt/libcublas/libcudart .so.13, libcurand .so.10,
# libcufft .so.12, libcudnn .so.9 and libnvrtc .so.13 at run time: they are not installed
# here (scripts/gpu-check.sh finds PyTorch's nvidia-* wheels and sets LD_LIBRARY_PATH).
# Downloads ~290 MB (two tarballs), installs ~275 MB.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/lib/ort/gpu"

core_pkg="onnxruntime-node@1.29.0"
core_tgz_sha=cfdfb45ec4044b1fdca43e5d2e180fb6817e649ff8ad1e0dfc90e18e51b67037
prov_pkg="com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9"
prov_tgz_sha=2b459e0c17f340c92970c10ed86de4f37a3009f93c14053e6ad4334cbb6be412

# files: package, path inside the tarball, installed name, sha256
files=(
  "$core_pkg" package/bin/napi-v6/linux/x64/libonnxruntime.so.1 libonnxruntime.so.1
  89688f5cf51c7e31befbb7b9101bc027799009b18d1baa9a5b1146a72e69538d
  "$prov_pkg" package/Plugins/Linux/x64/libonnxruntime_providers_shared.so libonnxruntime_providers_shared.so
  c6a12593396095f5670160e284c35d1700b7708cf3037b7042e2a5200ccae772
  "$prov_pkg" package/Plugins/Linux/x64/libonnxruntime_providers_cuda.so libonnxruntime_providers_cuda.so
  56cf3254b118ad837ccc4ed8f6d1b23504bbf7ef91b34cbc0b289cb7f10b3037
)

present() { # present NAME SHA256: the installed file exists with the right checksum
  [ -f "$dest/$1" ] && echo "$2  $dest/$1" | sha256sum -c --status
}

missing=()
for ((i = 0; i < ${#files[@]}; i += 4)); do
  present "${files[i+2]}" "${files[i+3]}" || missing+=("${files[i]}")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "onnxruntime-gpu: $dest (present, checksums ok)"
  exit 0
fi

command -v npm >/dev/null || { echo "setup-ort-gpu: npm is required (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# fetch PKG TARBALL_SHA256: npm pack fetches the tarball only (no install scripts run:
# onnxruntime-node's postinstall would try to download CUDA files from the network).
fetch() {
  local pkg=$1 sha=$2 dir="$tmp/${1//[@\/]/_}"
  mkdir -p "$dir"
  echo "onnxruntime-gpu: fetching $pkg" >&2
  (cd "$dir" && npm pack --silent "$pkg" >/dev/null)
  local tgz
  tgz=$(ls "$dir"/*.tgz)
  echo "$sha  $tgz" | sha256sum -c --status || {
    echo "setup-ort-gpu: checksum mismatch for the $pkg tarball (got $(sha256sum "$tgz" | cut -d' ' -f1))" >&2
    exit 1
  }
  echo "$tgz"
}

declare -A tarball
for pkg in "$core_pkg" "$prov_pkg"; do
  case " ${missing[*]} " in *" $pkg "*) ;; *) continue ;; esac
  [ -n "${tarball[$pkg]:-}" ] && continue
  sha=$core_tgz_sha
  [ "$pkg" = "$prov_pkg" ] && sha=$prov_tgz_sha
  tarball[$pkg]=$(fetch "$pkg" "$sha" | tail -1)
done

mkdir -p "$dest"
for ((i = 0; i < ${#files[@]}; i += 4)); do
  pkg=${files[i]} src=${files[i+1]} name=${files[i+2]} sha=${files[i+3]}
  present "$name" "$sha" && continue
  x="$tmp/x"
  mkdir -p "$x"
  tar -xzf "${tarball[$pkg]}" -C "$x" "$src"
  echo "$sha  $x/$src" | sha256sum -c --status || {
    echo "setup-ort-gpu: checksum mismatch for $name from $pkg" >&2
    exit 1
  }
  install -m 0755 "$x/$src" "$dest/$name.tmp"
  mv -f "$dest/$name.tmp" "$dest/$name"
  rm -f "$x/$src"
  echo "onnxruntime-gpu: installed $dest/$name ($pkg)"
done
echo "onnxruntime-gpu: $dest ready (ORT 1.29.0 core + CUDA 13 providers); run ./scripts/gpu-check.sh on a GPU machine"
