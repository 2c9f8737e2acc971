//go:build !duckinfer_testhooks

package capi

// testHooks is false in every build but the host tests' panic one (testhook_on.go):
// the calls it guards compile away.
const testHooks = false

func testHookPanic(where, fn string) {}
