package e2e

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// providerState reads a provider's status and its bond.
func (c *Chain) providerState(t *testing.T, addr string) (status string, bond int64) {
	t.Helper()
	var res struct {
		Provider struct {
			Status string `json:"status"`
		} `json:"provider"`
	}
	out := c.CLI("q", "compute", "provider", addr, "--output", "json")
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("decode provider: %v\n%s", err, out)
	}
	return res.Provider.Status, c.providerBond(t, addr)
}

// winnerCollateral reads a job's winner_collateral amount.
func (c *Chain) winnerCollateral(t *testing.T, id string) int64 {
	t.Helper()
	var res struct {
		Job struct {
			WinnerCollateral struct {
				Amount json.Number `json:"amount"`
			} `json:"winner_collateral"`
		} `json:"job"`
	}
	out := c.CLI("q", "compute", "job", id, "--output", "json")
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("decode job: %v\n%s", err, out)
	}
	n, err := res.Job.WinnerCollateral.Amount.Int64()
	if err != nil {
		t.Fatalf("winner_collateral %q: %v", res.Job.WinnerCollateral.Amount, err)
	}
	return n
}

// TestOutageIsNotFraud (issue 15, item 2) runs on a real network of four
// validators, each with its own verifier sidecar, and provider agents whose
// chunk server refuses every chunk of a job for a while from the job's first
// chunk request (fault injection):
//   - a brief outage (4 s, a few blocks, fewer than unavailable_span_blocks
//     8): no sidecar votes UNAVAILABLE; they retry at later polls, find the
//     result VALID, and the job settles: the provider is paid and its bond
//     untouched;
//   - withholding for the whole window (and its extension): > 1/3 of the
//     power votes UNAVAILABLE after the span; the job fails WITHHELD, the
//     provider loses exactly the job's collateral (not the fraud slash of
//     half its bond), is not jailed, and the requester ends even (escrow
//     back, compensated its creation fee);
//   - clogged verification (item 3): half the sidecars stopped, no quorum:
//     the requester is refunded and the provider paid nothing (clogged).
func TestOutageIsNotFraud(t *testing.T) {
	fourValidatorLane(t) // in parallel with the one-validator tests, one four-validator network at a time
	c := NewChain(t, 4, "alice", "brief", "withholder", "honest")
	c.SetComputeParams(map[string]any{
		"sample_rate_floor_bps":   10000, // every job is sampled
		"samples_per_job":         4,     // all 4 chunks
		"verification_blocks":     "20",
		"unavailable_span_blocks": "8",
		"challenge_blocks":        "6",
	})
	c.Start()
	dir := t.TempDir()
	sidecars := make([]*Process, len(c.Nodes))
	for i, n := range c.Nodes {
		sidecars[i] = StartSidecar(t, dir, fmt.Sprintf("sidecar%d", i), n)
	}
	logs := func(p *Process) string {
		s := "provider:\n" + p.LogTail(15)
		for _, sc := range sidecars {
			s += "\n" + sc.Name + ":\n" + sc.LogTail(8)
		}
		return s
	}
	fee := computeParamInt(t, c, "protocol_fee_bps")
	alice := c.Addr("alice")

	// A brief outage: not slashed, paid.
	brief := c.StartProvider(t, dir, "brief", c.Nodes[0].SparePort(1), "1000uaic", "--fault-withhold-for", "4s")
	addr := c.Addr("brief")
	_, bond := c.providerState(t, addr)
	paidBefore := c.restBalance(t, addr).Int64()
	id := c.createGemmJob(t, 1)
	j := c.waitJobState(t, id, 240*time.Second, "JOB_STATE_SETTLED", "JOB_STATE_FAILED", "JOB_STATE_EXPIRED")
	if j.State != "JOB_STATE_SETTLED" || j.CloseReason != "CLOSE_REASON_SETTLED" || j.Winner != addr {
		t.Fatalf("job with a 4 s outage ended %s / %s (winner %s), want SETTLED by verification\n%s", j.State, j.CloseReason, j.Winner, logs(brief))
	}
	var price int64
	if _, err := fmt.Sscan(j.ClearingPrice.Amount, &price); err != nil {
		t.Fatalf("clearing price %q: %v", j.ClearingPrice.Amount, err)
	}
	if got, want := c.restBalance(t, addr).Int64()-paidBefore, price-price*fee/10_000; got != want {
		t.Fatalf("provider after a brief outage earned %d, want %d (price %d less the protocol fee)", got, want, price)
	}
	if status, after := c.providerState(t, addr); after != bond || status != "PROVIDER_STATUS_ACTIVE" {
		t.Fatalf("provider after a brief outage: %s, bond %d (was %d)", status, after, bond)
	}
	brief.Stop()

	// Withholding for the whole window: the collateral, not the fraud slash.
	withholder := c.StartProvider(t, dir, "withholder", c.Nodes[0].SparePort(2), "1000uaic", "--fault-withhold-for", "1h")
	addr = c.Addr("withholder")
	_, bond = c.providerState(t, addr)
	provBefore, aliceBefore := c.restBalance(t, addr).Int64(), c.restBalance(t, alice).Int64()
	id = c.createGemmJob(t, 2)
	j = c.waitJobState(t, id, 240*time.Second, "JOB_STATE_SETTLED", "JOB_STATE_FAILED", "JOB_STATE_EXPIRED")
	if j.State != "JOB_STATE_FAILED" || j.CloseReason != "CLOSE_REASON_WITHHELD" || j.Winner != addr {
		t.Fatalf("withheld job ended %s / %s (winner %s), want FAILED / WITHHELD\n%s", j.State, j.CloseReason, j.Winner, logs(withholder))
	}
	collateral := c.winnerCollateral(t, id)
	status, after := c.providerState(t, addr)
	if after != bond-collateral || status != "PROVIDER_STATUS_ACTIVE" {
		t.Fatalf("withholder: %s, bond %d, want ACTIVE and %d − the %d collateral (a fraud slash would take half the bond)",
			status, after, bond, collateral)
	}
	if got := c.restBalance(t, addr).Int64() - provBefore; got != 0 {
		t.Fatalf("withholder's account moved by %d, want 0", got)
	}
	comp := min(collateral*computeParamInt(t, c, "requester_compensation_bps")/10_000, localnetCreationFee)
	if got, want := c.restBalance(t, alice).Int64()-aliceBefore, -localnetCreationFee+comp; got != want {
		t.Fatalf("requester after withholding: %d, want %d (escrow back, creation fee less its compensation)", got, want)
	}
	withholder.Stop()
	clogged(t, c, dir, sidecars[2:])
}

// clogged (issue 15, item 3): with two of the four sidecars stopped, as if
// clogged, only half the power can vote VALID: no quorum. The window is
// extended once, then the job ends EXPIRED / VERIFICATION_INCONCLUSIVE: the
// requester gets its escrow back (it loses only the creation fee), the
// honest provider is paid nothing and forfeits nothing, so a cheater gains
// nothing from clogging verification.
func clogged(t *testing.T, c *Chain, dir string, stop []*Process) {
	t.Helper()
	for _, s := range stop {
		s.Stop()
	}
	prov := c.StartProvider(t, dir, "honest", c.Nodes[0].SparePort(3), "1000uaic")
	addr, alice := c.Addr("honest"), c.Addr("alice")
	_, bond := c.providerState(t, addr)
	provBefore, aliceBefore := c.restBalance(t, addr).Int64(), c.restBalance(t, alice).Int64()
	id := c.createGemmJob(t, 3)
	j := c.waitJobState(t, id, 240*time.Second, "JOB_STATE_SETTLED", "JOB_STATE_FAILED", "JOB_STATE_EXPIRED")
	if j.State != "JOB_STATE_EXPIRED" || j.CloseReason != "CLOSE_REASON_VERIFICATION_INCONCLUSIVE" || j.Winner != addr {
		t.Fatalf("job verified by half the power ended %s / %s (winner %s), want EXPIRED / VERIFICATION_INCONCLUSIVE\n%s",
			j.State, j.CloseReason, j.Winner, prov.LogTail(15))
	}
	var res struct {
		Job struct {
			VerificationExtended bool `json:"verification_extended"`
		} `json:"job"`
	}
	if err := json.Unmarshal([]byte(c.CLI("q", "compute", "job", id, "--output", "json")), &res); err != nil || !res.Job.VerificationExtended {
		t.Fatalf("inconclusive job %s: verification_extended %t (%v), want its window extended once first", id, res.Job.VerificationExtended, err)
	}
	if got := c.restBalance(t, addr).Int64() - provBefore; got != 0 {
		t.Fatalf("provider of an inconclusive job was paid %d, want 0", got)
	}
	if status, after := c.providerState(t, addr); after != bond || status != "PROVIDER_STATUS_ACTIVE" {
		t.Fatalf("provider of an inconclusive job: %s, bond %d (was %d); want ACTIVE, bond untouched", status, after, bond)
	}
	if got := c.restBalance(t, alice).Int64() - aliceBefore; got != -localnetCreationFee {
		t.Fatalf("requester of an inconclusive job: %d, want −%d (escrow back, creation fee kept)", got, localnetCreationFee)
	}
	c.WaitBlocks(2)
}
