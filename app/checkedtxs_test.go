package app

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
)

// TestCheckedTxsBounded: however many transactions CheckTx admits, at most
// the limit are remembered, the newest among them; one forgotten is gone
// from both generations.
func TestCheckedTxsBounded(t *testing.T) {
	const limit = 100
	c := newCheckedTxs(limit, 1<<20)
	kind := reflect.TypeOf(t)
	for i := 0; i < 3*limit+7; i++ {
		c.add([]byte(fmt.Sprintf("tx-%d", i)), txGasKind{gas: uint64(i), kind: kind})
		if n, _ := c.size(); n > limit {
			t.Fatalf("%d remembered after %d added, limit %d", n, i+1, limit)
		}
	}
	last := []byte(fmt.Sprintf("tx-%d", 3*limit+6))
	if got, ok := c.get(last); !ok || got.gas != 3*limit+6 || got.kind != kind {
		t.Fatalf("the newest: %+v %v", got, ok)
	}
	if _, ok := c.get([]byte("tx-0")); ok {
		t.Fatal("the oldest is still remembered")
	}
	older := []byte(fmt.Sprintf("tx-%d", 3*limit+6-limit/2)) // in the older generation
	if _, ok := c.get(older); !ok {
		t.Fatal("a transaction of the older generation was dropped early")
	}
	n, size := c.size()
	c.forget(older)
	c.forget(last)
	if _, ok := c.get(older); ok {
		t.Fatal("forgotten, still remembered (older generation)")
	}
	if _, ok := c.get(last); ok {
		t.Fatal("forgotten, still remembered (newer generation)")
	}
	if n2, size2 := c.size(); n2 != n-2 || size2 != size-len(older)-len(last) {
		t.Fatalf("after forgetting 2: %d txs of %d bytes, want %d of %d", n2, size2, n-2, size-len(older)-len(last))
	}
}

// TestAttackCheckedTxsLargeTxs: large transactions (CometBFT admits up to
// 1 MB each) are remembered within the byte limit, and one above half of it
// is not remembered at all.
func TestAttackCheckedTxsLargeTxs(t *testing.T) {
	const limitBytes = 10 << 10
	c := newCheckedTxs(1000, limitBytes)
	for i := 0; i < 100; i++ {
		tx := append(bytes.Repeat([]byte{'x'}, 1<<10), fmt.Sprint(i)...)
		c.add(tx, txGasKind{gas: 1})
		if _, size := c.size(); size > limitBytes {
			t.Fatalf("%d bytes remembered after %d txs of 1 KiB, limit %d", size, i+1, limitBytes)
		}
	}
	huge := bytes.Repeat([]byte{'y'}, limitBytes/2+1)
	c.add(huge, txGasKind{gas: 1})
	if _, ok := c.get(huge); ok {
		t.Fatal("a tx above half the byte limit was remembered")
	}
}
