package cuda

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/testutil/vectors"
	"github.com/aichain/aichain/workload"
)

func TestOpenWithoutDriver(t *testing.T) {
	b, err := Open()
	if err == nil {
		b.Close()
		t.Skip("a working CUDA device is present; nothing to test here")
	}
	if !IsUnavailable(err) {
		t.Fatalf("Open error %v is not ErrNoDriver/ErrNoDevice", err)
	}
	if errors.Is(err, ErrNoDriver) && !strings.Contains(err.Error(), "libcuda.so.1") {
		t.Fatalf("error does not name the library: %v", err)
	}
}

func TestErrorMapping(t *testing.T) {
	cases := []struct {
		code           int
		driver, device bool
	}{
		{100, false, true}, {101, false, true}, {35, true, false}, {34, true, false}, {802, true, false}, {2, false, false}, {999, false, false},
	}
	for _, c := range cases {
		e := &Error{Op: "cuInit", Code: c.code, Msg: "m"}
		if errors.Is(e, ErrNoDriver) != c.driver || errors.Is(e, ErrNoDevice) != c.device {
			t.Errorf("code %d: driver=%v device=%v", c.code, errors.Is(e, ErrNoDriver), errors.Is(e, ErrNoDevice))
		}
		if !strings.Contains(e.Error(), "cuInit") {
			t.Errorf("message %q lacks the op", e.Error())
		}
	}
}

func TestFakeDeviceServes(t *testing.T) {
	f := newFake()
	b, err := openWith(f, densePTX)
	if err != nil {
		t.Fatal(err)
	}
	if b.Name() != "cuda" || b.Device() != "Fake GPU" {
		t.Fatalf("name %q device %q", b.Name(), b.Device())
	}
	if len(f.mem) != 0 {
		t.Fatalf("self-test leaked %d device buffers", len(f.mem))
	}
	vf, err := vectors.LoadVectors("../../workload/testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vf.Vectors {
		if err := v.Check(context.Background(), b, "../../workload/testdata"); err != nil {
			t.Error(err)
		}
	}
	if len(f.mem) != 0 {
		t.Fatalf("Dense leaked %d device buffers", len(f.mem))
	}
	if _, err := b.Dense(context.Background(), make([]float32, 3), 2, 2, make([]float32, 4), nil, 2, false); !errors.Is(err, workload.ErrShape) {
		t.Fatalf("bad shape: %v", err)
	}
	if _, err := b.Dense(context.Background(), make([]float32, 1), 1, 1, make([]float32, 4200000), nil, 4200000, false); !errors.Is(err, workload.ErrShape) {
		t.Fatalf("grid limit: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if len(f.contexts) != 0 || len(f.modules) != 0 {
		t.Fatalf("Close left %d contexts and %d modules", len(f.contexts), len(f.modules))
	}
	if _, err := b.Dense(context.Background(), []float32{1}, 1, 1, []float32{1}, nil, 1, false); !errors.Is(err, ErrClosed) {
		t.Fatalf("Dense after Close: %v", err)
	}
}

func TestFakeSelfTestMismatch(t *testing.T) {
	for _, at := range []int{1, 4, len(selfTestShapes) + 1} {
		f := newFake()
		f.corrupt, f.corruptAt = true, at
		b, err := openWith(f, densePTX)
		if !errors.Is(err, ErrSelfTestMismatch) || b != nil {
			t.Fatalf("corrupt from launch %d: backend %v, err %v", at, b, err)
		}
		if len(f.contexts) != 0 || len(f.modules) != 0 || len(f.mem) != 0 {
			t.Fatalf("failed Open left %d contexts, %d modules, %d buffers", len(f.contexts), len(f.modules), len(f.mem))
		}
	}
}

func TestFakeDriverFailures(t *testing.T) {
	f := newFake()
	f.devices = 0
	if _, err := openWith(f, densePTX); !errors.Is(err, ErrNoDevice) {
		t.Fatalf("0 devices: %v", err)
	}
	f = newFake()
	f.initErr = &Error{Op: "cuInit", Code: 100, Msg: "no CUDA-capable device is detected"}
	if _, err := openWith(f, densePTX); !errors.Is(err, ErrNoDevice) {
		t.Fatalf("cuInit 100: %v", err)
	}
	f = newFake()
	if _, err := openWith(f, nil); err == nil || IsUnavailable(err) || len(f.contexts) != 0 {
		t.Fatalf("bad module: %v (%d contexts left)", err, len(f.contexts))
	}
	f = newFake()
	f.allocErrAt = 3
	_, err := openWith(f, densePTX)
	var ce *Error
	if !errors.As(err, &ce) || ce.Code != 2 || IsUnavailable(err) {
		t.Fatalf("allocation failure: %v", err)
	}
	if len(f.mem) != 0 || len(f.contexts) != 0 {
		t.Fatalf("allocation failure leaked %d buffers, %d contexts", len(f.mem), len(f.contexts))
	}
}

func TestPTXRule(t *testing.T) {
	for name, ptx := range map[string]string{"dense.ptx": string(PTX()), "gpt.ptx": string(GPTPTX())} {
		want := []string{"mul.rn.f32", "add.rn.f32"}
		if name == "dense.ptx" {
			want = append(want, ".entry "+KernelName+"(", "0f7FC00000")
		} else {
			for _, k := range gptKernelNames {
				want = append(want, ".entry "+k+"(")
			}
			want = append(want, "div.rn.f32", "sqrt.rn.f32")
		}
		for _, w := range want {
			if !strings.Contains(ptx, w) {
				t.Errorf("%s lacks %q", name, w)
			}
		}
		for _, bad := range []string{"fma.", "mad.", ".ftz", ".approx", "ex2.", "tanh."} {
			if strings.Contains(ptx, bad) {
				t.Errorf("%s contains %q: the arithmetic rule forbids fused, flushed or approximate operations", name, bad)
			}
		}
	}
}

// TestPTXUpToDate recompiles dense.cu and gpt.cu with clang-19 and compares
// the results with the committed PTX byte for byte.
func TestPTXUpToDate(t *testing.T) {
	if _, err := exec.LookPath("clang-19"); err != nil {
		t.Skip("clang-19 not on PATH (install Debian package clang-19); cannot check the PTX against the .cu sources")
	}
	dir := t.TempDir()
	cmd := exec.Command("sh", "gen-ptx.sh", dir)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen-ptx.sh: %v\n%s", err, msg)
	}
	for name, committed := range map[string][]byte{"dense.ptx": densePTX, "gpt.ptx": gptPTX} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, committed) {
			t.Errorf("%s is stale: run accel/cuda/gen-ptx.sh (make ptx) and commit the result", name)
		}
	}
}

func TestGenPTXMissingClang(t *testing.T) {
	cmd := exec.Command("sh", "gen-ptx.sh", t.TempDir())
	cmd.Env = append(os.Environ(), "CLANG=clang-does-not-exist")
	msg, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(msg), "apt-get install clang-19") {
		t.Fatalf("gen-ptx.sh without clang: err %v, output %q", err, msg)
	}
}

// openDevice opens the real device or skips when there is none.
func openDevice(tb testing.TB) *Backend {
	tb.Helper()
	b, err := Open()
	if IsUnavailable(err) {
		tb.Skip("no CUDA device: " + err.Error())
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { b.Close() })
	return b
}

func TestDeviceVectors(t *testing.T) {
	b := openDevice(t)
	vf, err := vectors.LoadVectors("../../workload/testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vf.Vectors {
		if err := v.Check(context.Background(), b, "../../workload/testdata"); err != nil {
			t.Error(err)
		}
	}
}

func TestDeviceMatchesCPU(t *testing.T) {
	b := openDevice(t)
	ctx := context.Background()
	for i, s := range [][3]int{{1, 3000, 1}, {200, 300, 257}, {513, 64, 64}, {1, 1, 5000}} {
		x, w, bias := selfTestOperands(uint64(i), s[0], s[1], s[2], i%2 == 0)
		want, _ := cpu.New().Dense(ctx, x, s[0], s[1], w, bias, s[2], i%3 == 0)
		got, err := b.Dense(ctx, x, s[0], s[1], w, bias, s[2], i%3 == 0)
		if err != nil {
			t.Fatal(err)
		}
		for j := range want {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				t.Fatalf("shape %v value %d: %#08x, CPU %#08x", s, j, math.Float32bits(got[j]), math.Float32bits(want[j]))
			}
		}
	}
}
