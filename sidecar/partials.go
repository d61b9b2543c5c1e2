package sidecar

import (
	"sync"
	"time"
)

// partialWeights keeps what a check received of a model's weights from a
// provider when it gave up before the end (every attempt answered busy, or
// the check's time ran out), for the next check of that model at that
// provider to ask for the rest (a Range request from where it stopped).
//
// Each check started again from byte 0: under contention a provider's
// freed slot goes to the validator that resumes its file
// (jobexec.WeightsSlots), and a sidecar that had given up asked as a
// newcomer, behind validators that had merely waited longer, and fetched
// again what it had
// (TestWeightsPartialCopyResumedByTheNextCheck).
//
// Bytes are kept by provider and sha256: bytes one provider sent are only
// ever continued by the same provider, whose whole answer is then checked
// against the sha256 (a hostile provider of another job on the same model
// cutting a transfer of junk must not make an honest provider's weights
// fail their check: TestAttackJunkFromOneProviderContinuedByAnother). At
// most partialMax bytes are kept in all (MaxWeightsBytes: one model's
// worth, the oldest dropped first), each for partialTTL, and only runs of
// at least freeCutBytes.
type partialWeights struct {
	mu   sync.Mutex
	max  int64
	held int64
	m    map[partialKey]*partial
}

type partialKey struct{ endpoint, sha string }

type partial struct {
	data []byte
	at   time.Time // when it was kept
}

// partialTTL is how long a partial copy is kept: the provider's memory of
// where a validator's transfer stopped (jobexec.WeightsPaceMemory), past a
// job's verification window.
const partialTTL = 10 * time.Minute

// partialsKept bounds the partial copies kept at once.
const partialsKept = 16

// take removes and returns the bytes kept of sha from endpoint (nil if
// none, or kept more than partialTTL before now).
func (p *partialWeights) take(endpoint, sha string, now time.Time) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := partialKey{endpoint, sha}
	e, ok := p.m[k]
	if !ok {
		return nil
	}
	delete(p.m, k)
	p.held -= int64(cap(e.data))
	if now.Sub(e.at) > partialTTL {
		return nil
	}
	return e.data
}

// put keeps data, what a check received of sha from endpoint, at now,
// dropping the oldest copies kept to make room; data shorter than
// freeCutBytes, or whose buffer is larger than the whole bound, is not
// kept (a buffer counts whole: the memory it holds).
func (p *partialWeights) put(endpoint, sha string, data []byte, now time.Time) {
	n := int64(cap(data))
	if len(data) < freeCutBytes || n > p.max {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[partialKey]*partial{}
	}
	k := partialKey{endpoint, sha}
	if e, ok := p.m[k]; ok { // a concurrent check of the same model kept one
		p.held -= int64(cap(e.data))
		delete(p.m, k)
	}
	for len(p.m) > 0 && (p.held+n > p.max || len(p.m) >= partialsKept) {
		var oldest partialKey
		var at time.Time
		for k, e := range p.m {
			if at.IsZero() || e.at.Before(at) {
				oldest, at = k, e.at
			}
		}
		p.held -= int64(cap(p.m[oldest].data))
		delete(p.m, oldest)
	}
	p.m[k] = &partial{data: data, at: now}
	p.held += n
}

// drop forgets every copy kept of sha (the weights came whole).
func (p *partialWeights) drop(sha string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, e := range p.m {
		if k.sha == sha {
			p.held -= int64(cap(e.data))
			delete(p.m, k)
		}
	}
}
