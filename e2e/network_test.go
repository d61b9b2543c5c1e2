package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFourValidatorNetwork runs the whole economy and its faults on a real
// network of four validators on 127.0.0.1, each with its own verifier
// sidecar, plus provider agents and a dataset server, all real processes:
//
//   - economy: two lockers lock; alice registers a model with two shares and
//     lists a dataset with a PER_JOB offer; bob creates an mlp job on both;
//     two providers bid, the lower wins at the second price; the job is
//     sampled, every sidecar verifies it, and settlement pays the provider,
//     both model shares, the dataset's shares and the reward pool to the coin;
//     both lockers claim their share of the pool to the coin.
//   - sidecar-killed: with one sidecar killed its validator keeps signing
//     blocks, and a job still settles verified by the other three.
//   - validator-killed: a validator killed while a job is under verification:
//     the chain goes on and the job settles; the validator restarts, catches
//     up and has the same app hashes as the others.
//   - corrupt-provider: a provider that corrupts a chunk is slashed and
//     jailed, while the honest provider, across every job of this test, is
//     never slashed.
//
// Phases share one network (starting four validators is the slow part); a
// failed phase stops the test.
func TestFourValidatorNetwork(t *testing.T) {
	fourValidatorLane(t) // in parallel with the one-validator tests, one four-validator network at a time
	c := NewChain(t, 4, "alice", "bob", "carol", "dave", "prov1", "prov2", "cheat", "locker1", "locker2")
	c.SetComputeParams(map[string]any{
		"sample_rate_floor_bps": 10000, // every job is sampled
		"samples_per_job":       5,     // every chunk of these jobs (4 or 5)
		"verification_blocks":   "40",
		"challenge_blocks":      "6",
	})
	c.Start()
	dir := t.TempDir()
	sidecars := make([]*Process, len(c.Nodes))
	for i, n := range c.Nodes {
		sidecars[i] = StartSidecar(t, dir, fmt.Sprintf("sidecar%d", i), n)
	}
	// The honest provider serves every phase; prov2 only bids in the first.
	nw := &network{c: c, dir: dir, sidecars: sidecars}
	nw.prov1 = c.StartProvider(t, dir, "prov1", c.Nodes[0].SparePort(1), "1000uaic")
	nw.prov2 = c.StartProvider(t, dir, "prov2", c.Nodes[0].SparePort(2), "2000uaic")
	nw.prov1Bond = c.providerBond(t, c.Addr("prov1"))
	for _, phase := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"economy", nw.economy},
		{"sidecar-killed", nw.sidecarKilled},
		{"validator-killed", nw.validatorKilled},
		{"corrupt-provider", nw.corruptProvider},
	} {
		if !t.Run(phase.name, phase.run) {
			return
		}
	}
}

// network is the state the phases of TestFourValidatorNetwork share.
type network struct {
	c         *Chain
	dir       string
	sidecars  []*Process
	prov1     *Process // the honest provider of every phase
	prov2     *Process // a second honest provider, bidding higher
	prov1Bond int64    // its bond when it registered
	seed      int      // the next gemm job's seed
}

func (nw *network) economy(t *testing.T) {
	c := nw.c
	assertDefaultFees(t, c)
	alice, bob, carol, dave := c.Addr("alice"), c.Addr("bob"), c.Addr("carol"), c.Addr("dave")
	p1, p2, l1, l2 := c.Addr("prov1"), c.Addr("prov2"), c.Addr("locker1"), c.Addr("locker2")
	pool := srModuleAddr(t, "reward_pool")

	// Two lockers lock while the reward pool is empty: weights 3:1 (same tier).
	if b := c.restBalance(t, pool); !b.IsZero() {
		t.Fatalf("reward pool holds %s before any fee", b)
	}
	okTx(t, "lock locker1", c.Tx("stakingrewards", "lock", "3000000uaic", "10m", "--from", "locker1"))
	okTx(t, "lock locker2", c.Tx("stakingrewards", "lock", "1000000uaic", "10m", "--from", "locker2"))

	m := listMLPMarket(t, c)

	accounts := []string{alice, bob, carol, dave, p1, p2, pool, l1, l2}
	names := map[string]string{alice: "alice", bob: "bob", carol: "carol", dave: "dave",
		p1: "prov1", p2: "prov2", pool: "reward pool", l1: "locker1", l2: "locker2"}
	before := map[string]int64{}
	for _, a := range accounts {
		before[a] = c.restBalance(t, a).Int64()
	}
	poolBefore := before[pool]

	// Windows wide enough for both agents to commit and reveal on a loaded machine.
	id := c.createMLPJob(t, "--commit-blocks", "8", "--reveal-blocks", "8", "--exec-blocks", "60")
	c.waitJobState(t, id, 120*time.Second, "JOB_STATE_ASSIGNED", "JOB_STATE_SUBMITTED", "JOB_STATE_VERIFYING",
		"JOB_STATE_SETTLED", "JOB_STATE_FAILED", "JOB_STATE_EXPIRED")
	bids := jobBids(t, c, id)
	if len(bids) != 2 || bids[p1] != "1000uaic" || bids[p2] != "2000uaic" {
		t.Fatalf("revealed bids %v, want prov1 1000uaic and prov2 2000uaic\nprov2:\n%s", bids, nw.prov2.LogTail(20))
	}
	j := c.waitJobState(t, id, 180*time.Second, "JOB_STATE_SETTLED", "JOB_STATE_FAILED", "JOB_STATE_EXPIRED")
	if j.State != "JOB_STATE_SETTLED" || j.CloseReason != "CLOSE_REASON_SETTLED" {
		t.Fatalf("mlp job ended %s / %s, want SETTLED by verification\nprov1:\n%s", j.State, j.CloseReason, nw.prov1.LogTail(30))
	}
	// Second price: the lower bid wins and is paid the higher one.
	if j.Winner != p1 || j.ClearingPrice.Amount != "2000" || j.ClearingPrice.Denom != "uaic" {
		t.Fatalf("winner %s at %s%s, want prov1 at the second price 2000uaic", j.Winner, j.ClearingPrice.Amount, j.ClearingPrice.Denom)
	}
	nw.assertVerifiedByAll(t, id, 3)

	// Every balance, to the coin (gas is free on test networks).
	pay := mlpPayouts(2000)
	want := map[string]int64{alice: pay["alice"], carol: pay["carol"], dave: pay["dave"], p1: pay["provider"],
		pool: pay["pool"], bob: pay["bob"], p2: 0, l1: 0, l2: 0}
	for _, a := range accounts {
		if got := c.restBalance(t, a).Int64() - before[a]; got != want[a] {
			t.Errorf("%s: balance changed by %d uaic, want %d", names[a], got, want[a])
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	if got := c.providerBond(t, p2); got != 50_000_000 {
		t.Fatalf("prov2's bond %d after losing the auction, want 50000000", got)
	}
	nw.prov2.Stop()

	// The lockers share the pool 3:1. locker1 claims first and is paid the
	// whole coins of 3/4 of it; the fraction it leaves goes back to the
	// pool's undistributed coins and is shared again 3:1 when locker2
	// claims, who is paid the whole coins of 1/4 of the pool plus 1/4 of
	// that fraction.
	P := poolBefore + pay["pool"]
	wantL1 := 3 * P / 4
	wantL2 := (4*P + 3*P%4) / 16
	for _, l := range []struct {
		key, addr string
		want      int64
	}{{"locker1", l1, wantL1}, {"locker2", l2, wantL2}} {
		b := c.restBalance(t, l.addr).Int64()
		okTx(t, "claim "+l.key, c.Tx("stakingrewards", "claim-rewards", "--from", l.key))
		if got := c.restBalance(t, l.addr).Int64() - b; got != l.want {
			t.Errorf("%s claimed %d uaic of a pool of %d, want %d", l.key, got, P, l.want)
		}
	}
	if got := c.restBalance(t, pool).Int64(); got != P-wantL1-wantL2 {
		t.Errorf("reward pool keeps %d uaic after both claims, want %d", got, P-wantL1-wantL2)
	}
	// The model registry records the use.
	var usage struct {
		Usage struct {
			Jobs string `json:"jobs"`
			Rows string `json:"rows"`
		} `json:"usage"`
	}
	getJSON(t, c, "/aichain/modelregistry/v1/models/1/usage", &usage)
	if usage.Usage.Jobs != "1" || usage.Usage.Rows != strconv.Itoa(m.Data.Rows) {
		t.Errorf("model usage %+v, want 1 job over %d rows", usage.Usage, m.Data.Rows)
	}
}

func (nw *network) sidecarKilled(t *testing.T) {
	c := nw.c
	const victim = 2
	nw.sidecars[victim].Kill()
	from := c.WaitBlocks(1)
	id := nw.gemmJob(t)
	j := c.waitJobState(t, id, 180*time.Second, "JOB_STATE_SETTLED", "JOB_STATE_FAILED", "JOB_STATE_EXPIRED")
	if j.State != "JOB_STATE_SETTLED" || j.CloseReason != "CLOSE_REASON_SETTLED" || j.Winner != c.Addr("prov1") {
		t.Fatalf("job %s ended %s / %s (winner %s), want SETTLED by the three other sidecars", id, j.State, j.CloseReason, j.Winner)
	}
	nw.assertVerifiedByAll(t, id, 3)
	// node2 kept signing: its precommits are in the commits of the blocks
	// made while its sidecar was down.
	to := c.WaitBlocks(1)
	signed, total := nw.signedCommits(t, victim, from, to)
	if total < 5 || signed*10 < total*8 {
		t.Fatalf("%s signed %d of the %d blocks %d..%d made without its sidecar, want at least 80%%", c.Nodes[victim].Name, signed, total, from, to)
	}
	t.Logf("%s signed %d of %d blocks without its sidecar", c.Nodes[victim].Name, signed, total)
	if err := nw.sidecars[victim].Restart(); err != nil {
		t.Fatal(err)
	}
}

func (nw *network) validatorKilled(t *testing.T) {
	c := nw.c
	const victim = 3
	node := c.Nodes[victim]
	id := nw.gemmJob(t)
	// Kill the validator once the result is in and its check is due: from
	// submission (the draw is a later block) to the verdict. It read the job
	// through the CLI once and waited for VERIFYING alone; on a busy CI host
	// one aichaind start took longer than the verification window, and the
	// test saw the job settled (CI of d49cf1b). The REST gateway answers in
	// milliseconds, and SUBMITTED widens the window by the draw's blocks.
	j := c.waitJobState(t, id, 180*time.Second, "JOB_STATE_SUBMITTED", "JOB_STATE_VERIFYING",
		"JOB_STATE_SETTLED", "JOB_STATE_FAILED", "JOB_STATE_EXPIRED")
	if j.State != "JOB_STATE_SUBMITTED" && j.State != "JOB_STATE_VERIFYING" {
		t.Fatalf("job %s went to %s before it was checked", id, j.State)
	}
	node.Kill()
	killedAt := c.WaitBlocks(0)
	j = c.waitJobState(t, id, 180*time.Second, "JOB_STATE_SETTLED", "JOB_STATE_FAILED", "JOB_STATE_EXPIRED")
	if j.State != "JOB_STATE_SETTLED" || j.CloseReason != "CLOSE_REASON_SETTLED" {
		t.Fatalf("job %s ended %s / %s with %s down, want SETTLED by the other three", id, j.State, j.CloseReason, node.Name)
	}
	// The chain goes on without it.
	if h := c.WaitBlocks(3); h < killedAt+3 {
		t.Fatalf("height %d, was %d when %s was killed", h, killedAt, node.Name)
	}

	// It restarts from its own data and catches up.
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	target := c.WaitBlocks(2)
	deadline := time.Now().Add(120 * time.Second)
	for {
		h, err := node.Height()
		if err == nil && h >= target {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s restarted but is at height %d (%v), the chain at %d\n%s", node.Name, h, err, target, node.LogTail(30))
		}
		time.Sleep(300 * time.Millisecond)
	}
	// Same app hash as node0 at every height from before the kill to now,
	// blocks it replayed and blocks it synced after the restart alike.
	for h := killedAt - 2; h <= target; h++ {
		a, b := blockAppHash(t, c.Nodes[0], h), blockAppHash(t, node, h)
		if a != b {
			t.Fatalf("height %d: app hash %s on %s, %s on %s", h, a, c.Nodes[0].Name, b, node.Name)
		}
	}
	// And it signs again. A node that has just caught up by block sync joins
	// consensus at a later round, later still on a busy machine (the e2e
	// package runs other chains beside this one): it is given a minute.
	deadline = time.Now().Add(60 * time.Second)
	for {
		from := c.WaitBlocks(1)
		to := c.WaitBlocks(4)
		signed, total := nw.signedCommits(t, victim, from, to)
		if signed > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s signed none of the %d blocks %d-%d, a minute after catching up\n%s", node.Name, total, from, to, node.LogTail(30))
		}
	}
}

func (nw *network) corruptProvider(t *testing.T) {
	c := nw.c
	p1, cheatAddr := c.Addr("prov1"), c.Addr("cheat")
	// The cheat bids below prov1, so it wins whatever it bids on while it
	// can bid; it flips a bit of chunk 0 before committing to its result.
	cheat := c.StartProvider(t, nw.dir, "cheat", c.Nodes[0].SparePort(3), "900uaic", "--fault-corrupt-chunk", "0")
	cheatBond := c.providerBond(t, cheatAddr)
	first := nw.gemmJob(t)
	j := c.waitJobState(t, first, 180*time.Second, "JOB_STATE_SETTLED", "JOB_STATE_FAILED", "JOB_STATE_EXPIRED")
	if j.Winner != cheatAddr || j.State != "JOB_STATE_FAILED" || j.CloseReason != "CLOSE_REASON_FRAUD" {
		t.Fatalf("the cheat's job %s ended %s / %s (winner %s), want FAILED by fraud with the cheat as winner\ncheat:\n%s",
			first, j.State, j.CloseReason, j.Winner, cheat.LogTail(20))
	}
	nw.assertVerdicts(t, first, "VERDICT_INVALID", 2)
	if after := c.providerBond(t, cheatAddr); after >= cheatBond {
		t.Fatalf("cheat's bond %d after fraud, was %d: not slashed", after, cheatBond)
	}
	if st := providerStatus(t, c, cheatAddr); st != "PROVIDER_STATUS_JAILED" {
		t.Fatalf("cheat's status %s after fraud, want jailed", st)
	}

	// More jobs at once: the jailed cheat cannot bid; the honest provider
	// runs them all, each is verified, and it is never slashed.
	var ids []string
	for i := 0; i < 4; i++ {
		ids = append(ids, nw.gemmJob(t))
	}
	for _, id := range ids {
		j := c.waitJobState(t, id, 240*time.Second, "JOB_STATE_SETTLED", "JOB_STATE_FAILED", "JOB_STATE_EXPIRED")
		if j.Winner != p1 || j.State != "JOB_STATE_SETTLED" || j.CloseReason != "CLOSE_REASON_SETTLED" {
			t.Errorf("job %s ended %s / %s with winner %s, want SETTLED by verification, won by prov1", id, j.State, j.CloseReason, j.Winner)
		}
	}
	if got := c.providerBond(t, p1); got != nw.prov1Bond {
		t.Fatalf("prov1's bond %d, was %d: an honest provider was slashed", got, nw.prov1Bond)
	}
	if st := providerStatus(t, c, p1); st != "PROVIDER_STATUS_ACTIVE" {
		t.Fatalf("prov1's status %s, want active", st)
	}
	// No sidecar ever found another job INVALID.
	for i, s := range nw.sidecars {
		for _, line := range strings.Split(logText(s), "\n") {
			if strings.Contains(line, "verdict=VERDICT_INVALID") && !strings.Contains(line, fmt.Sprintf(" job=%s ", first)) {
				t.Errorf("sidecar %d: %s", i, line)
			}
		}
	}
}

// gemmJob has alice create a small gemm job with windows wide enough for a
// loaded four-validator network, and returns its id.
func (nw *network) gemmJob(t *testing.T) string {
	t.Helper()
	nw.seed++
	return nw.c.createGemmJob(t, nw.seed, "--commit-blocks", "6", "--reveal-blocks", "6", "--exec-blocks", "60")
}

// assertVerifiedByAll checks that job id was verified VALID by every running
// sidecar (their logs) and that at least min validators' VALID verdicts were
// recorded on chain (the job settles in the block where 2/3 of the power
// agrees, so a fourth verdict in the same block may be left uncounted).
func (nw *network) assertVerifiedByAll(t *testing.T, id string, min int) {
	t.Helper()
	for i, s := range nw.sidecars {
		if s.Exited() {
			continue
		}
		line := fmt.Sprintf("job=%s verdict=VERDICT_VALID", id)
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(logText(s), line) {
			if time.Now().After(deadline) {
				t.Fatalf("sidecar %d never found job %s VALID:\n%s", i, id, s.LogTail(20))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	nw.assertVerdicts(t, id, "VERDICT_VALID", min)
}

// assertVerdicts checks that the chain recorded, in the blocks since the
// job's creation, at least min distinct validators' verdicts on the job,
// every one of them want.
func (nw *network) assertVerdicts(t *testing.T, id, want string, min int) {
	t.Helper()
	c := nw.c
	var job struct {
		Job struct {
			CreatedHeight string `json:"created_height"`
		} `json:"job"`
	}
	getJSON(t, c, "/aichain/compute/v1/jobs/"+id, &job)
	from, err := strconv.ParseInt(job.Job.CreatedHeight, 10, 64)
	if err != nil {
		t.Fatalf("job %s created_height %q: %v", id, job.Job.CreatedHeight, err)
	}
	to, err := c.Nodes[0].Height()
	if err != nil {
		t.Fatal(err)
	}
	verdicts := map[string]string{}
	for h := from; h <= to; h++ {
		var res struct {
			Events []Event `json:"finalize_block_events"`
		}
		if err := c.Nodes[0].RPC(fmt.Sprintf("/block_results?height=%d", h), &res); err != nil {
			t.Fatal(err)
		}
		for _, ev := range res.Events {
			if ev.Type != "aichain.compute.v1.EventVerdictRecorded" {
				continue
			}
			attrs := map[string]string{}
			for _, a := range ev.Attributes {
				attrs[a.Key] = trimQuotes(a.Value)
			}
			if attrs["job_id"] == id {
				verdicts[attrs["validator"]] = attrs["verdict"]
			}
		}
	}
	if len(verdicts) < min {
		t.Fatalf("job %s: %d validators' verdicts recorded in blocks %d..%d (%v), want at least %d", id, len(verdicts), from, to, verdicts, min)
	}
	for v, got := range verdicts {
		if got != want {
			t.Fatalf("job %s: validator %s voted %s, want %s (all: %v)", id, v, got, want, verdicts)
		}
	}
}

// signedCommits counts in how many of the blocks from..to node i's
// validator signed the commit (its precommit is in the next block's commit).
func (nw *network) signedCommits(t *testing.T, i int, from, to int64) (signed, total int) {
	t.Helper()
	var st struct {
		ValidatorInfo struct {
			Address string `json:"address"`
		} `json:"validator_info"`
	}
	if err := nw.c.Nodes[i].RPC("/status", &st); err != nil {
		t.Fatal(err)
	}
	for h := from; h <= to; h++ {
		var cm struct {
			SignedHeader struct {
				Commit struct {
					Signatures []struct {
						BlockIDFlag      int    `json:"block_id_flag"`
						ValidatorAddress string `json:"validator_address"`
					} `json:"signatures"`
				} `json:"commit"`
			} `json:"signed_header"`
		}
		if err := nw.c.Nodes[0].RPC(fmt.Sprintf("/commit?height=%d", h), &cm); err != nil {
			t.Fatal(err)
		}
		total++
		for _, s := range cm.SignedHeader.Commit.Signatures {
			if s.ValidatorAddress == st.ValidatorInfo.Address && s.BlockIDFlag == 2 { // BlockIDFlagCommit
				signed++
			}
		}
	}
	return signed, total
}

// blockAppHash is the app hash in the header of block h on node n.
func blockAppHash(t *testing.T, n *Node, h int64) string {
	t.Helper()
	var b struct {
		Block struct {
			Header struct {
				AppHash string `json:"app_hash"`
			} `json:"header"`
		} `json:"block"`
	}
	if err := n.RPC(fmt.Sprintf("/block?height=%d", h), &b); err != nil {
		t.Fatal(err)
	}
	if b.Block.Header.AppHash == "" {
		t.Fatalf("%s: block %d has no app hash", n.Name, h)
	}
	return b.Block.Header.AppHash
}

// jobBids returns a job's revealed bids by provider.
func jobBids(t *testing.T, c *Chain, id string) map[string]string {
	t.Helper()
	var res struct {
		Bids []struct {
			Provider string `json:"provider"`
			Price    struct {
				Denom  string `json:"denom"`
				Amount string `json:"amount"`
			} `json:"price"`
		} `json:"bids"`
	}
	getJSON(t, c, "/aichain/compute/v1/jobs/"+id+"/bids", &res)
	out := map[string]string{}
	for _, b := range res.Bids {
		out[b.Provider] = b.Price.Amount + b.Price.Denom
	}
	return out
}

func providerStatus(t *testing.T, c *Chain, addr string) string {
	t.Helper()
	var res struct {
		Provider struct {
			Status string `json:"status"`
		} `json:"provider"`
	}
	getJSON(t, c, "/aichain/compute/v1/providers/"+addr, &res)
	return res.Provider.Status
}

func logText(p *Process) string {
	b, _ := os.ReadFile(p.Log)
	return string(b)
}
