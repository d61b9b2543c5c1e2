package workload

import "testing"

// TestDecodeBytesOfAFewShortPromptsIsTheirs: DecodeBytes is what a provider's
// memory admission counts for a gpt-f32 job (jobexec: BidShape.ExecBytes),
// so an overcount makes an honest provider refuse jobs it could run. It
// counted a whole batch's key and value caches (gptCacheBudget, 256 MiB)
// whatever the number of prompts: four prompts of 8 tokens through a small
// model, whose decode holds a few hundred KiB, were admitted at 256 MiB.
// A batch holds the caches of the prompts in it, at most rows of them
// (gptDecoder.run). The count stays an upper bound (it must never be below
// the peak, TestAttackOneStepDecodeOfAWholeBatchOutgrowsDecodeBytes) and is
// now within 4 × the peak, with the prompts' logits (held on the host) added
// to both.
func TestDecodeBytesOfAFewShortPromptsIsTheirs(t *testing.T) {
	cfg := GPTConfig{Layers: 2, Heads: 2, Embed: 64, Vocab: 256, Context: 1024}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	m, err := RandomGPT(cfg, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ rows, width, maxNew int }{{1, 8, 8}, {4, 8, 8}, {64, 32, 16}} {
		if err := cfg.CheckDecode(c.width, c.maxNew); err != nil {
			t.Fatal(err)
		}
		peak, _ := decodePeak(t, m, c.rows, c.width, c.maxNew)
		held := peak + uint64(c.rows*cfg.Vocab)*4 // and the logits
		admitted := cfg.DecodeBytes(c.rows, c.width, c.maxNew)
		t.Logf("%d prompts of %d tokens, %d new: peak %d bytes with the logits; DecodeBytes %d (%.1f×)",
			c.rows, c.width, c.maxNew, held, admitted, float64(admitted)/float64(held))
		if admitted < held {
			t.Errorf("%d prompts: DecodeBytes %d below the peak %d", c.rows, admitted, held)
		}
		if admitted > 4*held {
			t.Errorf("%d prompts of %d tokens: DecodeBytes %d is %.0f× the %d bytes their decode holds: an honest provider refuses jobs it could run",
				c.rows, c.width, admitted, float64(admitted)/float64(held), held)
		}
	}
}
