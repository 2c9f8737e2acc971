#!/usr/bin/env bash
# gpu-check.sh — checks ml_predict on the NVIDIA GPUs of this machine, end to end.
#
#   ./scripts/gpu-check.sh [duckinfer-gpucheck flags...]      (see -h; defaults below)
#
# What it does (self-contained; about 70 s on one H100, under 5 minutes):
#   1. finds the ONNX Runtime GPU set: $ORT_GPU_DIR, else lib/ort/gpu/ (`make setup-gpu`):
#      libonnxruntime.so.1 + libonnxruntime_providers_{shared,cuda}.so in one folder;
#   2. finds the CUDA libraries the CUDA provider loads (libcublasLt/libcublas/libcudart
#      .so.13, libcurand .so.10, libcufft .so.12, libcudnn .so.9, libnvrtc .so.13) in the
#      system loader's cache, /usr/local/cuda*, or Python's nvidia-* wheels (PyTorch's
#      cu13 packages: site-packages/nvidia/*/lib, site-packages/nvidia/cu13/lib), and puts
#      their folders on LD_LIBRARY_PATH; missing ones are listed;
#   3. builds cmd/duckinfer-gpucheck with go when go is on PATH, else runs a prebuilt
#      binary ($GPUCHECK_BIN, or bin/duckinfer-gpucheck: `go build -o bin/duckinfer-gpucheck
#      ./cmd/duckinfer-gpucheck` on any linux-amd64 machine; libduckdb is linked in, ORT and
#      NVML are loaded at run time);
#   4. runs it. The program: lists the GPUs NVML sees; writes a heavy task (onnxbuild.WideMLP,
#      random weights: 128 float columns → 4 × 8192 ReLU layers → 8 classes, ~405 MFLOP/row,
#      810 MB) into a temp task folder; generates a 2,000,000-row table; runs
#      ml_predict(..., device := 'cpu') on every 512th row as the reference and the same rows
#      with device := 'cuda', printing max |Δconfidence| and class agreement; times full passes
#      for models_per_gpu 1 and 2 (rows/s) while sampling GPU utilisation through NVML
#      (gpu.Utilization, every 100 ms); then the transformer text run: the BERT classifier
#      Hugging Face folder testdata/hf/models/bert_sentiment (tokenizer on the host, length
#      bucketing) over 200,000 generated text rows, CPU labels = CUDA labels on every 16th
#      row, rows/s on CPU and per models_per_gpu (-hf "" skips it, -text-rows sizes it);
#      prints ml_devices() and a summary, then PASS or FAIL.
#      ONNX Runtime loads one library per process: the GPU set's core library runs both the
#      CPU and the CUDA provider, so one process computes reference and GPU results.
#
# Without a GPU (no driver, or NVML sees no device) it says so, runs a small CPU-only
# self-test of the same pipeline (with the GPU set's core library when installed, else
# lib/ort/cpu) and exits 0; GPU_CHECK_REQUIRE_GPU=1 makes that exit 3 instead.
# Exit status: 0 pass (or no GPU), 1 check failed, 2 setup problem, 3 no GPU and required.
# Environment: ORT_GPU_DIR (the GPU set's folder), GPUCHECK_BIN (prebuilt program),
# GPU_CHECK_LOG (also write the output to this file), GPU_CHECK_REQUIRE_GPU.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [ -n "${GPU_CHECK_LOG:-}" ] && [ -z "${GPU_CHECK_LOGGING:-}" ]; then
  export GPU_CHECK_LOGGING=1
  "$0" "$@" 2>&1 | tee "$GPU_CHECK_LOG"
  exit "${PIPESTATUS[0]}"
fi

say() { echo "gpu-check: $*"; }
die() { echo "gpu-check: $*" >&2; exit 2; }

echo "== gpu-check $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname) ($(uname -m), $(nproc) CPUs) =="

# --- 1. NVIDIA driver present? (the program asks NVML itself; this is for the message)
have_gpu=0
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  have_gpu=1
  nvidia-smi --query-gpu=index,name,driver_version,memory.total,memory.used,utilization.gpu --format=csv 2>/dev/null
elif [ -e /dev/nvidia0 ]; then
  have_gpu=1
fi

# --- 2. the ONNX Runtime GPU set
ort_dir=${ORT_GPU_DIR:-$root/lib/ort/gpu}
gpu_set=1
for f in libonnxruntime.so.1 libonnxruntime_providers_shared.so libonnxruntime_providers_cuda.so; do
  [ -f "$ort_dir/$f" ] || gpu_set=0
done

# --- 3. the CUDA libraries the provider needs
need=(libcublasLt.so.13 libcublas.so.13 libcudart.so.13 libcurand.so.10 libcufft.so.12 libcudnn.so.9 libnvrtc.so.13)
roots=()
for py in python3 /opt/torch/.venv/bin/python3 /usr/bin/python3; do
  command -v "$py" >/dev/null 2>&1 || continue
  while IFS= read -r d; do [ -d "$d" ] && roots+=("$d"); done < <("$py" -c \
    'import site, sys; print("\n".join(site.getsitepackages() + [site.getusersitepackages()]))' 2>/dev/null)
done
for d in /opt/*/.venv/lib/python3*/site-packages /usr/local/lib/python3*/dist-packages /usr/lib/python3/dist-packages; do
  [ -d "$d" ] && roots+=("$d")
done
libdirs=()
missing=()
add_dir() { local d; for d in "${libdirs[@]:-}"; do [ "$d" = "$1" ] && return; done; libdirs+=("$1"); }
for lib in "${need[@]}"; do
  found=""
  for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/cuda-13*/lib64; do
    [ -e "$d/$lib" ] && { found="$d/$lib"; break; }
  done
  if [ -z "$found" ]; then
    for r in "${roots[@]:-}"; do
      [ -d "$r/nvidia" ] || continue
      found=$(find "$r/nvidia" -maxdepth 4 -name "$lib" 2>/dev/null | head -1)
      [ -n "$found" ] && break
    done
  fi
  if [ -z "$found" ] && ldconfig -p 2>/dev/null | grep -q " $lib "; then
    found=$(ldconfig -p | grep " $lib " | head -1 | sed 's/.*=> //')
    say "$lib: system ($found)"
    continue
  fi
  if [ -n "$found" ]; then
    add_dir "$(dirname "$found")"
  else
    missing+=("$lib")
  fi
done
# libnvidia-ml / libcuda normally sit in the loader's cache; some containers mount them here.
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu; do
  [ -e "$d/libnvidia-ml.so.1" ] && ! ldconfig -p 2>/dev/null | grep -q "libnvidia-ml.so.1 " && add_dir "$d"
done
if [ ${#libdirs[@]} -gt 0 ]; then
  extra=$(IFS=:; echo "${libdirs[*]}")
  export LD_LIBRARY_PATH="$ort_dir:$extra${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

# --- 4. the program
bin=${GPUCHECK_BIN:-}
if [ -z "$bin" ] && command -v go >/dev/null 2>&1; then
  export CGO_ENABLED=1 CGO_CFLAGS="${CGO_CFLAGS:--O2 -g -Wno-deprecated-declarations}"
  bin="$root/bin/duckinfer-gpucheck"
  say "building $bin"
  go build -o "$bin" ./cmd/duckinfer-gpucheck || die "go build ./cmd/duckinfer-gpucheck failed"
fi
[ -z "$bin" ] && bin="$root/bin/duckinfer-gpucheck"
[ -x "$bin" ] || die "no go on PATH and no prebuilt $bin; build it elsewhere (go build -o bin/duckinfer-gpucheck ./cmd/duckinfer-gpucheck) or set GPUCHECK_BIN"

if [ "$have_gpu" = 0 ]; then
  say "no NVIDIA GPU on this machine (no working nvidia-smi, no /dev/nvidia0)"
  [ "${GPU_CHECK_REQUIRE_GPU:-0}" = 1 ] && { say "GPU_CHECK_REQUIRE_GPU=1: failing"; exit 3; }
  if [ "$gpu_set" = 1 ]; then
    export DUCKINFER_ORT_LIB="$ort_dir/libonnxruntime.so.1"
    say "CPU self-test of the pipeline with the GPU set's core library ($DUCKINFER_ORT_LIB)"
  else
    say "CPU self-test of the pipeline with lib/ort/cpu (the GPU set is not installed: make setup-gpu)"
  fi
  "$bin" -cpu-selftest -rows 40000 -cols 32 -width 256 -layers 2 -seconds 1 -ref-every 16 "$@"
  rc=$?
  if [ $rc = 0 ]; then say "no GPU here: CPU self-test passed; run this script on an NVIDIA machine for the GPU check"; fi
  exit $rc
fi

[ "$gpu_set" = 1 ] || die "the ONNX Runtime GPU set is not in $ort_dir: run make setup-gpu (or set ORT_GPU_DIR)"
say "ONNX Runtime GPU set: $ort_dir"
say "CUDA library folders: ${libdirs[*]:-(none: system loader only)}"
if [ ${#missing[@]} -gt 0 ]; then
  say "WARNING: not found: ${missing[*]} (install PyTorch's cu13 wheels or the CUDA 13 toolkit + cuDNN 9)"
fi
if command -v ldd >/dev/null 2>&1; then
  nf=$(ldd "$ort_dir/libonnxruntime_providers_cuda.so" 2>/dev/null | grep "not found" || true)
  [ -n "$nf" ] && { say "the CUDA provider cannot resolve:"; echo "$nf"; }
fi
export DUCKINFER_ORT_LIB="$ort_dir/libonnxruntime.so.1"
"$bin" "$@"
rc=$?
[ $rc = 3 ] && say "NVML sees no GPU although the driver looked present"
exit $rc
