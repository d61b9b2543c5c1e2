package sidecar

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackUnfetchableURISchemeMakesInputChecksAbstain: hostile party: a
// model's owner, colluding with a job's requester and its dataset's owner,
// against the job's honest winner. The chain took any uri for a model
// ("ipfs://..." among them), and jobexec's fetchURI called a scheme it does
// not fetch ErrUnsupported, on which the input check abstains ("this
// sidecar cannot check"). The owner's weights server answers 404 after the
// award; the honest winner, unable to fetch them, aborts. Then either
//   - the job keeps no uri of its own (the requester owns the model, or a
//     job from before Job.model_uri): the owner points the model at
//     "ipfs://..." (MsgUpdateUri); or
//   - the job keeps the uri the model had at its creation (Job.model_uri):
//     the owner set "ipfs://..." for the block of the job's creation and
//     its http server again after, so providers sized and bid at the http
//     uri; the job's uri, tried last, decides how the failure counts.
//
// Every honest sidecar abstained, the abort check reached no quorum, and it
// closed as inconclusive: the winner forfeited the dataset fee (up to its
// collateral) to the requester, and the model owner's bond was released.
// Now a new uri must be one agents fetch (x/modelregistry ValidateNewURI:
// http(s), or file on a local network), and a scheme an agent does not
// fetch is the uri's failure (jobexec.ErrURIScheme), voted INPUTS_UNAVAILABLE
// like a redirect off http(s) (TestAttackModelServerMakesInputChecksAbstain):
// a model registered before the rule keeps its uri (the genesis rule,
// ValidateURI, takes it), and its weights are unavailable to every agent.
func TestAttackUnfetchableURISchemeMakesInputChecksAbstain(t *testing.T) {
	sha := workload.SHA256Hex([]byte("the weights the owner registered"))
	gone := httptest.NewServer(http.NotFoundHandler()) // the owner's server after the award
	t.Cleanup(gone.Close)
	const ipfs = "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/w.safetensors"
	if err := modelregistrytypes.ValidateURI(ipfs); err != nil {
		t.Fatalf("a model registered before the rule keeps %q: %v", ipfs, err)
	}
	if err := modelregistrytypes.ValidateNewURI(ipfs); !modelregistrytypes.ErrInvalidModel.Is(err) {
		t.Fatalf("a new uri %q: %v, want ErrInvalidModel", ipfs, err)
	}

	check := func(modelURI, jobURI string) (computetypes.Verdict, string) {
		return inputCheck(t, modelURI, sha)(jobURI)
	}

	// The control: weights gone from an http uri are voted gone.
	if got, why := check(gone.URL+"/w", ""); got != computetypes.Verdict_VERDICT_INPUTS_UNAVAILABLE {
		t.Fatalf("control: the model's http uri serves nothing: %s (%s), want INPUTS_UNAVAILABLE", got, why)
	}
	if got, why := check(gone.URL+"/w", gone.URL+"/w0"); got != computetypes.Verdict_VERDICT_INPUTS_UNAVAILABLE {
		t.Fatalf("control: the model's and the job's http uris serve nothing: %s (%s), want INPUTS_UNAVAILABLE", got, why)
	}

	for _, c := range []struct{ name, modelURI, jobURI string }{
		{"the owner repoints the model at ipfs after the abort (job without model_uri)", ipfs, ""},
		{"the job's kept uri is ipfs, the model's http uri serves nothing", gone.URL + "/w", ipfs},
	} {
		if got, why := check(c.modelURI, c.jobURI); got != computetypes.Verdict_VERDICT_INPUTS_UNAVAILABLE {
			t.Errorf("%s: verdict %s (%s), want INPUTS_UNAVAILABLE: no agent can fetch the weights, the winner could not either, "+
				"and every honest sidecar abstaining ends the abort without quorum: the honest winner forfeits the dataset fee to the requester "+
				"and the model owner's bond is released", c.name, got, why)
		}
	}
}
