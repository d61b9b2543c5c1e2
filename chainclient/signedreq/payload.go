package signedreq

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Header names of a signed request.
const (
	HeaderAddress   = "X-Aichain-Address"
	HeaderPubKey    = "X-Aichain-Pubkey"
	HeaderAudience  = "X-Aichain-Audience"
	HeaderTimestamp = "X-Aichain-Timestamp"
	HeaderNonce     = "X-Aichain-Nonce"
	HeaderSignature = "X-Aichain-Signature"
)

// Domain is the first line of every payload.
const Domain = "aichain-signed-request/v1"

// ErrAudienceURL is a base URL that cannot be an audience.
var ErrAudienceURL = errors.New("not an http(s) base URL")

// Request is what a signature covers.
type Request struct {
	Audience  string
	Method    string
	URI       string // path and query, as sent (http.Request.URL.RequestURI())
	Address   string
	Timestamp int64
	Nonce     string
}

// Payload is the canonical text of r, the data of the ADR-036 message.
func (r Request) Payload() []byte {
	return []byte(strings.Join([]string{
		Domain,
		"audience:" + r.Audience,
		"method:" + r.Method,
		"uri:" + r.URI,
		"address:" + r.Address,
		"timestamp:" + strconv.FormatInt(r.Timestamp, 10),
		"nonce:" + r.Nonce,
	}, "\n"))
}

// SignBytes are the bytes an account signs for r: the ADR-036 sign doc over
// its payload.
func (r Request) SignBytes() []byte { return ADR036SignBytes(r.Address, r.Payload()) }

// ADR036SignBytes returns the amino-JSON StdSignDoc of an ADR-036 arbitrary
// message (sign/MsgSignData) by signer over data, with sorted keys and no
// spaces: chain_id "", account_number and sequence 0, an empty fee and memo.
// The signer is a bech32 address and the data base64, so neither needs JSON
// escaping beyond what strconv.Quote does for ASCII.
func ADR036SignBytes(signer string, data []byte) []byte {
	var b strings.Builder
	b.WriteString(`{"account_number":"0","chain_id":"","fee":{"amount":[],"gas":"0"},"memo":"","msgs":[{"type":"sign/MsgSignData","value":{"data":`)
	b.WriteString(strconv.Quote(base64.StdEncoding.EncodeToString(data)))
	b.WriteString(`,"signer":`)
	b.WriteString(jsonString(signer))
	b.WriteString(`}}],"sequence":"0"}`)
	return []byte(b.String())
}

// jsonString quotes s as JSON does for the printable ASCII of an address;
// any other character is escaped as \u00XX so that the output stays valid
// JSON (such an address never verifies: it is not bech32).
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '&':
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Audience returns the audience of a server from its base URL: scheme and
// host (lower case), with the port unless it is the scheme's default. The
// path, query and user info are dropped.
func Audience(baseURL string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrAudienceURL, baseURL, err)
	}
	scheme := strings.ToLower(u.Scheme)
	if (scheme != "http" && scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%w: %q", ErrAudienceURL, baseURL)
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, nil
}
