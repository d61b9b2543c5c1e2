//go:build ve_format_next

package ve

import (
	abci "github.com/cometbft/cometbft/abci/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// This file is compiled only into test binaries built with the
// ve_format_next tag. Such a binary writes what a future release would:
// extensions of format NextFormat, with a verdict kind and a field that this
// release does not define. The end-to-end test TestRollingUpgradeMixedFormats
// runs it beside ordinary binaries in one network, as validators do while a
// release that adds a verdict kind rolls out (README.md, "The extension
// format").

const (
	// WrittenFormat is the format this test binary writes.
	WrittenFormat = NextFormat
	// NextFormat is the emulated future format.
	NextFormat = ExtensionFormat + 1
	// nextVerdictKind is a verdict kind no release defines yet.
	nextVerdictKind = computetypes.Verdict(99)
)

// nextField is an unknown field of the emulated format: field 15, varint 1.
var nextField = []byte{15 << 3, 0x01}

// WithWrittenFormat rewrites every non-empty extension of h in NextFormat:
// version set, one more verdict of a kind this release does not know (on
// the job after the last one verdicted), and an unknown field.
func WithWrittenFormat(h sdk.ExtendVoteHandler) sdk.ExtendVoteHandler {
	return func(ctx sdk.Context, req *abci.RequestExtendVote) (*abci.ResponseExtendVote, error) {
		resp, err := h(ctx, req)
		if err != nil || resp == nil || len(resp.VoteExtension) == 0 {
			return resp, err
		}
		var ext computetypes.VoteExtension
		if err := ext.Unmarshal(resp.VoteExtension); err != nil {
			return resp, nil
		}
		ext.Version = NextFormat
		if n := len(ext.Verdicts); n > 0 && n < MaxVerdictsPerExtension {
			ext.Verdicts = append(ext.Verdicts, &computetypes.JobVerdict{JobId: ext.Verdicts[n-1].JobId + 1, Verdict: nextVerdictKind})
		}
		bz, err := ext.Marshal()
		if err != nil {
			return resp, nil
		}
		return &abci.ResponseExtendVote{VoteExtension: append(bz, nextField...)}, nil
	}
}
