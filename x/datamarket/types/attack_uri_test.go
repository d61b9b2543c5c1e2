package types_test

import (
	"errors"
	"testing"

	"github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackListsURIWithoutHostOrWithBidiOverride: ValidateURI promised "an
// http or https URL with a host, no spaces or control characters". It
// checked url.URL.Host, which is the host AND port: "http://:8090/iris" has
// Host ":8090" and no host name, and cannot be fetched by any provider; it
// took any digits for a port; and it refused only unicode.IsControl (Cc)
// runes, so a right-to-left override (U+202E, category Cf) passed and
// reached every provider's logs and UI reversed, the display spoofing the
// control-character rule was meant to stop. All are ErrInvalidDataset now;
// IPv6, IDN, userinfo and query strings still pass.
func TestAttackListsURIWithoutHostOrWithBidiOverride(t *testing.T) {
	for _, uri := range []string{
		"http://:8090/iris",
		"https://:443",
		"http://\u202egro.elpmaxe-atad/iris",
		"http://data.example/\u2066iris\u2069",
		"http://data.example/\u202airis",
		"http://data.example/iris?name=\u200d",
		"http://data.example:99999999/iris",
		"http://data.example:65536/iris",
		"http://data.example:0/iris",
		"http://data.example:/iris",
		"http://[::1]:70000/iris",
		"http://[::1]:/iris",
		"http://user:pass@:8090/iris",
	} {
		if err := types.ValidateURI(uri); !errors.Is(err, types.ErrInvalidDataset) {
			t.Errorf("ValidateURI(%q) = %v, want ErrInvalidDataset: no fetchable host, an invalid port or a format character", uri, err)
		}
	}
	for _, uri := range []string{
		"http://127.0.0.1:8090",
		"http://data.example:1/iris",
		"https://data.example:65535/iris",
		"http://[::1]/iris",
		"http://[2001:db8::1]:8090/iris",
		"https://bücher.example/daten",
		"https://xn--bcher-kva.example/daten",
		"https://user:secret@data.example/iris?v=2&fmt=npy#part",
		"HTTPS://mirror.example:8443/data",
		"http://data.example/\u05d3\u05d0\u05d8\u05d4",
	} {
		if err := types.ValidateURI(uri); err != nil {
			t.Errorf("ValidateURI(%q) refused a fetchable uri: %v", uri, err)
		}
	}
}
