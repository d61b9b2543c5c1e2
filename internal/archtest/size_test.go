package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// Size limits of hand-written code: a file a reader can hold in mind, a
// function that fits a screen. Generated files are exempt, and so is
// app.New, the one place that wires every keeper in order.
const (
	maxFileLines = 500
	maxFuncLines = 80
)

// longFuncExempt are the functions allowed past maxFuncLines, by
// "path:name".
var longFuncExempt = map[string]bool{"app/app.go:New": true}

// TestSizeLimits: no hand-written Go file over maxFileLines lines (tests
// included) and no non-test function over maxFuncLines lines.
func TestSizeLimits(t *testing.T) {
	root := "../.."
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "build" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		checkSize(t, path, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func checkSize(t *testing.T, path, rel string) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
	if err != nil {
		t.Errorf("%s: %v", rel, err)
		return
	}
	if ast.IsGenerated(f) {
		return
	}
	if n := fset.File(f.Pos()).LineCount(); n > maxFileLines {
		t.Errorf("%s has %d lines, more than %d: split it by concern", rel, n, maxFileLines)
	}
	if strings.HasSuffix(rel, "_test.go") {
		return
	}
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
		if n > maxFuncLines && !longFuncExempt[rel+":"+fn.Name.Name] {
			t.Errorf("%s: %s has %d lines, more than %d: cut it into named steps", rel, fn.Name.Name, n, maxFuncLines)
		}
	}
}
