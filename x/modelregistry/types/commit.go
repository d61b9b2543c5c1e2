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

// commitDomain separates commitments to a name and weights from every other
// hash, weightsDomain commitments to weights alone, and keyDomain weights
// keys.
const (
	commitDomain  = "aichain/modelregistry/weights-commit/v1"
	weightsDomain = "aichain/modelregistry/weights-only-commit/v1"
	keyDomain     = "aichain/modelregistry/weights-key/v1"
)

// NameCommitment is the commitment of creator to registering name with the
// weights of sha256 sha (64 lowercase hex digits): common.CommitmentOf the
// creator's address, the name and sha. It keeps the name from a squatter
// who copies it from the registration.
func NameCommitment(creator sdk.AccAddress, name, sha string) []byte {
	return common.CommitmentOf(commitDomain, creator, []byte(name), []byte(sha))
}

// WeightsCommitment is the commitment of creator to the weights of sha256
// sha, whatever their name: filed under WeightsContentKey(sha), the oldest that
// verifies registers them, so a registration that loses its name to a
// squatter keeps its weights (TestAttackNameSquatFrontRunHandsCreatorsWeightsToCopier).
func WeightsCommitment(creator sdk.AccAddress, sha string) []byte {
	return common.CommitmentOf(weightsDomain, creator, []byte(sha))
}

// WeightsContentKey is the public key of the weights of sha256 sha, under which
// commitments to them are filed.
func WeightsContentKey(sha string) []byte { return common.CommitmentOf(keyDomain, []byte(sha)) }

// ValidateBasic checks the message statelessly.
func (m *MsgCommitWeights) ValidateBasic() error {
	if err := validateAddress("sender", m.Sender); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		b    []byte
	}{{"commitment", m.Commitment}, {"weights key", m.WeightsKey}, {"weights commitment", m.WeightsCommitment}} {
		if len(f.b) != common.CommitmentBytes {
			return errorsmod.Wrapf(ErrInvalidModel, "%s must be %d bytes, got %d", f.name, common.CommitmentBytes, len(f.b))
		}
	}
	return nil
}

// NewMsgCommitWeights is creator's commitment to registering name with the
// weights of sha256 sha: both commitments, and the weights' key.
func NewMsgCommitWeights(creator sdk.AccAddress, name, sha string) *MsgCommitWeights {
	return &MsgCommitWeights{Sender: creator.String(), Commitment: NameCommitment(creator, name, sha),
		WeightsKey: WeightsContentKey(sha), WeightsCommitment: WeightsCommitment(creator, sha)}
}
