package jobexec

import (
	"errors"
	"io"
)

// ReadCapped appends what r sends to buf until its end or until buf holds
// limit bytes, and returns buf (with what it read when r fails). The
// buffer grows by doubling, from 64 KiB, but never past limit, and only
// once a one-byte read has shown more is coming: a bytes.Buffer (or
// io.ReadAll) grows past what it holds, and a body of exactly the most
// allowed, read with the one byte more that tells it from a body over it
// (limit = most + 1), took a buffer of twice the most, three times while
// it was copied (sidecar TestAttackWeightsOfAPowerOfTwoDoubleTheirBuffer).
// A caller that knows the body's length gives buf room for exactly it: it
// is then read without growing, its end told by that one-byte read.
func ReadCapped(r io.Reader, buf []byte, limit int64) ([]byte, error) {
	for int64(len(buf)) < limit {
		if len(buf) == cap(buf) {
			var one [1]byte
			if _, err := io.ReadFull(r, one[:]); err != nil {
				if errors.Is(err, io.EOF) {
					return buf, nil
				}
				return buf, err
			}
			grown := make([]byte, len(buf), min(max(2*int64(cap(buf)), 64<<10), limit))
			copy(grown, buf)
			buf = append(grown, one[0])
			continue
		}
		n, err := r.Read(buf[len(buf):min(int64(cap(buf)), limit)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}
