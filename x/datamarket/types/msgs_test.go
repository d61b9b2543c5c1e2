package types_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/types"
)

func addr() string { return sdk.AccAddress(secp256k1.GenPrivKey().PubKey().Address()).String() }

func validList() *types.MsgListDataset {
	h := sha256.Sum256([]byte("x"))
	return &types.MsgListDataset{
		Owner: addr(), Name: "n", Format: types.FormatNpyF32, Rows: 10, Cols: 12, RowsPerChunk: 5,
		ContentRoot: h[:], Sha256: hex.EncodeToString(h[:]), RowsSha256: hex.EncodeToString(h[:]), Uri: "https://data.example:8090",
		Offers: []types.LicenseOffer{{Kind: types.LICENSE_KIND_RENTAL, DurationBlocks: 5, Price: sdk.NewCoins(sdk.NewInt64Coin("uaic", 3))}},
	}
}

// twoDenomOffer lists an offer priced in two denoms: one max_price coin
// could never cover it.
func twoDenomOffer() *types.MsgListDataset {
	m := validList()
	m.Offers[0].Price = sdk.NewCoins(sdk.NewInt64Coin("uaic", 3), sdk.NewInt64Coin("ufoo", 1))
	return m
}

func TestValidateBasic(t *testing.T) {
	if err := validList().ValidateBasic(); err != nil {
		t.Fatalf("valid listing refused: %v", err)
	}
	a, b := addr(), addr()
	capped := sdk.NewInt64Coin("uaic", 10)
	valid := []sdk.HasValidateBasic{
		&types.MsgPurchaseLicense{Buyer: a, DatasetId: 1, MaxPrice: capped},
		&types.MsgPurchaseLicense{Buyer: a, DatasetId: 1, MaxPrice: sdk.NewInt64Coin("uaic", 0)},
		&types.MsgRenewLicense{Licensee: a, LicenseId: 1, MaxPrice: capped},
		&types.MsgUpdateDatasetShares{Owner: a, DatasetId: 1, Shares: []common.Share{{Address: b, Weight: 1}}},
		&types.MsgTransferDataset{Owner: a, DatasetId: 1, NewOwner: b},
		&types.MsgAcceptDataset{NewOwner: b, DatasetId: 1},
		&types.MsgCancelDatasetTransfer{Owner: a, DatasetId: 1},
		&types.MsgTransferLicense{Licensee: a, LicenseId: 1, Recipient: b},
		&types.MsgDelistDataset{Owner: a, DatasetId: 1},
		&types.MsgUpdateParams{Authority: a, Params: types.DefaultParams()},
	}
	for _, m := range valid {
		if err := m.ValidateBasic(); err != nil {
			t.Errorf("%T refused: %v", m, err)
		}
	}
	invalid := []sdk.HasValidateBasic{
		&types.MsgPurchaseLicense{Buyer: a, MaxPrice: capped},
		&types.MsgPurchaseLicense{Buyer: "x", DatasetId: 1, MaxPrice: capped},
		&types.MsgPurchaseLicense{Buyer: a, DatasetId: 1}, // no max_price: uncapped
		&types.MsgPurchaseLicense{Buyer: a, DatasetId: 1, MaxPrice: sdk.Coin{Denom: "uaic"}},
		&types.MsgPurchaseLicense{Buyer: a, DatasetId: 1, MaxPrice: sdk.Coin{Denom: "u!", Amount: math.NewInt(1)}},
		&types.MsgRenewLicense{Licensee: a, MaxPrice: capped},
		&types.MsgRenewLicense{Licensee: a, LicenseId: 1},
		&types.MsgUpdateDatasetShares{Owner: a, DatasetId: 1},
		&types.MsgUpdateDatasetShares{Owner: a, Shares: []common.Share{{Address: b, Weight: 1}}},
		&types.MsgTransferDataset{Owner: a, DatasetId: 1, NewOwner: a},
		&types.MsgTransferDataset{Owner: a, DatasetId: 1, NewOwner: strings.ToUpper(a)},
		&types.MsgTransferDataset{Owner: a, NewOwner: b},
		&types.MsgAcceptDataset{NewOwner: b},
		&types.MsgAcceptDataset{NewOwner: "aic1", DatasetId: 1},
		&types.MsgCancelDatasetTransfer{Owner: a},
		&types.MsgCancelDatasetTransfer{Owner: "x", DatasetId: 1},
		&types.MsgTransferLicense{Licensee: a, LicenseId: 1, Recipient: a},
		&types.MsgTransferLicense{Licensee: a, LicenseId: 1, Recipient: "aic1"},
		&types.MsgDelistDataset{Owner: a},
		&types.MsgUpdateParams{Authority: a},
		&types.MsgUpdateDataset{Owner: a, DatasetId: 1},
		twoDenomOffer(),
	}
	// A uri the dataset server cannot be reached at: required at listing,
	// optional on a new version (empty keeps the current one).
	for _, uri := range []string{"", "file:///etc/passwd", "ipfs://bafy/iris.npy", "https://", "http://a b", "http://a\tb", "http://a/\x7f", "http://a/\xff"} {
		m := validList()
		m.Uri = uri
		invalid = append(invalid, m)
		if uri != "" {
			u := &types.MsgUpdateDataset{Owner: a, DatasetId: 1, Rows: m.Rows, Cols: m.Cols, RowsPerChunk: m.RowsPerChunk,
				ContentRoot: m.ContentRoot, Sha256: m.Sha256, RowsSha256: m.RowsSha256, Uri: uri}
			invalid = append(invalid, u)
		}
	}
	update := &types.MsgUpdateDataset{Owner: a, DatasetId: 1, Rows: 10, Cols: 12, RowsPerChunk: 5, ContentRoot: validList().ContentRoot, Sha256: validList().Sha256, RowsSha256: validList().RowsSha256}
	if err := update.ValidateBasic(); err != nil {
		t.Errorf("a version without a uri refused: %v", err)
	}
	// The rows key is required, lowercase hex like the sha256.
	noRows, upperRows := validList(), validList()
	noRows.RowsSha256, upperRows.RowsSha256 = "", strings.ToUpper(upperRows.RowsSha256)
	invalid = append(invalid, noRows, upperRows)
	for _, rows := range []string{"", strings.Repeat("g", 64)} {
		u := *update
		u.RowsSha256 = rows
		invalid = append(invalid, &u)
	}
	for _, m := range invalid {
		if err := m.ValidateBasic(); err == nil {
			t.Errorf("%T %+v accepted", m, m)
		}
	}
}

// TestAminoNames: every Msg signs under its registered amino name (the one
// the proto's amino.name option declares).
func TestAminoNames(t *testing.T) {
	cdc := codec.NewLegacyAmino()
	types.RegisterLegacyAminoCodec(cdc)
	msgs := map[string]sdk.Msg{
		"MsgListDataset":     validList(),
		"MsgUpdateDataset":   &types.MsgUpdateDataset{},
		"MsgDelistDataset":   &types.MsgDelistDataset{},
		"MsgPurchaseLicense": &types.MsgPurchaseLicense{Buyer: addr(), DatasetId: 1},
		"MsgRenewLicense":    &types.MsgRenewLicense{},
		"MsgTransferLicense": &types.MsgTransferLicense{},
		"MsgUpdateParams":    &types.MsgUpdateParams{Params: types.DefaultParams()},
		"MsgUpdateShares":    &types.MsgUpdateDatasetShares{}, // MsgUpdateDatasetShares: the full name is too long
		"MsgTransferDataset": &types.MsgTransferDataset{},
		"MsgAcceptDataset":   &types.MsgAcceptDataset{},
		"MsgCancelTransfer":  &types.MsgCancelDatasetTransfer{}, // MsgCancelDatasetTransfer: too long
	}
	for name, m := range msgs {
		bz, err := cdc.MarshalJSON(m)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := `"type":"aichain/datamarket/` + name + `"`
		if !strings.Contains(string(bz), want) {
			t.Errorf("%s amino JSON %s lacks %s", name, bz, want)
		}
		if len("aichain/datamarket/"+name) >= 40 {
			t.Errorf("amino name of %s is 40 characters or more", name)
		}
	}
}

func TestParamsValidate(t *testing.T) {
	if err := types.DefaultParams().Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(p *types.Params){
		"fee":       func(p *types.Params) { p.MarketFeeBps = 10_001 },
		"offers":    func(p *types.Params) { p.MaxOffers = 0 },
		"name":      func(p *types.Params) { p.MaxNameLen = 0 },
		"uri":       func(p *types.Params) { p.MaxUriLen = 0 },
		"term":      func(p *types.Params) { p.MaxTermBlocks = 0 },
		"expiries":  func(p *types.Params) { p.MaxExpiriesPerBlock = 0 },
		"many offs": func(p *types.Params) { p.MaxOffers = 65 },
		// Bounded above: an expiry height is a height plus at most max_term_blocks.
		"term overflows int64": func(p *types.Params) { p.MaxTermBlocks = 1 << 63 },
		"term too long":        func(p *types.Params) { p.MaxTermBlocks = types.HardMaxTermBlocks + 1 },
		"long name":            func(p *types.Params) { p.MaxNameLen = types.HardMaxNameLen + 1 },
		"long description":     func(p *types.Params) { p.MaxDescriptionLen = types.HardMaxDescriptionLen + 1 },
		"long uri":             func(p *types.Params) { p.MaxUriLen = types.HardMaxURILen + 1 },
		"many expiries":        func(p *types.Params) { p.MaxExpiriesPerBlock = types.HardMaxExpiriesPerBlock + 1 },
	} {
		p := types.DefaultParams()
		mut(&p)
		if err := p.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzListDatasetValidateBasic: ValidateBasic never panics on any input.
func FuzzListDatasetValidateBasic(f *testing.F) {
	f.Add("aic1x", "name", "npy-f32", uint64(10), uint64(2), uint64(5), []byte{1, 2}, "ab", uint8(2), uint64(3))
	f.Fuzz(func(t *testing.T, owner, name, format string, rows, cols, rpc uint64, root []byte, sha string, kind uint8, term uint64) {
		m := &types.MsgListDataset{
			Owner: owner, Name: name, Format: format, Rows: rows, Cols: cols, RowsPerChunk: rpc,
			ContentRoot: root, Sha256: sha,
			Offers: []types.LicenseOffer{{Kind: types.LicenseKind(kind), DurationBlocks: term, PeriodBlocks: term}},
		}
		_ = m.ValidateBasic()
	})
}

// TestParamsAtTheirBounds: every param may be set to its upper bound, and a
// height plus max_term_blocks at that bound still fits an int64 many times
// over.
func TestParamsAtTheirBounds(t *testing.T) {
	p := types.Params{
		MarketFeeBps: 10_000, MaxOffers: types.HardMaxOffers, MaxNameLen: types.HardMaxNameLen,
		MaxDescriptionLen: types.HardMaxDescriptionLen, MaxUriLen: types.HardMaxURILen,
		MaxTermBlocks: types.HardMaxTermBlocks, MaxExpiriesPerBlock: types.HardMaxExpiriesPerBlock,
		ContentCommitDelayBlocks: types.HardMaxContentCommitBlocks - 1, ContentCommitTtlBlocks: types.HardMaxContentCommitBlocks,
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if const63 := uint64(1<<63 - 1); types.HardMaxTermBlocks > const63/1000 {
		t.Fatalf("HardMaxTermBlocks %d leaves no room for heights", types.HardMaxTermBlocks)
	}
}

func TestCheckMaxPrice(t *testing.T) {
	c := func(s string) sdk.Coins {
		cs, err := sdk.ParseCoinsNormalized(s)
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	max := sdk.NewInt64Coin("uaic", 100)
	for price, ok := range map[string]bool{"": true, "100uaic": true, "99uaic": true, "101uaic": false, "1ufoo": false, "50uaic,1ufoo": false} {
		err := types.CheckMaxPrice(c(price), max)
		if ok != (err == nil) || (err != nil && !types.ErrPriceAboveMax.Is(err)) {
			t.Errorf("price %q under %s: %v", price, max, err)
		}
	}
}

// TestCommitContentNeedsEveryDigest: a commitment covers the three digests
// that each take a file (its root, its sha256, its rows' sha256), each with
// its key, 32 bytes each: one left out would leave that digest to a mempool
// watcher's listing.
func TestCommitContentNeedsEveryDigest(t *testing.T) {
	owner := sdk.AccAddress(secp256k1.GenPrivKey().PubKey().Address())
	h := sha256.Sum256([]byte("x"))
	valid := func() *types.MsgCommitContent {
		return types.NewMsgCommitContent(owner, h[:], hex.EncodeToString(h[:]), hex.EncodeToString(h[:]))
	}
	if err := valid().ValidateBasic(); err != nil {
		t.Fatalf("a valid commitment refused: %v", err)
	}
	for name, cut := range map[string]func(m *types.MsgCommitContent){
		"no rows commitment": func(m *types.MsgCommitContent) { m.RowsCommitment = nil },
		"no rows key":        func(m *types.MsgCommitContent) { m.RowsKey = nil },
		"short rows key":     func(m *types.MsgCommitContent) { m.RowsKey = m.RowsKey[:31] },
		"no sha256 key":      func(m *types.MsgCommitContent) { m.ShaKey = nil },
		"no root commitment": func(m *types.MsgCommitContent) { m.RootCommitment = nil },
	} {
		m := valid()
		cut(m)
		if err := m.ValidateBasic(); !errors.Is(err, types.ErrInvalidRequest) {
			t.Errorf("%s: %v, want ErrInvalidRequest", name, err)
		}
	}
	// The rows commitment is not the sha256's, though the digits match.
	m := valid()
	if bytes.Equal(m.RowsCommitment, m.ShaCommitment) || bytes.Equal(m.RowsKey, m.ShaKey) {
		t.Fatal("the rows commitment or key equals the sha256's: the domains must differ")
	}
}
