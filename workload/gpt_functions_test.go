package workload_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"testing"

	"github.com/aichain/aichain/workload"
)

// gpt_functions.json holds known answers for each gpt-f32 function
// (docs/gpt-f32.md, "Functions") on its own, as float32 bit patterns in hex,
// so that an independent implementation can check them one by one before
// it runs a whole model (workload/testdata/independent_gpt_check.py does).
const gptFunctionsFile = "testdata/gpt_functions.json"

type fnCase struct {
	X string `json:"x"`
	Y string `json:"y"`
}

type layerNormCase struct {
	X []string `json:"x"`
	G []string `json:"g"`
	B []string `json:"b"`
	Y []string `json:"y"`
}

type attentionCase struct {
	Q      []string `json:"q"`
	Keys   []string `json:"keys"`
	Values []string `json:"values"`
	N      int      `json:"n"`
	Scale  string   `json:"scale"`
	Out    []string `json:"out"`
}

type argmaxCase struct {
	V     []string `json:"v"`
	Index int      `json:"index"`
}

type gptFunctions struct {
	Exp       []fnCase        `json:"exp"`
	Tanh      []fnCase        `json:"tanh"`
	GELU      []fnCase        `json:"gelu"`
	LayerNorm []layerNormCase `json:"layernorm"`
	Attention []attentionCase `json:"attention"`
	Argmax    []argmaxCase    `json:"argmax"`
}

func h(v float32) string { return fmt.Sprintf("%08x", math.Float32bits(v)) }

func hs(v []float32) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = h(x)
	}
	return out
}

// fnInputs are special values and a spread over [lo, hi).
func fnInputs(seed uint64, lo, hi float32, n int) []float32 {
	nan := float32(math.NaN())
	in := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.5, -0.5, 1e-10, -1e-10, 88, 88.00001, -87, -87.00001,
		9, -9, 8.99999, float32(math.Inf(1)), float32(math.Inf(-1)), nan, 3e38, -3e38, 1.17549435e-38}
	g := workload.SplitMix64{State: seed}
	for i := 0; i < n; i++ {
		u := (workload.UnitFloat(g.Next()) + 1) / 2 // [0, 1)
		in = append(in, lo+float32(u*(hi-lo)))
	}
	return in
}

func fnCases(in []float32, f func(float32) float32) []fnCase {
	out := make([]fnCase, len(in))
	for i, x := range in {
		out[i] = fnCase{X: h(x), Y: h(f(x))}
	}
	return out
}

func values(seed uint64, n int, scale float32) []float32 {
	g := workload.SplitMix64{State: seed}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(workload.UnitFloat(g.Next()) * scale)
	}
	return v
}

func buildGPTFunctions() gptFunctions {
	var fns gptFunctions
	fns.Exp = fnCases(fnInputs(1, -90, 90, 150), workload.Exp32)
	fns.Tanh = fnCases(fnInputs(2, -12, 12, 150), workload.Tanh32)
	fns.GELU = fnCases(fnInputs(3, -12, 12, 150), workload.GELU32)
	for i, n := range []int{1, 5, 64} {
		x, g, b := values(uint64(10+i), n, 4), values(uint64(20+i), n, 2), values(uint64(30+i), n, 1)
		y := make([]float32, n)
		workload.LayerNorm32(x, g, b, y)
		fns.LayerNorm = append(fns.LayerNorm, layerNormCase{X: hs(x), G: hs(g), B: hs(b), Y: hs(y)})
	}
	for i, c := range [][2]int{{1, 4}, {7, 8}, {33, 64}} {
		n, d := c[0], c[1]
		q, k, v := values(uint64(40+i), d, 3), values(uint64(50+i), n*d, 3), values(uint64(60+i), n*d, 2)
		out := make([]float32, d)
		scale := workload.AttentionScale(d)
		workload.AttendHead(q, k, v, n, d, scale, make([]float32, n), out)
		fns.Attention = append(fns.Attention, attentionCase{Q: hs(q), Keys: hs(k), Values: hs(v), N: n, Scale: h(scale), Out: hs(out)})
	}
	nz := float32(math.Copysign(0, -1))
	for _, v := range [][]float32{{1, 3, 3, 2}, {float32(math.NaN()), 5, 7}, {0, nz}, {nz, 0, -1}, {-2, float32(math.NaN()), -1}} {
		fns.Argmax = append(fns.Argmax, argmaxCase{V: hs(v), Index: workload.Argmax(v)})
	}
	return fns
}

// TestGPTFunctionVectors checks the committed function vectors against the
// Go definitions. Regenerate with: go test ./workload -run TestGPTFunctionVectors -args -update
func TestGPTFunctionVectors(t *testing.T) {
	want, err := json.MarshalIndent(buildGPTFunctions(), "", " ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	if *update {
		if err := os.WriteFile(gptFunctionsFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(gptFunctionsFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the functions' results: regenerate it with -update and review the diff", gptFunctionsFile)
	}
}

// TestIndependentGPTCheck runs the Python implementation written from
// docs/gpt-f32.md alone (testdata/independent_gpt_check.py): it must
// reproduce every function vector and both gpt-f32 vectors' generated ids
// and roots. It skips where python3 is not installed.
func TestIndependentGPTCheck(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH: the independent implementation cannot run here")
	}
	out, err := exec.Command(py, "testdata/independent_gpt_check.py").CombinedOutput()
	if err != nil {
		t.Fatalf("independent_gpt_check.py: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
