// Package pagelimit is the one page bound of every list query a node
// serves: aichain's modules apply it in their own pagination
// (x/internal/modkit), and the app applies it to every other query
// service's requests (the SDK's and IBC's) on the gRPC server and on ABCI
// Query, so that no single request, which anyone can send a public node,
// makes it read and encode a whole collection.
package pagelimit

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/types/query"
)

// Max is the most entries one page of any list query holds: a larger
// limit is lowered to it (the page's next_key then leads on). A request
// without a limit gets the SDK's default page, query.DefaultLimit (100).
// An offset above Max is refused: the SDK reaches an offset by stepping
// over every entry before it.
const Max = 1000

// Bound returns a copy of req (the caller's request is not changed) whose
// work is bounded by the page, not the collection:
//   - no request or a limit of 0 takes query.DefaultLimit, without the
//     count_total that the SDK would turn on for it (counting walks the whole
//     collection; a client that wants the total asks for it);
//   - a limit above Max is lowered to it;
//   - an offset above Max is refused (InvalidArgument): the SDK reaches an
//     offset by stepping over every entry before it, so a deep page is
//     reached with pagination.key, the previous page's next_key.
func Bound(req *query.PageRequest) (*query.PageRequest, error) {
	var page query.PageRequest
	if req != nil {
		page = *req
	}
	if page.Offset > Max {
		return nil, status.Errorf(codes.InvalidArgument,
			"pagination offset %d is above %d: page on with pagination.key set to the previous page's next_key",
			page.Offset, Max)
	}
	if page.Limit == 0 {
		page.Limit = query.DefaultLimit
	}
	if page.Limit > Max {
		page.Limit = Max
	}
	return &page, nil
}
