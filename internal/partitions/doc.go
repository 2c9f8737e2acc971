// Package partitions maps work onto model instances the way the seed's PySpark job
// did: every worker thread that calls in is a partition with a stable index, and
// partition index → device slot round-robin over models_per_gpu × GPUs slots (or CPU
// slots without GPUs). It also cuts a chunk into model-sized batches.
//
// It must stay binding-agnostic (no DuckDB types) and deterministic: the same
// inventory and options always give the same plan, so shard i of N is well defined.
package partitions
