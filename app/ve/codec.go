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
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/cosmos/cosmos-sdk/client"
	sdk "github.com/cosmos/cosmos-sdk/types"

	vetypes "github.com/aichain/aichain/app/ve/types"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

const (
	// ExtensionFormat is the vote-extension format this binary writes
	// (README.md). Format 1 leaves VoteExtension.version absent: nodes that
	// predate the field then accept it byte for byte.
	ExtensionFormat = 1
	// MaxExtensionBytes bounds one validator's vote extension (every format).
	MaxExtensionBytes = 64 << 10
	// MaxVerdictsPerExtension bounds the verdicts in one vote extension
	// (every format): a sidecar with more ready sends a rotating subset.
	MaxVerdictsPerExtension = computetypes.MaxVerdictsPerExtension
	// MaxBeaconShares bounds the beacon shares in one vote extension and
	// MaxBeaconShareBytes the bytes of one (every format; this one writes
	// 48-byte BLS signatures, computetypes.BeaconShareSize, beacon_window_blocks
	// of them; a share of any other size counts as slack in VerifyExtension).
	MaxBeaconShares     = computetypes.MaxBeaconSharesPerExtension
	MaxBeaconShareBytes = 96
	// MaxExtensionSlackBytes bounds the bytes an accepted extension may hold
	// beyond the canonical encoding of what this binary's tally can use in it
	// (usableSize): unknown fields, non-minimal varints, the version, verdicts
	// of kinds it does not know, shares of another size. Room for a later
	// format's small addition, not for data. Every byte of an accepted
	// extension is injected and stored by every node at no fee
	// (TestAttackVEPaddedExtensionIsFreeBlockSpace,
	// TestAttackUnknownVerdictKindsPadPastHonestMax).
	MaxExtensionSlackBytes = 1 << 10
)

var (
	// ErrMalformedExtension is a vote extension that breaks the rules every
	// format keeps (DecodeExtension).
	ErrMalformedExtension = errors.New("malformed vote extension")
	// ErrPaddedExtension is a well-formed vote extension carrying more than
	// MaxExtensionSlackBytes beyond its content (VerifyExtension); it is an
	// ErrMalformedExtension too.
	ErrPaddedExtension = fmt.Errorf("%w: padded beyond its content", ErrMalformedExtension)
	// ErrMalformedInjection is an injected extended commit that does not decode.
	ErrMalformedInjection = errors.New("malformed injected extended commit")
	// ErrProposalTooLarge is a proposal (or its injected commit alone) over
	// the block's MaxTxBytes as CometBFT counts it, framing included.
	ErrProposalTooLarge = errors.New("proposal exceeds the block's byte limit")
)

// validVerdict tells the verdict kinds this binary writes and tallies: every
// kind x/compute defines (its Verdict enum but UNSPECIFIED). A kind added to
// verification.proto is accepted here with no change. Kinds it does not know
// are still accepted on the wire (DecodeExtension) and dropped in the tally.
func validVerdict(v computetypes.Verdict) bool { return v.Known() }

// EncodeExtension returns the canonical vote extension for a set of
// verdicts and no beacon shares (EncodeVoteExtension).
func EncodeExtension(verdicts []computetypes.JobVerdict) ([]byte, error) {
	return EncodeVoteExtension(verdicts, nil)
}

// EncodeVoteExtension returns the canonical vote extension for a set of
// verdicts and beacon shares: unknown verdict kinds and job 0 dropped, one
// verdict per job (the first given), sorted by job id, at most
// MaxVerdictsPerExtension; shares sorted by height, one per height, at most
// MaxBeaconShares (the latest kept). Neither gives an empty extension.
// Whatever it returns, DecodeExtension accepts: ExtendVote and
// VerifyVoteExtension agree on what is well-formed.
func EncodeVoteExtension(verdicts []computetypes.JobVerdict, shares []computetypes.BeaconShare) ([]byte, error) {
	seen := make(map[uint64]bool, len(verdicts))
	out := make([]computetypes.JobVerdict, 0, len(verdicts))
	for _, v := range verdicts {
		if v.JobId == 0 || !validVerdict(v.Verdict) || seen[v.JobId] {
			continue
		}
		seen[v.JobId] = true
		out = append(out, v)
	}
	shares = canonicalShares(shares)
	if len(out) == 0 && len(shares) == 0 {
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
	for i := range shares {
		ext.BeaconShares = append(ext.BeaconShares, &shares[i])
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

// canonicalShares keeps well-formed shares, one per height, in increasing
// height order, the latest MaxBeaconShares.
func canonicalShares(in []computetypes.BeaconShare) []computetypes.BeaconShare {
	out := make([]computetypes.BeaconShare, 0, len(in))
	seen := make(map[int64]bool, len(in))
	for _, s := range in {
		if s.Height <= 0 || len(s.Signature) == 0 || len(s.Signature) > MaxBeaconShareBytes || seen[s.Height] {
			continue
		}
		seen[s.Height] = true
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Height < out[j].Height })
	if len(out) > MaxBeaconShares {
		out = out[len(out)-MaxBeaconShares:]
	}
	return out
}

// DecodeExtension decodes and checks a vote extension by the rules every
// format keeps (decodeVoteExtension) and returns its verdicts. Verdict kinds
// and fields this binary does not know are accepted and returned as they are
// (the PreBlocker drops unknown kinds: Tally); the bytes need not be this
// binary's encoding.
func DecodeExtension(bz []byte) ([]computetypes.JobVerdict, error) {
	ext, err := decodeVoteExtension(bz)
	if err != nil || ext == nil {
		return nil, err
	}
	out := make([]computetypes.JobVerdict, len(ext.Verdicts))
	for i, v := range ext.Verdicts {
		out[i] = *v
	}
	return out, nil
}

// VerifyExtension checks a vote extension as VerifyVoteExtension,
// ProcessProposal and the proposer's re-validation accept it: the rules every
// format keeps (DecodeExtension), and at most MaxExtensionSlackBytes beyond
// the canonical encoding of what this binary's tally can use in it
// (usableSize). Without that bound a validator pads its extension to
// MaxExtensionBytes with unknown fields, or with verdicts of a kind the tally
// drops, that every node stores for ever, for free; with it an accepted
// extension is at most the largest this binary writes plus the slack. The
// PreBlocker tallies by DecodeExtension alone: blocks committed before this
// rule replay as they were, and blocks after it hold no padded extension.
func VerifyExtension(bz []byte) error {
	ext, err := decodeVoteExtension(bz)
	if err != nil || ext == nil {
		return err
	}
	if extra := len(bz) - usableSize(ext); extra > MaxExtensionSlackBytes {
		return fmt.Errorf("%w: %d bytes, %d beyond the canonical encoding of what the tally uses, at most %d",
			ErrPaddedExtension, len(bz), extra, MaxExtensionSlackBytes)
	}
	return nil
}

// usableSize is the size of the canonical encoding of what the PreBlocker can
// use in ext: the verdicts of kinds this binary tallies (KnownVerdicts) and
// the beacon shares of the size x/compute verifies (BeaconShareSize; any
// other fails its check); the version is left out too, the tally never reads
// it. Counting every decoded verdict let a validator fill its extension with
// verdicts of kind -1 (a canonical 10-byte varint) that nobody tallies, 1.64
// times the largest this binary writes
// (TestAttackUnknownVerdictKindsPadPastHonestMax).
func usableSize(ext *computetypes.VoteExtension) int {
	var usable computetypes.VoteExtension
	for _, v := range ext.Verdicts {
		if validVerdict(v.Verdict) {
			usable.Verdicts = append(usable.Verdicts, v)
		}
	}
	for _, s := range ext.BeaconShares {
		if len(s.Signature) == computetypes.BeaconShareSize {
			usable.BeaconShares = append(usable.BeaconShares, s)
		}
	}
	return usable.Size()
}

// DecodeBeaconShares decodes a vote extension like DecodeExtension and
// returns its beacon shares (not verified: the PreBlocker verifies them).
func DecodeBeaconShares(bz []byte) ([]computetypes.BeaconShare, error) {
	ext, err := decodeVoteExtension(bz)
	if err != nil || ext == nil {
		return nil, err
	}
	out := make([]computetypes.BeaconShare, len(ext.BeaconShares))
	for i, s := range ext.BeaconShares {
		out[i] = *s
	}
	return out, nil
}

// decodeVoteExtension checks the rules every format keeps, so that a node
// accepts the extensions of a newer format (cometbft rejects a precommit
// whose extension its app rejects; a rolling upgrade must not halt the
// chain): empty is valid (nil); otherwise at most MaxExtensionBytes that
// decode as a VoteExtension holding at most MaxVerdictsPerExtension verdicts
// on jobs in strictly increasing id order (job 0 never) and at most
// MaxBeaconShares shares of strictly increasing positive heights, each 1 to
// MaxBeaconShareBytes bytes; and at least one verdict or share.
func decodeVoteExtension(bz []byte) (*computetypes.VoteExtension, error) {
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
	if len(ext.Verdicts) > MaxVerdictsPerExtension || len(ext.Verdicts)+len(ext.BeaconShares) == 0 {
		return nil, fmt.Errorf("%w: %d verdicts and %d shares, want 0..%d verdicts and not none of either",
			ErrMalformedExtension, len(ext.Verdicts), len(ext.BeaconShares), MaxVerdictsPerExtension)
	}
	var last uint64
	for i, v := range ext.Verdicts {
		if v == nil || v.JobId == 0 || v.JobId <= last {
			return nil, fmt.Errorf("%w: verdict %d is out of order or on job 0", ErrMalformedExtension, i)
		}
		last = v.JobId
	}
	if len(ext.BeaconShares) > MaxBeaconShares {
		return nil, fmt.Errorf("%w: %d beacon shares, at most %d", ErrMalformedExtension, len(ext.BeaconShares), MaxBeaconShares)
	}
	var lastH int64
	for i, s := range ext.BeaconShares {
		if s == nil || s.Height <= lastH || len(s.Signature) == 0 || len(s.Signature) > MaxBeaconShareBytes {
			return nil, fmt.Errorf("%w: beacon share %d is out of order or malformed", ErrMalformedExtension, i)
		}
		lastH = s.Height
	}
	return &ext, nil
}

// KnownVerdicts keeps the verdicts of kinds this binary tallies, in order.
func KnownVerdicts(vs []computetypes.JobVerdict) []computetypes.JobVerdict {
	out := make([]computetypes.JobVerdict, 0, len(vs))
	for _, v := range vs {
		if validVerdict(v.Verdict) {
			out = append(out, v)
		}
	}
	return out
}

// Injections encodes and recognises transaction 0 of a block: an unsigned
// SDK transaction holding one MsgInjectVerdicts, which every explorer and
// the SDK's own tx service decode like any other transaction.
type Injections struct {
	TxConfig client.TxConfig
}

// typeURL is in the bytes of every transaction that holds the message.
var typeURL = []byte(vetypes.TypeURL)

// Encode returns transaction 0 of the block after height: the extended
// commit of height in a MsgInjectVerdicts.
func (in Injections) Encode(height int64, eci abci.ExtendedCommitInfo) ([]byte, error) {
	bz, err := eci.Marshal()
	if err != nil {
		return nil, err
	}
	b := in.TxConfig.NewTxBuilder()
	if err := b.SetMsgs(&vetypes.MsgInjectVerdicts{Height: height, ExtendedCommitInfo: bz}); err != nil {
		return nil, err
	}
	return in.TxConfig.TxEncoder()(b.GetTx())
}

// Holds tells whether a transaction holds a MsgInjectVerdicts (alone or among
// other messages). Bytes that do not decode hold none. Proposals ask it of
// every transaction, so only a candidate (mayHoldInjection) is decoded.
func (in Injections) Holds(tx []byte) bool {
	if !mayHoldInjection(tx) {
		return false
	}
	decoded, err := in.TxConfig.TxDecoder()(tx)
	if err != nil {
		return false
	}
	return HoldsInjection(decoded)
}

// mayHoldInjection tells whether tx may hold a MsgInjectVerdicts, reading
// its messages' type URLs off the wire (TxRaw.body_bytes, TxBody.messages,
// Any.type_url) without decoding it. A byte search alone is not enough: any
// user puts the type URL in a memo for free, and each such transaction would
// be decoded in every proposal check
// (TestAttackVETypeURLInMemoDefeatsTheHoldsPrefilter). A message's type URL
// is the last occurrence of Any.type_url, as every protobuf decoder reads a
// field given twice: reading each occurrence, a send whose Any carried this
// type URL before its own (an ordinary send that CheckTx admits) was decoded
// in every proposal check
// (TestAttackRepeatedTypeURLDefeatsTheHoldsPrefilter). Every body_bytes is
// read (the decoder refuses a TxRaw that repeats it, ADR-027), and bytes
// this walk cannot read are candidates: the decoder judges them, so nothing
// it would find an injection in is passed over.
func mayHoldInjection(tx []byte) bool {
	if !bytes.Contains(tx, typeURL) {
		return false
	}
	found, ok := eachBytesField(tx, 1, func(body []byte) (bool, bool) {
		return eachBytesField(body, 1, func(msg []byte) (bool, bool) {
			url, ok := lastBytesField(msg, 1)
			return ok && bytes.Equal(url, typeURL), ok
		})
	})
	return found || !ok
}

// lastBytesField is the value of the last occurrence of field num
// (length-delimited) of the protobuf message bz, the one a decoder keeps
// (nil when there is none); ok is false as for eachBytesField.
func lastBytesField(bz []byte, num protowire.Number) (last []byte, ok bool) {
	_, ok = eachBytesField(bz, num, func(v []byte) (bool, bool) {
		last = v
		return false, true
	})
	return last, ok
}

// eachBytesField calls fn on each value of field num (length-delimited) of
// the protobuf message bz, until fn finds what it looks for. ok is false when
// bz does not parse, field num has another wire type, or fn says so.
func eachBytesField(bz []byte, num protowire.Number, fn func([]byte) (found, ok bool)) (found, ok bool) {
	for len(bz) > 0 {
		n, typ, l := protowire.ConsumeTag(bz)
		if l < 0 {
			return false, false
		}
		bz = bz[l:]
		if n != num {
			if l = protowire.ConsumeFieldValue(n, typ, bz); l < 0 {
				return false, false
			}
			bz = bz[l:]
			continue
		}
		if typ != protowire.BytesType {
			return false, false
		}
		v, l := protowire.ConsumeBytes(bz)
		if l < 0 {
			return false, false
		}
		bz = bz[l:]
		if found, ok := fn(v); found || !ok {
			return found, ok
		}
	}
	return false, true
}

// HoldsInjection tells whether a decoded transaction holds a MsgInjectVerdicts.
func HoldsInjection(tx sdk.Tx) bool {
	for _, m := range tx.GetMsgs() {
		if _, ok := m.(*vetypes.MsgInjectVerdicts); ok {
			return true
		}
	}
	return false
}

// Decode decodes an injection: a transaction of exactly one
// MsgInjectVerdicts, and the extended commit it carries.
func (in Injections) Decode(tx []byte) (int64, abci.ExtendedCommitInfo, error) {
	var eci abci.ExtendedCommitInfo
	decoded, err := in.TxConfig.TxDecoder()(tx)
	if err != nil {
		return 0, eci, fmt.Errorf("%w: %v", ErrMalformedInjection, err)
	}
	msgs := decoded.GetMsgs()
	if len(msgs) != 1 {
		return 0, eci, fmt.Errorf("%w: %d messages, want one MsgInjectVerdicts", ErrMalformedInjection, len(msgs))
	}
	msg, ok := msgs[0].(*vetypes.MsgInjectVerdicts)
	if !ok {
		return 0, eci, fmt.Errorf("%w: holds %s, not MsgInjectVerdicts", ErrMalformedInjection, sdk.MsgTypeURL(msgs[0]))
	}
	if err := eci.Unmarshal(msg.ExtendedCommitInfo); err != nil {
		return 0, eci, fmt.Errorf("%w: %v", ErrMalformedInjection, err)
	}
	return msg.Height, eci, nil
}
