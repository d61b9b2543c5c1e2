package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"

	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	"github.com/aichain/aichain/x/datamarket/types"
)

// TestListDatasetRefusesChunksSmallerThanTheirIndexBeforeBroadcast:
// `tx datamarket list-dataset` of a one-column file in one-row chunks
// fails with ErrChunksTooSmall before it builds a transaction (here with
// --generate-only, which prints the unsigned transaction it would sign);
// the same file in chunks of MinRowsPerChunk rows is printed.
func TestListDatasetRefusesChunksSmallerThanTheirIndexBeforeBroadcast(t *testing.T) {
	const rows = 880
	npy, err := workload.EncodeNPY(&workload.Matrix{Rows: rows, Cols: 1, Data: make([]float32, rows)})
	if err != nil {
		t.Fatal(err)
	}
	describe := func(_ string, rowsPerChunk uint64) (*dataset.Description, error) {
		return dataset.Describe(npy, rowsPerChunk)
	}
	run := func(rowsPerChunk string) (string, error) {
		reg := codectypes.NewInterfaceRegistry()
		types.RegisterInterfaces(reg)
		cdc := codec.NewProtoCodec(reg)
		var out bytes.Buffer
		clientCtx := client.Context{}.WithCodec(cdc).WithInterfaceRegistry(reg).
			WithTxConfig(authtx.NewTxConfig(cdc, authtx.DefaultSignModes)).WithKeyring(keyring.NewInMemory(cdc)).
			WithOutput(&out).WithChainID("aichain-test-1")
		cmd := ListDatasetCmd(describe)
		cmd.SetContext(context.WithValue(context.Background(), client.ClientContextKey, &clientCtx))
		cmd.SetArgs([]string{"rows.npy", "rows", "--rows-per-chunk", rowsPerChunk, "--uri", "http://127.0.0.1:8090",
			"--offer", "perpetual:100uaic", "--from", sdk.AccAddress(bytes.Repeat([]byte{1}, 20)).String(), "--generate-only"})
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		err := cmd.Execute()
		return out.String(), err
	}
	out, err := run("1")
	if !errors.Is(err, types.ErrChunksTooSmall) {
		t.Fatalf("one-row chunks: %v, want ErrChunksTooSmall", err)
	}
	if strings.Contains(out, "MsgListDataset") {
		t.Fatalf("one-row chunks: a transaction was built:\n%s", out)
	}
	out, err = run("22") // MinRowsPerChunk(880, 1)
	if err != nil || !strings.Contains(out, "MsgListDataset") || !strings.Contains(out, `"rows_per_chunk":"22"`) {
		t.Fatalf("chunks of 22 rows: %v\n%s", err, out)
	}
}
