package common

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CheckFetchURL checks a uri that agents fetch over HTTP (a model's weights,
// a dataset's server): non-empty, at most maxLen bytes, valid UTF-8 without
// spaces, control or format characters, and an http:// or https:// URL
// with a host name and, when it names a port, a port of 1 to 65535.
// Anything else no agent fetches: an input check of a job on it found no
// server to blame and abstained, so an owner who wrote such a uri on chain
// voided the checks of its own inputs
// (TestAttackUnfetchableURISchemeMakesInputChecksAbstain). Format characters
// (Unicode category Cf: the bidi overrides U+202A–202E and isolates
// U+2066–2069, zero-width joiners, a soft hyphen) count as control
// characters: a right-to-left override shows a reader another address than
// the one fetched. An IDN host is written as itself or in punycode, an IPv6
// one in brackets. Each module wraps the error in its own.
func CheckFetchURL(uri string, maxLen int) error {
	if err := CheckURIText(uri, maxLen); err != nil {
		return err
	}
	u, err := url.Parse(uri)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || !validPort(u) {
		return fmt.Errorf("uri %q must be an http:// or https:// URL: a host name and, if any, a port of 1 to 65535", uri)
	}
	return nil
}

// CheckURIText checks what CheckFetchURL asks of a uri's text, whatever its
// scheme: non-empty, at most maxLen bytes, valid UTF-8 without spaces,
// control or format characters.
func CheckURIText(uri string, maxLen int) error {
	bad := func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }
	if uri == "" || len(uri) > maxLen || strings.IndexFunc(uri, bad) >= 0 || !utf8.ValidString(uri) {
		return fmt.Errorf("uri %q must be non-empty, at most %d bytes, without spaces, control or format characters", uri, maxLen)
	}
	return nil
}

// validPort reports whether u names no port (no colon after its host) or a
// port of decimal digits from 1 to 65535 (url.Parse takes any digits, and
// an empty port after a colon).
func validPort(u *url.URL) bool {
	port := u.Port()
	if port == "" {
		return !strings.HasSuffix(u.Host, ":")
	}
	n, err := strconv.ParseUint(port, 10, 16)
	return err == nil && n > 0
}
