package e2e

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestExplorerSeesEveryTransaction is what a block explorer and a wallet do
// on a localnet: every block's transactions, the proposer's injected
// extended commit (tx 0) among them, decode through the SDK's tx service,
// `q txs --query tx.height=N` and GetBlockWithTxs, in line with the block's
// tx results; the injected tx succeeded; uaic has denom metadata; and the
// RPC answers a browser's CORS preflight; /swagger describes every route.
func TestExplorerSeesEveryTransaction(t *testing.T) {
	parallel(t) // a chain of its own on free ports; runs beside the others
	c := NewChain(t, 1, "alice", "bob")
	c.Start()
	res := c.Tx("bank", "send", "alice", c.Addr("bob"), "777uaic", "--from", "alice")
	if res.Code != 0 {
		t.Fatalf("send failed: %s", res.RawLog)
	}
	h := res.Height

	// The block as CometBFT has it: tx 0 is the injection, then the send.
	var block struct {
		Block struct {
			Data struct {
				Txs []string `json:"txs"`
			} `json:"data"`
		} `json:"block"`
	}
	if err := c.Nodes[0].RPC("/block?height="+h, &block); err != nil {
		t.Fatal(err)
	}
	n := len(block.Block.Data.Txs)
	if n < 2 {
		t.Fatalf("block %s has %d txs, want the injected commit and the send", h, n)
	}

	// The SDK's tx search by height: every tx of the block, decoded.
	var search struct {
		Txs []struct {
			Body struct {
				Messages []struct {
					Type string `json:"@type"`
				} `json:"messages"`
			} `json:"body"`
		} `json:"txs"`
		TxResponses []struct {
			Code uint32 `json:"code"`
		} `json:"tx_responses"`
	}
	status, err := c.GetJSON("/cosmos/tx/v1beta1/txs?query=tx.height="+h, &search)
	if err != nil || status != http.StatusOK {
		t.Fatalf("tx search by height %s: HTTP %d, %v", h, status, err)
	}
	if len(search.Txs) != n || len(search.TxResponses) != n {
		t.Fatalf("tx search by height %s: %d txs, %d responses; the block has %d", h, len(search.Txs), len(search.TxResponses), n)
	}
	injected := 0
	for i, tx := range search.Txs {
		if len(tx.Body.Messages) == 1 && tx.Body.Messages[0].Type == "/aichain.ve.v1.MsgInjectVerdicts" {
			injected++
			if i != 0 || search.TxResponses[i].Code != 0 {
				t.Fatalf("the injected commit is tx %d with code %d; want tx 0, code 0", i, search.TxResponses[i].Code)
			}
		}
	}
	if injected != 1 {
		t.Fatalf("%d injected commits in block %s, want 1", injected, h)
	}

	// GetBlockWithTxs: as many txs as the block.
	var withTxs struct {
		Txs []json.RawMessage `json:"txs"`
	}
	status, err = c.GetJSON("/cosmos/tx/v1beta1/txs/block/"+h, &withTxs)
	if err != nil || status != http.StatusOK || len(withTxs.Txs) != n {
		t.Fatalf("GetBlockWithTxs %s: HTTP %d, %d txs (block has %d), %v", h, status, len(withTxs.Txs), n, err)
	}

	// The CLI's search by height, on a block with only the injection.
	height, _ := strconv.ParseInt(h, 10, 64)
	c.WaitHeight(height+2, 30*time.Second)
	out := c.CLI("q", "txs", "--query", "tx.height="+strconv.FormatInt(height+1, 10), "--output", "json")
	var cliSearch struct {
		Txs []json.RawMessage `json:"txs"`
	}
	if err := json.Unmarshal([]byte(out), &cliSearch); err != nil || len(cliSearch.Txs) < 1 {
		t.Fatalf("q txs --query tx.height=%d: %v\n%s", height+1, err, out)
	}

	// Denom metadata for wallets.
	var meta struct {
		Metadata struct {
			Base    string `json:"base"`
			Display string `json:"display"`
		} `json:"metadata"`
	}
	if status, err := c.GetJSON("/cosmos/bank/v1beta1/denoms_metadata/uaic", &meta); err != nil || status != http.StatusOK ||
		meta.Metadata.Base != "uaic" || meta.Metadata.Display != "aic" {
		t.Fatalf("denom metadata of uaic: HTTP %d %+v %v", status, meta, err)
	}

	// The REST API's description, aichain's routes merged with the SDK's.
	var spec struct {
		Paths map[string]json.RawMessage `json:"paths"`
	}
	if status, err := c.GetJSON("/swagger/swagger.yaml", &spec); err != nil || status != http.StatusOK {
		t.Fatalf("/swagger/swagger.yaml: HTTP %d, %v", status, err)
	}
	for _, path := range []string{"/aichain/compute/v1/jobs", "/aichain/datamarket/v1/datasets", "/cosmos/bank/v1beta1/balances/{address}"} {
		if _, ok := spec.Paths[path]; !ok {
			t.Errorf("the served OpenAPI lacks %s", path)
		}
	}

	// A browser explorer's CORS preflight to the RPC.
	req, err := http.NewRequest(http.MethodOptions, "http://"+c.Nodes[0].RPCAddr()[len("tcp://"):]+"/status", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", "http://explorer.example")
	req.Header.Set("Access-Control-Request-Method", "GET")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got == "" {
		t.Fatalf("the RPC sends no Access-Control-Allow-Origin to a browser (HTTP %d)", resp.StatusCode)
	}
}
