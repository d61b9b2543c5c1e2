package e2e

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/types/bech32"
)

// assuredJob is what the test reads of a job that bought assurance (the
// fields `q compute job` shows).
type assuredJob struct {
	State       string `json:"state"`
	CloseReason string `json:"close_reason"`
	Assurance   struct {
		Full bool `json:"full"`
	} `json:"assurance"`
	SamplesBought       string     `json:"samples_bought"`
	DetectionBps        int        `json:"detection_bps"`
	VerificationFee     []coinJSON `json:"verification_fee"`
	VerificationFeePaid []coinJSON `json:"verification_fee_paid"`
	ClearingPrice       coinJSON   `json:"clearing_price"`
	CountedVerdicts     []struct {
		Validator string `json:"validator"` // base64 consensus address
		Power     string `json:"power"`
		Verdict   string `json:"verdict"`
	} `json:"counted_verdicts"`
	Sample struct {
		Selected bool     `json:"selected"`
		Indices  []string `json:"indices"`
	} `json:"sample"`
}

type coinJSON struct {
	Denom  string `json:"denom"`
	Amount string `json:"amount"`
}

func (c *Chain) assuredJob(t *testing.T, id string) assuredJob {
	t.Helper()
	var res struct {
		Job assuredJob `json:"job"`
	}
	out := c.CLI("q", "compute", "job", id, "--output", "json")
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("decode job: %v\n%s", err, out)
	}
	return res.Job
}

// validatorOperators maps each validator's consensus address (hex) to its
// operator's account address, and to its consensus power (tokens over the
// default power reduction, 10^6), from the staking module.
func (c *Chain) validatorOperators(t *testing.T) (map[string]string, map[string]int64) {
	t.Helper()
	var res struct {
		Validators []struct {
			OperatorAddress string         `json:"operator_address"`
			ConsensusPubkey map[string]any `json:"consensus_pubkey"` // {"@type", "key"} or {"type", "value"}
			Tokens          string         `json:"tokens"`
		} `json:"validators"`
	}
	out := c.CLI("q", "staking", "validators", "--output", "json")
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("decode validators: %v\n%s", err, out)
	}
	ops, powers := map[string]string{}, map[string]int64{}
	for _, v := range res.Validators {
		key, _ := v.ConsensusPubkey["key"].(string)
		if key == "" {
			key, _ = v.ConsensusPubkey["value"].(string)
		}
		pk, err := base64.StdEncoding.DecodeString(key)
		if err != nil || len(pk) == 0 {
			t.Fatalf("validator %s pubkey: %v", v.OperatorAddress, err)
		}
		sum := sha256.Sum256(pk)
		_, bz, err := bech32.DecodeAndConvert(v.OperatorAddress)
		if err != nil {
			t.Fatal(err)
		}
		acc, err := bech32.ConvertAndEncode("aic", bz)
		if err != nil {
			t.Fatal(err)
		}
		cons := strings.ToUpper(hex.EncodeToString(sum[:20]))
		ops[cons] = acc
		powers[cons] = mustInt(t, v.Tokens) / 1_000_000 // sdk.DefaultPowerReduction
	}
	if len(ops) != len(res.Validators) || len(ops) == 0 {
		t.Fatalf("%d operators for %d validators:\n%s", len(ops), len(res.Validators), out)
	}
	return ops, powers
}

// TestFullAssuranceEndToEnd (issue 15, item 5) runs on four validators, each
// with its own verifier sidecar, and a provider agent. No job is verified by
// rate (sample_rate_floor_bps 0, floor samples_per_job 2). alice buys FULL
// assurance on a 4-chunk job with `create-job --assurance-full`: the job is
// selected anyway, its sample is every chunk, each sidecar whose verdict
// counted checked all four, the job settles by verification, and the
// 4 × 1000 uaic fee is paid to the operators of the validators whose VALID
// verdicts counted, each its share of the set's power, to the coin (the
// shares of validators not counted are burned); alice paid exactly the
// creation fee, the price and the fee.
func TestFullAssuranceEndToEnd(t *testing.T) {
	fourValidatorLane(t) // in parallel with the one-validator tests, one four-validator network at a time
	const perSample, chunks = 1000, 4
	c := NewChain(t, 4, "alice", "provider")
	c.SetComputeParams(map[string]any{
		"sample_rate_floor_bps":       0,
		"samples_per_job":             2,
		"verification_blocks":         "30",
		"challenge_blocks":            "6",
		"verification_fee_per_sample": map[string]string{"denom": "uaic", "amount": strconv.Itoa(perSample)},
	})
	c.Start()
	dir := t.TempDir()
	sidecars := map[string]*Process{} // by the node's consensus address
	for i, n := range c.Nodes {
		sidecars[nodeConsAddress(t, n)] = StartSidecar(t, dir, fmt.Sprintf("sidecar%d", i), n)
	}
	prov := c.StartProvider(t, dir, "provider", c.Nodes[0].SparePort(1), "1000uaic")
	ops, setPowers := c.validatorOperators(t)
	alice := c.Addr("alice")
	addrs := []string{alice}
	for _, a := range ops {
		addrs = append(addrs, a)
	}
	before := c.balances(t, addrs...)

	id := c.createGemmJob(t, 21, "--assurance-full")
	c.waitJobState(t, id, 240*time.Second, "JOB_STATE_SETTLED", "JOB_STATE_FAILED", "JOB_STATE_EXPIRED")
	j := c.assuredJob(t, id)
	if j.State != "JOB_STATE_SETTLED" || j.CloseReason != "CLOSE_REASON_SETTLED" {
		t.Fatalf("FULL job ended %s / %s, want SETTLED by verification\nprovider:\n%s", j.State, j.CloseReason, prov.LogTail(15))
	}
	if !j.Assurance.Full || j.SamplesBought != strconv.Itoa(chunks) || j.DetectionBps != 10_000 {
		t.Fatalf("job records assurance %+v, samples_bought %s, detection_bps %d", j.Assurance, j.SamplesBought, j.DetectionBps)
	}
	if !j.Sample.Selected || !slices.Equal(j.Sample.Indices, []string{"0", "1", "2", "3"}) {
		t.Fatalf("FULL job sampled %+v, want every chunk", j.Sample)
	}
	fee := int64(perSample * chunks)
	wantFee := []coinJSON{{Denom: "uaic", Amount: strconv.FormatInt(fee, 10)}}
	if !slices.Equal(j.VerificationFee, wantFee) || !slices.Equal(j.VerificationFeePaid, wantFee) {
		t.Fatalf("verification_fee %v, paid %v, want %v", j.VerificationFee, j.VerificationFeePaid, wantFee)
	}
	// Each VALID verdict that counted is paid its share of the set's power.
	powers, total := map[string]int64{}, int64(0)
	for _, p := range setPowers {
		total += p
	}
	for _, v := range j.CountedVerdicts {
		bz, err := base64.StdEncoding.DecodeString(v.Validator)
		if err != nil {
			t.Fatal(err)
		}
		p, err := strconv.ParseInt(v.Power, 10, 64)
		if err != nil || v.Verdict != "VERDICT_VALID" {
			t.Fatalf("counted verdict %+v on an honest job", v)
		}
		cons := strings.ToUpper(hex.EncodeToString(bz))
		if p != setPowers[cons] {
			t.Fatalf("validator %s counted with power %d, staking says %d", cons, p, setPowers[cons])
		}
		powers[cons] += p
		if sc := sidecars[cons]; sc == nil || !strings.Contains(sc.LogTail(400), fmt.Sprintf("%d sampled chunks match", chunks)) {
			t.Fatalf("validator %s's verdict counted, but its sidecar did not check all %d chunks", cons, chunks)
		}
	}
	if len(powers) < 3 {
		t.Fatalf("%d counted verdicts, want at least 3 of 4 (2/3 of the power)", len(powers))
	}
	t.Logf("counted verdicts: %d of 4 validators", len(powers))
	want := map[string]int64{alice: -localnetCreationFee - mustInt(t, j.ClearingPrice.Amount) - fee}
	names := map[string]string{alice: "alice"}
	for cons, op := range ops {
		want[op] = fee * powers[cons] / total
		names[op] = "operator of " + cons
	}
	c.wantDeltas(t, before, names, want)
	c.WaitBlocks(2)
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return n
}
