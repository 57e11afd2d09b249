package oidctest

import (
	"net"
	"net/url"
	"slices"
)

// redirectAllowed matches a requested redirect URI against the registered
// ones: exactly, or, for a registered loopback IP redirect without a port,
// with any port (RFC 8252 §7.3: native apps listen on a port the system
// picks at each login).
func redirectAllowed(registered []string, uri string) bool {
	if slices.Contains(registered, uri) {
		return true
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "http" || u.Port() == "" {
		return false
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return false
	}
	portless := *u
	portless.Host = u.Hostname()
	if ip := net.ParseIP(u.Hostname()); ip.To4() == nil {
		portless.Host = "[" + u.Hostname() + "]"
	}
	return slices.Contains(registered, portless.String())
}
