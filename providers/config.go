package providers

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/loginkit/loginkit/client"
)

// field is a named config value, for the required-field checks.
type field struct{ name, value string }

// configError wraps client.ErrInvalidConfig, so callers match every preset's
// refusal with errors.Is.
func configError(preset, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", client.ErrInvalidConfig, preset, fmt.Sprintf(format, args...))
}

// required refuses the first empty field.
func required(preset string, fields ...field) error {
	for _, f := range fields {
		if strings.TrimSpace(f.value) == "" {
			return configError(preset, "%s is empty", f.name)
		}
	}
	return nil
}

// or returns v, or def when v is empty.
func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// withScopes appends the extra scopes to the preset's, without duplicates.
func withScopes(defaults, extra []string) []string {
	out := slices.Clone(defaults)
	for _, s := range extra {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// baseURL checks that v (or def) is an absolute http(s) URL without query or
// fragment and returns it without a trailing slash.
func baseURL(preset, name, v, def string) (string, error) {
	v = strings.TrimSuffix(or(v, def), "/")
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", configError(preset, "%s %q must be an absolute https URL", name, v)
	}
	return v, nil
}

// endpoint is a URL field of a preset's config and its documented default.
type endpoint struct {
	dst       *string
	name, def string
}

// setEndpoints fills each empty field with its default and checks them all
// with baseURL.
func setEndpoints(preset string, eps ...endpoint) error {
	for _, e := range eps {
		v, err := baseURL(preset, e.name, *e.dst, e.def)
		if err != nil {
			return err
		}
		*e.dst = v
	}
	return nil
}

// endpointURL checks an absolute http(s) URL that may carry a query (a
// profile URL with its fields), keeping it as given.
func endpointURL(preset, name, v string) (string, error) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" {
		return "", configError(preset, "%s %q must be an absolute https URL", name, v)
	}
	return v, nil
}

// domainURL turns a bare host ("dev-123.okta.com") into its https origin; a
// value that already has a scheme is kept, so tests can use a fake's URL.
func domainURL(preset, name, domain string) (string, error) {
	if domain == "" {
		return "", configError(preset, "%s is empty", name)
	}
	if !strings.Contains(domain, "://") {
		domain = "https://" + domain
	}
	u, err := url.Parse(domain)
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return "", configError(preset, "%s %q must be a host name such as login.example.com", name, domain)
	}
	return baseURL(preset, name, domain, "")
}

// values builds url.Values from key, value pairs, skipping empty values.
func values(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			v.Set(kv[i], kv[i+1])
		}
	}
	return v
}
