// Package txforge rewrites a transaction's bytes as a hostile user would,
// for attack tests: the result still decodes to the same transaction.
package txforge

import (
	"errors"

	"google.golang.org/protobuf/encoding/protowire"
)

// ErrParse is body bytes that do not parse as a protobuf message.
var ErrParse = errors.New("the body does not parse")

// TypeURLFirst returns a TxBody's bytes with each message's Any carrying
// url as a type_url before its own: protobuf decoders keep a field's last
// occurrence, so it is the same body to them, and a signer signs these
// bytes as they are (SIGN_MODE_DIRECT).
func TypeURLFirst(body []byte, url string) ([]byte, error) {
	var out []byte
	for bz := body; len(bz) > 0; {
		num, typ, n := protowire.ConsumeTag(bz)
		if n < 0 {
			return nil, ErrParse
		}
		m := protowire.ConsumeFieldValue(num, typ, bz[n:])
		if m < 0 {
			return nil, ErrParse
		}
		field := bz[:n+m]
		bz = bz[n+m:]
		if num != 1 { // TxBody.messages
			out = append(out, field...)
			continue
		}
		msg, k := protowire.ConsumeBytes(field[n:])
		if k < 0 {
			return nil, ErrParse
		}
		forged := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), []byte(url))
		out = protowire.AppendBytes(protowire.AppendTag(out, 1, protowire.BytesType), append(forged, msg...))
	}
	return out, nil
}
