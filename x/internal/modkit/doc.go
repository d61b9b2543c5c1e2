// Package modkit holds the pieces that aichain's four modules (x/compute,
// x/datamarket, x/modelregistry, x/staking-rewards) share, so that each
// problem is solved once, one way:
//
//   - Paginate and PaginateRef: list queries through a collection or one
//     reference key of an index, with the SDK's PageRequest semantics and
//     gRPC status errors, and work bounded by the page, not the collection
//     (MaxPageLimit: no implicit count_total, offsets and counts capped).
//   - DrainDue: the due-queue drain of a Begin/EndBlocker, with one failure
//     policy (each entry in its own cache context, a recover, a failed entry
//     re-queued behind the backlog with an event; never dropped, never halting
//     the block).
//   - Payout: paying an amount over revenue shares (the fee part to the
//     reward pool, the module-account check of CheckShares, a cache context,
//     the remainder rule in one place); NewModuleAccounts tells module
//     accounts apart through x/auth.
//   - EmitTypedEvent: a typed event, attribute for attribute what the SDK's
//     EventManager.EmitTypedEvent makes, at a twentieth of its cost (modules
//     emit through it, not through the event manager's).
//   - CacheContext: the SDK's cache context with the stores branched on first
//     use, and RunCached, all or nothing on top of it.
//   - CheckAuthority, Signer and Canonical: the message server's authority
//     check, signer decoding, and the one spelling of an address to store.
//
// The package is internal to x/: only modules import it.
package modkit
