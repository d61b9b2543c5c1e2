package archtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/aichain/aichain"

// onChainRoots are the packages the chain runs (or that it may import):
// every non-test package under them is checked.
var onChainRoots = []string{"./x/...", "./types/...", "./workload/..."}

// offChain are the agents' packages: on-chain code must not depend on them,
// even through another package.
var offChain = []string{"provider", "sidecar", "dataserver", "chainclient", "jobexec", "accel", "cmd", "e2e", "testutil"}

// forbiddenImports open files, sockets or processes. An aichain package that
// on-chain code depends on must not import them (the standard library and
// the SDK themselves are out of scope).
var forbiddenImports = map[string]bool{
	"os": true, "os/exec": true, "os/signal": true, "syscall": true, "io/ioutil": true,
	"net": true, "net/http": true, "net/rpc": true,
}

type pkg struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	CgoFiles   []string
	Deps       []string
	Standard   bool
}

// listDeps returns the on-chain packages and every package they depend on
// (tests excluded), as `go list -deps` sees them.
func listDeps(t *testing.T) (roots []string, all map[string]pkg) {
	t.Helper()
	args := append([]string{"list", "-e", "-json=ImportPath,Dir,GoFiles,CgoFiles,Deps,Standard", "-deps"}, onChainRoots...)
	cmd := exec.Command("go", args...)
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	rootsCmd := exec.Command("go", append([]string{"list"}, onChainRoots...)...)
	rootsCmd.Dir = "../.."
	rootList, err := rootsCmd.Output()
	if err != nil {
		t.Fatalf("go list roots: %v", err)
	}
	roots = strings.Fields(string(rootList))
	all = map[string]pkg{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		all[p.ImportPath] = p
	}
	return roots, all
}

func isOffChain(path string) bool {
	for _, o := range offChain {
		if path == module+"/"+o || strings.HasPrefix(path, module+"/"+o+"/") {
			return true
		}
	}
	return false
}

// TestOnChainCodeImportsNoAgent: no on-chain package depends on an agent's
// package.
func TestOnChainCodeImportsNoAgent(t *testing.T) {
	roots, all := listDeps(t)
	if len(roots) < 10 {
		t.Fatalf("only %d on-chain packages listed: %v", len(roots), roots)
	}
	for _, r := range roots {
		for _, d := range all[r].Deps {
			if isOffChain(d) {
				t.Errorf("%s depends on the off-chain package %s", r, d)
			}
		}
	}
}

// TestOnChainCodeIsPure: the aichain packages that on-chain code depends on
// (the on-chain packages included) import nothing that opens files, sockets
// or processes, and start no goroutines. Generated files (the gRPC-gateway
// REST handlers) are the generators' code and are not checked.
func TestOnChainCodeIsPure(t *testing.T) {
	roots, all := listDeps(t)
	checked := map[string]bool{}
	for _, r := range roots {
		for _, d := range append([]string{r}, all[r].Deps...) {
			if checked[d] || !(d == module || strings.HasPrefix(d, module+"/")) {
				continue
			}
			checked[d] = true
			p := all[d]
			for _, f := range append(append([]string(nil), p.GoFiles...), p.CgoFiles...) {
				for _, v := range impurities(t, filepath.Join(p.Dir, f)) {
					t.Errorf("%s (%s, needed by %s): %s", d, f, r, v)
				}
			}
		}
	}
	if len(checked) < 10 {
		t.Fatalf("only %d aichain packages checked", len(checked))
	}
}

var generated = regexp.MustCompile(`(?m)^// Code generated .* DO NOT EDIT\.$`)

// impurities lists the forbidden imports and go statements of a source file.
func impurities(t *testing.T, path string) []string {
	t.Helper()
	return fileImpurities(parseGoFile(t, path))
}

// parseGoFile parses a source file, comments included.
func parseGoFile(t *testing.T, path string) (*token.FileSet, *ast.File) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	return fset, f
}

func fileImpurities(fset *token.FileSet, f *ast.File) []string {
	for _, c := range f.Comments {
		if c.Pos() > f.Package {
			break
		}
		if generated.MatchString(commentText(c)) {
			return nil
		}
	}
	var out []string
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if forbiddenImports[path] {
			out = append(out, fmt.Sprintf("imports %q", path))
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		if g, ok := n.(*ast.GoStmt); ok {
			out = append(out, fmt.Sprintf("starts a goroutine at line %d", fset.Position(g.Pos()).Line))
		}
		return true
	})
	sort.Strings(out)
	return out
}

// commentText is a comment group's raw lines, "//" included, which the
// generated-code convention is written in.
func commentText(c *ast.CommentGroup) string {
	var b strings.Builder
	for _, l := range c.List {
		b.WriteString(l.Text)
		b.WriteByte('\n')
	}
	return b.String()
}

// TestImpuritiesDetected: the checker sees what it must refuse.
func TestImpuritiesDetected(t *testing.T) {
	src := `package p

import (
	"net/http"
	"os"
	"strings"
)

func f() { go func() {}(); _ = strings.ToUpper; _ = os.Args; _ = http.Get }
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	got := fileImpurities(fset, f)
	want := []string{`imports "net/http"`, `imports "os"`, "starts a goroutine at line 9"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("impurities %q, want %q", got, want)
	}
	gen, err := parser.ParseFile(fset, "g.go", "// Code generated by protoc-gen-grpc-gateway. DO NOT EDIT.\n"+src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	if got := fileImpurities(fset, gen); len(got) != 0 {
		t.Fatalf("generated file checked: %q", got)
	}
}

// agentAppTypes are the packages under app/ that agents may import.
var agentAppTypes = map[string]bool{module + "/app/params": true, module + "/app/ve/types": true}

// agents are the off-chain programs and the packages they are built from.
var agents = []string{
	"./chainclient", "./provider", "./sidecar", "./dataserver", "./jobexec",
	"./cmd/aichain-provider", "./cmd/aichain-sidecar", "./cmd/aichain-dataserver",
}

// TestAgentsBuildNoApp: the agents take the chain's prefixes and codecs from
// app/params and chainclient, never from package app (which wires every
// keeper into a whole node). Of app's subpackages they may use only those
// that hold types: app/params and app/ve/types (the block's injected
// transaction, which a client needs to decode blocks).
func TestAgentsBuildNoApp(t *testing.T) {
	for _, a := range agents {
		cmd := exec.Command("go", "list", "-deps", a)
		cmd.Dir = "../.."
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", a, err)
		}
		for _, d := range strings.Fields(string(out)) {
			if d == module+"/app" || strings.HasPrefix(d, module+"/app/") && !agentAppTypes[d] {
				t.Errorf("%s depends on %s", a, d)
			}
		}
	}
}

// TestModulesUseModkit: on-chain code emits typed events through
// modkit.EmitTypedEvent (the same attributes at a twentieth of the cost) and
// branches its context with modkit.CacheContext (the same branch, made
// lazily), never with the SDK's EventManager().EmitTypedEvent(s) or
// Context.CacheContext(); modkit itself falls back to the latter.
func TestModulesUseModkit(t *testing.T) {
	roots, all := listDeps(t)
	files := 0
	for _, r := range roots {
		if r == module+"/x/internal/modkit" {
			continue
		}
		p := all[r]
		for _, f := range p.GoFiles {
			path := filepath.Join(p.Dir, f)
			files++
			for _, v := range sdkPathsModkitReplaces(parseGoFile(t, path)) {
				t.Errorf("%s:%s", path, v)
			}
		}
	}
	if files < 50 {
		t.Fatalf("only %d on-chain files checked", files)
	}
}

// sdkPathsModkitReplaces lists the calls of EmitTypedEvent(s) on the
// result of an EventManager() call, and of CacheContext() without
// arguments (the SDK's method; modkit's takes the context).
func sdkPathsModkitReplaces(fset *token.FileSet, f *ast.File) []string {
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		line := fset.Position(call.Pos()).Line
		switch sel.Sel.Name {
		case "EmitTypedEvent", "EmitTypedEvents":
			if inner, ok := sel.X.(*ast.CallExpr); ok {
				if isel, ok := inner.Fun.(*ast.SelectorExpr); ok && isel.Sel.Name == "EventManager" {
					out = append(out, fmt.Sprintf("%d: EventManager().%s: use modkit.EmitTypedEvent", line, sel.Sel.Name))
				}
			}
		case "CacheContext":
			if len(call.Args) == 0 {
				out = append(out, fmt.Sprintf("%d: CacheContext(): use modkit.CacheContext", line))
			}
		}
		return true
	})
	return out
}

func TestSDKPathsModkitReplacesDetected(t *testing.T) {
	src := `package p

func f(ctx C) error {
	_ = modkit.EmitTypedEvent(ctx, ev)
	cc, write := modkit.CacheContext(ctx)
	cc2, _ := ctx.CacheContext()
	return ctx.EventManager().EmitTypedEvent(ev)
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"6: CacheContext(): use modkit.CacheContext", "7: EventManager().EmitTypedEvent: use modkit.EmitTypedEvent"}
	if got := sdkPathsModkitReplaces(fset, f); !slices.Equal(got, want) {
		t.Fatalf("found %q, want %q", got, want)
	}
}
