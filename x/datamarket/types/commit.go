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
// those K blocks leaves the owner's listing out. A file is taken by any of
// its digests (the content root, the sha256, the rows' sha256), so the owner
// commits to each apart, and each commitment is filed under its digest's key
// (RootKey, ShaKey, RowsKey): the oldest unexpired one
// that verifies lists the digest, so that a copier who learns the digests
// before the owner's listing executes (a listing relayed from another
// chain, or one that failed) does not list first, whatever it pairs the
// digest with.

// Domains separate the commitments to roots and to sha256s, and their keys,
// from every other hash.
const (
	rootDomain    = "aichain/datamarket/root-commit/v1"
	shaDomain     = "aichain/datamarket/sha256-commit/v1"
	rootKeyDomain = "aichain/datamarket/root-key/v1"
	shaKeyDomain  = "aichain/datamarket/sha256-key/v1"
	rowsDomain    = "aichain/datamarket/rows-commit/v1"
	rowsKeyDomain = "aichain/datamarket/rows-key/v1"
)

// RootCommitment is the commitment of owner to a file with content root
// root: common.CommitmentOf the owner's address and root.
func RootCommitment(owner sdk.AccAddress, root []byte) []byte {
	return common.CommitmentOf(rootDomain, owner, root)
}

// ShaCommitment is the commitment of owner to a file of sha256 sha (64
// lowercase hex digits).
func ShaCommitment(owner sdk.AccAddress, sha string) []byte {
	return common.CommitmentOf(shaDomain, owner, []byte(sha))
}

// RootKey is the public key of a content root, under which commitments to
// it are filed (no owner).
func RootKey(root []byte) []byte { return common.CommitmentOf(rootKeyDomain, root) }

// ShaKey is the public key of a sha256.
func ShaKey(sha string) []byte { return common.CommitmentOf(shaKeyDomain, []byte(sha)) }

// RowsCommitment is the commitment of owner to a file whose rows have the
// sha256 rowsSha (64 lowercase hex digits: rows_sha256).
func RowsCommitment(owner sdk.AccAddress, rowsSha string) []byte {
	return common.CommitmentOf(rowsDomain, owner, []byte(rowsSha))
}

// RowsKey is the public key of a rows_sha256.
func RowsKey(rowsSha string) []byte { return common.CommitmentOf(rowsKeyDomain, []byte(rowsSha)) }

// ValidateBasic checks the message statelessly.
func (m *MsgCommitContent) ValidateBasic() error {
	if err := validateAddress("sender", m.Sender); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		b    []byte
	}{{"root commitment", m.RootCommitment}, {"root key", m.RootKey}, {"sha256 commitment", m.ShaCommitment}, {"sha256 key", m.ShaKey},
		{"rows commitment", m.RowsCommitment}, {"rows key", m.RowsKey}} {
		if len(f.b) != common.CommitmentBytes {
			return errorsmod.Wrapf(ErrInvalidRequest, "%s must be %d bytes, got %d", f.name, common.CommitmentBytes, len(f.b))
		}
	}
	return nil
}

// NewMsgCommitContent is owner's commitment to the file with content root
// root, sha256 sha and rows' sha256 rowsSha: to each digest, with its key.
func NewMsgCommitContent(owner sdk.AccAddress, root []byte, sha, rowsSha string) *MsgCommitContent {
	return &MsgCommitContent{Sender: owner.String(), RootCommitment: RootCommitment(owner, root), RootKey: RootKey(root),
		ShaCommitment: ShaCommitment(owner, sha), ShaKey: ShaKey(sha),
		RowsCommitment: RowsCommitment(owner, rowsSha), RowsKey: RowsKey(rowsSha)}
}
