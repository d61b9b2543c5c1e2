package modkit_test

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cosmos/gogoproto/proto"

	sdkmath "cosmossdk.io/math"
	"google.golang.org/protobuf/reflect/protoreflect"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	computetypes "github.com/aichain/aichain/x/compute/types"
	dmtypes "github.com/aichain/aichain/x/datamarket/types"
	"github.com/aichain/aichain/x/internal/modkit"
	mrtypes "github.com/aichain/aichain/x/modelregistry/types"
	srtypes "github.com/aichain/aichain/x/staking-rewards/types"
)

// aichainEvents returns a new value of every message type named Event* in
// an aichain proto package: every typed event the chain emits.
func aichainEvents(t *testing.T) []proto.Message {
	t.Helper()
	// The packages whose events are compared (imported so they register).
	_ = []any{common.EventQueueEntryRetried{}, computetypes.EventJobCreated{}, dmtypes.EventLicensePurchased{},
		mrtypes.EventModelRegistered{}, srtypes.EventLock{}}
	reg, err := proto.MergedRegistry()
	if err != nil {
		t.Fatal(err)
	}
	var out []proto.Message
	reg.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if !strings.HasPrefix(string(fd.Package()), "aichain.") {
			return true
		}
		msgs := fd.Messages()
		for i := range msgs.Len() {
			name := msgs.Get(i).FullName()
			if !strings.HasPrefix(string(name.Name()), "Event") {
				continue
			}
			typ := proto.MessageType(string(name))
			if typ == nil {
				t.Fatalf("%s has no registered Go type", name)
			}
			out = append(out, reflect.New(typ.Elem()).Interface().(proto.Message))
		}
		return true
	})
	return out
}

// strs are values that exercise JSON escaping as encoding/json does it.
var strs = []string{"", "aichain1qyqszqgpqyqszqgpqyqszqgpqyqszqgpjnp7du", "1000uaic,5ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2",
	`quote " backslash \ slash /`, "<html>&amp;</html>", "tab\tnewline\nnul\x00", "ünïcødé 日本", "\u2028\u2029", "bad utf8 \xff\xfe", "\x7f"}

// fill sets every field of the struct v points to at random.
func fill(r *rand.Rand, v reflect.Value) {
	if v.Type() == reflect.TypeFor[sdkmath.Int]() {
		if r.IntN(5) > 0 { // else the zero value, whose big.Int is nil
			v.Set(reflect.ValueOf(sdkmath.NewInt(r.Int64N(1<<62) - 1<<61).MulRaw(1 << 40)))
		}
		return
	}
	switch v.Kind() {
	case reflect.String:
		if r.IntN(3) == 0 {
			b := make([]byte, r.IntN(12))
			for i := range b {
				b[i] = byte(r.IntN(256))
			}
			v.SetString(string(b))
		} else {
			v.SetString(strs[r.IntN(len(strs))])
		}
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 1)
	case reflect.Int32:
		if _, enum := v.Interface().(interface{ String() string }); enum {
			v.SetInt(int64(r.IntN(8) - 1))
		} else {
			v.SetInt(int64([]int32{0, 1, -1, math.MaxInt32, math.MinInt32, r.Int32()}[r.IntN(6)]))
		}
	case reflect.Int64:
		v.SetInt([]int64{0, 1, -1, math.MaxInt64, math.MinInt64, r.Int64()}[r.IntN(6)])
	case reflect.Uint32:
		v.SetUint(uint64([]uint32{0, 1, math.MaxUint32, r.Uint32()}[r.IntN(4)]))
	case reflect.Uint64:
		v.SetUint([]uint64{0, 1, math.MaxUint64, r.Uint64()}[r.IntN(4)])
	case reflect.Slice:
		switch n := r.IntN(4); n {
		case 0: // nil
			v.SetZero()
		default:
			s := reflect.MakeSlice(v.Type(), n-1, n-1)
			for i := range n - 1 {
				fill(r, s.Index(i))
			}
			v.Set(s)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() && !strings.HasPrefix(v.Type().Field(i).Name, "XXX_") {
				fill(r, f)
			}
		}
	case reflect.Pointer:
		if r.IntN(4) == 0 {
			v.SetZero()
			return
		}
		p := reflect.New(v.Type().Elem())
		fill(r, p.Elem())
		v.Set(p)
	}
}

// TestTypedEventIsTheSDKs: for every aichain event type, filled at random
// (escapes, invalid UTF-8, extreme integers, unknown enum values, nil and
// empty lists), TypedEvent is exactly what sdk.TypedEventToEvent makes, and
// sdk.ParseTypedEvent reads it back.
func TestTypedEventIsTheSDKs(t *testing.T) {
	evs := aichainEvents(t)
	if len(evs) < 40 {
		t.Fatalf("found %d aichain event types, expected the chain's ~60", len(evs))
	}
	r := rand.New(rand.NewPCG(1, 2))
	fast, slow := 0, []string{}
	for _, ev := range evs {
		if modkit.FastPath(ev) {
			fast++
		} else {
			slow = append(slow, proto.MessageName(ev))
		}
		for range 200 {
			fill(r, reflect.ValueOf(ev).Elem())
			want, err := sdk.TypedEventToEvent(ev)
			if err != nil {
				t.Fatalf("%T: SDK: %v", ev, err)
			}
			got, err := modkit.TypedEvent(ev)
			if err != nil {
				t.Fatalf("%T: %v", ev, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%T %v:\n got  %v\n want %v", ev, ev, got, want)
			}
		}
	}
	// The events of the busy messages take the fast path; others may not.
	for _, ev := range []proto.Message{&computetypes.EventJobCreated{}, &computetypes.EventJobStateChanged{},
		&computetypes.EventBidCommitted{}, &computetypes.EventBidRevealed{}, &computetypes.EventResultSubmitted{},
		&computetypes.EventJobSampled{}, &dmtypes.EventLicensePurchased{}, &srtypes.EventLock{}, &mrtypes.EventModelRegistered{}} {
		if !modkit.FastPath(ev) {
			t.Errorf("%T takes the SDK's path", ev)
		}
	}
	t.Logf("%d event types, %d on the fast path; the SDK's path: %v", len(evs), fast, slow)
}

func TestTypedEventParsesBack(t *testing.T) {
	in := &computetypes.EventJobSampled{JobId: 7, Selected: true, Indices: []uint64{3, 1 << 60}, SampleRateBps: 250, Deadline: -4}
	e, err := modkit.TypedEvent(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := sdk.ParseTypedEvent(abci.Event(e))
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(in, out) {
		t.Fatalf("parsed %v, emitted %v", out, in)
	}
}

// BenchmarkTypedEvent compares the SDK's typed event with TypedEvent's,
// side by side, on the event every MsgCreateJob emits.
func BenchmarkTypedEvent(b *testing.B) {
	ev := &computetypes.EventJobCreated{JobId: 12345, Requester: strs[1], Kind: "gemm", Escrow: "1000000uaic",
		CommitEnd: 100, RevealEnd: 110, CreationFee: "1000uaic"}
	b.Run("sdk", func(b *testing.B) {
		for b.Loop() {
			if _, err := sdk.TypedEventToEvent(ev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("modkit", func(b *testing.B) {
		for b.Loop() {
			if _, err := modkit.TypedEvent(ev); err != nil {
				b.Fatal(err)
			}
		}
	})
}
