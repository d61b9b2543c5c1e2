package types

import (
	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
)

// Commit, then list (modkit.Commitments). A file belongs to the first dataset that lists it, and
// a listing carries the file's content root and sha256 in the clear: a
// mempool watcher (or the block's proposer) could copy them into a listing
// of its own that lands first. So a listing of content no dataset holds yet
// must reveal a commitment its owner made at least
// content_commit_delay_blocks (K) before (MsgCommitContent). A copier learns
// the digests only from the owner's listing, so its own commitment is no
// earlier than the block that could include the owner's listing, and its
// listing is valid only K blocks later: it wins only if every proposer of
// those K blocks leaves the owner's listing out. The commitment is filed
// under the content's key (ContentKey), and the oldest unexpired one that
// verifies lists the file, so that a copier who learns the digests before
// the owner's listing executes (a listing relayed from another chain, or
// one that failed) does not list first.

// commitDomain separates content commitments from every other hash, and
// keyDomain content keys.
const (
	commitDomain = "aichain/datamarket/content-commit/v1"
	keyDomain    = "aichain/datamarket/content-key/v1"
)

// ContentKey is the public key of a file with content root root and sha256
// sha, under which commitments to it are filed: common.CommitmentOf root and
// sha, no owner.
func ContentKey(root []byte, sha string) []byte {
	return common.CommitmentOf(keyDomain, root, []byte(sha))
}

// ContentCommitment is the commitment of owner to a file with content root
// root and sha256 sha (64 lowercase hex digits): common.CommitmentOf the
// owner's address, root and sha.
func ContentCommitment(owner sdk.AccAddress, root []byte, sha string) []byte {
	return common.CommitmentOf(commitDomain, owner, root, []byte(sha))
}

// ValidateBasic checks the message statelessly.
func (m *MsgCommitContent) ValidateBasic() error {
	if err := validateAddress("sender", m.Sender); err != nil {
		return err
	}
	if len(m.Commitment) != common.CommitmentBytes {
		return errorsmod.Wrapf(ErrInvalidRequest, "commitment must be %d bytes, got %d", common.CommitmentBytes, len(m.Commitment))
	}
	if len(m.ContentKey) != common.CommitmentBytes {
		return errorsmod.Wrapf(ErrInvalidRequest, "content key must be %d bytes, got %d", common.CommitmentBytes, len(m.ContentKey))
	}
	return nil
}

// NewMsgCommitContent is owner's commitment to the file with content root
// root and sha256 sha, filed under its content key.
func NewMsgCommitContent(owner sdk.AccAddress, root []byte, sha string) *MsgCommitContent {
	return &MsgCommitContent{Sender: owner.String(), Commitment: ContentCommitment(owner, root, sha), ContentKey: ContentKey(root, sha)}
}
