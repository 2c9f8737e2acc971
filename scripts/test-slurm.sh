#!/usr/bin/env bash
# make test-slurm: a one-node Slurm cluster on localhost (munged, slurmctld, slurmd; no
# systemd) runs deploy/slurm/duckinfer-array.sbatch as a 4-task array over a generated
# 8-file Parquet dataset (256,000 rows). Task 2 is stopped mid-inference of its second
# unit by the test-only hook (DUCKINFER_TEST_HOOK) and cancelled with scancel, then
# resubmitted alone; the output must then hold every input row exactly once (EXCEPT ALL
# both ways on the key) and `duckinfer verify` must pass. Every daemon started here is
# stopped on exit. Needs root (apt-get, daemons); installs slurm-wlm and munge if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

if [ "$(id -u)" != 0 ]; then
  echo "test-slurm: needs root (installs Slurm and starts its daemons); run it as root or in CI" >&2
  exit 1
fi
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

T=$(mktemp -d /tmp/duckinfer-slurm.XXXXXX)
chmod 755 "$T"
t0=$EPOCHREALTIME
stamp() { awk -v a="$t0" -v b="$EPOCHREALTIME" -v m="$*" 'BEGIN { printf "[%6.1fs] %s\n", b - a, m }'; }
pids=()
cleanup() {
  local rc=$?
  if [ -n "${SLURM_CONF:-}" ] && [ -n "${job:-}" ]; then scancel "$job" 2>/dev/null || true; fi
  if [ -n "${job2:-}" ]; then scancel "$job2" 2>/dev/null || true; fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  # munged daemonizes: stop it by its pid file.
  if [ -f "$T/munge/munged.pid" ]; then kill "$(cat "$T/munge/munged.pid")" 2>/dev/null || true; fi
  if [ $rc -ne 0 ]; then
    echo "test-slurm: FAILED (rc $rc); logs in $T" >&2
    tail -n 20 "$T"/*.log "$T"/logs/* 2>/dev/null >&2 || true
  else
    rm -rf "$T"
  fi
  exit $rc
}
trap cleanup EXIT INT TERM

stamp "building bin/duckinfer"
export CGO_CFLAGS="${CGO_CFLAGS:--O2 -g -Wno-deprecated-declarations}"
go build -o "$T/duckinfer" ./cmd/duckinfer
bin=$T/duckinfer

# munge with its own key and socket, so a system munged (if any) is left alone.
mkdir -p "$T/munge"
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 status=none
chown -R munge:munge "$T/munge"
chmod 700 "$T/munge"
chmod 400 "$T/munge/munge.key"
runuser -u munge -- munged --force --key-file="$T/munge/munge.key" --socket="$T/munge/munge.socket" \
  --pid-file="$T/munge/munged.pid" --log-file="$T/munge/munged.log" --seed-file="$T/munge/munged.seed"
host=$(hostname -s)
mkdir -p "$T/state" "$T/spool" "$T/logs"
cat > "$T/slurm.conf" <<CONF
ClusterName=duckinfer-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=${SLURMCTLD_PORT:-16817}
SlurmdPort=${SLURMD_PORT:-16818}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$T/munge/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
KillWait=2
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$T/slurm.conf
slurmctld -D -i -f "$SLURM_CONF" >"$T/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >"$T/slurmd.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  sinfo -h -o %T 2>/dev/null | grep -qE '^idle' && break
  sleep 0.2
done
sinfo -h -o %T | grep -qE '^idle' || { echo "test-slurm: the node did not come up" >&2; exit 1; }
stamp "cluster up: $(sinfo -h -o '%P %D %T %c CPUs')"

# 8 files × 32,000 rows, ids 0..255999.
mkdir -p "$T/data"
sql=""
for f in 0 1 2 3 4 5 6 7; do
  sql+="COPY (SELECT ($f * 32000 + i)::BIGINT AS id, (['a wonderful, moving film', 'dull and far too long', 'great acting, I loved it', 'the plot was a mess'])[1 + i % 4] || ' #' || i AS text
        FROM range(32000) r(i)) TO '$T/data/part-$f.parquet' (FORMAT parquet);"
done
"$bin" -c "$sql"
stamp "dataset: $("$bin" -csv -c "SELECT count(*) || ' rows in ' || count(DISTINCT filename) || ' files' FROM read_parquet('$T/data/*.parquet', filename = true)" | tail -1)"
"$bin" run -plan -task sentiment -input "$T/data/*.parquet" -shards 4

export DUCKINFER=$bin TASK=sentiment INPUT="$T/data/*.parquet" OUTPUT=$T/out SHARDS=4
script=$repo/deploy/slurm/duckinfer-array.sbatch
# Task 2 stops itself (SIGSTOP) once its second unit's rows reach the model.
job=$(DUCKINFER_TEST_HOOK=pause:inference:2:1 sbatch --parsable --output="$T/logs/%A_%a.out" "$script")
stamp "submitted array job $job (tasks 0-3)"
for _ in $(seq 300); do
  grep -q "test hook: stopping" "$T/logs/${job}_2.out" 2>/dev/null && break
  sleep 0.1
done
grep -q "test hook: stopping" "$T/logs/${job}_2.out" || { echo "test-slurm: task 2 never reached its pause" >&2; exit 1; }
stamp "task 2 stopped mid-inference: $(grep 'test hook' "$T/logs/${job}_2.out")"
scancel "${job}_2"
stamp "scancel ${job}_2"
for _ in $(seq 600); do
  [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break
  sleep 0.1
done
[ -z "$(squeue -h -j "$job")" ] || { echo "test-slurm: the array did not end" >&2; squeue >&2; exit 1; }
stamp "array ended; task 2's last words: $(tail -n 1 "$T/logs/${job}_2.out")"
for i in 0 1 3; do stamp "  task $i: $(grep '^shard .* scored' "$T/logs/${job}_$i.out")"; done

set +e
"$bin" verify -output "$T/out" >"$T/verify1.txt"
rc=$?
set -e
cat "$T/verify1.txt"
if [ $rc -eq 0 ] || ! grep -q "FAILED: 7 of 8 units ok" "$T/verify1.txt"; then
  echo "test-slurm: after the cancel, verify should fail with exactly one unit missing (rc $rc)" >&2
  exit 1
fi
stamp "verify after the cancel: exit $rc, 7 of 8 units"

job2=$(sbatch --parsable --array=2 --output="$T/logs/%A_%a.out" "$script")
stamp "resubmitted task 2 as job $job2"
for _ in $(seq 600); do
  [ -z "$(squeue -h -j "$job2" 2>/dev/null)" ] && break
  sleep 0.1
done
out2=$T/logs/${job2}_2.out
grep -q "finished before" "$out2" && grep -q "^shard 2/4: 2 units: 1 scored" "$out2" || {
  echo "test-slurm: the resubmitted task should skip its finished unit and score the other:" >&2
  cat "$out2" >&2
  exit 1
}
stamp "resubmitted task ended: $(grep '^shard .* scored' "$out2")"

"$bin" verify -output "$T/out"
stamp "verify: exit 0"
missing=$("$bin" -csv -c "SELECT count(*) FROM (SELECT id FROM read_parquet('$T/data/*.parquet') EXCEPT ALL SELECT id FROM read_parquet('$T/out/*.parquet'))" | tail -1)
extra=$("$bin" -csv -c "SELECT count(*) FROM (SELECT id FROM read_parquet('$T/out/*.parquet') EXCEPT ALL SELECT id FROM read_parquet('$T/data/*.parquet'))" | tail -1)
scored=$("$bin" -csv -c "SELECT count(predicted_class) FROM read_parquet('$T/out/*.parquet')" | tail -1)
stamp "EXCEPT ALL on id: $missing input rows missing, $extra extra; $scored rows with a prediction"
if [ "$missing" != 0 ] || [ "$extra" != 0 ] || [ "$scored" != 256000 ]; then
  echo "test-slurm: not exactly once" >&2
  exit 1
fi
stamp "test-slurm: OK"
