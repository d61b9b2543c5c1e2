package app_test

import (
	"path/filepath"
	"testing"
	"time"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/syndtr/goleveldb/leveldb"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
)

// appDBAccounts is the number of accounts, and of create jobs a block.
const appDBAccounts = 200

// BenchmarkAppDBOptions runs the same blocks of create jobs (200 a block;
// each job expires unbid after its commit window, so state is written,
// rewritten and pruned as on a busy chain) on two apps on LevelDB, one with
// the SDK's default options and one with the node's (app.OpenDB),
// a round of each in turn, b.N rounds (-benchtime 300x: 60,000 jobs). Per
// database, what LevelDB reports: bytes written to disk per transaction
// (memtable flushes and compactions: the write amplification), time spent
// compacting, and time writes were delayed (a delayed write holds up a
// block's Commit); and the process's CPU time per transaction while that
// app's rounds ran (background compaction of either database may fall in
// the other's rounds: the disk and compaction figures are the exact ones).
//
//	go test ./app -run '^$' -bench AppDBOptions -benchtime 300x
func BenchmarkAppDBOptions(b *testing.B) {
	type side struct {
		name  string
		db    *dbm.GoLevelDB
		tb    *txBench
		cost  txCost
		round int
	}
	sides := []*side{{name: "sdk"}, {name: "node"}}
	// The SDK's default opener (data/application.db with goleveldb's
	// defaults and a bloom filter) and the node's.
	for i, open := range []func(string, dbm.BackendType) (dbm.DB, error){
		func(home string, be dbm.BackendType) (dbm.DB, error) {
			return dbm.NewDB("application", be, filepath.Join(home, "data"))
		},
		app.OpenDB,
	} {
		db, err := open(b.TempDir(), dbm.GoLevelDBBackend)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = db.Close() })
		sides[i].db = db.(*dbm.GoLevelDB)
		sides[i].tb = newTxBenchOn(b, apptesting.SetupOnDB(b, appDBAccounts, db))
	}
	for i := 0; i < b.N; i++ {
		for _, s := range sides {
			seed := s.round
			s.round++
			msgs := s.tb.repeat(func(j int) sdk.Msg { return createMsg(s.tb.addr(j), uint64(seed*1000+j+1)) })
			s.cost.add(s.tb.run(s.tb.sign(msgs)))
		}
	}
	b.ReportMetric(0, "ns/op")
	stats := make([]leveldb.DBStats, len(sides))
	for i, s := range sides {
		if err := s.db.DB().Stats(&stats[i]); err != nil {
			b.Fatal(err)
		}
		var compaction time.Duration
		for _, d := range stats[i].LevelDurations {
			compaction += d
		}
		b.ReportMetric(s.cost.cpuUsPerTx(), s.name+"-cpu-µs/tx")
		b.ReportMetric(float64(stats[i].IOWrite)/float64(s.cost.n), s.name+"-disk-B/tx")
		b.ReportMetric(float64(compaction.Milliseconds()), s.name+"-compaction-ms")
		b.ReportMetric(float64(stats[i].WriteDelayDuration.Milliseconds()), s.name+"-write-delay-ms")
	}
	b.ReportMetric(sides[1].cost.cpuUsPerTx()/sides[0].cost.cpuUsPerTx(), "cpu-node/sdk")
	b.ReportMetric(float64(stats[1].IOWrite)/float64(stats[0].IOWrite), "disk-node/sdk")
}
