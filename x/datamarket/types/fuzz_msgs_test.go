package types_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/testutil/msgfuzz"
	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/types"
)

// The chain's account prefix (the other tests of the package derive their
// addresses from the config, so they follow it).
func init() {
	sdk.GetConfig().SetBech32PrefixForAccount("aic", "aicpub")
}

func FuzzMsgsDecodeValidate(f *testing.F) { fuzzHarness.Fuzz(f, fuzzSeeds(f)) }

// TestFuzzMsgsSeeds runs every seed through the fuzz check, and checks that
// ValidateBasic accepts the valid ones and refuses the invalid ones.
func TestFuzzMsgsSeeds(t *testing.T) { fuzzHarness.TestSeeds(t, fuzzSeeds(t)) }

// fuzzHarness decodes fuzz inputs as the module's Msgs.
var fuzzHarness = &msgfuzz.Harness{
	Codespace: types.ModuleName, AminoPrefix: "aichain/datamarket/", Assert: assertValid,
	RegisterAmino: types.RegisterLegacyAminoCodec, RegisterInterfaces: types.RegisterInterfaces,
	Msgs: []msgfuzz.Msg{ // the order of the inputs' selector byte: append only
		&types.MsgListDataset{}, &types.MsgUpdateDataset{}, &types.MsgDelistDataset{},
		&types.MsgPurchaseLicense{}, &types.MsgRenewLicense{}, &types.MsgTransferLicense{},
		&types.MsgUpdateParams{}, &types.MsgUpdateDatasetShares{}, &types.MsgTransferDataset{},
		&types.MsgAcceptDataset{}, &types.MsgCancelDatasetTransfer{},
	},
}

func fuzzSeeds(t testing.TB) []msgfuzz.Seed {
	a, b := msgfuzz.Addr(t, 1), msgfuzz.Addr(t, 2)
	h := sha256.Sum256([]byte("x"))
	sha := hex.EncodeToString(h[:])
	price := sdk.NewCoins(sdk.NewInt64Coin("uaic", 3))
	offers := []types.LicenseOffer{
		{Kind: types.LICENSE_KIND_RENTAL, DurationBlocks: 5, Price: price, Transferable: true},
		{Kind: types.LICENSE_KIND_PER_JOB, Price: price},
		{Kind: types.LICENSE_KIND_SUBSCRIPTION, PeriodBlocks: 7, Price: price},
		{Kind: types.LICENSE_KIND_PERPETUAL},
	}
	list := func() *types.MsgListDataset {
		return &types.MsgListDataset{
			Owner: a, Name: "iris", Description: "d", Format: types.FormatNpyF32, Rows: 10, Cols: 12, RowsPerChunk: 5,
			ContentRoot: h[:], Sha256: sha, RowsSha256: sha, Uri: "https://d.example/iris.npy", Offers: offers,
			Shares: []common.Share{{Address: a, Weight: 1}, {Address: b, Weight: 3}},
		}
	}
	badFormat, badShares, twoPerJob, tinyChunks, finestChunks := list(), list(), list(), list(), list()
	badFormat.Format = "csv"
	// One column in one-row chunks: 88 bytes of index for each 4-byte
	// value. 880 rows of one column take 40 chunks of index at most (22 rows).
	tinyChunks.Rows, tinyChunks.Cols, tinyChunks.RowsPerChunk = 880, 1, 1
	finestChunks.Rows, finestChunks.Cols, finestChunks.RowsPerChunk = 880, 1, 22
	badShares.Shares = []common.Share{{Address: a, Weight: 1}, {Address: a, Weight: 1}}
	twoPerJob.Offers = append(twoPerJob.Offers, types.LicenseOffer{Kind: types.LICENSE_KIND_PER_JOB})
	return []msgfuzz.Seed{
		msgfuzz.Valid(list()),
		msgfuzz.Valid(finestChunks),
		msgfuzz.Valid(&types.MsgUpdateDataset{Owner: a, DatasetId: 1, Rows: 4, Cols: 4, RowsPerChunk: 4, ContentRoot: h[:], Sha256: sha, RowsSha256: sha}),
		msgfuzz.Valid(&types.MsgDelistDataset{Owner: a, DatasetId: 1}),
		msgfuzz.Valid(&types.MsgPurchaseLicense{Buyer: a, DatasetId: 1, OfferIndex: 2, MaxPrice: sdk.NewInt64Coin("uaic", 3)}),
		msgfuzz.Valid(&types.MsgRenewLicense{Licensee: a, LicenseId: 1, MaxPrice: sdk.NewInt64Coin("uaic", 0)}),
		msgfuzz.Valid(&types.MsgTransferLicense{Licensee: a, LicenseId: 1, Recipient: b}),
		msgfuzz.Valid(&types.MsgUpdateParams{Authority: a, Params: types.DefaultParams()}),
		msgfuzz.Valid(&types.MsgUpdateDatasetShares{Owner: a, DatasetId: 1, Shares: []common.Share{{Address: b, Weight: 2}}}),
		msgfuzz.Valid(&types.MsgTransferDataset{Owner: a, DatasetId: 1, NewOwner: b}),
		msgfuzz.Valid(&types.MsgAcceptDataset{NewOwner: b, DatasetId: 1}),
		msgfuzz.Valid(&types.MsgCancelDatasetTransfer{Owner: a, DatasetId: 1}),
		// Invalid ones.
		msgfuzz.Invalid(badFormat),
		msgfuzz.Invalid(badShares),
		msgfuzz.Invalid(twoPerJob),
		msgfuzz.Invalid(tinyChunks),
		msgfuzz.Invalid(&types.MsgUpdateDataset{Owner: a, DatasetId: 1, Rows: 880, Cols: 1, RowsPerChunk: 21, ContentRoot: h[:], Sha256: sha, RowsSha256: sha}),
		msgfuzz.Invalid(&types.MsgUpdateDataset{Owner: a, DatasetId: 1, Rows: 4, Cols: 4, RowsPerChunk: 5, ContentRoot: h[:], Sha256: sha, RowsSha256: sha}),
		msgfuzz.Invalid(&types.MsgUpdateDataset{Owner: a, DatasetId: 1, Rows: 4, Cols: 4, RowsPerChunk: 4, ContentRoot: h[:], Sha256: strings.ToUpper(sha), RowsSha256: sha}),
		msgfuzz.Invalid(&types.MsgUpdateDataset{Owner: a, DatasetId: 1, Rows: 4, Cols: 4, RowsPerChunk: 4, ContentRoot: h[:], Sha256: sha}), // no rows key
		msgfuzz.Invalid(&types.MsgUpdateDataset{Owner: a, DatasetId: 1, Rows: 4, Cols: 4, RowsPerChunk: 4, ContentRoot: h[:], Sha256: sha, RowsSha256: strings.ToUpper(sha)}),
		msgfuzz.Invalid(&types.MsgPurchaseLicense{Buyer: "cosmos1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnrql8a", DatasetId: 1}),
		msgfuzz.Invalid(&types.MsgTransferLicense{Licensee: a, LicenseId: 1, Recipient: a}),
		msgfuzz.Invalid(&types.MsgUpdateParams{Authority: a}),
		msgfuzz.Invalid(&types.MsgPurchaseLicense{Buyer: a, DatasetId: 1}), // no max_price
		msgfuzz.Invalid(&types.MsgRenewLicense{Licensee: a, LicenseId: 1, MaxPrice: sdk.Coin{Denom: "uaic", Amount: math.NewInt(-1)}}),
		msgfuzz.Invalid(&types.MsgUpdateDatasetShares{Owner: a, DatasetId: 1}),
		msgfuzz.Invalid(&types.MsgTransferDataset{Owner: a, DatasetId: 1, NewOwner: a}),
		msgfuzz.Invalid(&types.MsgAcceptDataset{NewOwner: b}),
		msgfuzz.Invalid(&types.MsgAcceptDataset{NewOwner: "aic1", DatasetId: 1}),
		msgfuzz.Invalid(&types.MsgCancelDatasetTransfer{Owner: a}),
	}
}

func assertContent(t testing.TB, rows, cols, rowsPerChunk uint64, root []byte, sha string) {
	if rows == 0 || cols == 0 || rows > 1<<40 || cols > 1<<20 || rowsPerChunk == 0 || rowsPerChunk > rows || len(root) != 32 {
		t.Fatalf("content %d×%d per %d root %x accepted", rows, cols, rowsPerChunk, root)
	}
	// Within those bounds nothing overflows: the index of ⌈rows/rowsPerChunk⌉
	// chunks of 88 bytes is at most the rows·cols·4 bytes of values.
	if chunks := (rows + rowsPerChunk - 1) / rowsPerChunk; chunks > 1 && chunks*types.ChunkIndexBytes > rows*cols*4 {
		t.Fatalf("content %d×%d in chunks of %d rows accepted: %d chunks of index outweigh its values", rows, cols, rowsPerChunk, chunks)
	}
	if bz, err := hex.DecodeString(sha); err != nil || len(bz) != 32 || strings.ToLower(sha) != sha {
		t.Fatalf("sha256 %q accepted", sha)
	}
}

func assertOffers(t testing.TB, offers []types.LicenseOffer) {
	if len(offers) == 0 {
		t.Fatal("no offers accepted")
	}
	perJob := 0
	for _, o := range offers {
		msgfuzz.AssertFees(t, "offer price", o.Price)
		switch o.Kind {
		case types.LICENSE_KIND_PERPETUAL, types.LICENSE_KIND_PER_JOB:
			if o.Term() != 0 || o.DurationBlocks != 0 || o.PeriodBlocks != 0 {
				t.Fatalf("offer %+v accepted", o)
			}
		case types.LICENSE_KIND_RENTAL, types.LICENSE_KIND_SUBSCRIPTION:
			if o.Term() == 0 || o.DurationBlocks != 0 && o.PeriodBlocks != 0 {
				t.Fatalf("offer %+v accepted", o)
			}
		default:
			t.Fatalf("offer kind %d accepted", o.Kind)
		}
		if o.Kind == types.LICENSE_KIND_PER_JOB {
			perJob++
			if o.Transferable {
				t.Fatal("transferable PER_JOB offer accepted")
			}
		}
	}
	if perJob > 1 {
		t.Fatalf("%d PER_JOB offers accepted", perJob)
	}
}

func assertMaxPrice(t testing.TB, max sdk.Coin) {
	if sdk.ValidateDenom(max.Denom) != nil || max.Amount.IsNil() || max.Amount.IsNegative() {
		t.Fatalf("max_price %v accepted", max)
	}
}

// assertValid checks what ValidateBasic promises for an accepted Msg.
func assertValid(t testing.TB, msg msgfuzz.Msg, signer []byte) {
	switch m := msg.(type) {
	case *types.MsgListDataset:
		msgfuzz.AssertAic(t, "owner", m.Owner, signer)
		if strings.TrimSpace(m.Name) == "" || m.Format != types.FormatNpyF32 {
			t.Fatalf("name %q format %q accepted", m.Name, m.Format)
		}
		assertContent(t, m.Rows, m.Cols, m.RowsPerChunk, m.ContentRoot, m.Sha256)
		msgfuzz.AssertFetchURL(t, "uri", m.Uri)
		assertOffers(t, m.Offers)
		if len(m.Shares) > 0 { // empty: the owner alone
			msgfuzz.AssertShares(t, m.Shares)
		}
	case *types.MsgUpdateDataset:
		msgfuzz.AssertAic(t, "owner", m.Owner, signer)
		if m.DatasetId == 0 {
			t.Fatal("dataset_id 0 accepted")
		}
		assertContent(t, m.Rows, m.Cols, m.RowsPerChunk, m.ContentRoot, m.Sha256)
		if m.Uri != "" { // empty: the current uri stays
			msgfuzz.AssertFetchURL(t, "uri", m.Uri)
		}
		if len(m.Offers) > 0 {
			assertOffers(t, m.Offers)
		}
	case *types.MsgDelistDataset:
		msgfuzz.AssertAic(t, "owner", m.Owner, signer)
		if m.DatasetId == 0 {
			t.Fatal("dataset_id 0 accepted")
		}
	case *types.MsgPurchaseLicense:
		msgfuzz.AssertAic(t, "buyer", m.Buyer, signer)
		if m.DatasetId == 0 {
			t.Fatal("dataset_id 0 accepted")
		}
		assertMaxPrice(t, m.MaxPrice)
	case *types.MsgRenewLicense:
		msgfuzz.AssertAic(t, "licensee", m.Licensee, signer)
		if m.LicenseId == 0 {
			t.Fatal("license_id 0 accepted")
		}
		assertMaxPrice(t, m.MaxPrice)
	case *types.MsgUpdateDatasetShares:
		msgfuzz.AssertAic(t, "owner", m.Owner, signer)
		if m.DatasetId == 0 {
			t.Fatal("dataset_id 0 accepted")
		}
		msgfuzz.AssertShares(t, m.Shares)
	case *types.MsgTransferDataset:
		msgfuzz.AssertAic(t, "owner", m.Owner, signer)
		msgfuzz.AssertAic(t, "new_owner", m.NewOwner, nil)
		if m.DatasetId == 0 || strings.EqualFold(m.Owner, m.NewOwner) {
			t.Fatalf("dataset transfer %+v accepted", m)
		}
	case *types.MsgAcceptDataset:
		msgfuzz.AssertAic(t, "new_owner", m.NewOwner, signer)
		if m.DatasetId == 0 {
			t.Fatal("dataset_id 0 accepted")
		}
	case *types.MsgCancelDatasetTransfer:
		msgfuzz.AssertAic(t, "owner", m.Owner, signer)
		if m.DatasetId == 0 {
			t.Fatal("dataset_id 0 accepted")
		}
	case *types.MsgTransferLicense:
		msgfuzz.AssertAic(t, "licensee", m.Licensee, signer)
		msgfuzz.AssertAic(t, "recipient", m.Recipient, nil)
		if m.LicenseId == 0 || m.Licensee == m.Recipient {
			t.Fatalf("transfer %+v accepted", m)
		}
	case *types.MsgUpdateParams:
		msgfuzz.AssertAic(t, "authority", m.Authority, signer)
		if err := m.Params.Validate(); err != nil {
			t.Fatalf("params accepted: %v", err)
		}
	default:
		t.Fatalf("no properties for %T", msg)
	}
}
