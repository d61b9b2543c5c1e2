package ve

import (
	"context"
	"fmt"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"cosmossdk.io/log"

	sdk "github.com/cosmos/cosmos-sdk/types"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// VoteExtHandler serves ExtendVote and VerifyVoteExtension.
type VoteExtHandler struct {
	logger  log.Logger
	client  VerdictClient // nil: no sidecar
	timeout time.Duration
	health  sidecarHealth
	signer  *BeaconSigner // nil: no beacon key
	keys    BeaconKeys
}

// NewVoteExtHandler returns the handler; client may be nil (no sidecar).
func NewVoteExtHandler(logger log.Logger, client VerdictClient, timeout time.Duration) *VoteExtHandler {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &VoteExtHandler{logger: logger.With("module", "ve"), client: client, timeout: timeout}
}

// WithBeacon makes ExtendVote add this validator's beacon shares, signed
// with signer once keys (x/compute) holds its public key.
func (h *VoteExtHandler) WithBeacon(signer *BeaconSigner, keys BeaconKeys) *VoteExtHandler {
	h.signer, h.keys = signer, keys
	return h
}

// ExtendVote returns this validator's vote extension: the sidecar's ready
// verdicts and its beacon shares, or an empty extension on a panic. A
// sidecar error or timeout leaves the verdicts out, a beacon error the
// shares.
func (h *VoteExtHandler) ExtendVote() sdk.ExtendVoteHandler {
	return func(ctx sdk.Context, req *abci.RequestExtendVote) (resp *abci.ResponseExtendVote, err error) {
		empty := &abci.ResponseExtendVote{VoteExtension: []byte{}}
		defer func() {
			if r := recover(); r != nil {
				h.logger.Error("ExtendVote panicked; voting with an empty extension", "height", req.Height, "panic", r)
				resp, err = empty, nil
			}
		}()
		verdicts := h.verdicts(req.Height)
		shares, err := BeaconShares(ctx, h.signer, h.keys, ctx.ChainID(), req.Height)
		if err != nil {
			h.logger.Error("cannot make beacon shares; voting without them", "height", req.Height, "err", err)
			shares = nil
		}
		bz, err := EncodeVoteExtension(verdicts, shares)
		if err != nil {
			countExtendVote(ExtendVoteEncodeError)
			h.logger.Error("cannot encode verdicts; voting with an empty extension", "height", req.Height, "err", err)
			return empty, nil
		}
		if len(verdicts) == 0 {
			if h.client != nil {
				countExtendVote(ExtendVoteEmpty)
			}
			return &abci.ResponseExtendVote{VoteExtension: bz}, nil
		}
		countExtendVote(ExtendVoteVerdicts)
		countVerdicts("verdicts_sent", verdicts)
		h.logger.Debug("extending vote", "height", req.Height, "verdicts", len(verdicts), "shares", len(shares), "bytes", len(bz))
		return &abci.ResponseExtendVote{VoteExtension: bz}, nil
	}
}

// verdicts asks the sidecar for its ready verdicts (none without one, or on
// an error or timeout).
func (h *VoteExtHandler) verdicts(height int64) []computetypes.JobVerdict {
	if h.client == nil {
		countExtendVote(ExtendVoteNoSidecar)
		return nil
	}
	cctx, cancel := context.WithTimeout(context.Background(), h.timeout)
	defer cancel()
	start := time.Now()
	verdicts, err := h.client.Verdicts(cctx, height)
	measureSidecar(start)
	if err != nil {
		countExtendVote(ExtendVoteSidecarErr)
		if h.health.failed(height) {
			h.logger.Warn("the verifier sidecar gives no verdicts: this validator votes with empty extensions and "+
				"does not take part in verification (check [verifier] in app.toml and the sidecar's log)",
				"height", height, "err", err)
		} else {
			h.logger.Info("sidecar gave no verdicts; voting with an empty extension", "height", height, "err", err)
		}
		return nil
	}
	if h.health.ok() {
		h.logger.Warn("the verifier sidecar answers again", "height", height)
	}
	return verdicts
}

// VerifyVoteExtension accepts empty extensions and well-formed ones (see
// VerifyExtension) and rejects only malformed, oversized or padded ones. It
// does not look at state: whether a verdict's job is under verification, and
// whether a beacon share verifies, is the PreBlocker's concern (it must
// verify shares anyway, and does so in one batch per height rather than one
// pairing check per precommit).
func (h *VoteExtHandler) VerifyVoteExtension() sdk.VerifyVoteExtensionHandler {
	return func(ctx sdk.Context, req *abci.RequestVerifyVoteExtension) (resp *abci.ResponseVerifyVoteExtension, err error) {
		defer func() {
			if r := recover(); r != nil {
				h.logger.Error("VerifyVoteExtension panicked; rejecting", "height", req.Height, "panic", r)
				resp, err = &abci.ResponseVerifyVoteExtension{Status: abci.ResponseVerifyVoteExtension_REJECT}, nil
			}
		}()
		if err := VerifyExtension(req.VoteExtension); err != nil {
			h.logger.Info("rejecting vote extension", "height", req.Height,
				"validator", fmt.Sprintf("%X", req.ValidatorAddress), "err", err)
			return &abci.ResponseVerifyVoteExtension{Status: abci.ResponseVerifyVoteExtension_REJECT}, nil
		}
		return &abci.ResponseVerifyVoteExtension{Status: abci.ResponseVerifyVoteExtension_ACCEPT}, nil
	}
}
