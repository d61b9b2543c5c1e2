package ve

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cloudflare/circl/sign/bls"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// BeaconKeyFile is where a node keeps its beacon secret key, under its home.
const BeaconKeyFile = "config/beacon_key.json"

// ErrBeaconKeyExists is returned when creating a key would overwrite one.
var ErrBeaconKeyExists = errors.New("beacon key file exists")

// BeaconSigner holds a validator's BLS beacon key (separate from its
// consensus key, which the app never sees; README "Beacon shares").
type BeaconSigner struct {
	sk  *bls.PrivateKey[computetypes.BeaconGroup]
	pub []byte
}

type beaconKeyJSON struct {
	SecretKey string `json:"secret_key"`
	PublicKey string `json:"public_key"`
}

// NewBeaconSigner derives a key from 32 or more bytes of secret seed.
func NewBeaconSigner(seed []byte) (*BeaconSigner, error) {
	sk, err := bls.KeyGen[computetypes.BeaconGroup](seed, nil, nil)
	if err != nil {
		return nil, err
	}
	pub, err := sk.PublicKey().MarshalBinary()
	if err != nil {
		return nil, err
	}
	return &BeaconSigner{sk: sk, pub: pub}, nil
}

// GenerateBeaconKey creates a new key in path (mode 0600), refusing to
// overwrite one.
func GenerateBeaconKey(path string) (*BeaconSigner, error) {
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrBeaconKeyExists, path)
	}
	seed := make([]byte, 32)
	if _, err := rand.Read(seed); err != nil {
		return nil, err
	}
	s, err := NewBeaconSigner(seed)
	if err != nil {
		return nil, err
	}
	skb, err := s.sk.MarshalBinary()
	if err != nil {
		return nil, err
	}
	bz, err := json.MarshalIndent(beaconKeyJSON{SecretKey: hex.EncodeToString(skb), PublicKey: hex.EncodeToString(s.pub)}, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(append(bz, '\n')); err != nil {
		_ = f.Close()
		return nil, err
	}
	return s, f.Close()
}

// LoadBeaconKey reads a key file written by GenerateBeaconKey.
func LoadBeaconKey(path string) (*BeaconSigner, error) {
	bz, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var kj beaconKeyJSON
	if err := json.Unmarshal(bz, &kj); err != nil {
		return nil, fmt.Errorf("beacon key %s: %w", path, err)
	}
	skb, err := hex.DecodeString(kj.SecretKey)
	if err != nil {
		return nil, fmt.Errorf("beacon key %s: %w", path, err)
	}
	sk := new(bls.PrivateKey[computetypes.BeaconGroup])
	if err := sk.UnmarshalBinary(skb); err != nil || !sk.Validate() {
		return nil, fmt.Errorf("beacon key %s: invalid secret key", path)
	}
	pub, err := sk.PublicKey().MarshalBinary()
	if err != nil {
		return nil, err
	}
	return &BeaconSigner{sk: sk, pub: pub}, nil
}

// PubKey is the 96-byte compressed public key.
func (s *BeaconSigner) PubKey() []byte { return s.pub }

// Share is the beacon share of height on chainID under the chain's signing
// tag (nil on a chain running since before it: computetypes.BeaconShareMessage).
func (s *BeaconSigner) Share(chainID string, tag []byte, height int64) []byte {
	return bls.Sign(s.sk, computetypes.BeaconShareMessage(chainID, tag, height))
}

// ProofOfPossession is what MsgRegisterBeaconKey carries for valoper.
func (s *BeaconSigner) ProofOfPossession(chainID, valoper string) []byte {
	return bls.Sign(s.sk, computetypes.BeaconPoPMessage(chainID, valoper, s.pub))
}

// BeaconKeys is what ExtendVote reads from x/compute's state (its keeper).
type BeaconKeys interface {
	BeaconOwner(ctx context.Context, pubkey []byte) ([]byte, error)
	BeaconKeyFor(ctx context.Context, cons []byte, height int64) ([]byte, error)
	BeaconWindow(ctx context.Context) (int64, error)
	BeaconSigningTag(ctx context.Context) ([]byte, error)
}

// BeaconShares returns this validator's shares of height and the W-1 heights
// before it whose registered key is the signer's (none when the signer's key
// is not registered or the beacon is off).
func BeaconShares(ctx context.Context, s *BeaconSigner, keys BeaconKeys, chainID string, height int64) ([]computetypes.BeaconShare, error) {
	if s == nil || keys == nil {
		return nil, nil
	}
	w, err := keys.BeaconWindow(ctx)
	if err != nil || w <= 0 {
		return nil, err
	}
	cons, err := keys.BeaconOwner(ctx, s.pub)
	if err != nil || cons == nil {
		return nil, err
	}
	tag, err := keys.BeaconSigningTag(ctx)
	if err != nil {
		return nil, err
	}
	var out []computetypes.BeaconShare
	for j := max(height-w+1, 1); j <= height; j++ {
		pub, err := keys.BeaconKeyFor(ctx, cons, j)
		if err != nil {
			return nil, err
		}
		if string(pub) != string(s.pub) {
			continue
		}
		out = append(out, computetypes.BeaconShare{Height: j, Signature: s.Share(chainID, tag, j)})
	}
	return out, nil
}
