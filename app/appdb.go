package app

import (
	"path/filepath"

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
// start command opens its database with it (StartCmdOptions.DBOpener).
func OpenDB(rootDir string, backend dbm.BackendType) (dbm.DB, error) {
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
