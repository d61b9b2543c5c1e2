// Command aichain-gpt is the gpt-f32 companion tool: it writes a tiny
// byte-level model (vocabulary 256, so that prompts are UTF-8 bytes and no
// tokenizer is needed) from a seed, writes prompt datasets (npy-i32), and
// prints a finished job's generated text after checking every chunk against
// the job's on-chain output root.
//
//	aichain-gpt model tiny-gpt.safetensors [--seed 1] [--layers 2 --heads 4 --embed 64 --context 128]
//	aichain-gpt prompts prompts.npy "Hello, chain" "The quick brown fox"
//	aichain-gpt text 7 --from bob [--node 127.0.0.1:9090] [--prompts prompts.npy] [--output result.npy]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aichain/aichain/workload"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "aichain-gpt:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  aichain-gpt model FILE [--seed N] [--layers N] [--heads N] [--embed N] [--context N]
      write a byte-level gpt-f32 model (vocabulary 256) with weights drawn from the seed
  aichain-gpt prompts FILE TEXT...
      write the texts' UTF-8 bytes as an npy-i32 prompt dataset, one prompt per row, padded with -1
  aichain-gpt text JOB_ID --from KEY [--home DIR] [--keyring-backend B] [--node HOST:PORT]
                  [--prompts DATASET.npy] [--output FILE.npy]
      fetch a gpt-f32 job's result from its provider with requests signed by the requester's
      key, check every chunk's proof against the on-chain output root, and print each prompt
      with its generated text (a dataset job's prompts from --prompts, checked against the chain)`

// errUsage reports a command line that does not match usage.
var errUsage = errors.New(usage)

func run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "model":
		return writeModel(args[1:], out)
	case "prompts":
		return writePrompts(args[1:], out)
	case "text":
		return printText(args[1:], out)
	}
	return errUsage
}

// parse parses a subcommand's flags, which may come before or after its
// positional arguments, and returns the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, fmt.Errorf("%w\n\n%s", err, usage)
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// ExampleConfig is the byte-level model the README walks through.
var ExampleConfig = workload.GPTConfig{Layers: 2, Heads: 4, Embed: 64, Vocab: 256, Context: 128}

func writeModel(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("model", flag.ContinueOnError)
	cfg := ExampleConfig
	seed := fs.Uint64("seed", 1, "seed of the weights")
	fs.IntVar(&cfg.Layers, "layers", cfg.Layers, "transformer blocks")
	fs.IntVar(&cfg.Heads, "heads", cfg.Heads, "attention heads")
	fs.IntVar(&cfg.Embed, "embed", cfg.Embed, "embedding width")
	fs.IntVar(&cfg.Context, "context", cfg.Context, "context length")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errUsage
	}
	m, err := workload.RandomGPT(cfg, *seed)
	if err != nil {
		return err
	}
	data, err := workload.EncodeGPTSafetensors(m)
	if err != nil {
		return err
	}
	if err := os.WriteFile(pos[0], data, 0o644); err != nil {
		return err
	}
	js, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %s: gpt-f32 %s, %d parameters, seed %d\nsha256 %s\n--gpt '%s'\n",
		pos[0], js, cfg.Params(), *seed, workload.SHA256Hex(data), js)
	return nil
}

func writePrompts(args []string, out io.Writer) error {
	pos, err := parse(flag.NewFlagSet("prompts", flag.ContinueOnError), args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return errUsage
	}
	texts := pos[1:]
	width := 0
	for _, t := range texts {
		if t == "" {
			return errors.New("a prompt is empty")
		}
		width = max(width, len(t))
	}
	m := &workload.TokenMatrix{Rows: len(texts), Cols: width, Data: make([]int32, len(texts)*width)}
	for r, t := range texts {
		row := m.Row(r)
		for c := range row {
			row[c] = workload.PromptPad
			if c < len(t) {
				row[c] = int32(t[c])
			}
		}
	}
	data, err := workload.EncodeNPYInt32(m)
	if err != nil {
		return err
	}
	if err := os.WriteFile(pos[0], data, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %s: %d prompts of up to %d byte tokens (npy-i32), sha256 %s\n", pos[0], len(texts), width, workload.SHA256Hex(data))
	return nil
}

func printText(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("text", flag.ContinueOnError)
	var o fetchOpts
	fs.StringVar(&o.node, "node", "127.0.0.1:9090", "gRPC address of an aichaind node")
	fs.StringVar(&o.home, "home", os.ExpandEnv("$HOME/.aichain"), "directory of the keyring that holds --from")
	fs.StringVar(&o.keyringBackend, "keyring-backend", "test", "keyring backend: test | file | os")
	fs.StringVar(&o.from, "from", "", "key of the job's requester, which signs the chunk requests (required)")
	fs.StringVar(&o.promptsFile, "prompts", "", "the prompt dataset's .npy file, checked against the chain, to show a dataset job's prompts")
	output := fs.String("output", "", "also write the verified output rows to this .npy file (float32)")
	timeout := fs.Duration("timeout", time.Minute, "give up after this long")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errUsage
	}
	if o.from == "" {
		return fmt.Errorf("--from KEY is required: the provider serves a job's chunks to its requester\n\n%s", usage)
	}
	var id uint64
	if _, err := fmt.Sscan(pos[0], &id); err != nil || id == 0 {
		return fmt.Errorf("job id %q is not a positive integer", pos[0])
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	res, err := fetchResult(ctx, o, id)
	if err != nil {
		return err
	}
	res.print(out)
	if *output != "" {
		return res.writeNPY(*output, out)
	}
	return nil
}
