package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/aichain/aichain/cmd/aichaind/cmd"
	"github.com/aichain/aichain/workload"
)

// example is one command of a command's Example text.
type example struct {
	cmd  string // the command path it documents
	line string // the example, continuation lines joined
}

// aichainExamples walks aichaind's command tree and returns every example
// of aichain's own commands: the four modules' queries and transactions
// and the node's commands of aichain's making. (The SDK's and ibc-go's
// examples are theirs: several are written with placeholders such as
// [validator-address] or cosmos1… addresses that no chain accepts.)
func aichainExamples(t *testing.T) []example {
	t.Helper()
	ours := regexp.MustCompile(`^aichaind (query|tx) (compute|datamarket|modelregistry|stakingrewards)( |$)|^aichaind (chain-registry|testnet init-files)$`)
	var out []example
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Example != "" && ours.MatchString(c.CommandPath()) {
			for _, line := range joinContinuations(c.Example) {
				out = append(out, example{cmd: c.CommandPath(), line: line})
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(cmd.NewRootCmd())
	if len(out) < 40 {
		t.Fatalf("found %d examples of aichain's commands: the walk is broken", len(out))
	}
	return out
}

// joinContinuations splits an Example into its commands: lines that start
// a command (with the binary's name), continuation lines (ending in \)
// joined to them. A line that sets shell variables with read (read C S <<<
// "$(aichaind …)") is run before every command after it, which use them.
func joinContinuations(text string) []string {
	var out []string
	var cur, setup string
	for _, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(raw), "$ "))
		if strings.HasPrefix(line, "read ") {
			setup += line + " && "
			continue
		}
		if cur != "" {
			cur += " " + strings.TrimSuffix(line, "\\")
			if !strings.HasSuffix(line, "\\") {
				out, cur = append(out, cur), ""
			}
			continue
		}
		if !strings.HasPrefix(line, "aichaind ") && !strings.HasPrefix(line, "<appd> ") {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur = setup + strings.TrimSuffix(line, "\\")
			continue
		}
		out = append(out, setup+line)
	}
	return out
}

// exampleWorld is the chain state and files the examples refer to: object 1
// of every kind, owned or made by alice, and the files they name.
type exampleWorld struct {
	c          *Chain
	dir        string
	subs       *strings.Replacer
	dataserver string
}

func newExampleWorld(t *testing.T) *exampleWorld {
	t.Helper()
	c := NewChain(t, 1, "alice", "bob", "carol", "provider")
	c.SetComputeParams(map[string]any{"sample_rate_floor_bps": 0, "challenge_blocks": "4"})
	c.Start()
	dir := t.TempDir()
	// A provider agent wins job 1 and serves its result, for
	// `q compute result 1`.
	c.StartProvider(t, dir, "provider", c.Nodes[0].SparePort(1), "1000uaic")
	for _, f := range []struct {
		name string
		rows int
	}{{"iris.npy", 40}, {"iris-v2.npy", 48}} {
		m := &workload.Matrix{Rows: f.rows, Cols: 4, Data: make([]float32, f.rows*4)}
		for i := range m.Data {
			m.Data[i] = float32(i%17)/8 + float32(f.rows)
		}
		npy, err := workload.EncodeNPY(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), npy, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	alice, carol := c.Addr("alice"), c.Addr("carol")
	w := &exampleWorld{c: c, dir: dir}
	w.dataserver = startDataserver(t, c, dir, alice)
	hw := `{"gpu_model":"A100","gpu_count":1,"vram_gib":80,"workloads":["gemm-f32"]}`
	for _, tx := range [][]string{
		// The datasets' and the model's commitments, the delay (2 blocks)
		// and more before their listings and registration.
		{"datamarket", "commit-dataset", filepath.Join(dir, "iris.npy"), "--rows-per-chunk", "16", "--from", "alice"},
		{"datamarket", "commit-dataset", filepath.Join(dir, "iris-v2.npy"), "--rows-per-chunk", "16", "--from", "alice"},
		{"modelregistry", "commit-model", "iris-mlp", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "--from", "alice"},
		{"compute", "register-provider", "alice-gpu", "http://127.0.0.1:8090", hw, "1000000000uaic", "--from", "alice"},
		{"compute", "create-job", `{"kind":"gemm-f32","gemm":{"m":64,"n":64,"k":64,"seed":7},"chunk_rows":16}`, "5000uaic",
			"--commit-blocks", "5", "--reveal-blocks", "5", "--exec-blocks", "20", "--from", "alice"},
		{"datamarket", "list-dataset", filepath.Join(dir, "iris.npy"), "iris", "--rows-per-chunk", "16", "--uri", w.dataserver,
			"--offer", "rental:20:1000uaic", "--offer", "perpetual:50000uaic:transferable", "--from", "alice"},
		{"datamarket", "update-dataset", "1", filepath.Join(dir, "iris-v2.npy"), "--rows-per-chunk", "16", "--uri", w.dataserver, "--from", "alice"},
		{"datamarket", "purchase-license", "1", "1", "--max-price", "50000uaic", "--from", "bob"},
		{"modelregistry", "register-model", "iris-mlp", "1.0.0", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			"https://example.org/iris.safetensors", "4", "3", "Apache-2.0", "--shares", alice + ":1", "--from", "alice"},
		{"stakingrewards", "lock", "1000000uaic", "10m", "--from", "alice"},
		{"compute", "set-verifier-endpoint", "https://node0.example.org:8443", "--from", "node0"},
	} {
		okTx(t, strings.Join(tx[:2], " "), c.Tx(append(tx, "--gas", "400000")...))
	}
	c.waitJobState(t, "1", 120*time.Second, "JOB_STATE_SUBMITTED", "JOB_STATE_SETTLED")
	w.subs = strings.NewReplacer(
		"<appd> ", "aichaind ",
		"aic1alice...", alice, "aic1carol...", carol, "aic1...", alice,
		"aicvaloper1...", strings.TrimSpace(c.CLI("keys", "show", "node0", "-a", "--bech", "val")),
		"http://127.0.0.1:8090", w.dataserver,
		"./build/testnet", filepath.Join(dir, "testnet"),
		"build/localnet/node0", c.Home(), "~/.aichain", c.Home(),
	)
	return w
}

// run runs one example as written, placeholders filled, through bash (some
// examples nest a command in $(…)), with aichaind on PATH and the
// localnet's client flags appended: queries ask the node, transactions are
// built, checked and signed without being broadcast (--generate-only), so
// that every example meets the state it was written for.
func (w *exampleWorld) run(t *testing.T, ex example) {
	t.Helper()
	line := w.subs.Replace(ex.line)
	node := w.c.Nodes[0]
	switch {
	case strings.Contains(ex.cmd, " tx "):
		line += " --generate-only --home " + w.c.Home() + " --node " + node.RPCAddr() +
			" --chain-id " + w.c.ChainID + " --keyring-backend test"
	case strings.Contains(ex.cmd, " query "):
		line += " --home " + w.c.Home() + " --node " + node.RPCAddr() + " --keyring-backend test"
	}
	sh := exec.Command("bash", "-c", line)
	sh.Dir = w.dir
	sh.Env = append(os.Environ(), "PATH="+filepath.Dir(w.c.Bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := sh.CombinedOutput()
	if err != nil {
		t.Errorf("%s: the example\n  %s\nfails as written: %v\n%s", ex.cmd, ex.line, err, out)
	}
}

// TestEveryExampleRuns runs every example of aichain's commands, as a user
// would copy it from --help, against a localnet holding what they refer to.
func TestEveryExampleRuns(t *testing.T) {
	parallel(t) // a chain of its own on free ports; runs beside the others
	examples := aichainExamples(t)
	w := newExampleWorld(t)
	for _, ex := range examples {
		w.run(t, ex)
	}
}
