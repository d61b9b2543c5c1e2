package signedreq

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/cosmos/cosmos-sdk/types/bech32"
)

// Refusal kinds: the sentinel errors a verification fails with (errors.Is).
// Each one's text is the code a server answers with.
var (
	ErrMissing   = errors.New("missing_signature")
	ErrMalformed = errors.New("bad_signature")
	ErrAudience  = errors.New("wrong_audience")
	ErrStale     = errors.New("stale_request")
	ErrFuture    = errors.New("future_request")
	ErrReplayed  = errors.New("replayed_request")
	ErrTooMany   = errors.New("too_many_requests")
	// ErrRefusedEarlier: signed no later than a request of the same signer
	// (or, at the dataset server, of the same access) that was refused.
	ErrRefusedEarlier = errors.New("refused_request")
)

// Error is a refused request: its kind (one of the sentinels above), the
// HTTP status to answer and a message for the caller.
type Error struct {
	Kind   error
	Status int
	Detail string
}

func (e *Error) Error() string { return e.Kind.Error() + ": " + e.Detail }

// Unwrap returns the kind.
func (e *Error) Unwrap() error { return e.Kind }

// Code is the code a server answers with.
func (e *Error) Code() string { return e.Kind.Error() }

func refuse(kind error, format string, args ...any) *Error {
	status := http.StatusUnauthorized
	if errors.Is(kind, ErrTooMany) {
		status = http.StatusTooManyRequests
	}
	return &Error{Kind: kind, Status: status, Detail: fmt.Sprintf(format, args...)}
}

// Verifier checks signed requests for one server, with no disk or chain
// work.
type Verifier struct {
	// Audiences are the audiences this server answers to (see Audience).
	Audiences []string
	// Prefix is the bech32 prefix of account addresses ("aic").
	Prefix string
	// Window is how old a request may be (default 60 s).
	Window time.Duration
	// FutureSkew is how far ahead of the server's clock a timestamp may be
	// (default 5 s).
	FutureSkew time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (v *Verifier) window() time.Duration {
	if v.Window <= 0 {
		return 60 * time.Second
	}
	return v.Window
}

func (v *Verifier) now() time.Time {
	if v.Now == nil {
		return time.Now()
	}
	return v.Now()
}

// Verified is a request whose signature holds. Its Address is the signer's
// canonical address (lower case, re-encoded from the decoded bytes), which
// may differ from the spelling signed (bech32 also reads an all-upper-case
// address): every structure keyed by the signer (nonce caps, caches, pools)
// sees one account once, whatever its spelling
// (TestAttackAddressSpellingIsASecondIdentity).
type Verified struct {
	Request
	SignedAt time.Time
}

// Verify checks the signature headers of r and returns the signed request,
// or an *Error. A request whose signature holds but which is signed more
// than FutureSkew ahead of the clock is refused (ErrFuture) and returned
// with the error; every other refusal returns no request.
func (v *Verifier) Verify(r *http.Request) (*Verified, error) {
	h := r.Header
	addr, pubText, aud := h.Get(HeaderAddress), h.Get(HeaderPubKey), h.Get(HeaderAudience)
	tsText, nonce, sigText := h.Get(HeaderTimestamp), h.Get(HeaderNonce), h.Get(HeaderSignature)
	if addr == "" || pubText == "" || aud == "" || tsText == "" || nonce == "" || sigText == "" {
		return nil, refuse(ErrMissing, "sign the request: headers %s, %s, %s, %s, %s and %s are required",
			HeaderAddress, HeaderPubKey, HeaderAudience, HeaderTimestamp, HeaderNonce, HeaderSignature)
	}
	if !v.ownAudience(aud) {
		return nil, refuse(ErrAudience, "the request was signed for %q, not for this server", aud)
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return nil, refuse(ErrMalformed, "timestamp %q is not Unix seconds", tsText)
	}
	signedAt, now := time.Unix(ts, 0), v.now()
	if now.Sub(signedAt) > v.window() {
		return nil, refuse(ErrStale, "signed at %s, more than %s ago", signedAt.UTC().Format(time.RFC3339), v.window())
	}
	if !validNonce(nonce) {
		return nil, refuse(ErrMalformed, "nonce must be 8..128 characters of [0-9A-Za-z_-]")
	}
	req := Request{Audience: aud, Method: r.Method, URI: r.URL.RequestURI(), Address: addr, Timestamp: ts, Nonce: nonce}
	canonical, refused := v.checkSignature(req, pubText, sigText)
	if refused != nil {
		return nil, refused
	}
	req.Address = canonical
	verified := &Verified{Request: req, SignedAt: signedAt}
	skew := v.FutureSkew
	if skew <= 0 {
		skew = 5 * time.Second
	}
	if signedAt.Sub(now) > skew {
		// Refused, but its signature holds: the request is returned with
		// the error, so that a server can remember the refusal (a copy of
		// it is fresh once the server's clock reaches it:
		// TestAttackFutureRefusalLeavesReplayableCopy).
		return verified, refuse(ErrFuture, "signed at %s, ahead of the server's clock", signedAt.UTC().Format(time.RFC3339))
	}
	return verified, nil
}

func (v *Verifier) ownAudience(aud string) bool {
	for _, a := range v.Audiences {
		if a == aud {
			return true
		}
	}
	return false
}

// checkSignature checks that the key is the address's and signed the doc
// (over the address as spelled), and returns the address's canonical
// spelling: lower case, re-encoded from the decoded bytes.
func (v *Verifier) checkSignature(req Request, pubText, sigText string) (string, *Error) {
	pubBytes, err := base64.StdEncoding.DecodeString(pubText)
	if err != nil || len(pubBytes) != secp256k1.PubKeySize {
		return "", refuse(ErrMalformed, "%s must be base64 of a %d-byte compressed secp256k1 key", HeaderPubKey, secp256k1.PubKeySize)
	}
	sig, err := base64.StdEncoding.DecodeString(sigText)
	if err != nil || len(sig) != 64 {
		return "", refuse(ErrMalformed, "%s must be base64 of a 64-byte signature", HeaderSignature)
	}
	pub := &secp256k1.PubKey{Key: pubBytes}
	prefix, addrBytes, err := bech32.DecodeAndConvert(req.Address)
	if err != nil || (v.Prefix != "" && prefix != v.Prefix) {
		return "", refuse(ErrMalformed, "address %q is not a bech32 account address with prefix %q", req.Address, v.Prefix)
	}
	canonical, err := bech32.ConvertAndEncode(prefix, addrBytes)
	if err != nil {
		return "", refuse(ErrMalformed, "address %q does not re-encode as bech32", req.Address)
	}
	if string(addrBytes) != string(pub.Address()) {
		return "", refuse(ErrMalformed, "the public key is not %s's", req.Address)
	}
	if !pub.VerifySignature(req.SignBytes(), sig) {
		return "", refuse(ErrMalformed, "the signature does not verify with %s's key", req.Address)
	}
	return canonical, nil
}

func validNonce(n string) bool {
	if len(n) < 8 || len(n) > 128 {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
