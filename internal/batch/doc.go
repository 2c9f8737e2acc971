// Package batch runs one shard of a batch job: ml_predict over a file dataset (Parquet
// or CSV globs, or a table in a DuckDB file) split into units, each unit's predictions
// written to its own Parquet file exactly once, so that N processes started by a
// cluster engine (Slurm job arrays, Kubernetes Indexed Jobs) together score every row
// once, and any of them can be rerun.
//
// The contract, in one place:
//   - Plan lists the units: the input files (each pattern's, sorted), a large Parquet
//     file split at row group boundaries. The list depends only on the input, not on
//     the shard count, so resharding keeps finished work; units are named by each
//     file's path from its pattern's base folder, not by where this node mounts it.
//   - Assign maps unit → shard, a pure function of the unit list and N.
//   - A unit is committed by renaming its finished Parquet file into place, then its
//     manifest (one small JSON file per unit) beside it; the manifest is the commit
//     point. Both carry the fingerprint (model sha256, task config hash, tokenizer
//     sha256, version).
//   - A unit is worked on only under its lock (flock on a per-unit file), so two
//     processes on one shard never both write it.
//
// The package reaches DuckDB and the models only through the public extension
// package; it must not import internal/udf or internal/models.
package batch
