package types

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"

	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Commit, then list. A file belongs to the first dataset that lists it, and
// a listing carries the file's content root and sha256 in the clear: a
// mempool watcher (or the block's proposer) could copy them into a listing
// of its own that lands first. So a listing of content no dataset holds yet
// must reveal a commitment its owner made at least
// content_commit_delay_blocks (K) before (MsgCommitContent). A copier learns
// the digests only from the owner's listing, so its own commitment is no
// earlier than the block that could include the owner's listing, and its
// listing is valid only K blocks later: it wins only if every proposer of
// those K blocks leaves the owner's listing out.

// CommitmentBytes is the length of a commitment.
const CommitmentBytes = sha256.Size

// commitDomain separates content commitments from every other hash.
const commitDomain = "aichain/datamarket/content-commit/v1"

// ContentCommitment is the commitment of owner to a file with content root
// root and sha256 sha (64 lowercase hex digits): the sha256 of the domain,
// then the owner's address, root and sha, each after its length.
func ContentCommitment(owner sdk.AccAddress, root []byte, sha string) []byte {
	h := sha256.New()
	h.Write([]byte(commitDomain))
	for _, part := range [][]byte{owner, root, []byte(sha)} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	return h.Sum(nil)
}

// ParseCommitment decodes a commitment's hex digits.
func ParseCommitment(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != CommitmentBytes {
		return nil, errorsmod.Wrapf(ErrInvalidRequest, "commitment must be %d hex digits, got %q", 2*CommitmentBytes, s)
	}
	return b, nil
}

// ValidateBasic checks the message statelessly.
func (m *MsgCommitContent) ValidateBasic() error {
	if err := validateAddress("sender", m.Sender); err != nil {
		return err
	}
	if len(m.Commitment) != CommitmentBytes {
		return errorsmod.Wrapf(ErrInvalidRequest, "commitment must be %d bytes, got %d", CommitmentBytes, len(m.Commitment))
	}
	return nil
}

// Validate checks a stored commitment (genesis).
func (c ContentCommit) Validate() error {
	if len(c.Commitment) != CommitmentBytes {
		return errorsmod.Wrapf(ErrInvalidGenesis, "content commit of %d bytes, want %d", len(c.Commitment), CommitmentBytes)
	}
	if c.ExpiresHeight <= c.Height {
		return errorsmod.Wrapf(ErrInvalidGenesis, "content commit %X expires at %d, not after its height %d", c.Commitment, c.ExpiresHeight, c.Height)
	}
	return nil
}
