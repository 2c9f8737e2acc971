// Package k8s holds duckinfer's Kubernetes manifests; its test decodes them strictly
// into the Kubernetes API types, so a misspelt or misplaced field fails here rather
// than being dropped by the API server.
package k8s

import (
	"os"
	"os/exec"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
)

// decode reads one YAML manifest as the API server's strict mode would: unknown and
// duplicate fields are errors, and apiVersion/kind must name a known type.
func decode(t *testing.T, data []byte) (runtime.Object, error) {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := batchv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	s := json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme, json.SerializerOptions{Yaml: true, Strict: true})
	obj, _, err := s.Decode(data, nil, nil)
	return obj, err
}

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestIndexedJob(t *testing.T) {
	obj, err := decode(t, read(t, "job.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	job, ok := obj.(*batchv1.Job)
	if !ok {
		t.Fatalf("job.yaml decodes to %T, want a batch/v1 Job", obj)
	}
	s := job.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Fatalf("completionMode %v, want Indexed (pods get JOB_COMPLETION_INDEX)", s.CompletionMode)
	}
	if s.Completions == nil || s.Parallelism == nil || *s.Parallelism > *s.Completions {
		t.Fatalf("completions %v, parallelism %v", s.Completions, s.Parallelism)
	}
	if s.BackoffLimitPerIndex == nil || *s.BackoffLimitPerIndex < 1 {
		t.Fatalf("backoffLimitPerIndex %v: a failed index must be retried", s.BackoffLimitPerIndex)
	}
	pod := s.Template.Spec
	// The API server requires Never with backoffLimitPerIndex.
	if pod.RestartPolicy != corev1.RestartPolicyNever {
		t.Fatalf("restartPolicy %q, want Never", pod.RestartPolicy)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	c := pod.Containers[0]
	if q, ok := c.Resources.Limits["nvidia.com/gpu"]; !ok || q.Value() != 1 {
		t.Fatalf("nvidia.com/gpu limit %v, want 1", c.Resources.Limits)
	}
	args := map[string]string{}
	for _, a := range c.Args {
		k, v, _ := strings.Cut(strings.TrimPrefix(a, "-"), "=")
		args[k] = v
	}
	if !slices.Equal(c.Command[1:], []string{"run"}) {
		t.Fatalf("command %q, want duckinfer run", c.Command)
	}
	// Pods are not told the completion count: -shards must carry it.
	if args["shards"] != strconv.Itoa(int(*s.Completions)) {
		t.Fatalf("-shards %q but completions %d", args["shards"], *s.Completions)
	}
	for _, k := range []string{"task", "input", "output"} {
		if args[k] == "" {
			t.Fatalf("no -%s in %q", k, c.Args)
		}
	}
	// Input and output lie on the shared volume, which comes from the claim in pvc.yaml.
	if len(c.VolumeMounts) != 1 || len(pod.Volumes) != 1 || c.VolumeMounts[0].Name != pod.Volumes[0].Name || c.VolumeMounts[0].ReadOnly {
		t.Fatalf("want one writable shared volume, got mounts %v volumes %v", c.VolumeMounts, pod.Volumes)
	}
	mount := c.VolumeMounts[0].MountPath
	for _, k := range []string{"input", "output"} {
		if !strings.HasPrefix(path.Clean(args[k]), mount+"/") {
			t.Fatalf("-%s %s is not on the shared volume %s", k, args[k], mount)
		}
	}
	pvcObj, err := decode(t, read(t, "pvc.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	pvc, ok := pvcObj.(*corev1.PersistentVolumeClaim)
	if !ok {
		t.Fatalf("pvc.yaml decodes to %T", pvcObj)
	}
	if v := pod.Volumes[0].PersistentVolumeClaim; v == nil || v.ClaimName != pvc.Name {
		t.Fatalf("the volume does not name the claim %q: %+v", pvc.Name, pod.Volumes[0])
	}
	if !slices.Contains(pvc.Spec.AccessModes, corev1.ReadWriteMany) {
		t.Fatalf("claim access modes %v: every pod writes, so ReadWriteMany", pvc.Spec.AccessModes)
	}
}

// TestVerifyJob: the verify Job reads the indexed Job's output folder from the same claim.
func TestVerifyJob(t *testing.T) {
	obj, err := decode(t, read(t, "verify.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	v, ok := obj.(*batchv1.Job)
	if !ok {
		t.Fatalf("verify.yaml decodes to %T", obj)
	}
	jobObj, err := decode(t, read(t, "job.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	job := jobObj.(*batchv1.Job)
	c, jc := v.Spec.Template.Spec.Containers[0], job.Spec.Template.Spec.Containers[0]
	if !slices.Equal(c.Command[1:], []string{"verify"}) || c.Command[0] != jc.Command[0] {
		t.Fatalf("verify command %q, want the job's binary with verify", c.Command)
	}
	var out string
	for _, a := range jc.Args {
		if v, ok := strings.CutPrefix(a, "-output="); ok {
			out = v
		}
	}
	if !slices.Contains(c.Args, "-output="+out) {
		t.Fatalf("verify args %q do not name the job's output %q", c.Args, out)
	}
	if v.Spec.Template.Spec.Volumes[0].PersistentVolumeClaim.ClaimName != job.Spec.Template.Spec.Volumes[0].PersistentVolumeClaim.ClaimName ||
		c.VolumeMounts[0].MountPath != jc.VolumeMounts[0].MountPath {
		t.Fatal("verify mounts another volume or path than the job")
	}
}

// TestStrictDecodingCatchesMistakes: the decoding above is strict, so the checks mean
// something — a misspelt field, a field at the wrong level, a duplicate.
func TestStrictDecodingCatchesMistakes(t *testing.T) {
	good := string(read(t, "job.yaml"))
	for name, bad := range map[string]string{
		"misspelt":  strings.Replace(good, "backoffLimitPerIndex:", "backofLimitPerIndex:", 1),
		"misplaced": strings.Replace(good, "      restartPolicy: Never", "      restartPolicy: Never\n      completions: 4", 1),
		"duplicate": strings.Replace(good, "  parallelism: 4", "  parallelism: 4\n  parallelism: 2", 1),
	} {
		if bad == good {
			t.Fatalf("%s: the edit did not apply", name)
		}
		if _, err := decode(t, []byte(bad)); err == nil {
			t.Errorf("%s field decoded without an error", name)
		} else if !strings.Contains(err.Error(), "strict decoding error") && !runtime.IsStrictDecodingError(err) {
			t.Errorf("%s: %v is not a strict decoding error", name, err)
		}
	}
}

// Pins: the documented `kubectl wait --for=condition=complete … --timeout=24h` sat out
// its whole timeout when the Job failed (an index out of backoffLimitPerIndex retries
// fails it, and a failed Job never completes). The wait commands in README.md and in
// job.yaml's comment are run against a stand-in kubectl that reports the Job's
// conditions: they must end at once on a failed Job (exit 1) and on a complete one
// (exit 0).
func TestDocumentedWaitEndsOnFailure(t *testing.T) {
	obj, err := decode(t, read(t, "job.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	job := obj.(*batchv1.Job)
	if job.Spec.BackoffLimitPerIndex == nil {
		t.Skip("the Job has no per-index backoff limit")
	}
	ref := "job/" + job.Name
	// The stand-in: get prints the types of the Job's True conditions, as the
	// documented jsonpath does; wait --for=condition=C succeeds when C is among them,
	// else fails with --timeout=0 and otherwise stands for a wait of the whole timeout.
	bin := t.TempDir()
	fake := `#!/bin/sh
case "$1" in
get) echo "$FAKE_CONDITIONS" ;;
wait)
	for a; do case "$a" in --for=condition=*) want=${a#--for=condition=} ;; --timeout=0) now=1 ;; esac; done
	for c in $FAKE_CONDITIONS; do
		[ "$(echo "$c" | tr A-Z a-z)" = "$(echo "$want" | tr A-Z a-z)" ] && exit 0
	done
	[ -n "$now" ] && { echo "condition not met" >&2; exit 1; }
	echo "waited the whole timeout" >&2; exit 99 ;;
*) echo "unexpected kubectl $*" >&2; exit 98 ;;
esac
`
	if err := os.WriteFile(path.Join(bin, "kubectl"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	docs := map[string][]string{"README.md": readmeCommands(t), "job.yaml": yamlCommands(t)}
	for doc, lines := range docs {
		var wait []string
		for _, l := range lines {
			if strings.Contains(l, ref) && !strings.Contains(l, "kubectl apply") && !strings.Contains(l, "kubectl logs") {
				wait = append(wait, l)
			}
		}
		if len(wait) == 0 {
			t.Errorf("%s documents no command that waits for %s: %q", doc, ref, lines)
			continue
		}
		script := strings.Join(wait, "\n")
		for conditions, want := range map[string]int{"FailureTarget Failed": 1, "SuccessCriteriaMet Complete": 0, "Failed": 1, "Complete": 0} {
			cmd := exec.Command("sh", "-ec", script)
			cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "FAKE_CONDITIONS="+conditions)
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != want {
				t.Errorf("%s's wait for a Job with conditions %q: exit %d, want %d\n%s\n%s", doc, conditions, code, want, script, out)
			}
		}
	}
}

// readmeCommands is the shell block of README.md's Kubernetes section.
func readmeCommands(t *testing.T) []string {
	t.Helper()
	_, sec, ok := strings.Cut(string(read(t, "../../README.md")), "\n### Kubernetes\n")
	if !ok {
		t.Fatal("README.md has no Kubernetes section")
	}
	_, block, ok := strings.Cut(sec, "```sh\n")
	if !ok {
		t.Fatal("README.md's Kubernetes section has no sh block")
	}
	block, _, _ = strings.Cut(block, "```")
	return strings.Split(strings.TrimSpace(block), "\n")
}

// yamlCommands is the commands in job.yaml's leading comment (lines "#   ...").
func yamlCommands(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(string(read(t, "job.yaml")), "\n") {
		if c, ok := strings.CutPrefix(l, "#   "); ok {
			out = append(out, c)
		}
	}
	return out
}
