package e2e

import (
	"encoding/base64"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/cosmos/cosmos-sdk/types/bech32"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"

	vetypes "github.com/aichain/aichain/app/ve/types"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

var (
	nextBinOnce sync.Once
	nextBin     string
	nextBinErr  error
)

// nextFormatBinary builds aichaind with the ve_format_next tag (besides the
// test binaries' tags): a binary whose vote extensions are of the next format,
// with a verdict kind and a field this release does not define
// (app/ve/format_next.go).
func nextFormatBinary(t *testing.T) string {
	t.Helper()
	dir := Binaries(t)
	nextBinOnce.Do(func() {
		root, err := repoRoot()
		if err != nil {
			nextBinErr = err
			return
		}
		out := filepath.Join(dir, "next")
		cmd := exec.Command("go", "build", "-tags", buildTags()+",ve_format_next", "-o", out+"/", "./cmd/aichaind")
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			nextBinErr = fmt.Errorf("go build -tags ve_format_next ./cmd/aichaind: %w\n%s", err, b)
			return
		}
		nextBin = filepath.Join(out, "aichaind")
	})
	if nextBinErr != nil {
		t.Fatal(nextBinErr)
	}
	return nextBin
}

// TestRollingUpgradeMixedFormats (issue 15, item 4) runs one network of four
// validators, two on this release's binary and two on a binary that writes
// the next vote-extension format (a verdict kind and a field this release
// does not know), as validators do halfway through a rolling upgrade. Each
// has its own sidecar. Before extensions were tolerant, the old nodes refused
// the new nodes' precommits and, with half the power on each side, no block
// could commit. Here:
//   - a job is verified and settles, with VALID verdicts counted from
//     validators of both binaries;
//   - the injected commits carry extensions of both formats, and no verdict
//     of the unknown kind is ever recorded;
//   - every validator, old and new, signs (nearly) every block.
func TestRollingUpgradeMixedFormats(t *testing.T) {
	c := NewChain(t, 4, "alice", "prov1")
	next := nextFormatBinary(t)
	for _, n := range c.Nodes[2:] {
		n.bin = next
	}
	c.SetComputeParams(map[string]any{
		"sample_rate_floor_bps": 10000, // every job is sampled
		"samples_per_job":       4,     // all 4 chunks
		"verification_blocks":   "40",
		"challenge_blocks":      "6",
	})
	c.Start()
	start, err := c.Nodes[0].Height()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	nw := &network{c: c, dir: dir}
	for i, n := range c.Nodes {
		nw.sidecars = append(nw.sidecars, StartSidecar(t, dir, fmt.Sprintf("sidecar%d", i), n))
	}
	prov := c.StartProvider(t, dir, "prov1", c.Nodes[0].SparePort(1), "1000uaic")
	id := c.createGemmJob(t, 1, "--exec-blocks", "60")
	j := c.waitJobState(t, id, 240*time.Second, "JOB_STATE_SETTLED", "JOB_STATE_FAILED", "JOB_STATE_EXPIRED")
	if j.State != "JOB_STATE_SETTLED" || j.CloseReason != "CLOSE_REASON_SETTLED" {
		t.Fatalf("job %s ended %s / %s, want SETTLED by verification\nprovider:\n%s", id, j.State, j.CloseReason, prov.LogTail(15))
	}
	nw.assertVerifiedByAll(t, id, 3)
	end := c.WaitBlocks(2)

	cons := make([]string, len(c.Nodes))
	for i := range c.Nodes {
		cons[i] = nodeConsAddress(t, c.Nodes[i])
	}
	formats, counted := injectedFormats(t, c, start+1, end)
	for i, addr := range cons {
		want := uint32(0) // format 1 leaves version absent
		if i >= 2 {
			want = 2
		}
		if got, ok := formats[addr]; !ok || got != want {
			t.Errorf("validator %d (%s): extensions of version %d injected (seen: %t), want %d", i, addr, got, ok, want)
		}
	}
	if counted[cons[2]]+counted[cons[3]] == 0 || counted[cons[0]]+counted[cons[1]] == 0 {
		t.Errorf("verdicts counted on chain by validator: %v; want both binaries' validators among them", counted)
	}
	for i := range c.Nodes {
		signed, total := nw.signedCommits(t, i, start+1, end)
		if signed*10 < total*9 {
			t.Errorf("validator %d signed %d of %d blocks (%d..%d), want at least 90%%\n%s", i, signed, total, start+1, end, c.Nodes[i].LogTail(20))
		}
	}
	if a, b := blockAppHash(t, c.Nodes[0], end), blockAppHash(t, c.Nodes[3], end); a != b {
		t.Fatalf("app hash at %d: %s on an old node, %s on a new one", end, a, b)
	}
}

// nodeConsAddress is the hex consensus address of node n's validator.
func nodeConsAddress(t *testing.T, n *Node) string {
	t.Helper()
	var st struct {
		ValidatorInfo struct {
			Address string `json:"address"`
		} `json:"validator_info"`
	}
	if err := n.RPC("/status", &st); err != nil {
		t.Fatal(err)
	}
	return st.ValidatorInfo.Address
}

// injectedFormats reads the injected commit (tx 0) of blocks from..to and
// returns, per validator (hex consensus address), the version of its last
// non-empty extension, and how many known verdicts it carried that the
// block's events recorded. It fails the test if a verdict of a kind this
// binary does not define was recorded.
func injectedFormats(t *testing.T, c *Chain, from, to int64) (map[string]uint32, map[string]int) {
	t.Helper()
	formats, counted := map[string]uint32{}, map[string]int{}
	for h := from; h <= to; h++ {
		var block struct {
			Block struct {
				Data struct {
					Txs []string `json:"txs"`
				} `json:"data"`
			} `json:"block"`
		}
		if err := c.Nodes[0].RPC(fmt.Sprintf("/block?height=%d", h), &block); err != nil {
			t.Fatal(err)
		}
		if len(block.Block.Data.Txs) == 0 {
			continue
		}
		for _, v := range injectedVotes(t, block.Block.Data.Txs[0]) {
			if len(v.VoteExtension) == 0 {
				continue
			}
			var ext computetypes.VoteExtension
			if err := ext.Unmarshal(v.VoteExtension); err != nil {
				t.Fatalf("block %d: an injected extension does not decode: %v", h, err)
			}
			formats[fmt.Sprintf("%X", v.Validator.Address)] = ext.Version
		}
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
			if _, known := computetypes.Verdict_value[attrs["verdict"]]; !known {
				t.Fatalf("block %d recorded a verdict of a kind this release does not define: %v", h, attrs)
			}
			counted[consHex(t, attrs["validator"])]++
		}
	}
	return formats, counted
}

// injectedVotes decodes a block's transaction 0 as the injected extended
// commit and returns its votes.
func injectedVotes(t *testing.T, tx64 string) []abci.ExtendedVoteInfo {
	t.Helper()
	bz, err := base64.StdEncoding.DecodeString(tx64)
	if err != nil {
		t.Fatal(err)
	}
	var raw txtypes.TxRaw
	var body txtypes.TxBody
	if err := raw.Unmarshal(bz); err != nil {
		t.Fatalf("tx 0: %v", err)
	}
	if err := body.Unmarshal(raw.BodyBytes); err != nil || len(body.Messages) != 1 ||
		body.Messages[0].TypeUrl != "/aichain.ve.v1.MsgInjectVerdicts" {
		t.Fatalf("tx 0 is not the injected commit (%v): %v", err, body.Messages)
	}
	var msg vetypes.MsgInjectVerdicts
	if err := msg.Unmarshal(body.Messages[0].Value); err != nil {
		t.Fatal(err)
	}
	var info abci.ExtendedCommitInfo
	if err := info.Unmarshal(msg.ExtendedCommitInfo); err != nil {
		t.Fatal(err)
	}
	return info.Votes
}

// consHex is the hex form of a bech32 consensus address.
func consHex(t *testing.T, bech string) string {
	t.Helper()
	_, bz, err := bech32.DecodeAndConvert(bech)
	if err != nil {
		t.Fatalf("consensus address %q: %v", bech, err)
	}
	return fmt.Sprintf("%X", bz)
}
