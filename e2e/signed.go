package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/aichain/aichain/testutil/signedhttp"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/chainclient"
	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/jobexec"
)

// Signer returns the request signer of a key in node0's keyring (its
// validator's key is named "node0").
func (c *Chain) Signer(t testing.TB, key string) signedreq.Signer {
	t.Helper()
	enc, err := chainclient.MakeEncodingConfig()
	if err != nil {
		t.Fatal(err)
	}
	kr, err := keyring.New(sdk.KeyringServiceName(), keyring.BackendTest, c.Home(), nil, enc.Codec)
	if err != nil {
		t.Fatal(err)
	}
	s, err := signedreq.KeyringSigner(kr, key, "aic")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// SignedGet GETs base+path with a request signed by s for the server at
// base, and returns the status and body.
func SignedGet(t testing.TB, s signedreq.Signer, base, path string) (int, []byte) {
	t.Helper()
	aud, err := signedreq.Audience(base)
	if err != nil {
		t.Fatal(err)
	}
	return signedhttp.Get(t, s, aud, base+path)
}

// fetchChunk fetches chunk i of a job from a provider agent as key.
func (c *Chain) fetchChunk(t testing.TB, key string, port int, job string, i int) jobexec.ChunkResponse {
	t.Helper()
	status, body := SignedGet(t, c.Signer(t, key), fmt.Sprintf("http://127.0.0.1:%d", port), fmt.Sprintf("/v1/jobs/%s/chunks/%d", job, i))
	if status != http.StatusOK {
		t.Fatalf("chunk %d of job %s as %s: HTTP %d: %s", i, job, key, status, body)
	}
	var cr jobexec.ChunkResponse
	if err := json.Unmarshal(body, &cr); err != nil {
		t.Fatal(err)
	}
	return cr
}
