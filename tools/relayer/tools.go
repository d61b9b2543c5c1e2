//go:build tools

// Package relayer pins the Go relayer (rly) that the IBC end-to-end test and
// `make localnet-ibc` run between two aichain chains. It is a module of its
// own: the relayer pulls its own SDK and ibc-go versions, which must not
// leak into aichain's go.mod. `make relayer` builds build/rly from it.
package relayer

import _ "github.com/cosmos/relayer/v2"
