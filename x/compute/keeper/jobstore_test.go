package keeper_test

import (
	"fmt"
	"math/rand"
	"sort"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

// TestPutJobKeepsIndexes: random saves (state, requester and winner
// changes) and removals through putJob and removeJob leave every index
// entry that collections' IndexedMap would, and only those; the same
// sequence through IndexedMap.Set and Remove on a second app leaves the
// same store. It also pins JobIndexes to the three indexes putJob knows.
func TestPutJobKeepsIndexes(t *testing.T) {
	fast, ref := apptesting.Setup(t, 1), apptesting.Setup(t, 1)
	kf, kr := fast.ComputeKeeper, ref.ComputeKeeper
	if n := len(kf.Jobs.Indexes.IndexesList()); n != 3 {
		t.Fatalf("JobIndexes has %d indexes; putJob and removeJob know 3: add the new one to them", n)
	}
	rng := rand.New(rand.NewSource(7))
	addrs := []string{"", sdk.AccAddress("addr-a______________").String(), sdk.AccAddress("addr-b______________").String()}
	jobs := map[uint64]types.Job{}
	for step := 0; step < 600; step++ {
		id := uint64(1 + rng.Intn(40))
		j, ok := jobs[id]
		if ok && rng.Intn(8) == 0 {
			must(t, kf.RemoveJob(fast.Ctx, j))
			must(t, kr.Jobs.Remove(ref.Ctx, id))
			delete(jobs, id)
			continue
		}
		j.Id = id
		j.State = types.JobState(1 + rng.Intn(10))
		if !ok || rng.Intn(10) == 0 {
			j.Requester = addrs[1+rng.Intn(2)]
		}
		if rng.Intn(3) == 0 {
			j.Winner = addrs[rng.Intn(3)]
		}
		j.CommitEnd = int64(step)
		must(t, kf.PutJob(fast.Ctx, j))
		must(t, kr.Jobs.Set(ref.Ctx, id, j))
		jobs[id] = j
	}
	if got, want := indexDump(t, kf, fast), indexDump(t, kr, ref); got != want {
		t.Fatalf("index entries differ from IndexedMap's:\n%s\nwant\n%s", got, want)
	}
	// And they are the jobs' own keys.
	var want []string
	for _, j := range jobs {
		want = append(want, fmt.Sprintf("job %d", j.Id), fmt.Sprintf("state %d %d", j.State, j.Id),
			fmt.Sprintf("requester %s %d", j.Requester, j.Id))
		if j.Winner != "" { // no entry for a job without a winner: no query asks for ""
			want = append(want, fmt.Sprintf("provider %s %d", j.Winner, j.Id))
		}
	}
	sort.Strings(want)
	if got := indexDump(t, kf, fast); got != fmt.Sprint(want) {
		t.Fatalf("index entries do not match the jobs:\n%s\nwant\n%v", got, want)
	}
}

// indexDump lists the stored jobs and every index entry, sorted.
func indexDump(t *testing.T, k keeper.Keeper, ta *apptesting.TestApp) string {
	t.Helper()
	var out []string
	must(t, k.Jobs.Walk(ta.Ctx, nil, func(id uint64, _ types.Job) (bool, error) {
		out = append(out, fmt.Sprintf("job %d", id))
		return false, nil
	}))
	st, err := k.Jobs.Indexes.State.Iterate(ta.Ctx, nil)
	must(t, err)
	keys, err := st.FullKeys()
	must(t, err)
	for _, kk := range keys {
		out = append(out, fmt.Sprintf("state %d %d", kk.K1(), kk.K2()))
	}
	rq, err := k.Jobs.Indexes.Requester.Iterate(ta.Ctx, nil)
	must(t, err)
	rkeys, err := rq.FullKeys()
	must(t, err)
	for _, kk := range rkeys {
		out = append(out, fmt.Sprintf("requester %s %d", kk.K1(), kk.K2()))
	}
	pv, err := k.Jobs.Indexes.Provider.Iterate(ta.Ctx, nil)
	must(t, err)
	pkeys, err := pv.FullKeys()
	must(t, err)
	for _, kk := range pkeys {
		out = append(out, fmt.Sprintf("provider %s %d", kk.K1(), kk.K2()))
	}
	sort.Strings(out)
	return fmt.Sprint(out)
}
