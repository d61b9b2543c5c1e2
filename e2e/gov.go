package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"
)

// Proposal is a governance proposal as REST shows it.
type Proposal struct {
	Status           string `json:"status"`
	FinalTallyResult struct {
		YesCount string `json:"yes_count"`
		NoCount  string `json:"no_count"`
	} `json:"final_tally_result"`
	FailedReason string `json:"failed_reason"`
}

// SubmitProposal submits a proposal of msgs (each a JSON object with its
// "@type") from key with the minimum deposit, and returns its id.
func (c *Chain) SubmitProposal(from, title string, msgs ...map[string]any) string {
	c.t.Helper()
	var params struct {
		Params struct {
			MinDeposit []struct {
				Denom  string `json:"denom"`
				Amount string `json:"amount"`
			} `json:"min_deposit"`
		} `json:"params"`
	}
	if status, err := c.GetJSON("/cosmos/gov/v1/params/deposit", &params); err != nil || status != 200 || len(params.Params.MinDeposit) == 0 {
		c.t.Fatalf("gov deposit params: HTTP %d, %v", status, err)
	}
	anyMsgs := make([]any, len(msgs))
	for i, m := range msgs {
		anyMsgs[i] = m
	}
	bz, err := json.Marshal(map[string]any{
		"messages": anyMsgs, "title": title, "summary": title, "metadata": "",
		"deposit": params.Params.MinDeposit[0].Amount + params.Params.MinDeposit[0].Denom,
	})
	if err != nil {
		c.t.Fatal(err)
	}
	file := filepath.Join(c.t.TempDir(), "proposal.json")
	if err := os.WriteFile(file, bz, 0o644); err != nil {
		c.t.Fatal(err)
	}
	res := c.Tx("gov", "submit-proposal", file, "--from", from, "--gas", "400000")
	if res.Code != 0 {
		c.t.Fatalf("submit proposal %q: code %d: %s", title, res.Code, res.RawLog)
	}
	for _, e := range res.Events {
		if e.Type != "submit_proposal" {
			continue
		}
		for _, a := range e.Attributes {
			if a.Key == "proposal_id" {
				return a.Value
			}
		}
	}
	c.t.Fatalf("no proposal id in %+v", res.Events)
	return ""
}

// WaitProposal waits (up to timeout) until proposal id leaves its voting
// period and returns it.
func (c *Chain) WaitProposal(id string, timeout time.Duration) Proposal {
	c.t.Helper()
	var body struct {
		Proposal Proposal `json:"proposal"`
	}
	deadline := time.Now().Add(timeout)
	for {
		status, err := c.GetJSON("/cosmos/gov/v1/proposals/"+id, &body)
		if err == nil && status == 200 && body.Proposal.Status != "PROPOSAL_STATUS_VOTING_PERIOD" {
			return body.Proposal
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("proposal %s still %q after %s (HTTP %d, %v)", id, body.Proposal.Status, timeout, status, err)
		}
		time.Sleep(time.Second)
	}
}

// SetVotingPeriod shortens governance's voting periods in every node's
// genesis before Start.
func (c *Chain) SetVotingPeriod(voting, expedited time.Duration) {
	c.t.Helper()
	c.EditGenesis(func(app map[string]json.RawMessage) {
		var gov map[string]any
		if err := json.Unmarshal(app["gov"], &gov); err != nil {
			c.t.Fatal(err)
		}
		params, ok := gov["params"].(map[string]any)
		if !ok {
			c.t.Fatal("gov genesis has no params")
		}
		params["voting_period"] = voting.String()
		params["expedited_voting_period"] = expedited.String()
		var err error
		if app["gov"], err = json.Marshal(gov); err != nil {
			c.t.Fatal(err)
		}
	})
}
