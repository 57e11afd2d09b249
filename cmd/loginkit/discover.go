package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/internal/bounded"
)

const discoverHelp = `
Usage: loginkit discover ISSUER [flags]

Fetch ISSUER/.well-known/openid-configuration and the provider's keys, then
report what the provider supports and what looks wrong: an issuer that does
not match, http, no PKCE S256, no iss parameter (RFC 9207), the implicit flow
or the password grant on offer, unsigned or HMAC-signed ID tokens, keys that
leak private parts.

Exit status: 0 when nothing is a problem (warnings allowed), 1 when a problem
is found or the document cannot be fetched, 2 for a bad command line.`

// report is what discover found, also its --json output.
type report struct {
	Issuer   string          `json:"issuer"`
	Supports []support       `json:"supports"`
	Findings []finding       `json:"findings"`
	Keys     []keyInfo       `json:"keys"`
	Metadata json.RawMessage `json:"metadata"`
}

type support struct {
	Feature string `json:"feature"`
	Value   string `json:"value"`
}

type keyInfo struct {
	Kid string `json:"kid,omitempty"`
	Kty string `json:"kty"`
	Alg string `json:"alg,omitempty"`
	Use string `json:"use,omitempty"`
}

func (a *app) discover(ctx context.Context, args []string) int {
	f := newFlags("discover", discoverHelp)
	asJSON := f.Bool("json", false, "print the report as JSON")
	timeout := f.Duration("timeout", 10*time.Second, "timeout of each request")
	pos, code, ok := a.parse(f, args, 1)
	if !ok {
		return code
	}
	issuer := pos[0]
	hc := bounded.Client(a.httpClient, *timeout, 0)
	_, raw, err := client.FetchMetadata(ctx, hc, issuer)
	if err != nil {
		return a.fail("discover", err)
	}
	var d document
	if err := json.Unmarshal(raw, &d); err != nil {
		return a.fail("discover", fmt.Errorf("%w: %v", client.ErrDiscovery, err))
	}
	r := &report{Issuer: issuer, Supports: supports(&d), Findings: checkDocument(issuer, &d), Metadata: raw}
	if d.JWKSURL != "" {
		keys, findings := checkKeys(ctx, hc, d.JWKSURL)
		r.Keys = keys
		r.Findings = append(r.Findings, findings...)
		slices.SortStableFunc(r.Findings, func(a, b finding) int { return rank(a.Severity) - rank(b.Severity) })
	}
	if *asJSON {
		writeJSON(a.stdout, r)
	} else {
		printReport(a.stdout, r, &d)
	}
	for _, f := range r.Findings {
		if f.Severity == problem {
			return exitFail
		}
	}
	return exitOK
}

// supports summarises the features a client would use.
func supports(d *document) []support {
	grants := d.GrantTypes
	if len(grants) == 0 {
		grants = []string{"authorization_code", "implicit"} // RFC 8414 §2 default
	}
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	pkce := "not advertised"
	if len(d.CodeChallengeMethods) > 0 {
		pkce = strings.Join(d.CodeChallengeMethods, ", ")
	}
	list := func(l []string, def string) string {
		if len(l) == 0 {
			return def
		}
		return strings.Join(l, ", ")
	}
	return []support{
		{"authorization code flow", yes(d.AuthURL != "" && slices.Contains(grants, "authorization_code"))},
		{"PKCE methods", pkce},
		{"iss in responses (RFC 9207)", yes(d.IssParameterSupported)},
		{"refresh tokens", yes(slices.Contains(grants, "refresh_token"))},
		{"client credentials", yes(slices.Contains(grants, "client_credentials"))},
		{"device authorization (RFC 8628)", yes(d.DeviceAuthURL != "")},
		{"dynamic registration (RFC 7591)", yes(d.RegistrationURL != "")},
		{"pushed authorization requests (RFC 9126)", yes(d.PARURL != "")},
		{"revocation (RFC 7009)", yes(d.RevocationURL != "")},
		{"introspection (RFC 7662)", yes(d.IntrospectionURL != "")},
		{"RP-initiated logout", yes(d.EndSessionURL != "")},
		{"back-channel logout", yes(d.BackchannelLogout)},
		{"response types", list(d.ResponseTypes, "not advertised")},
		{"response modes", list(d.ResponseModes, "query, fragment (default)")},
		{"client authentication", list(d.AuthMethods, "client_secret_basic (default)")},
		{"ID token algorithms", list(d.IDTokenAlgs, "not advertised")},
	}
}

// checkKeys fetches the JWKS and reports its keys; any private part in a
// published key is a problem, as is a symmetric key.
func checkKeys(ctx context.Context, hc *http.Client, jwksURL string) ([]keyInfo, []finding) {
	ctx, cancel := context.WithTimeout(ctx, bounded.Timeout(hc))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, jwksURL, nil)
	if err != nil {
		return nil, []finding{{problem, fmt.Sprintf("jwks_uri: %v", err)}}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, []finding{{problem, fmt.Sprintf("jwks_uri cannot be fetched: %v", err)}}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, []finding{{problem, fmt.Sprintf("jwks_uri answered HTTP %d", resp.StatusCode)}}
	}
	body, err := bounded.ReadAll(resp.Body, bounded.DefaultMaxBytes)
	if err != nil {
		return nil, []finding{{problem, fmt.Sprintf("jwks_uri cannot be read: %v", err)}}
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, []finding{{problem, "jwks_uri is not a JSON Web Key Set"}}
	}
	var keys []keyInfo
	var out []finding
	for _, k := range set.Keys {
		ki := keyInfo{Kid: str(k["kid"]), Kty: str(k["kty"]), Alg: str(k["alg"]), Use: str(k["use"])}
		keys = append(keys, ki)
		if _, private := k["d"]; private || ki.Kty == "oct" {
			out = append(out, finding{problem, fmt.Sprintf("key %q publishes private or symmetric key material", ki.Kid)})
		}
		if ki.Kid == "" && len(set.Keys) > 1 {
			out = append(out, finding{warning, "a key has no kid among several: clients cannot pick it"})
		}
	}
	if len(keys) == 0 {
		out = append(out, finding{problem, "the key set is empty: no ID token can be verified"})
	}
	return keys, out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func printReport(w io.Writer, r *report, d *document) {
	fmt.Fprintf(w, "Issuer  %s\n\nSupports\n", r.Issuer)
	for _, s := range r.Supports {
		fmt.Fprintf(w, "  %-42s %s\n", s.Feature, s.Value)
	}
	fmt.Fprintln(w, "\nEndpoints")
	for _, e := range endpoints(d) {
		fmt.Fprintf(w, "  %-30s %s\n", e.name, e.url)
	}
	fmt.Fprintf(w, "\nKeys (%d)\n", len(r.Keys))
	for _, k := range r.Keys {
		fmt.Fprintf(w, "  %-8s %-8s %-4s %s\n", k.Kty, k.Alg, k.Use, k.Kid)
	}
	counts := map[severity]int{}
	fmt.Fprintln(w, "\nFindings")
	if len(r.Findings) == 0 {
		fmt.Fprintln(w, "  nothing looks wrong")
	}
	for _, f := range r.Findings {
		counts[f.Severity]++
		fmt.Fprintf(w, "  %-8s %s\n", f.Severity, f.Message)
	}
	fmt.Fprintf(w, "\n%d problem(s), %d warning(s), %d note(s).\n", counts[problem], counts[warning], counts[note])
}
