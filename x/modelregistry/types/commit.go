package types

import (
	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
)

// Commit, then register (modkit.Commitments). Weights belong to the first
// model name that registers them, and a registration carries their sha256
// (and the name) in the clear: a mempool watcher could copy them into a
// registration of its own that lands first. So a registration of a new
// name, or a new version of weights no model holds yet, must reveal a
// commitment its creator made at least weights_commit_delay_blocks before
// (MsgCommitWeights).

// commitDomain separates weights commitments from every other hash.
const commitDomain = "aichain/modelregistry/weights-commit/v1"

// WeightsCommitment is the commitment of creator to registering name with
// the weights of sha256 sha (64 lowercase hex digits): common.CommitmentOf
// the creator's address, the name and sha.
func WeightsCommitment(creator sdk.AccAddress, name, sha string) []byte {
	return common.CommitmentOf(commitDomain, creator, []byte(name), []byte(sha))
}

// ValidateBasic checks the message statelessly.
func (m *MsgCommitWeights) ValidateBasic() error {
	if err := validateAddress("sender", m.Sender); err != nil {
		return err
	}
	if len(m.Commitment) != common.CommitmentBytes {
		return errorsmod.Wrapf(ErrInvalidModel, "commitment must be %d bytes, got %d", common.CommitmentBytes, len(m.Commitment))
	}
	return nil
}
