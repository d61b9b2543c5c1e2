// Package archtest holds the repository's architecture tests: on-chain code
// (x/, types/, workload/) imports no off-chain package and nothing that opens
// files or sockets or starts goroutines. It has no code of its own.
package archtest
