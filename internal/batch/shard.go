package batch

import (
	"fmt"
	"strconv"
	"strings"
)

// Shard is one of Count shards; Index is 0-based.
type Shard struct{ Index, Count int }

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// ParseShard reads "i/N".
func ParseShard(v string) (Shard, error) {
	i, n, ok := strings.Cut(v, "/")
	if !ok {
		return Shard{}, fmt.Errorf("%w %q: write it as INDEX/COUNT, e.g. 0/4", ErrShard, v)
	}
	idx, err1 := strconv.Atoi(strings.TrimSpace(i))
	cnt, err2 := strconv.Atoi(strings.TrimSpace(n))
	if err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("%w %q: INDEX and COUNT must be integers, e.g. 0/4", ErrShard, v)
	}
	return Shard{idx, cnt}.check()
}

func (s Shard) check() (Shard, error) {
	if s.Count < 1 || s.Index < 0 || s.Index >= s.Count {
		return Shard{}, fmt.Errorf("%w %d/%d: need 0 <= index < count", ErrShard, s.Index, s.Count)
	}
	return s, nil
}

// ShardFromEnv finds the shard the cluster engine gave this process. count is the
// shard count given on the command line (0: none).
//
//   - Kubernetes Indexed Job: JOB_COMPLETION_INDEX, with count (the Job's
//     completions); Kubernetes does not tell a pod the completion count.
//   - Slurm job array: SLURM_ARRAY_TASK_ID; without count, the array's size, but only
//     for a whole array starting at 0 (SLURM_ARRAY_TASK_MIN=0 and
//     SLURM_ARRAY_TASK_COUNT = MAX+1): a resubmitted single task (--array=2) sees a
//     count of 1 and would otherwise compute a different plan. Task 0 resubmitted
//     alone (--array=0) passes that test, with a count of 1, so a count of 1 is
//     refused too: it would take every unit of the job (a one-shard job needs no
//     array: -shard 0/1). RunShard also refuses a count from here that differs from
//     the one the job records (Options.ShardFromEnv).
func ShardFromEnv(getenv func(string) string, count int) (Shard, error) {
	atoi := func(name string) (int, bool, error) {
		v := getenv(name)
		if v == "" {
			return 0, false, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, true, fmt.Errorf("%w: %s=%q is not an integer", ErrShard, name, v)
		}
		return n, true, nil
	}
	if idx, ok, err := atoi("JOB_COMPLETION_INDEX"); err != nil {
		return Shard{}, err
	} else if ok {
		if count == 0 {
			return Shard{}, fmt.Errorf("%w: JOB_COMPLETION_INDEX=%d is set but not the shard count; pass -shards with the Job's completions", ErrShard, idx)
		}
		return Shard{idx, count}.check()
	}
	idx, ok, err := atoi("SLURM_ARRAY_TASK_ID")
	if err != nil {
		return Shard{}, err
	}
	if !ok {
		return Shard{}, fmt.Errorf("%w: no shard given; pass -shard INDEX/COUNT, or run as a Slurm array task (SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job pod (JOB_COMPLETION_INDEX) with -shards COUNT", ErrShard)
	}
	if count == 0 {
		minID, _, err1 := atoi("SLURM_ARRAY_TASK_MIN")
		maxID, _, err2 := atoi("SLURM_ARRAY_TASK_MAX")
		n, okN, err3 := atoi("SLURM_ARRAY_TASK_COUNT")
		if err := firstErr(err1, err2, err3); err != nil {
			return Shard{}, err
		}
		if !okN || minID != 0 || n != maxID+1 {
			return Shard{}, fmt.Errorf("%w: Slurm array %s-%s (%s tasks) is not a whole array 0..N-1, so its size is not the shard count; pass -shards COUNT",
				ErrShard, getenv("SLURM_ARRAY_TASK_MIN"), getenv("SLURM_ARRAY_TASK_MAX"), getenv("SLURM_ARRAY_TASK_COUNT"))
		}
		if n == 1 {
			return Shard{}, fmt.Errorf("%w: Slurm array of one task (SLURM_ARRAY_TASK_COUNT=1): a task resubmitted alone (sbatch --array=%d) sees only itself, so the array's size is not the shard count; pass -shards with the job's count (or -shard 0/1 for a one-shard job)", ErrShard, idx)
		}
		count = n
	}
	return Shard{idx, count}.check()
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
