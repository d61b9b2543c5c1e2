package ve

import (
	"bytes"
	"errors"
	"math"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/encoding/protowire"

	"cosmossdk.io/log"

	sdk "github.com/cosmos/cosmos-sdk/types"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// TestAttackUnknownVerdictKindsPadPastHonestMax: the slack rule
// (VerifyExtension) counts as content everything this binary decodes, and
// the README says what it leaves is "verdicts on job ids that exist
// nowhere, up to the size of an honest maximal one" (31,712 bytes). But the
// decoder keeps verdicts of any kind (a later release's), and the tally
// drops them (KnownVerdicts): a verdict kind of -1 is a 10-byte varint, its
// canonical encoding, so it is "content", not slack. Beacon shares may be
// 96 bytes where this binary writes 48, and version any uint32. A
// validator below 1/3 fills its extension with 2,048 verdicts of kind -1 on
// 10-byte job ids, 16 shares of 96 bytes, version 2^32-1 and 1 KiB of
// unknown field: every byte is accepted by VerifyVoteExtension, injected by
// the honest proposer and accepted by ProcessProposal, and none of it is
// tallied. Free block space per validator per block is still far over the
// honest maximum the fix (and its README) set as the bound. Now only what
// the tally can use is content (usableSize): the hostile extension is
// refused, and an accepted one is at most the honest maximum plus
// MaxExtensionSlackBytes.
func TestAttackUnknownVerdictKindsPadPastHonestMax(t *testing.T) {
	const h = 11
	honestMax := honestMaxExtension(t)

	hostile := computetypes.VoteExtension{Version: math.MaxUint32}
	for i := range MaxVerdictsPerExtension {
		hostile.Verdicts = append(hostile.Verdicts, &computetypes.JobVerdict{
			JobId: math.MaxUint64 - uint64(MaxVerdictsPerExtension) + uint64(i), Verdict: computetypes.Verdict(-1)})
	}
	for i := range MaxBeaconShares {
		hostile.BeaconShares = append(hostile.BeaconShares, &computetypes.BeaconShare{
			Height: math.MaxInt64 - int64(MaxBeaconShares) + int64(i), Signature: bytes.Repeat([]byte("junk"), MaxBeaconShareBytes/4)})
	}
	content, err := hostile.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	padded := protowire.AppendTag(append([]byte{}, content...), 15, protowire.BytesType)
	padded = protowire.AppendBytes(padded, bytes.Repeat([]byte{'j'}, MaxExtensionSlackBytes-4))
	if err := VerifyExtension(padded); err != nil && !errors.Is(err, ErrPaddedExtension) {
		t.Fatalf("the hostile extension: %v, want accepted or ErrPaddedExtension", err)
	}
	vs, err := DecodeExtension(padded)
	if err != nil {
		t.Fatal(err)
	}
	tallied := len(KnownVerdicts(vs))

	vh := NewVoteExtHandler(log.NewNopLogger(), nil, 0)
	res, err := vh.VerifyVoteExtension()(sdk.Context{}, &abci.RequestVerifyVoteExtension{Height: h - 1, VoteExtension: padded})
	if err != nil {
		t.Fatal(err)
	}
	accepted := res.Status == abci.ResponseVerifyVoteExtension_ACCEPT

	_, _, _, prep, carried, proc := proposeWithHostile(t, h, padded)
	if accepted && carried > len(honestMax) && proc.Status == abci.ResponseProcessProposal_ACCEPT {
		t.Fatalf("a validator with 25%% of the power put a %d-byte extension in the block (%.2fx the largest this binary writes, "+
			"%d bytes; %d bytes over it), of which %d verdicts are tallied: VerifyVoteExtension ACCEPTs it, the honest proposer "+
			"injects it (transaction 0 of %d bytes) and ProcessProposal ACCEPTs the block",
			carried, float64(carried)/float64(len(honestMax)), len(honestMax), carried-len(honestMax), tallied, len(prep.Txs[0]))
	}

	// The bound that holds: the honest maximum with all the slack is
	// accepted, a byte more is not.
	if err := VerifyExtension(withUnknownField(t, honestMax, MaxExtensionSlackBytes)); err != nil {
		t.Fatalf("the largest extension this binary writes with %d bytes of slack: %v, want accepted", MaxExtensionSlackBytes, err)
	}
	if err := VerifyExtension(withUnknownField(t, honestMax, MaxExtensionSlackBytes+1)); !errors.Is(err, ErrPaddedExtension) {
		t.Fatalf("the largest extension this binary writes with %d bytes of slack: %v, want ErrPaddedExtension", MaxExtensionSlackBytes+1, err)
	}
	if len(honestMax)+MaxExtensionSlackBytes != 32736 {
		t.Fatalf("honest maximum %d bytes + slack %d = %d, README says 32,736", len(honestMax), MaxExtensionSlackBytes, len(honestMax)+MaxExtensionSlackBytes)
	}
}
