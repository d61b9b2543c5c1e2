package jobexec

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// DecodeChunkResponse decodes what a provider serves exactly as
// encoding/json does, and refuses, before decoding, a response whose
// inputs or proofs hold more entries than its chunk allows.
func TestDecodeChunkResponseBounds(t *testing.T) {
	for name, c := range map[string]struct {
		body      string
		maxInputs uint64
	}{
		"with inputs": {wireChunkWithInputs, 1},
		"one leaf":    {wireChunkOneLeaf, 0},
		"spaced":      {" {\n\"index\" : 0 , \"proof\" : [ ] , \"inputs\" : null }\n", 0},
	} {
		got, err := DecodeChunkResponse([]byte(c.body), c.maxInputs)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var want ChunkResponse
		if err := json.Unmarshal([]byte(c.body), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Inputs, want.Inputs) || got.Index != want.Index || string(got.Data) != string(want.Data) ||
			!reflect.DeepEqual(got.Proof, want.Proof) || got.InputChunkCount != want.InputChunkCount {
			t.Fatalf("%s: decoded %+v, encoding/json decodes %+v", name, got, want)
		}
	}

	sibling := `"` + strings.Repeat("ab", 32) + `"`
	long := `{"index":0,"data":"","proof":[` + strings.Repeat(sibling+",", 64) + sibling + `]}`
	for name, c := range map[string]struct {
		body      string
		maxInputs uint64
	}{
		"more inputs than cover the chunk":  {wireChunkWithInputs, 0},
		"inputs under another case":         {strings.Replace(wireChunkWithInputs, `"inputs"`, `"INPUTS"`, 1), 0},
		"inputs twice":                      {`{"inputs":[{"data":"AAAAAA=="}],"inputs":[{"data":"AAAAAA=="}]}`, 1},
		"inputs that are not objects":       {`{"inputs":[0,0,0]}`, 3},
		"a proof longer than MaxProofLen":   {long, 0},
		"an input's proof past MaxProofLen": {`{"inputs":[` + long + `]}`, 1},
		"empty siblings past the bytes":     {`{"proof":[` + strings.Repeat(`"",`, 30) + `""]}`, 0},
		"an escaped key":                    {`{"\u0069nputs":[{}]}`, 1},
		"not an object":                     {`[{}]`, 1},
		"nested past any chunk response":    {`{"x":[[[[[[[[[[0]]]]]]]]]]}`, 0},
		"unterminated string":               {`{"data":"abc`, 0},
		"empty":                             {``, 0},
		"siblings that are not strings":     {`{"proof":[{}]}`, 0},
		"inputs more than their bytes hold": {`{"inputs":[{},{},{},{}]}`, 100},
	} {
		if _, err := DecodeChunkResponse([]byte(c.body), c.maxInputs); !errors.Is(err, ErrChunkResponseShape) {
			t.Errorf("%s: %v, want ErrChunkResponseShape", name, err)
		}
	}
}
