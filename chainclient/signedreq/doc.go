// Package signedreq is the one signed-request scheme of aichain's off-chain
// servers: the dataset server, the provider's chunk server, and the CLI
// commands and agents that call them.
//
// A request is signed as an ADR-036 arbitrary message, which Keplr's and
// Leap's signArbitrary produce and a Ledger signs: the amino-JSON StdSignDoc
//
//	{"account_number":"0","chain_id":"","fee":{"amount":[],"gas":"0"},"memo":"",
//	 "msgs":[{"type":"sign/MsgSignData","value":{"data":BASE64,"signer":ADDR}}],"sequence":"0"}
//
// (keys sorted, no spaces), whose data is the canonical text of the request
// (Payload):
//
//	aichain-signed-request/v1
//	audience:https://data.example.org
//	method:GET
//	uri:/v1/datasets/7?version=2
//	address:aic1…
//	timestamp:1767225600
//	nonce:9f86d081884c7d65
//
// The audience is the server's own base URL (scheme://host[:port], lower
// case, default ports dropped): a request signed for one server is refused
// by every other. The headers carry the fields and the secp256k1 key:
//
//	X-Aichain-Address    bech32 account address (the signer)
//	X-Aichain-Pubkey     base64 of the 33-byte compressed secp256k1 public key
//	X-Aichain-Audience   the audience signed
//	X-Aichain-Timestamp  Unix seconds when signed
//	X-Aichain-Nonce      8..128 characters of [0-9A-Za-z_-], fresh per request
//	X-Aichain-Signature  base64 of the 64-byte signature (r‖s) over the sign doc
//
// A server checks, with no disk or chain work: every header present, the
// audience its own, the timestamp within its window, the key's address equal
// to the signer, and the signature. It then knows the signer by its canonical
// address (lower case), however the request spells it: bech32 also reads an
// all-upper-case address, which must not make one key two accounts. Only
// then does it check what the signer may read (a licence, a job) and, once
// access is granted, record the nonce (NonceStore) so that the same request
// is refused if replayed.
package signedreq
