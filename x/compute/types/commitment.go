package types

import (
	"crypto/sha256"
	"encoding/binary"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// BidCommitment returns SHA-256(uint64be(jobID) ‖ provider ‖ price.String() ‖ salt),
// the commitment a provider sends in MsgCommitBid and opens with MsgRevealBid.
func BidCommitment(jobID uint64, provider string, price sdk.Coin, salt []byte) []byte {
	h := sha256.New()
	var id [8]byte
	binary.BigEndian.PutUint64(id[:], jobID)
	h.Write(id[:])
	h.Write([]byte(provider))
	h.Write([]byte(price.String()))
	h.Write(salt)
	return h.Sum(nil)
}
