package main

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
)

// document is the part of a discovery document (OpenID Connect Discovery 1.0
// §3, RFC 8414 §2) that discover reports on.
type document struct {
	Issuer                string   `json:"issuer"`
	AuthURL               string   `json:"authorization_endpoint"`
	TokenURL              string   `json:"token_endpoint"`
	UserInfoURL           string   `json:"userinfo_endpoint"`
	JWKSURL               string   `json:"jwks_uri"`
	RevocationURL         string   `json:"revocation_endpoint"`
	IntrospectionURL      string   `json:"introspection_endpoint"`
	EndSessionURL         string   `json:"end_session_endpoint"`
	DeviceAuthURL         string   `json:"device_authorization_endpoint"`
	RegistrationURL       string   `json:"registration_endpoint"`
	PARURL                string   `json:"pushed_authorization_request_endpoint"`
	ResponseTypes         []string `json:"response_types_supported"`
	ResponseModes         []string `json:"response_modes_supported"`
	GrantTypes            []string `json:"grant_types_supported"`
	Scopes                []string `json:"scopes_supported"`
	IDTokenAlgs           []string `json:"id_token_signing_alg_values_supported"`
	AuthMethods           []string `json:"token_endpoint_auth_methods_supported"`
	CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
	IssParameterSupported bool     `json:"authorization_response_iss_parameter_supported"`
	BackchannelLogout     bool     `json:"backchannel_logout_supported"`
}

// severity of a finding.
type severity string

const (
	problem severity = "PROBLEM" // loginkit refuses it, or it is unsafe
	warning severity = "WARNING" // works, but weaker than it should be
	note    severity = "note"    // worth knowing
)

type finding struct {
	Severity severity `json:"severity"`
	Message  string   `json:"message"`
}

// checkDocument reports what looks wrong in the document fetched for
// issuer, most serious first. Each check is one function.
func checkDocument(issuer string, d *document) []finding {
	var out []finding
	for _, check := range []func(string, *document) []finding{
		checkIssuer, checkEndpoints, checkPKCE, checkIssParameter, checkLegacyFlows, checkAlgs, checkScopes, checkModes,
	} {
		out = append(out, check(issuer, d)...)
	}
	slices.SortStableFunc(out, func(a, b finding) int { return rank(a.Severity) - rank(b.Severity) })
	return out
}

func rank(s severity) int {
	switch s {
	case problem:
		return 0
	case warning:
		return 1
	}
	return 2
}

// checkIssuer: the document must name the issuer it was fetched for
// (Discovery §4.3), over https unless on this machine.
func checkIssuer(issuer string, d *document) []finding {
	var out []finding
	switch {
	case d.Issuer == "":
		out = append(out, finding{problem, "the document has no issuer"})
	case d.Issuer != issuer && strings.TrimSuffix(d.Issuer, "/") == strings.TrimSuffix(issuer, "/"):
		out = append(out, finding{problem, fmt.Sprintf("issuer is %q: it differs from %q by a trailing slash, and issuers are compared exactly; use the document's spelling", d.Issuer, issuer)})
	case d.Issuer != issuer:
		out = append(out, finding{problem, fmt.Sprintf("issuer mismatch: the document says %q, not %q; clients must refuse it (Discovery §4.3)", d.Issuer, issuer)})
	}
	if u, err := url.Parse(issuer); err == nil && u.Scheme == "http" {
		if isLoopback(u) {
			out = append(out, finding{note, "the issuer uses http on this machine: fine for testing, never in production"})
		} else {
			out = append(out, finding{problem, "the issuer uses http: codes and tokens would cross the network in clear; use https"})
		}
	}
	return out
}

// checkEndpoints: the ones a login needs must be there, and none on http
// off this machine.
func checkEndpoints(issuer string, d *document) []finding {
	var out []finding
	for name, v := range map[string]string{"authorization_endpoint": d.AuthURL, "token_endpoint": d.TokenURL, "jwks_uri": d.JWKSURL} {
		if v == "" {
			out = append(out, finding{problem, name + " is missing: loginkit cannot sign anyone in"})
		}
	}
	if d.UserInfoURL == "" {
		out = append(out, finding{note, "no userinfo_endpoint: profiles come from the ID token only"})
	}
	for _, e := range endpoints(d) {
		u, err := url.Parse(e.url)
		switch {
		case err != nil || !u.IsAbs():
			out = append(out, finding{problem, fmt.Sprintf("%s %q is not an absolute URL", e.name, e.url)})
		case u.Scheme == "http" && !isLoopback(u):
			out = append(out, finding{problem, fmt.Sprintf("%s uses http: %s", e.name, e.url)})
		}
	}
	slices.SortFunc(out, func(a, b finding) int { return strings.Compare(a.Message, b.Message) })
	return out
}

// checkPKCE: loginkit sends S256 always and refuses a provider that lists
// methods without it (RFC 7636, RFC 9700 §2.1.1).
func checkPKCE(_ string, d *document) []finding {
	switch {
	case len(d.CodeChallengeMethods) == 0:
		return []finding{{warning, "code_challenge_methods_supported is missing: PKCE support is unknown; loginkit sends S256 anyway, check that the provider enforces it"}}
	case !slices.Contains(d.CodeChallengeMethods, "S256"):
		return []finding{{problem, fmt.Sprintf("no PKCE S256 (only %s): loginkit refuses this provider (RFC 9700 §2.1.1)", strings.Join(d.CodeChallengeMethods, ", "))}}
	case slices.Contains(d.CodeChallengeMethods, "plain"):
		return []finding{{note, "PKCE plain is offered too; loginkit never uses it"}}
	}
	return nil
}

// checkIssParameter: without RFC 9207's iss parameter, only a distinct
// redirect URI per provider defends against mix-up attacks.
func checkIssParameter(_ string, d *document) []finding {
	if d.IssParameterSupported {
		return nil
	}
	return []finding{{warning, "no iss parameter in authorization responses (RFC 9207): give each provider its own redirect URI to resist mix-up attacks"}}
}

// checkLegacyFlows: the implicit flow and the password grant (RFC 9700
// §2.1.2, §2.4).
func checkLegacyFlows(_ string, d *document) []finding {
	var out []finding
	for _, rt := range d.ResponseTypes {
		if slices.Contains(strings.Fields(rt), "token") {
			out = append(out, finding{warning, fmt.Sprintf("response type %q puts access tokens in the browser (implicit or hybrid): RFC 9700 §2.1.2 says not to use it; loginkit uses the code flow", rt)})
		}
	}
	if slices.Contains(d.GrantTypes, "password") {
		out = append(out, finding{warning, "the password grant is offered: RFC 9700 §2.4 says it MUST NOT be used"})
	}
	return out
}

// checkAlgs: "none" and HMAC-signed ID tokens prove nothing (loginkit
// refuses them); RS256 is the one OpenID Connect requires.
func checkAlgs(_ string, d *document) []finding {
	var out []finding
	usable := 0
	for _, a := range d.IDTokenAlgs {
		switch {
		case strings.EqualFold(a, "none"):
			out = append(out, finding{problem, `ID tokens may be unsigned ("none"): loginkit never accepts them`})
		case strings.HasPrefix(strings.ToUpper(a), "HS"):
			out = append(out, finding{warning, fmt.Sprintf("ID tokens may be signed with %s, the client secret as key: loginkit refuses them", a)})
		default:
			usable++
		}
	}
	switch {
	case len(d.IDTokenAlgs) == 0:
		out = append(out, finding{warning, "id_token_signing_alg_values_supported is missing (required by Discovery §3); loginkit assumes RS256"})
	case usable == 0:
		out = append(out, finding{problem, "no ID token signature algorithm loginkit accepts"})
	case !slices.Contains(d.IDTokenAlgs, "RS256"):
		out = append(out, finding{note, "RS256 is not listed, though OpenID Connect requires it"})
	}
	return out
}

func checkScopes(_ string, d *document) []finding {
	if len(d.Scopes) > 0 && !slices.Contains(d.Scopes, "openid") {
		return []finding{{warning, "scopes_supported lacks openid"}}
	}
	return nil
}

func checkModes(_ string, d *document) []finding {
	if len(d.ResponseModes) > 0 && !slices.Contains(d.ResponseModes, "form_post") {
		return []finding{{note, "no form_post response mode (only needed by providers that post back, like Apple)"}}
	}
	return nil
}

type endpoint struct{ name, url string }

// endpoints lists the document's endpoints that are set, in a fixed order.
func endpoints(d *document) []endpoint {
	var out []endpoint
	for _, e := range []endpoint{
		{"authorization", d.AuthURL}, {"token", d.TokenURL}, {"userinfo", d.UserInfoURL}, {"jwks", d.JWKSURL},
		{"revocation", d.RevocationURL}, {"introspection", d.IntrospectionURL}, {"end_session", d.EndSessionURL},
		{"device_authorization", d.DeviceAuthURL}, {"registration", d.RegistrationURL}, {"pushed_authorization_request", d.PARURL},
	} {
		if e.url != "" {
			out = append(out, e)
		}
	}
	return out
}

func isLoopback(u *url.URL) bool {
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}
