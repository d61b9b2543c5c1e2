package ve

import (
	"context"
	"fmt"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"cosmossdk.io/log"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// VoteExtHandler serves ExtendVote and VerifyVoteExtension.
type VoteExtHandler struct {
	logger  log.Logger
	client  VerdictClient // nil: no sidecar
	timeout time.Duration
	health  sidecarHealth
}

// NewVoteExtHandler returns the handler; client may be nil (no sidecar).
func NewVoteExtHandler(logger log.Logger, client VerdictClient, timeout time.Duration) *VoteExtHandler {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &VoteExtHandler{logger: logger.With("module", "ve"), client: client, timeout: timeout}
}

// ExtendVote returns this validator's vote extension: the sidecar's ready
// verdicts, or an empty extension on any error, timeout or panic.
func (h *VoteExtHandler) ExtendVote() sdk.ExtendVoteHandler {
	return func(ctx sdk.Context, req *abci.RequestExtendVote) (resp *abci.ResponseExtendVote, err error) {
		empty := &abci.ResponseExtendVote{VoteExtension: []byte{}}
		defer func() {
			if r := recover(); r != nil {
				h.logger.Error("ExtendVote panicked; voting with an empty extension", "height", req.Height, "panic", r)
				resp, err = empty, nil
			}
		}()
		if h.client == nil {
			countExtendVote(ExtendVoteNoSidecar)
			return empty, nil
		}
		cctx, cancel := context.WithTimeout(context.Background(), h.timeout)
		defer cancel()
		start := time.Now()
		verdicts, err := h.client.Verdicts(cctx, req.Height)
		measureSidecar(start)
		if err != nil {
			countExtendVote(ExtendVoteSidecarErr)
			if h.health.failed(req.Height) {
				h.logger.Warn("the verifier sidecar gives no verdicts: this validator votes with empty extensions and "+
					"does not take part in verification (check [verifier] in app.toml and the sidecar's log)",
					"height", req.Height, "err", err)
			} else {
				h.logger.Info("sidecar gave no verdicts; voting with an empty extension", "height", req.Height, "err", err)
			}
			return empty, nil
		}
		if h.health.ok() {
			h.logger.Warn("the verifier sidecar answers again", "height", req.Height)
		}
		bz, err := EncodeExtension(verdicts)
		if err != nil {
			countExtendVote(ExtendVoteEncodeError)
			h.logger.Error("cannot encode verdicts; voting with an empty extension", "height", req.Height, "err", err)
			return empty, nil
		}
		if len(bz) == 0 {
			countExtendVote(ExtendVoteEmpty)
			return &abci.ResponseExtendVote{VoteExtension: bz}, nil
		}
		countExtendVote(ExtendVoteVerdicts)
		countVerdicts("verdicts_sent", verdicts)
		h.logger.Debug("extending vote", "height", req.Height, "verdicts", len(verdicts), "bytes", len(bz))
		return &abci.ResponseExtendVote{VoteExtension: bz}, nil
	}
}

// VerifyVoteExtension accepts empty extensions and well-formed ones (see
// DecodeExtension) and rejects only malformed or oversized ones. It does not
// look at state: whether a verdict's job is under verification is the
// PreBlocker's concern.
func (h *VoteExtHandler) VerifyVoteExtension() sdk.VerifyVoteExtensionHandler {
	return func(ctx sdk.Context, req *abci.RequestVerifyVoteExtension) (resp *abci.ResponseVerifyVoteExtension, err error) {
		defer func() {
			if r := recover(); r != nil {
				h.logger.Error("VerifyVoteExtension panicked; rejecting", "height", req.Height, "panic", r)
				resp, err = &abci.ResponseVerifyVoteExtension{Status: abci.ResponseVerifyVoteExtension_REJECT}, nil
			}
		}()
		if _, err := DecodeExtension(req.VoteExtension); err != nil {
			h.logger.Info("rejecting vote extension", "height", req.Height,
				"validator", fmt.Sprintf("%X", req.ValidatorAddress), "err", err)
			return &abci.ResponseVerifyVoteExtension{Status: abci.ResponseVerifyVoteExtension_REJECT}, nil
		}
		return &abci.ResponseVerifyVoteExtension{Status: abci.ResponseVerifyVoteExtension_ACCEPT}, nil
	}
}
