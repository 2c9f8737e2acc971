package batch

import "errors"

// ErrFingerprint means the output folder holds units made by another model, task
// config or duckinfer version than the run's, and the run was not asked to recompute.
var ErrFingerprint = errors.New("output made with a different fingerprint")

// ErrVerify means an output folder does not hold every unit exactly once.
var ErrVerify = errors.New("output does not match its input")

// ErrShard means the shard index or count is missing or out of range.
var ErrShard = errors.New("bad shard")
