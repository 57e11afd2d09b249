package bench

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gorilla/sessions"
	"golang.org/x/oauth2"

	"github.com/loginkit/loginkit/client"
)

// handRP is the relying party a Go developer writes by hand with
// golang.org/x/oauth2 and go-oidc, after go-oidc's own example: state, nonce
// and PKCE verifier in short-lived HttpOnly cookies; at the callback the
// state compared, the code exchanged with the verifier, the ID token
// verified by go-oidc (keys cached), the nonce compared, and the user and
// tokens saved in a gorilla/sessions gob CookieStore. With userinfo it also
// fetches the profile, as loginkit does by default.
type handRP struct {
	cfg      oauth2.Config
	op       *oidc.Provider
	verifier *oidc.IDTokenVerifier
	hc       *http.Client // the provider's; oidc.ClientContext hands it over
	store    *sessions.CookieStore
	userinfo bool
}

func (rp *handRP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/login":
		rp.login(w, r)
	case "/callback":
		rp.callback(w, r)
	default:
		http.NotFound(w, r)
	}
}

func randomValue() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (rp *handRP) login(w http.ResponseWriter, r *http.Request) {
	state, nonce, verifier := randomValue(), randomValue(), oauth2.GenerateVerifier()
	for name, v := range map[string]string{"state": state, "nonce": nonce, "pkce": verifier} {
		http.SetCookie(w, &http.Cookie{Name: name, Value: v, Path: "/", MaxAge: 600, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	http.Redirect(w, r, rp.cfg.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

func (rp *handRP) callback(w http.ResponseWriter, r *http.Request) {
	u, t, err := rp.finish(r)
	if err != nil {
		http.Error(w, "sign-in failed", http.StatusBadRequest)
		return
	}
	for _, name := range []string{"state", "nonce", "pkce"} {
		http.SetCookie(w, &http.Cookie{Name: name, Path: "/", MaxAge: -1})
	}
	if err := GorillaSave(rp.store, w, r, u, t); err != nil {
		http.Error(w, "session", http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (rp *handRP) finish(r *http.Request) (client.User, client.Tokens, error) {
	state, err1 := r.Cookie("state")
	nonce, err2 := r.Cookie("nonce")
	verifier, err3 := r.Cookie("pkce")
	q := r.URL.Query()
	if err := errors.Join(err1, err2, err3); err != nil {
		return client.User{}, client.Tokens{}, err
	}
	if subtle.ConstantTimeCompare([]byte(state.Value), []byte(q.Get("state"))) != 1 {
		return client.User{}, client.Tokens{}, errors.New("state mismatch")
	}
	ctx := oidc.ClientContext(r.Context(), rp.hc)
	tok, err := rp.cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier.Value))
	if err != nil {
		return client.User{}, client.Tokens{}, err
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := rp.verifier.Verify(ctx, raw)
	if err != nil {
		return client.User{}, client.Tokens{}, err
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce.Value)) != 1 {
		return client.User{}, client.Tokens{}, errors.New("nonce mismatch")
	}
	var u client.User
	if err := idt.Claims(&u); err != nil {
		return client.User{}, client.Tokens{}, err
	}
	if rp.userinfo {
		info, err := rp.op.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return client.User{}, client.Tokens{}, err
		}
		if info.Subject != idt.Subject {
			return client.User{}, client.Tokens{}, errors.New("userinfo subject mismatch")
		}
		if err := info.Claims(&u); err != nil {
			return client.User{}, client.Tokens{}, err
		}
	}
	u.Provider, u.Subject = "op", idt.Subject
	t := client.Tokens{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, IDToken: raw,
		TokenType: tok.Type(), Expiry: tok.Expiry}
	return u, t, nil
}
