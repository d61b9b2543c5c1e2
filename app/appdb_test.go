package app

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	cmtdb "github.com/cometbft/cometbft-db"
	cmtcfg "github.com/cometbft/cometbft/config"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
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

// CometBFT opens its own databases (tx_index.db, state.db, …) with no
// options, so they get goleveldb's package defaults, which OpenDB sets
// before the node opens them: 12 MiB written through CometBFT's own
// opener stays in the memtable, where goleveldb's 4 MiB default flushes
// it to a table (the control, run first, shows the test can tell).
func TestCometDatabasesGetTheNodeDefaults(t *testing.T) {
	tuned := []int{opt.DefaultWriteBuffer, opt.DefaultCompactionTableSize, opt.DefaultCompactionTotalSize,
		opt.DefaultWriteL0SlowdownTrigger, opt.DefaultWriteL0PauseTrigger}
	t.Cleanup(func() {
		opt.DefaultWriteBuffer, opt.DefaultCompactionTableSize, opt.DefaultCompactionTotalSize,
			opt.DefaultWriteL0SlowdownTrigger, opt.DefaultWriteL0PauseTrigger = tuned[0], tuned[1], tuned[2], tuned[3], tuned[4]
	})
	memFlushes := func(wait time.Duration) uint32 {
		t.Helper()
		cfg := cmtcfg.DefaultConfig()
		cfg.SetRoot(t.TempDir())
		db, err := cmtcfg.DefaultDBProvider(&cmtcfg.DBContext{ID: "tx_index", Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ldb, ok := db.(*cmtdb.GoLevelDB)
		if !ok {
			t.Fatalf("CometBFT opened a %T, want goleveldb", db)
		}
		value := make([]byte, 4096)
		for i := 0; i < 3000; i++ { // 12 MiB
			if err := db.Set([]byte(fmt.Sprintf("k%08d", i)), value); err != nil {
				t.Fatal(err)
			}
		}
		var st leveldb.DBStats
		for deadline := time.Now().Add(wait); ; time.Sleep(10 * time.Millisecond) {
			if err := ldb.DB().Stats(&st); err != nil {
				t.Fatal(err)
			}
			if st.MemComp > 0 || time.Now().After(deadline) {
				return st.MemComp
			}
		}
	}

	// goleveldb's own defaults.
	opt.DefaultWriteBuffer, opt.DefaultCompactionTableSize, opt.DefaultCompactionTotalSize,
		opt.DefaultWriteL0SlowdownTrigger, opt.DefaultWriteL0PauseTrigger = 4*opt.MiB, 2*opt.MiB, 10*opt.MiB, 8, 12
	if n := memFlushes(10 * time.Second); n == 0 {
		t.Fatal("control: 12 MiB with a 4 MiB memtable never flushed")
	}

	cometLevelDBOnce = sync.Once{}
	db, err := OpenDB(t.TempDir(), dbm.GoLevelDBBackend)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if opt.DefaultWriteBuffer != 32*opt.MiB || opt.DefaultCompactionTableSize != 8*opt.MiB {
		t.Fatalf("OpenDB left goleveldb's defaults at a %d B memtable, %d B tables", opt.DefaultWriteBuffer, opt.DefaultCompactionTableSize)
	}
	if n := memFlushes(2 * time.Second); n != 0 {
		t.Fatalf("12 MiB in a CometBFT database flushed %d memtables", n)
	}
}
