package app

import (
	"path/filepath"
	"sync"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/syndtr/goleveldb/leveldb/filter"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

// OpenDB opens the application state database (data/application.db) as
// the SDK's default opener does, except that a goleveldb database gets
// levelDBOptions instead of goleveldb's defaults (4 MiB memtable, 8 MiB
// block cache, 2 MiB tables), which are sized for a small embedded store:
// under load, with state growing, LevelDB compaction took 1 % of the node's
// CPU at the start of a run and 15 % at its end (docs/bench-chain-profiles.md).
// The options only change how the files are written and cached, not their
// format: a database written with either opens with the other. aichaind's
// start command opens its database with it (StartCmdOptions.DBOpener),
// before the CometBFT node opens its own: OpenDB first sets goleveldb's
// defaults for those (useCometLevelDBDefaults).
func OpenDB(rootDir string, backend dbm.BackendType) (dbm.DB, error) {
	cometLevelDBOnce.Do(useCometLevelDBDefaults)
	dataDir := filepath.Join(rootDir, "data")
	if backend != dbm.GoLevelDBBackend {
		return dbm.NewDB("application", backend, dataDir)
	}
	return dbm.NewGoLevelDBWithOpts("application", dataDir, levelDBOptions())
}

// levelDBOptions are the application database's LevelDB options:
//   - a 64 MiB memtable: IAVL writes every changed node and deletes pruned
//     ones, so a larger memtable flushes less often and keeps more
//     short-lived entries from ever reaching level 0;
//   - 8 MiB tables and a 64 MiB level 1, so fewer, larger compactions;
//   - level-0 slowdown and pause at 16 and 24 files (8 and 12 by default),
//     so a burst of commits is not throttled while compaction catches up;
//   - a 128 MiB block cache, and no compactions triggered by reads (IAVL
//     reads are random: read-triggered compaction rewrites tables for
//     nothing);
//   - the 10-bit bloom filter the SDK's default opener also sets.
//
// About 256 MiB of memory in all when full.
func levelDBOptions() *opt.Options {
	return &opt.Options{
		Filter:                 filter.NewBloomFilter(10),
		WriteBuffer:            64 * opt.MiB,
		BlockCacheCapacity:     128 * opt.MiB,
		CompactionTableSize:    8 * opt.MiB,
		CompactionTotalSize:    64 * opt.MiB,
		WriteL0SlowdownTrigger: 16,
		WriteL0PauseTrigger:    24,
		DisableSeeksCompaction: true,
	}
}

var cometLevelDBOnce sync.Once

// useCometLevelDBDefaults sets goleveldb's package defaults, which every
// database opened without options gets: CometBFT's own (tx_index.db,
// state.db, blockstore.db, evidence.db), which the SDK's start command has
// it open with no options and no way for an app to pass any. The tx
// indexer writes a key for every event attribute of every transaction,
// and state.db every block's results with their events: with goleveldb's
// 4 MiB memtable and 2 MiB tables their compaction was the largest cost
// by which a node's CPU per create job exceeded a send's (+240 µs of
// +415 µs; docs/bench-chain-profiles.md). These are a 32 MiB memtable,
// 8 MiB tables, a 64 MiB level 1 and level-0 slowdown and pause at 16 and
// 24 tables. Like levelDBOptions they change how files are written, not
// their format, and nothing any node computes. They cost about 300 MiB
// more memory at peak (four memtables, each doubled while it flushes).
func useCometLevelDBDefaults() {
	opt.DefaultWriteBuffer = 32 * opt.MiB
	opt.DefaultCompactionTableSize = 8 * opt.MiB
	opt.DefaultCompactionTotalSize = 64 * opt.MiB
	opt.DefaultWriteL0SlowdownTrigger = 16
	opt.DefaultWriteL0PauseTrigger = 24
}
