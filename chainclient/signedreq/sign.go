package signedreq

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	"github.com/cosmos/cosmos-sdk/types/bech32"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
)

// ErrKeyType is a key this scheme cannot carry (only secp256k1 is).
var ErrKeyType = errors.New("the signing key is not secp256k1")

// Signer signs requests with one account's key.
type Signer interface {
	// Address is the signer's bech32 account address.
	Address() string
	// PubKey is its secp256k1 public key.
	PubKey() cryptotypes.PubKey
	// SignBytes signs the ADR-036 sign doc (the key hashes it with SHA-256).
	SignBytes(doc []byte) ([]byte, error)
}

// keyringSigner signs with a keyring key, in the amino-JSON sign mode, so
// that a Ledger shows and signs the sign doc.
type keyringSigner struct {
	kr   keyring.Keyring
	name string
	addr string
	pub  cryptotypes.PubKey
}

// KeyringSigner returns the signer of key name in kr; addresses are bech32
// with prefix (the chain's account prefix, "aic").
func KeyringSigner(kr keyring.Keyring, name, prefix string) (Signer, error) {
	rec, err := kr.Key(name)
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", name, err)
	}
	pub, err := rec.GetPubKey()
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", name, err)
	}
	if _, ok := pub.(*secp256k1.PubKey); !ok {
		return nil, fmt.Errorf("%w: key %q is %s", ErrKeyType, name, pub.Type())
	}
	addr, err := bech32.ConvertAndEncode(prefix, pub.Address())
	if err != nil {
		return nil, err
	}
	return &keyringSigner{kr: kr, name: name, addr: addr, pub: pub}, nil
}

func (s *keyringSigner) Address() string            { return s.addr }
func (s *keyringSigner) PubKey() cryptotypes.PubKey { return s.pub }

func (s *keyringSigner) SignBytes(doc []byte) ([]byte, error) {
	sig, _, err := s.kr.Sign(s.name, doc, signing.SignMode_SIGN_MODE_LEGACY_AMINO_JSON)
	return sig, err
}

// PrivKeySigner signs with an in-memory key (tests, tools).
type PrivKeySigner struct {
	Key    *secp256k1.PrivKey
	Prefix string
}

// Address implements Signer.
func (s PrivKeySigner) Address() string {
	addr, err := bech32.ConvertAndEncode(s.Prefix, s.Key.PubKey().Address())
	if err != nil {
		return ""
	}
	return addr
}

// PubKey implements Signer.
func (s PrivKeySigner) PubKey() cryptotypes.PubKey { return s.Key.PubKey() }

// SignBytes implements Signer.
func (s PrivKeySigner) SignBytes(doc []byte) ([]byte, error) { return s.Key.Sign(doc) }

// NewNonce returns 16 random bytes in hex.
func NewNonce() (string, error) {
	var n [16]byte
	if _, err := rand.Read(n[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(n[:]), nil
}

// Sign signs req for the server whose audience is audience (see Audience)
// at time now and sets the headers.
func Sign(req *http.Request, s Signer, audience string, now time.Time) error {
	nonce, err := NewNonce()
	if err != nil {
		return err
	}
	r := Request{
		Audience: audience, Method: req.Method, URI: req.URL.RequestURI(),
		Address: s.Address(), Timestamp: now.Unix(), Nonce: nonce,
	}
	sig, err := s.SignBytes(r.SignBytes())
	if err != nil {
		return fmt.Errorf("sign the request: %w", err)
	}
	h := req.Header
	h.Set(HeaderAddress, r.Address)
	h.Set(HeaderPubKey, base64.StdEncoding.EncodeToString(s.PubKey().Bytes()))
	h.Set(HeaderAudience, r.Audience)
	h.Set(HeaderTimestamp, strconv.FormatInt(r.Timestamp, 10))
	h.Set(HeaderNonce, r.Nonce)
	h.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
	return nil
}
