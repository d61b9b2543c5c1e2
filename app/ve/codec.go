// Package ve holds aichain's ABCI++ vote-extension plumbing: validators put
// their sidecar's verdicts on jobs under verification in their precommit
// vote extensions; the next proposer injects the extended commit into its
// block as transaction 0; every validator checks it in ProcessProposal; and
// the PreBlocker tallies the verdicts by voting power into x/compute.
//
// Consensus never waits for verification: ExtendVote asks the local sidecar
// with a short timeout and votes with an empty extension on any error, so a
// node without a sidecar keeps the chain live.
package ve

import (
	"bytes"
	"errors"
	"fmt"
	"sort"

	abci "github.com/cometbft/cometbft/abci/types"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

const (
	// MaxExtensionBytes bounds one validator's vote extension.
	MaxExtensionBytes = 64 << 10
	// MaxVerdictsPerExtension bounds the verdicts in one vote extension.
	MaxVerdictsPerExtension = 2048
)

var (
	// ErrMalformedExtension is a vote extension that is not the canonical
	// encoding of a valid VoteExtension.
	ErrMalformedExtension = errors.New("malformed vote extension")
	// ErrMalformedInjection is an injected extended commit that does not decode.
	ErrMalformedInjection = errors.New("malformed injected extended commit")
)

// injectionPrefix starts the special transaction 0 that carries the previous
// height's extended commit. Its first byte (0x61: field 12, fixed64) can
// never begin a valid SDK transaction, so the tx decoder, and with it
// CheckTx, always refuses it: it cannot enter through the mempool and is
// never executed as a normal transaction.
var injectionPrefix = []byte("aichain/ve-commit/v1\x00")

func validVerdict(v computetypes.Verdict) bool {
	switch v {
	case computetypes.Verdict_VERDICT_VALID, computetypes.Verdict_VERDICT_INVALID, computetypes.Verdict_VERDICT_UNAVAILABLE:
		return true
	}
	return false
}

// EncodeExtension returns the canonical vote extension for a set of
// verdicts: unknown verdict kinds and job 0 dropped, one verdict per job (the
// first given), sorted by job id, at most MaxVerdictsPerExtension. No
// verdicts give an empty extension. Whatever it returns, DecodeExtension
// accepts: ExtendVote and VerifyVoteExtension agree on what is well-formed.
func EncodeExtension(verdicts []computetypes.JobVerdict) ([]byte, error) {
	seen := make(map[uint64]bool, len(verdicts))
	out := make([]computetypes.JobVerdict, 0, len(verdicts))
	for _, v := range verdicts {
		if v.JobId == 0 || !validVerdict(v.Verdict) || seen[v.JobId] {
			continue
		}
		seen[v.JobId] = true
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, nil
	}
	sort.Slice(out, func(i, j int) bool { return out[i].JobId < out[j].JobId })
	if len(out) > MaxVerdictsPerExtension {
		out = out[:MaxVerdictsPerExtension]
	}
	ext := computetypes.VoteExtension{Verdicts: make([]*computetypes.JobVerdict, len(out))}
	for i := range out {
		ext.Verdicts[i] = &out[i]
	}
	bz, err := ext.Marshal()
	if err != nil {
		return nil, err
	}
	if len(bz) > MaxExtensionBytes {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrMalformedExtension, len(bz), MaxExtensionBytes)
	}
	return bz, nil
}

// DecodeExtension decodes and checks a vote extension: empty is valid (no
// verdicts); otherwise it must be at most MaxExtensionBytes, decode as a
// VoteExtension, hold 1..MaxVerdictsPerExtension verdicts of a known kind on
// jobs in strictly increasing id order, and be byte-for-byte the canonical
// encoding (so that no two encodings of the same verdicts exist).
func DecodeExtension(bz []byte) ([]computetypes.JobVerdict, error) {
	if len(bz) == 0 {
		return nil, nil
	}
	if len(bz) > MaxExtensionBytes {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrMalformedExtension, len(bz), MaxExtensionBytes)
	}
	var ext computetypes.VoteExtension
	if err := ext.Unmarshal(bz); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedExtension, err)
	}
	if len(ext.Verdicts) == 0 || len(ext.Verdicts) > MaxVerdictsPerExtension {
		return nil, fmt.Errorf("%w: %d verdicts, want 1..%d", ErrMalformedExtension, len(ext.Verdicts), MaxVerdictsPerExtension)
	}
	out := make([]computetypes.JobVerdict, len(ext.Verdicts))
	var last uint64
	for i, v := range ext.Verdicts {
		if v == nil || v.JobId == 0 || v.JobId <= last || !validVerdict(v.Verdict) {
			return nil, fmt.Errorf("%w: verdict %d is out of order, on job 0, or of an unknown kind", ErrMalformedExtension, i)
		}
		last = v.JobId
		out[i] = *v
	}
	canonical, err := ext.Marshal()
	if err != nil || !bytes.Equal(canonical, bz) {
		return nil, fmt.Errorf("%w: not the canonical encoding", ErrMalformedExtension)
	}
	return out, nil
}

// EncodeInjection returns transaction 0 of a block: the prefix and the
// previous height's extended commit.
func EncodeInjection(eci abci.ExtendedCommitInfo) ([]byte, error) {
	bz, err := eci.Marshal()
	if err != nil {
		return nil, err
	}
	return append(append([]byte{}, injectionPrefix...), bz...), nil
}

// IsInjection tells whether a transaction is an injected extended commit.
func IsInjection(tx []byte) bool { return bytes.HasPrefix(tx, injectionPrefix) }

// DecodeInjection decodes an injected extended commit.
func DecodeInjection(tx []byte) (abci.ExtendedCommitInfo, error) {
	var eci abci.ExtendedCommitInfo
	if !IsInjection(tx) {
		return eci, fmt.Errorf("%w: missing prefix", ErrMalformedInjection)
	}
	if err := eci.Unmarshal(tx[len(injectionPrefix):]); err != nil {
		return eci, fmt.Errorf("%w: %v", ErrMalformedInjection, err)
	}
	return eci, nil
}
