package common

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"

	errorsmod "cosmossdk.io/errors"
)

// CommitmentBytes is the length of a commitment (Commitment.Commitment).
const CommitmentBytes = sha256.Size

// CommitmentOf is the commitment to parts under domain: the sha256 of the
// domain, then each part after its length (8 bytes, big-endian), so that no
// two lists of parts hash alike.
func CommitmentOf(domain string, parts ...[]byte) []byte {
	h := sha256.New()
	h.Write([]byte(domain))
	for _, part := range parts {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	return h.Sum(nil)
}

// ParseCommitment decodes a commitment's hex digits; a bad one is invalid
// (a wrap of invalid).
func ParseCommitment(s string, invalid *errorsmod.Error) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != CommitmentBytes {
		return nil, errorsmod.Wrapf(invalid, "commitment must be %d hex digits, got %q", 2*CommitmentBytes, s)
	}
	return b, nil
}

// Validate checks a stored commitment (genesis); invalid is the module's
// genesis error.
func (c Commitment) Validate(invalid *errorsmod.Error) error {
	if len(c.Commitment) != CommitmentBytes {
		return errorsmod.Wrapf(invalid, "commitment of %d bytes, want %d", len(c.Commitment), CommitmentBytes)
	}
	if c.ExpiresHeight <= c.Height {
		return errorsmod.Wrapf(invalid, "commitment %X expires at %d, not after its height %d", c.Commitment, c.ExpiresHeight, c.Height)
	}
	if c.KeptUntilHeight < c.ExpiresHeight {
		return errorsmod.Wrapf(invalid, "commitment %X kept until %d, before its expiry %d", c.Commitment, c.KeptUntilHeight, c.ExpiresHeight)
	}
	// The owner in the address codec's spelling, as the commit messages
	// store it: bech32 also reads an all-upper-case address, and two
	// spellings of one owner are one store key (modkit.CommitmentKey reads
	// the bytes), which ValidateCommitments' duplicate check would miss.
	if err := CanonicalAddress("commitment owner", c.Owner, invalid); err != nil {
		return errorsmod.Wrapf(err, "commitment %X", c.Commitment)
	}
	if len(c.ContentKey) != 0 && len(c.ContentKey) != CommitmentBytes {
		return errorsmod.Wrapf(invalid, "commitment %X: content key of %d bytes, want %d or none", c.Commitment, len(c.ContentKey), CommitmentBytes)
	}
	return nil
}

// ValidateCommitments checks each commitment, and that no owner's appears
// twice.
func ValidateCommitments(recs []Commitment, invalid *errorsmod.Error) error {
	seen := make(map[string]bool, len(recs))
	for _, c := range recs {
		if err := c.Validate(invalid); err != nil {
			return err
		}
		key := c.Owner + "/" + string(c.Commitment)
		if seen[key] {
			return errorsmod.Wrapf(invalid, "commitment %X of %s appears twice", c.Commitment, c.Owner)
		}
		seen[key] = true
	}
	return nil
}
