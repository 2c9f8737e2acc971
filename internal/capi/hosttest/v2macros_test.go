package hosttest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// On DuckDB 2.0.0 the extension's C API v2 companion registers ml_predict, predict,
// ml_embed and embed unqualified in the system catalog, for every connection of the
// database (also one that never ran LOAD), with the same named parameters as the
// catalog form; on DuckDB 1.5.6 (Node) they exist only as duckinfer.ml_predict etc.
func TestUnqualifiedForm(t *testing.T) {
	forEachHost(t, func(t *testing.T, k hostKind) {
		h := k.start(t, ":memory:", nil)
		defer closeHost(t, h)
		mustQuery(t, h, "N0", "SELECT 1") // opened before any LOAD
		mustQuery(t, h, "a", "SELECT 1")  // LOADs the extension
		r := mustQuery(t, h, "N1", `SELECT string_agg(function_name, ',' ORDER BY function_name) FROM duckdb_functions()
			WHERE database_name = 'system' AND function_name IN ('ml_predict', 'predict', 'ml_embed', 'embed') AND function_type = 'table_macro'`)
		got := r.Value(0, 0)
		if k.name == "duckdb2" && got != "embed,ml_embed,ml_predict,predict" {
			t.Errorf("DuckDB 2.0: system macros %q, want embed,ml_embed,ml_predict,predict", got)
		}
		if k.name == "node" && got != "NULL" {
			t.Errorf("DuckDB 1.5.6: system macros %q, want none (its C API cannot register a macro)", got)
		}
		// The catalog form works everywhere, also from a connection that did not LOAD.
		q := `SELECT string_agg(predicted_class, ',' ORDER BY id) FROM %s('sentiment', 'SELECT 1 AS id, ''I loved it'' AS text UNION ALL SELECT 2, ''awful''', batch_size := 1, on_error := 'null')`
		if got := mustQuery(t, h, "N1", fmt.Sprintf(q, "duckinfer.ml_predict")).Value(0, 0); got != "positive,negative" {
			t.Errorf("duckinfer.ml_predict: %q", got)
		}
		un, err := h.Query("N1", fmt.Sprintf(q, "ml_predict"))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case k.name == "duckdb2" && (!un.OK || un.Value(0, 0) != "positive,negative"):
			t.Errorf("DuckDB 2.0: unqualified ml_predict with named parameters: ok=%v %s", un.OK, un.Error)
		case k.name == "node" && un.OK:
			t.Errorf("DuckDB 1.5.6: unqualified ml_predict works without the search path (%q); the README says it does not", un.Value(0, 0))
		}
		if k.name == "duckdb2" {
			r := mustQuery(t, h, "N0", fmt.Sprintf(q, "ml_predict"))
			if got := r.Value(0, 0); got != "positive,negative" {
				t.Errorf("DuckDB 2.0: a connection opened before LOAD: %q", got)
			}
			// An unknown named parameter is refused, as CREATE MACRO's would be.
			bad, err := h.Query("N1", "SELECT * FROM ml_predict('sentiment', 'SELECT 1 AS text', bogus := 1)")
			if err != nil || bad.OK || !strings.Contains(bad.Error, "ml_predict") {
				t.Errorf("unknown named parameter: ok=%v %s %v", bad.OK, bad.Error, err)
			}
		}
	})
}

// On DuckDB 2.0 the unqualified macros see the caller's temp table and the rows of its
// open transaction, and nothing of them reaches the user's database file: reopened
// without the extension, it holds no macro, and ml_predict is unknown there.
func TestUnqualifiedSeesTransactionAndSavesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "user.duckdb")
	h := startC(t, path, nil)
	mustQuery(t, h, "a", "CREATE TABLE kept AS SELECT 1 AS id")
	mustQuery(t, h, "a", "CREATE TEMP TABLE tmp AS SELECT 1 AS id, 'I loved it' AS text")
	mustQuery(t, h, "a", "BEGIN")
	mustQuery(t, h, "a", "INSERT INTO tmp VALUES (2, 'awful, boring')")
	r := mustQuery(t, h, "a", "SELECT string_agg(id || ':' || predicted_class, ',' ORDER BY id) FROM ml_predict('sentiment', 'tmp')")
	if got := r.Value(0, 0); got != "1:positive,2:negative" {
		t.Errorf("temp table with an uncommitted row: %q", got)
	}
	r = mustQuery(t, h, "a", "SELECT count(*) FROM ml_embed('bert_embed', 'SELECT text FROM tmp') WHERE len(embedding) > 0")
	if got := r.Value(0, 0); got != "2" {
		t.Errorf("ml_embed over the open transaction's rows: %s", got)
	}
	mustQuery(t, h, "a", "COMMIT")
	mustQuery(t, h, "a", "CHECKPOINT")
	closeHost(t, h)

	h = startC(t, path, nil)
	defer closeHost(t, h)
	if got := count(t, h, "N1", "SELECT count(*) FROM duckdb_functions() WHERE function_name IN ('ml_predict', 'predict', 'ml_embed', 'embed', 'ml_predict_sql')"); got != 0 {
		t.Errorf("%d duckinfer functions or macros after reopening without LOAD", got)
	}
	if r, err := h.Query("N1", "SELECT * FROM ml_predict('sentiment', 'kept')"); err != nil || r.OK {
		t.Errorf("ml_predict resolves in a database opened without the extension (ok=%v, %v)", r.OK, err)
	}
	if got := count(t, h, "N1", "SELECT count(*) FROM kept"); got != 1 {
		t.Errorf("the user's table has %d rows", got)
	}
}

// On a read-only database the unqualified macros are registered and work (they are
// not catalog entries of the user's file).
func TestUnqualifiedReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ro.duckdb")
	h := startC(t, path, nil)
	mustQuery(t, h, "N1", "CREATE TABLE reviews AS SELECT 1 AS id, 'I loved it' AS text UNION ALL SELECT 2, 'awful'")
	closeHost(t, h)
	h = startC(t, path, map[string]string{"access_mode": "READ_ONLY"})
	defer closeHost(t, h)
	r := mustQuery(t, h, "a", "SELECT string_agg(predicted_class, ',' ORDER BY id) FROM ml_predict('sentiment', 'reviews', on_error := 'null')")
	if got := r.Value(0, 0); got != "positive,negative" {
		t.Errorf("read-only database: %q", got)
	}
}

// The companion is for DuckDB 2.0.0 only: DuckDB 1.5.6 refuses to LOAD it, with an
// error rather than a crash, and the host goes on.
func TestCompanionRefusedOnOtherVersions(t *testing.T) {
	h := startNode(t, ":memory:", nil)
	defer closeHost(t, h)
	companion := filepath.Join(filepath.Dir(extPath), "duckinfer_v2.duckdb_extension")
	r, err := h.Query("N1", "LOAD '"+companion+"'")
	if err != nil {
		t.Fatal(err)
	}
	if r.OK {
		t.Fatal("DuckDB 1.5.6 loaded the DuckDB 2.0.0 companion")
	}
	t.Logf("DuckDB 1.5.6 refuses the companion: %s", firstLine(r.Error))
	mustQuery(t, h, "N1", "SELECT 1")
}

// The slot of every C API v2 function the companion calls (include/duckdb_v2_2_0_0.h)
// is where DuckDB 2.0.0 puts it: the loader's ExtensionGetAPIV2 (CreateAPIv2 inlined)
// stores each duckdb_v2_* function into the table in turn, so its disassembly lists
// the layout. A DuckDB build with a different table fails here before any host test
// calls through a wrong slot.
func TestV2APILayout(t *testing.T) {
	for _, tool := range []string{"ar", "objdump"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (binutils); cannot read DuckDB 2.0.0's function table", tool)
		}
	}
	lib, err := moduleDir(root(t), libduckdbModule)
	if err != nil {
		t.Skipf("DuckDB 2.0.0's static library is missing (run make setup): %v", err)
	}
	slots, err := readV2Layout(filepath.Join(lib, "libduckdb_static.a"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	hdr, err := os.ReadFile(filepath.Join(root(t), "internal", "capi", "include", "duckdb_v2_2_0_0.h"))
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`#define DI_V2_API_SLOTS (\d+)`).FindSubmatch(hdr); m == nil || string(m[1]) != strconv.Itoa(len(slots)) {
		t.Errorf("the header says the table has %s slots; DuckDB 2.0.0's has %d", m, len(slots))
	}
	defs := regexp.MustCompile(`#define DI_V2_SLOT_(duckdb_v2_\w+) (\d+)`).FindAllSubmatch(hdr, -1)
	if len(defs) < 10 {
		t.Fatalf("only %d slots declared in the header", len(defs))
	}
	for _, d := range defs {
		name, want := string(d[1]), string(d[2])
		got, ok := slots[name]
		switch {
		case !ok:
			t.Errorf("%s is not in DuckDB 2.0.0's function table", name)
		case strconv.Itoa(got) != want:
			t.Errorf("%s: the header says slot %s, DuckDB 2.0.0 stores it in slot %d", name, want, got)
		}
	}
	// Every function the companion calls has a declared slot.
	src, err := os.ReadFile(filepath.Join(root(t), "internal", "capi", "v2ext", "duckinfer_v2.c"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`DI_V2\(api, (duckdb_v2_\w+)\)`).FindAllSubmatch(src, -1) {
		if !bytes.Contains(hdr, []byte("DI_V2_SLOT_"+string(m[1])+" ")) {
			t.Errorf("duckinfer_v2.c calls %s, which has no slot in the header", m[1])
		}
	}
}

// readV2Layout disassembles ExtensionGetAPIV2 in the static library and returns each
// duckdb_v2_* function's slot: the function's address is loaded (a GOTPCRELX relocation
// naming it) and stored at base+8*slot.
func readV2Layout(archive, dir string) (map[string]int, error) {
	cmd := exec.Command("ar", "x", archive, "libduckdb_static.a.lto.o")
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("ar x %s: %w\n%s", archive, err, b)
	}
	const fn = "_ZN6duckdb12_GLOBAL__N_117ExtensionGetAPIV2EP22_duckdb_extension_infoPKc"
	out, err := exec.Command("objdump", "-dr", "--no-show-raw-insn", "-j", ".text."+fn, filepath.Join(dir, "libduckdb_static.a.lto.o")).Output()
	if err != nil {
		return nil, fmt.Errorf("objdump: %w", err)
	}
	reloc := regexp.MustCompile(`R_X86_64_REX_GOTPCRELX\s+(duckdb_v2_\w+)-0x4`)
	store := regexp.MustCompile(`mov\s+%\w+,0x([0-9a-f]+)\(%\w+\)`)
	offs := map[string]int64{}
	var pending string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := reloc.FindStringSubmatch(line); m != nil {
			pending = m[1]
			continue
		}
		if m := store.FindStringSubmatch(line); m != nil && pending != "" {
			off, _ := strconv.ParseInt(m[1], 16, 64)
			offs[pending] = off
			pending = ""
		}
	}
	if len(offs) < 100 {
		return nil, fmt.Errorf("found only %d duckdb_v2_* stores in %s; is this DuckDB 2.0.0?", len(offs), fn)
	}
	base := int64(-1)
	for _, o := range offs {
		if base < 0 || o < base {
			base = o
		}
	}
	slots := map[string]int{}
	seen := map[int64]string{}
	for name, o := range offs {
		if (o-base)%8 != 0 {
			return nil, fmt.Errorf("%s stored at an unaligned offset %#x", name, o)
		}
		if other, dup := seen[o]; dup {
			return nil, fmt.Errorf("%s and %s stored at the same offset %#x", name, other, o)
		}
		seen[o] = name
		slots[name] = int((o - base) / 8)
	}
	for i := range len(slots) {
		if _, ok := seen[base+int64(8*i)]; !ok {
			return nil, fmt.Errorf("slot %d of %d is never stored: the table has a gap", i, len(slots))
		}
	}
	return slots, nil
}
