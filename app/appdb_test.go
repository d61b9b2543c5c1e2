package app

import (
	"fmt"
	"path/filepath"
	"testing"

	dbm "github.com/cosmos/cosmos-db"
)

// The node opens data/application.db with its own LevelDB options; a
// database it wrote opens with the SDK's default options (as `aichaind
// export`, `rollback` and older binaries open it) and the other way round,
// with every entry intact, past a memtable flush and a compaction.
func TestAppDBOptionsKeepTheFormat(t *testing.T) {
	home := t.TempDir()
	db, err := OpenDB(home, dbm.GoLevelDBBackend)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := db.(*dbm.GoLevelDB); !ok {
		t.Fatalf("opened a %T, want goleveldb", db)
	}
	const n = 20_000
	value := make([]byte, 4096) // 80 MiB in all: more than one 64 MiB memtable
	put := func(db dbm.DB, from, to int) {
		t.Helper()
		b := db.NewBatch()
		for i := from; i < to; i++ {
			copy(value, fmt.Sprintf("v%08d", i))
			if err := b.Set([]byte(fmt.Sprintf("k%08d", i)), value); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.WriteSync(); err != nil {
			t.Fatal(err)
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
	}
	check := func(db dbm.DB, to int) {
		t.Helper()
		for i := 0; i < to; i += 997 {
			v, err := db.Get([]byte(fmt.Sprintf("k%08d", i)))
			if err != nil || string(v[:9]) != fmt.Sprintf("v%08d", i) {
				t.Fatalf("entry %d: %q, %v", i, v[:9], err)
			}
		}
	}
	put(db, 0, n/2)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	dflt, err := dbm.NewDB("application", dbm.GoLevelDBBackend, filepath.Join(home, "data"))
	if err != nil {
		t.Fatalf("the SDK's default opener cannot open the node's database: %v", err)
	}
	check(dflt, n/2)
	put(dflt, n/2, n)
	if err := dflt.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = OpenDB(home, dbm.GoLevelDBBackend)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	check(db, n)
	if err := db.(*dbm.GoLevelDB).ForceCompact(nil, nil); err != nil {
		t.Fatal(err)
	}
	check(db, n)
}

// Another backend is opened as the SDK opens it.
func TestAppDBOtherBackend(t *testing.T) {
	db, err := OpenDB(t.TempDir(), dbm.MemDBBackend)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, ok := db.(*dbm.MemDB); !ok {
		t.Fatalf("memdb backend opened a %T", db)
	}
}
