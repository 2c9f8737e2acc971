//go:build duckinfer_testhooks

package capi

// testHooks: this extension is built for the host tests of the callbacks' recover
// (hosttest builds it with -tags duckinfer_testhooks; make extension never does).
const testHooks = true

// testHookPanic panics in callback where of function fn when $DUCKINFER_TEST_PANIC is
// "where fn" (e.g. "scalar ml_infer"), read from the host's live environment.
func testHookPanic(where, fn string) {
	if getenv("DUCKINFER_TEST_PANIC") == where+" "+fn {
		panic("test panic in " + where + " " + fn)
	}
}
