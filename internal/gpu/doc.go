// Package gpu finds NVIDIA GPUs through NVML (go-nvml dlopens libnvidia-ml, so the
// binary builds and runs without a driver) and says why there are none when it finds
// none. It only discovers devices; it must not place work on them (partitions does)
// nor load models (models does).
package gpu
