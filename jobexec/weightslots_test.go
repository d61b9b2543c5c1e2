package jobexec

import (
	"net/http"
	"testing"
)

// TestRangeFrom: the offset a weights request claims progress from is the
// start of one plain range; any other Range (several ranges, a suffix, an
// If-Range that may be answered whole from byte 0) claims none.
func TestRangeFrom(t *testing.T) {
	for _, c := range []struct {
		rng, ifRange string
		want         int64
	}{
		{"", "", 0},
		{"bytes=100-", "", 100},
		{"bytes=100-200", "", 100},
		{"bytes= 7-", "", 7},
		{"bytes=0-", "", 0},
		{"bytes=-500", "", -1},
		{"bytes=1-2,5-6", "", -1},
		{"items=1-", "", -1},
		{"bytes=x-", "", -1},
		{"bytes=100", "", -1},
		{"bytes=100-", `"etag"`, -1},
	} {
		r, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/v1/models/x", nil)
		if c.rng != "" {
			r.Header.Set("Range", c.rng)
		}
		if c.ifRange != "" {
			r.Header.Set("If-Range", c.ifRange)
		}
		if got := rangeFrom(r); got != c.want {
			t.Errorf("Range %q If-Range %q: from %d, want %d", c.rng, c.ifRange, got, c.want)
		}
	}
}
