package signedreq

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/x/auth/migrations/legacytx"
)

// msgSignData is ADR-036's message as amino knows it: the SDK's own
// amino-JSON encoder builds the sign doc from it.
type msgSignData struct {
	Signer string `json:"signer"`
	Data   []byte `json:"data"`
}

func (m *msgSignData) Reset()         {}
func (m *msgSignData) String() string { return "msgSignData" }
func (m *msgSignData) ProtoMessage()  {}

// sdkADR036SignBytes is the sign doc as the SDK's legacy amino-JSON signing
// writes it (legacytx.StdSignBytes, what SIGN_MODE_LEGACY_AMINO_JSON signed
// before x/tx, and what Keplr's signArbitrary reproduces).
func sdkADR036SignBytes(t *testing.T, signer string, data []byte) []byte {
	t.Helper()
	cdc := codec.NewLegacyAmino()
	cdc.RegisterConcrete(&msgSignData{}, "sign/MsgSignData", nil)
	old := legacytx.RegressionTestingAminoCodec
	legacytx.RegressionTestingAminoCodec = cdc
	defer func() { legacytx.RegressionTestingAminoCodec = old }()
	return legacytx.StdSignBytes("", 0, 0, 0, legacytx.StdFee{}, []sdk.Msg{&msgSignData{Signer: signer, Data: data}}, "")
}

func TestADR036SignBytesMatchTheSDK(t *testing.T) {
	s := PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"}
	r := Request{Audience: "http://127.0.0.1:8090", Method: "GET", URI: "/v1/datasets/1?version=2", Address: s.Address(), Timestamp: 1767225600, Nonce: "0123456789abcdef"}
	got, want := r.SignBytes(), sdkADR036SignBytes(t, s.Address(), r.Payload())
	if string(got) != string(want) {
		t.Fatalf("sign doc\n got %s\nwant %s", got, want)
	}
}

func newSigned(t *testing.T, s Signer, audience, target string, at time.Time) *http.Request {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	if err := Sign(req, s, audience, at); err != nil {
		t.Fatal(err)
	}
	return req
}

func TestVerify(t *testing.T) {
	now := time.Unix(1767225600, 0)
	s := PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"}
	other := PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"}
	v := &Verifier{Audiences: []string{"http://127.0.0.1:8090"}, Prefix: "aic", Now: func() time.Time { return now }}
	if got, err := v.Verify(newSigned(t, s, "http://127.0.0.1:8090", "/v1/datasets/1", now)); err != nil || got.Address != s.Address() {
		t.Fatalf("good request: %v %+v", err, got)
	}
	cases := map[string]struct {
		req  func() *http.Request
		kind error
	}{
		"unsigned":         {func() *http.Request { return httptest.NewRequest("GET", "/v1/datasets/1", nil) }, ErrMissing},
		"another audience": {func() *http.Request { return newSigned(t, s, "http://127.0.0.1:9999", "/v1/datasets/1", now) }, ErrAudience},
		"stale":            {func() *http.Request { return newSigned(t, s, "http://127.0.0.1:8090", "/x", now.Add(-2*time.Minute)) }, ErrStale},
		"future":           {func() *http.Request { return newSigned(t, s, "http://127.0.0.1:8090", "/x", now.Add(time.Minute)) }, ErrFuture},
		"path changed": {func() *http.Request {
			r := newSigned(t, s, "http://127.0.0.1:8090", "/v1/datasets/1", now)
			r.URL.Path = "/v1/datasets/2"
			return r
		}, ErrMalformed},
		"someone else's key": {func() *http.Request {
			r := newSigned(t, other, "http://127.0.0.1:8090", "/v1/datasets/1", now)
			r.Header.Set(HeaderAddress, s.Address())
			return r
		}, ErrMalformed},
		"audience header changed": {func() *http.Request {
			r := newSigned(t, s, "http://127.0.0.1:9999", "/v1/datasets/1", now)
			r.Header.Set(HeaderAudience, "http://127.0.0.1:8090")
			return r
		}, ErrMalformed},
	}
	for name, c := range cases {
		_, err := v.Verify(c.req())
		var e *Error
		if !errors.Is(err, c.kind) || !errors.As(err, &e) || e.Status != http.StatusUnauthorized {
			t.Errorf("%s: %v, want %v (401)", name, err, c.kind)
		}
	}
}

func TestNonceStore(t *testing.T) {
	now := time.Unix(1767225600, 0)
	s := PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"}
	v := &Verifier{Audiences: []string{"http://a"}, Prefix: "aic", Now: func() time.Time { return now }}
	store := &NonceStore{PerAddress: 2}
	req := newSigned(t, s, "http://a", "/x", now)
	got, err := v.Verify(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Use(got, now); err != nil {
		t.Fatal(err)
	}
	if err := store.Use(got, now); !errors.Is(err, ErrReplayed) {
		t.Fatalf("replay: %v", err)
	}
	second, _ := v.Verify(newSigned(t, s, "http://a", "/x", now))
	if err := store.Use(second, now); err != nil {
		t.Fatal(err)
	}
	third, _ := v.Verify(newSigned(t, s, "http://a", "/x", now))
	var e *Error
	if err := store.Use(third, now); !errors.Is(err, ErrTooMany) || !errors.As(err, &e) || e.Status != http.StatusTooManyRequests {
		t.Fatalf("per-address cap: %v", err)
	}
	// Three windows later the old bucket is dropped whole.
	later := now.Add(3 * time.Minute)
	fresh := &Verified{Request: Request{Address: s.Address(), Timestamp: later.Unix(), Nonce: "freshnonce"}}
	if err := store.Use(fresh, later); err != nil || store.Len() != 1 {
		t.Fatalf("after the window: %v, %d nonces held", err, store.Len())
	}
}

func TestAudience(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8090":          "http://127.0.0.1:8090",
		"HTTPS://Data.Example.org:443/x": "https://data.example.org",
		"http://example.org:80/":         "http://example.org",
		"http://[::1]:8081/v1":           "http://[::1]:8081",
	} {
		if got, err := Audience(in); err != nil || got != want {
			t.Errorf("Audience(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"file:///etc/passwd", "127.0.0.1:8090", "http://"} {
		if _, err := Audience(bad); !errors.Is(err, ErrAudienceURL) {
			t.Errorf("Audience(%q): %v", bad, err)
		}
	}
}
