package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/chainclient"
)

// TestAttackBatchOverMaxFeeNeverSent: the client refuses a tx whose fee is
// over the operator's --max-fee (chainclient.ErrFeeOverLimit), and sendAll
// split a batch only on a refused simulation: a batch of commitments whose
// fee together was over the max fee, each one's well under it, was tried
// whole again every block until the commit windows closed, and none was
// sent. Now it is split in halves like a refused one.
func TestAttackBatchOverMaxFeeNeverSent(t *testing.T) {
	n := newAuditNode(t)
	n.gasPerMsg = 100_000 // 150,000 gas a commitment, 3,750uaic at 0.025uaic
	a := n.agent(t)
	c, err := chainclient.New(chainclient.Config{GRPCAddr: n.listen, ChainID: "aichain-local-1", KeyringDir: n.keyDir,
		KeyringBackend: keyring.BackendTest, From: "provider", GasPrices: "0.025uaic", MaxFee: "5000uaic"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	a.client = c

	price := sdk.NewInt64Coin("uaic", 1000)
	for id := uint64(1); id <= 4; id++ {
		salt := []byte(fmt.Sprintf("%032d", id))
		a.recs[id] = &Record{ID: id, Requester: "aic1alice", Phase: PhaseBid, Price: price.String(), Salt: salt,
			CommitEnd: 110, RevealEnd: 115, ExecBlocks: 40}
	}
	a.height = 101
	err = a.commit(context.Background())
	for id := uint64(1); id <= 4; id++ {
		if commits, _ := n.sentFor(id); commits == 0 {
			t.Fatalf("commitment of job %d never sent: the batch of 4 (a fee of 15,000uaic over the max fee of 5,000uaic, "+
				"3,750uaic each) is refused whole; commit: %v", id, err)
		}
	}
}
