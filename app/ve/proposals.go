package ve

import (
	"bytes"
	"fmt"
	"sort"

	abci "github.com/cometbft/cometbft/abci/types"
	cryptoenc "github.com/cometbft/cometbft/crypto/encoding"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
	protoio "github.com/cosmos/gogoproto/io"

	"cosmossdk.io/core/comet"
	"cosmossdk.io/log"

	"github.com/cosmos/cosmos-sdk/baseapp"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// ExtensionsEnabled tells whether the block at height carries the extended
// commit of height-1: vote extensions were enabled at height-1.
func ExtensionsEnabled(ctx sdk.Context, height int64) bool {
	cp := ctx.ConsensusParams()
	return cp.Abci != nil && cp.Abci.VoteExtensionsEnableHeight > 0 && height > cp.Abci.VoteExtensionsEnableHeight
}

// CarriesInjection tells whether the block at height carries the extended
// commit of height-1 as transaction 0: extensions were enabled at height-1
// (ExtensionsEnabled) and the block has a LastCommit. CometBFT hands a
// LastCommit with no votes at all (not even absent ones) only at the chain's
// initial height, where there is no commit to carry: a chain restarted from
// an export starts at a later initial height with extensions long enabled,
// and an injection of the empty commit there fails every validator's check,
// so no round of its first block could commit
// (TestAttackVEFirstBlockOfARestartedChainIsRefused). The LastCommit is the
// context's, where baseapp puts the request's (LocalLastCommit in
// PrepareProposal, ProposedLastCommit in ProcessProposal): every validator
// reads the block's own, which CometBFT has checked against the last
// validator set, so a proposer cannot empty it at a later height.
func CarriesInjection(ctx sdk.Context, height int64) bool {
	if !ExtensionsEnabled(ctx, height) {
		return false
	}
	info := ctx.CometInfo()
	if info == nil {
		return false
	}
	last := info.GetLastCommit()
	return last != nil && last.Votes() != nil && last.Votes().Len() > 0
}

// ProposalHandler wraps the app's PrepareProposal and ProcessProposal
// handlers: with vote extensions on, the proposer injects the previous
// height's extended commit as transaction 0, and every validator checks it.
type ProposalHandler struct {
	logger     log.Logger
	valStore   baseapp.ValidatorStore
	injections Injections
	prepare    sdk.PrepareProposalHandler
	process    sdk.ProcessProposalHandler
}

// NewProposalHandler wraps prepare and process (the SDK's defaults, usually).
func NewProposalHandler(logger log.Logger, valStore baseapp.ValidatorStore, injections Injections,
	prepare sdk.PrepareProposalHandler, process sdk.ProcessProposalHandler,
) *ProposalHandler {
	return &ProposalHandler{
		logger: logger.With("module", "ve"), valStore: valStore, injections: injections,
		prepare: prepare, process: process,
	}
}

// PrepareProposal re-validates every extension of the local last commit,
// drops the bad ones (late precommits reach the proposer without
// VerifyVoteExtension having run on them, cometbft#2523), and injects the
// result as transaction 0, its bytes counted against the block's limit, in
// every block that carries one (CarriesInjection).
func (h *ProposalHandler) PrepareProposal() sdk.PrepareProposalHandler {
	return func(ctx sdk.Context, req *abci.RequestPrepareProposal) (resp *abci.ResponsePrepareProposal, err error) {
		defer func() {
			if r := recover(); r != nil {
				h.logger.Error("PrepareProposal panicked; proposing no transactions", "height", req.Height, "panic", r)
				resp, err = &abci.ResponsePrepareProposal{Txs: [][]byte{}}, nil
			}
		}()
		// Nothing from the mempool can be an injection (CheckTx refuses it),
		// but a proposal must never carry one in the wrong place.
		inner := *req
		inner.Txs = h.withoutInjections(req.Txs)
		if !CarriesInjection(ctx, req.Height) {
			return h.prepare(ctx, &inner)
		}

		eci := h.pruneExtendedCommit(ctx, req.Height, req.LocalLastCommit)
		if err := baseapp.ValidateVoteExtensions(ctx, h.valStore, req.Height, ctx.ChainID(), eci); err != nil {
			// Other validators will reject this proposal and the round moves on;
			// say so loudly, but do not halt.
			h.logger.Error("extended commit does not validate after pruning", "height", req.Height, "err", err)
		}
		injected, err := h.fitInjection(req.Height, req.MaxTxBytes, eci)
		if err != nil {
			return nil, err
		}
		// CometBFT counts each transaction with its protobuf framing
		// (blockTxBytes), and panics the proposer whose block exceeds MaxTxBytes.
		inner.MaxTxBytes -= blockTxBytes(injected)
		resp, err = h.prepare(ctx, &inner)
		if err != nil {
			return nil, err
		}
		resp.Txs = append([][]byte{injected}, h.withoutInjections(resp.Txs)...)
		if err := fitsBlock(resp.Txs, req.MaxTxBytes); err != nil {
			return nil, err
		}
		return resp, nil
	}
}

// ProcessProposal rejects a block that should carry an injected commit
// (CarriesInjection) and lacks it or carries a malformed or forged one (bad
// signatures, under 2/3 of the power, not matching the block's LastCommit),
// and a block with an injection anywhere else (anywhere at all when it
// should carry none); the other transactions go to the wrapped handler.
func (h *ProposalHandler) ProcessProposal() sdk.ProcessProposalHandler {
	reject := &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}
	return func(ctx sdk.Context, req *abci.RequestProcessProposal) (resp *abci.ResponseProcessProposal, err error) {
		defer func() {
			if r := recover(); r != nil {
				h.logger.Error("ProcessProposal panicked; rejecting", "height", req.Height, "panic", r)
				resp, err = reject, nil
			}
		}()
		txs := req.Txs
		if CarriesInjection(ctx, req.Height) {
			if len(txs) == 0 {
				h.logger.Info("rejecting proposal: no injected extended commit", "height", req.Height)
				return reject, nil
			}
			if err := h.checkInjection(ctx, req.Height, txs[0]); err != nil {
				h.logger.Info("rejecting proposal: bad injected extended commit", "height", req.Height, "err", err)
				return reject, nil
			}
			txs = txs[1:]
		}
		for _, tx := range txs {
			if h.injections.Holds(tx) {
				h.logger.Info("rejecting proposal: injected commit out of place", "height", req.Height)
				return reject, nil
			}
		}
		inner := *req
		inner.Txs = txs
		return h.process(ctx, &inner)
	}
}

func (h *ProposalHandler) checkInjection(ctx sdk.Context, height int64, tx []byte) error {
	injHeight, eci, err := h.injections.Decode(tx)
	if err != nil {
		return err
	}
	if injHeight != height-1 {
		return fmt.Errorf("%w: carries height %d, want %d", ErrMalformedInjection, injHeight, height-1)
	}
	// Exactly the bytes the codec writes for what it carries: the injection
	// skips the ante handler (no fee, no size gas, no memo limit), so a memo,
	// signatures or unknown fields in it would be block space for free
	// (TestAttackPaddedInjection).
	if want, err := h.injections.Encode(injHeight, eci); err != nil || !bytes.Equal(want, tx) {
		return fmt.Errorf("%w: not the canonical encoding of its commit (%d bytes, want %d)", ErrMalformedInjection, len(tx), len(want))
	}
	for _, v := range eci.Votes {
		if v.BlockIdFlag != cmtproto.BlockIDFlagCommit {
			if len(v.VoteExtension) > 0 || len(v.ExtensionSignature) > 0 {
				return fmt.Errorf("validator %X: extension on a vote that is not a commit vote", v.Validator.Address)
			}
			continue
		}
		if err := VerifyExtension(v.VoteExtension); err != nil {
			return fmt.Errorf("validator %X: %w", v.Validator.Address, err)
		}
	}
	// Signatures, ≥ 2/3 of the power, and consistency with the block's
	// LastCommit (same validators, powers and order: connect#223).
	if err := baseapp.ValidateVoteExtensions(ctx, h.valStore, height, ctx.ChainID(), eci); err != nil {
		return err
	}
	return checkCountedInLastCommit(ctx, eci)
}

// checkCountedInLastCommit refuses a commit vote that the block's LastCommit
// does not hold as one (absent or nil there): its extension, though signed,
// would count at its power in a commit the chain never formed with it
// (TestAttackAbsentVoteInjectedAsCommit). A vote the injection marks absent
// is fine: the proposer drops extensions to fit the block (fitInjection).
// ValidateVoteExtensions has checked that both list the same validators in
// the same order.
func checkCountedInLastCommit(ctx sdk.Context, eci abci.ExtendedCommitInfo) error {
	votes := ctx.CometInfo().GetLastCommit().Votes()
	if votes.Len() != len(eci.Votes) {
		return fmt.Errorf("%w: %d votes, LastCommit has %d", ErrMalformedInjection, len(eci.Votes), votes.Len())
	}
	for i, v := range eci.Votes {
		if v.BlockIdFlag == cmtproto.BlockIDFlagCommit && votes.Get(i).GetBlockIDFlag() != comet.BlockIDFlagCommit {
			return fmt.Errorf("%w: validator %X is a commit vote in the injection but not in the block's LastCommit", ErrMalformedInjection, v.Validator.Address)
		}
	}
	return nil
}

// fitInjection encodes the injected commit and, while it exceeds maxTxBytes,
// drops the largest extensions (their votes marked absent, ties broken by
// address) as long as the commit votes left keep more than 2/3 of the power,
// which ValidateVoteExtensions requires. Only a block too small for the
// extensions of 2/3 of the power (each at most MaxExtensionBytes) gets an
// error: the round is then lost, as CometBFT would refuse the proposal.
func (h *ProposalHandler) fitInjection(height, maxTxBytes int64, eci abci.ExtendedCommitInfo) ([]byte, error) {
	injected, err := h.injections.Encode(height-1, eci)
	if err != nil {
		return nil, fmt.Errorf("encode injected commit: %w", err)
	}
	if blockTxBytes(injected) <= maxTxBytes {
		return injected, nil
	}
	var total, committed int64
	var droppable []int
	for i, v := range eci.Votes {
		total += v.Validator.Power
		if v.BlockIdFlag == cmtproto.BlockIDFlagCommit {
			committed += v.Validator.Power
			if len(v.VoteExtension) > 0 {
				droppable = append(droppable, i)
			}
		}
	}
	sort.SliceStable(droppable, func(a, b int) bool {
		va, vb := eci.Votes[droppable[a]], eci.Votes[droppable[b]]
		if len(va.VoteExtension) != len(vb.VoteExtension) {
			return len(va.VoteExtension) > len(vb.VoteExtension)
		}
		return bytes.Compare(va.Validator.Address, vb.Validator.Address) < 0
	})
	required := total*2/3 + 1
	dropped := 0
	for _, i := range droppable {
		if blockTxBytes(injected) <= maxTxBytes {
			break
		}
		v := &eci.Votes[i]
		if committed-v.Validator.Power < required {
			continue
		}
		committed -= v.Validator.Power
		v.BlockIdFlag, v.VoteExtension, v.ExtensionSignature = cmtproto.BlockIDFlagAbsent, nil, nil
		dropped++
		if injected, err = h.injections.Encode(height-1, eci); err != nil {
			return nil, fmt.Errorf("encode injected commit: %w", err)
		}
	}
	if dropped > 0 {
		h.logger.Info("dropped vote extensions to fit the block", "height", height, "dropped", dropped, "bytes", len(injected))
	}
	if n := blockTxBytes(injected); n > maxTxBytes {
		return nil, fmt.Errorf("%w: injected commit (%d bytes in the block, extensions of 2/3 of the power), limit %d",
			ErrProposalTooLarge, n, maxTxBytes)
	}
	return injected, nil
}

// blockTxBytes is what a transaction takes of a block's MaxTxBytes: its
// bytes with their protobuf field tag and length, as CometBFT counts them
// (types.Txs.Validate).
func blockTxBytes(tx []byte) int64 {
	return cmttypes.ComputeProtoSizeForTxs([]cmttypes.Tx{tx})
}

// fitsBlock checks a proposal against the block's byte limit as CometBFT
// does: one over it makes CometBFT panic the proposer (CreateProposalBlock),
// where an error from PrepareProposal only loses the round (baseapp then
// proposes CometBFT's own transactions, which fit).
func fitsBlock(txs [][]byte, maxTxBytes int64) error {
	var n int64
	for _, tx := range txs {
		n += blockTxBytes(tx)
	}
	if n > maxTxBytes {
		return fmt.Errorf("%w: %d transactions of %d bytes in the block, limit %d", ErrProposalTooLarge, len(txs), n, maxTxBytes)
	}
	return nil
}

// pruneExtendedCommit marks absent every commit vote whose extension is
// malformed or padded (VerifyExtension) or whose extension signature does
// not verify, clearing its extension, so that only checked extensions are
// injected.
func (h *ProposalHandler) pruneExtendedCommit(ctx sdk.Context, height int64, in abci.ExtendedCommitInfo) abci.ExtendedCommitInfo {
	out := abci.ExtendedCommitInfo{Round: in.Round, Votes: make([]abci.ExtendedVoteInfo, len(in.Votes))}
	for i, v := range in.Votes {
		out.Votes[i] = v
		if v.BlockIdFlag != cmtproto.BlockIDFlagCommit {
			out.Votes[i].VoteExtension, out.Votes[i].ExtensionSignature = nil, nil
			continue
		}
		decErr := VerifyExtension(v.VoteExtension)
		sigErr := h.verifyExtensionSignature(ctx, height, in.Round, v)
		if decErr != nil || sigErr != nil {
			h.logger.Info("dropping a vote extension from the proposal", "height", height,
				"validator", fmt.Sprintf("%X", v.Validator.Address), "decode", decErr, "signature", sigErr)
			out.Votes[i].BlockIdFlag = cmtproto.BlockIDFlagAbsent
			out.Votes[i].VoteExtension, out.Votes[i].ExtensionSignature = nil, nil
		}
	}
	return out
}

// verifyExtensionSignature checks one vote's extension signature as
// baseapp.ValidateVoteExtensions does (the extension was signed at height-1).
func (h *ProposalHandler) verifyExtensionSignature(ctx sdk.Context, height int64, round int32, v abci.ExtendedVoteInfo) error {
	if len(v.ExtensionSignature) == 0 {
		return fmt.Errorf("no extension signature")
	}
	pk, err := h.valStore.GetPubKeyByConsAddr(ctx, sdk.ConsAddress(v.Validator.Address))
	if err != nil {
		return err
	}
	cmtPK, err := cryptoenc.PubKeyFromProto(pk)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	cve := cmtproto.CanonicalVoteExtension{
		Extension: v.VoteExtension, Height: height - 1, Round: int64(round), ChainId: ctx.ChainID(),
	}
	if err := protoio.NewDelimitedWriter(&buf).WriteMsg(&cve); err != nil {
		return err
	}
	if !cmtPK.VerifySignature(buf.Bytes(), v.ExtensionSignature) {
		return fmt.Errorf("extension signature does not verify")
	}
	return nil
}

func (h *ProposalHandler) withoutInjections(txs [][]byte) [][]byte {
	out := make([][]byte, 0, len(txs))
	for _, tx := range txs {
		if !h.injections.Holds(tx) {
			out = append(out, tx)
		}
	}
	return out
}
