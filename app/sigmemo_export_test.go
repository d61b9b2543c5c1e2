package app

// SigMemoLen is how many signatures the node's memo of verified
// signatures (shared by CheckTx, the block and the tx service's precheck)
// holds.
func (app *App) SigMemoLen() int {
	app.precheck.memo.mu.Lock()
	defer app.precheck.memo.mu.Unlock()
	return len(app.precheck.memo.set)
}
