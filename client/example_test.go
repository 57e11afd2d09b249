package client_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/oidctest"
)

// A whole login with the flow manager alone, against the in-process
// provider: Begin, the provider's redirect back, Callback.
func ExampleClient_Callback() {
	op, _ := oidctest.NewServer(oidctest.Config{
		Users:       []oidctest.User{{Subject: "ada", Name: "Ada Lovelace", Email: "ada@example.com", EmailVerified: true}},
		Clients:     []oidctest.Client{{ID: "app", Secret: "secret", RedirectURIs: []string{"http://127.0.0.1/cb"}}},
		AutoApprove: "ada",
	})
	defer op.Close()

	c, _ := client.New(client.Provider{
		Name: "example", Issuer: op.Issuer(), ClientID: "app", ClientSecret: "secret",
		RedirectURL: "http://127.0.0.1/cb",
	})
	authURL, flow, err := c.Begin(context.Background(), client.BeginOptions{})
	if err != nil {
		panic(err)
	}
	// The browser's part: the provider signs Ada in and redirects back.
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, _ := hc.Get(authURL)
	back, _ := url.Parse(resp.Header.Get("Location"))
	resp.Body.Close()

	res, err := c.Callback(context.Background(), flow, back.Query())
	if err != nil {
		panic(err)
	}
	fmt.Println(res.User.Subject, res.User.Name, res.User.EmailVerified)
	t := res.Tokens
	fmt.Println(t.AccessToken != "", t.RefreshToken != "", t.IDToken != "")
	// Output:
	// ada Ada Lovelace true
	// true true true
}
