//go:build !ve_format_next

package ve

import sdk "github.com/cosmos/cosmos-sdk/types"

// WrittenFormat is the vote-extension format this binary's ExtendVote
// writes (README.md): ExtensionFormat.
const WrittenFormat = ExtensionFormat

// WithWrittenFormat returns the ExtendVote handler unchanged: this binary
// writes ExtensionFormat. A binary built with the ve_format_next tag writes
// the next format instead (format_next.go), for the rolling-upgrade test.
func WithWrittenFormat(h sdk.ExtendVoteHandler) sdk.ExtendVoteHandler { return h }
