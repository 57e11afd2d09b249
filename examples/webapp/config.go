package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/loginkit/loginkit/client"
)

// config is the app's public interface: its environment (README, "Example
// app"). Names are stable; new providers follow LOGINKIT_<NAME>_….
type config struct {
	Addr    string
	BaseURL string // "" until the listener's address is known, then filled in
	Keys    [][]byte
	Store   string
	// RefreshAhead: refresh access tokens this long before expiry (default 1m).
	RefreshAhead time.Duration
	// Providers come from the environment: every preset whose
	// LOGINKIT_<NAME>_CLIENT_ID is set (presets.go), then the generic
	// LOGINKIT_OIDC_… one. None → the demo provider.
	Providers []client.Provider
}

func loadConfig(getenv func(string) string, log *slog.Logger) (*config, error) {
	c := &config{Addr: getenv("LOGINKIT_ADDR"), BaseURL: strings.TrimSuffix(getenv("LOGINKIT_BASE_URL"), "/"), Store: getenv("LOGINKIT_SESSION_STORE")}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	key, err := sessionKey(getenv("LOGINKIT_SESSION_KEY"), log)
	if err != nil {
		return nil, err
	}
	c.Keys = [][]byte{key}
	if v := getenv("LOGINKIT_REFRESH_AHEAD"); v != "" {
		if c.RefreshAhead, err = time.ParseDuration(v); err != nil || c.RefreshAhead <= 0 {
			return nil, fmt.Errorf("LOGINKIT_REFRESH_AHEAD=%q: want a positive duration such as 30s", v)
		}
	}
	if c.Store, err = storeSetting(c.Store); err != nil {
		return nil, err
	}
	if c.Providers, err = presetProviders(getenv, c.BaseURL); err != nil {
		return nil, err
	}
	if iss := getenv("LOGINKIT_OIDC_ISSUER"); iss != "" {
		p := client.Provider{
			Name: "oidc", DisplayName: "Sign in with " + hostOf(iss), Issuer: iss,
			ClientID: getenv("LOGINKIT_OIDC_CLIENT_ID"), ClientSecret: getenv("LOGINKIT_OIDC_CLIENT_SECRET"),
		}
		if p.ClientID == "" {
			return nil, errors.New("LOGINKIT_OIDC_ISSUER is set but LOGINKIT_OIDC_CLIENT_ID is not")
		}
		if s := getenv("LOGINKIT_OIDC_SCOPES"); s != "" {
			p.Scopes = strings.Fields(s)
		}
		c.Providers = append(c.Providers, p)
	}
	return c, nil
}

// sessionKey decodes LOGINKIT_SESSION_KEY, or makes a random key that lives
// as long as the process (sessions end at restart; the log says so).
func sessionKey(hexKey string, log *slog.Logger) ([]byte, error) {
	if hexKey == "" {
		k := make([]byte, 32)
		rand.Read(k)
		log.Info("LOGINKIT_SESSION_KEY is not set: using a random key; sessions end when the process stops")
		return k, nil
	}
	k, err := hex.DecodeString(hexKey)
	if err != nil || len(k) < 32 {
		return nil, errors.New("LOGINKIT_SESSION_KEY must be hex, 32 bytes (64 hex digits) or more")
	}
	return k, nil
}

func hostOf(u string) string {
	s := strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	h, _, _ := strings.Cut(s, "/")
	return h
}
