package extension

import (
	"os"
	"testing"
)

// TestMain clears $DUCKINFER_MODELS: the tests expect the shipped tasks, which a
// caller's own folders (README: export DUCKINFER_MODELS=...) would replace by name.
func TestMain(m *testing.M) {
	os.Unsetenv(ModelsEnv)
	os.Exit(m.Run())
}
