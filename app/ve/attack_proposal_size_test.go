package ve

import (
	"bytes"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"cosmossdk.io/log"

	"github.com/cosmos/cosmos-sdk/baseapp"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/mempool"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// mempoolVerifier is the proposal handler's transaction verifier as the SDK's
// PrepareProposal uses it with CometBFT's mempool: it only decodes.
type mempoolVerifier struct{ baseapp.ProposalTxVerifier }

func (mempoolVerifier) TxDecode([]byte) (sdk.Tx, error) { return nil, nil }

// txOfFramedSize is a transaction whose size in a block (its bytes with
// their protobuf field tag and length, as CometBFT counts them) is n.
func txOfFramedSize(t *testing.T, n int64, fill byte) []byte {
	t.Helper()
	for raw := n - 1; raw > 0; raw-- {
		tx := bytes.Repeat([]byte{fill}, int(raw))
		if got := cmttypes.ComputeProtoSizeForTxs([]cmttypes.Tx{tx}); got == n {
			return tx
		} else if got < n {
			break
		}
	}
	t.Fatalf("no transaction has a framed size of %d bytes", n)
	return nil
}

// TestAttackMempoolFillCrashesProposer: anyone who can send transactions
// fills the mempool with ones whose sizes add up to exactly the room the
// proposer leaves after its injection. PrepareProposal used to subtract the
// injection's raw length from MaxTxBytes, but CometBFT counts each
// transaction with its protobuf framing (1 tag byte and a length varint), so
// the proposal came out a few bytes over MaxTxBytes; CometBFT's
// CreateProposalBlock then fails txs.Validate and createProposalBlock
// panics: the honest proposer's node crashes, and with it every validator
// whose turn it is while the mempool stays full. The proposal must fit.
func TestAttackMempoolFillCrashesProposer(t *testing.T) {
	const h, maxTx = 9, int64(20_000)
	nw := newNetwork(4)
	e := ext(t, computetypes.JobVerdict{JobId: 5, Verdict: valid})
	last := nw.commit(t, h, [][]byte{e, e, e, e}, []bool{true, true, true, true})
	inj := testInjections(t)
	injected, err := inj.Encode(h-1, last)
	if err != nil {
		t.Fatal(err)
	}
	// The attacker's transactions: 1,000 bytes each in the block, and one
	// that fills what the proposer's raw-length budget leaves, to the byte.
	room := maxTx - int64(len(injected))
	var txs [][]byte
	for ; room > 2_000; room -= 1_000 {
		txs = append(txs, txOfFramedSize(t, 1_000, byte(len(txs))))
	}
	txs = append(txs, txOfFramedSize(t, room, 0xee))

	defaults := baseapp.NewDefaultProposalHandler(mempool.NoOpMempool{}, mempoolVerifier{})
	ph := NewProposalHandler(log.NewNopLogger(), nw.store, inj,
		defaults.PrepareProposalHandler(), defaults.ProcessProposalHandler())
	resp, err := ph.PrepareProposal()(veCtx(h, last), &abci.RequestPrepareProposal{
		Height: h, MaxTxBytes: maxTx, Txs: txs, LocalLastCommit: last,
	})
	if err != nil {
		t.Fatalf("PrepareProposal: %v", err)
	}
	if len(resp.Txs) == 0 || !inj.Holds(resp.Txs[0]) {
		t.Fatal("the proposal lacks its injected commit")
	}
	if err := cmttypes.ToTxs(resp.Txs).Validate(maxTx); err != nil {
		t.Fatalf("proposal of %d txs is %d bytes for a limit of %d: CometBFT panics the proposer (%v)",
			len(resp.Txs), cmttypes.ComputeProtoSizeForTxs(cmttypes.ToTxs(resp.Txs)), maxTx, err)
	}
	if len(resp.Txs) < len(txs) {
		// The mempool held one transaction too many for the block: the last
		// one waits, every other is proposed.
		for i, tx := range resp.Txs[1:] {
			if !bytes.Equal(tx, txs[i]) {
				t.Fatalf("proposed tx %d is not the mempool's tx %d", i+1, i)
			}
		}
	}

	// A block whose limit is the injection's raw length: it fits only once
	// framed if an extension is dropped (30 of 40 stay, 27 are needed).
	resp, err = ph.PrepareProposal()(veCtx(h, last), &abci.RequestPrepareProposal{
		Height: h, MaxTxBytes: int64(len(injected)), LocalLastCommit: last,
	})
	if err != nil {
		t.Fatalf("PrepareProposal at the injection's raw length: %v", err)
	}
	if err := cmttypes.ToTxs(resp.Txs).Validate(int64(len(injected))); err != nil {
		t.Fatalf("proposal at the injection's raw length does not fit: CometBFT panics the proposer (%v)", err)
	}
}
