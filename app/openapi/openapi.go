// Package openapi serves the REST API's OpenAPI (Swagger 2.0) description at
// /swagger: the SDK's own spec with every aichain route merged in, shown by
// the SDK's Swagger UI. The aichain part is generated from the query
// services' google.api.http rules by `make proto-gen` (one
// <module>.swagger.json per module, checked by `make proto-check`).
package openapi

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/gorilla/mux"
	"sigs.k8s.io/yaml"

	"github.com/cosmos/cosmos-sdk/client/docs"
)

//go:embed *.swagger.json
var generated embed.FS

// Spec is the merged description: the SDK's paths and definitions, then
// aichain's (which never share a name with the SDK's: their definitions are
// fully qualified, aichain.<module>.v1.<Name>).
func Spec() ([]byte, error) {
	specOnce.Do(func() { spec, specErr = merge() })
	return spec, specErr
}

var (
	specOnce sync.Once
	spec     []byte
	specErr  error
)

// document is the part of a Swagger 2.0 document that merging touches.
type document map[string]any

func merge() ([]byte, error) {
	sdkYAML, err := fs.ReadFile(docs.SwaggerUI, "swagger-ui/swagger.yaml")
	if err != nil {
		return nil, fmt.Errorf("the SDK's swagger.yaml: %w", err)
	}
	sdkJSON, err := yaml.YAMLToJSON(sdkYAML)
	if err != nil {
		return nil, fmt.Errorf("the SDK's swagger.yaml: %w", err)
	}
	var out document
	if err := json.Unmarshal(sdkJSON, &out); err != nil {
		return nil, err
	}
	out["info"] = map[string]any{
		"title":       "aichain REST API",
		"description": "Every query of the Cosmos SDK's modules and of aichain's (compute, datamarket, modelregistry, stakingrewards), through the gRPC gateway.",
		"version":     "1.0.0",
	}
	names, err := fs.Glob(generated, "*.swagger.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, name := range names {
		bz, err := generated.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var doc document
		if err := json.Unmarshal(bz, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for _, section := range []string{"paths", "definitions"} {
			if err := mergeSection(out, doc, section, name); err != nil {
				return nil, err
			}
		}
	}
	return json.Marshal(out)
}

// mergeSection adds doc's entries of a section (paths, definitions) to out.
// A path that out already has is an error. A definition it already has is
// the same proto message seen twice: a shared type (google.protobuf.Any,
// cosmos.base.v1beta1.Coin) keeps the SDK's rendering, and an aichain type
// shared by two modules (aichain.common.v1.Share) must render the same.
func mergeSection(out, doc document, section, from string) error {
	dst, _ := out[section].(map[string]any)
	if dst == nil {
		dst = map[string]any{}
		out[section] = dst
	}
	src, _ := doc[section].(map[string]any)
	for k, v := range src {
		if have, dup := dst[k]; dup {
			if section == "definitions" && (!strings.HasPrefix(k, "aichain.") || reflect.DeepEqual(have, v)) {
				continue
			}
			return fmt.Errorf("%s: %s %q is already in the spec, differently", from, section, k)
		}
		dst[k] = v
	}
	return nil
}

// Register serves the Swagger UI and the merged spec under /swagger/ when
// enabled (app.toml [api] swagger = true).
func Register(rtr *mux.Router, enabled bool) error {
	if !enabled {
		return nil
	}
	ui, err := fs.Sub(docs.SwaggerUI, "swagger-ui")
	if err != nil {
		return err
	}
	if _, err := Spec(); err != nil {
		return err
	}
	// The UI loads ./swagger.yaml; JSON is YAML, so the merged JSON serves.
	rtr.Path("/swagger/swagger.yaml").HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		bz, err := Spec()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(bz)
	})
	rtr.PathPrefix("/swagger/").Handler(http.StripPrefix("/swagger/", http.FileServer(http.FS(ui))))
	return nil
}
