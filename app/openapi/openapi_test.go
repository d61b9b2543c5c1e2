package openapi_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aichain/aichain/app/openapi"
)

// TestSpecHasEveryRoute: the merged spec holds every REST route that
// aichain's query.proto files declare (each `(google.api.http).get` rule), with its
// parameters written the gateway's way, and the SDK's routes beside them.
func TestSpecHasEveryRoute(t *testing.T) {
	bz, err := openapi.Spec()
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Swagger     string                     `json:"swagger"`
		Paths       map[string]json.RawMessage `json:"paths"`
		Definitions map[string]json.RawMessage `json:"definitions"`
	}
	if err := json.Unmarshal(bz, &spec); err != nil {
		t.Fatal(err)
	}
	if spec.Swagger != "2.0" {
		t.Fatalf("swagger %q", spec.Swagger)
	}
	protos, err := filepath.Glob("../../proto/aichain/*/v1/query.proto")
	if err != nil || len(protos) != 4 {
		t.Fatalf("query protos %v %v", protos, err)
	}
	rule := regexp.MustCompile(`\(google.api.http\).get = "([^"]+)"`)
	routes := 0
	for _, p := range protos {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range rule.FindAllStringSubmatch(string(src), -1) {
			routes++
			if _, ok := spec.Paths[m[1]]; !ok {
				t.Errorf("%s: route %s is not in the spec (run make proto-gen)", p, m[1])
			}
		}
	}
	if routes < 26 {
		t.Fatalf("found %d aichain routes in the protos, expected at least 26", routes)
	}
	if _, ok := spec.Paths["/cosmos/bank/v1beta1/balances/{address}"]; !ok {
		t.Error("the SDK's routes are missing from the merged spec")
	}
	aichainDefs := 0
	for name := range spec.Definitions {
		if strings.HasPrefix(name, "aichain.") {
			aichainDefs++
		}
	}
	if aichainDefs == 0 {
		t.Error("no aichain definitions in the merged spec")
	}
}
