package client_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/oidctest"
)

// A service calling an API with its own token: one token request, however
// many calls, until the token nears its expiry.
func ExampleClient_ClientCredentials() {
	op, _ := oidctest.NewServer(oidctest.Config{
		Clients: []oidctest.Client{{ID: "billing", Secret: "s3cret", GrantTypes: []string{"client_credentials"}}},
	})
	defer op.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, r.Header.Get("Authorization") != "")
	}))
	defer api.Close()

	c, _ := client.NewWithoutRedirect(client.Provider{Name: "op", Issuer: op.Issuer(), ClientID: "billing", ClientSecret: "s3cret"})
	hc := c.ClientCredentials(client.ClientCredentialsOptions{Scopes: []string{"invoices:read"}}).HTTPClient(nil)
	for range 3 {
		resp, err := hc.Get(api.URL)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Print("token sent: ", string(body))
	}
	fmt.Println("token requests:", op.GrantCount("client_credentials"))
	// Output:
	// token sent: true
	// token sent: true
	// token sent: true
	// token requests: 1
}

// A device without a keyboard: show a code, wait for the user to approve it
// on their phone.
func ExampleClient_DeviceAuthorize() {
	op, _ := oidctest.NewServer(oidctest.Config{
		Users:   []oidctest.User{{Subject: "ada", Name: "Ada Lovelace"}},
		Clients: []oidctest.Client{{ID: "tv", GrantTypes: []string{oidctest.GrantDeviceCode}}},
	})
	defer op.Close()
	c, _ := client.NewWithoutRedirect(client.Provider{Name: "op", Issuer: op.Issuer(), ClientID: "tv"})

	ctx := context.Background()
	da, err := c.DeviceAuthorize(ctx, client.DeviceOptions{
		// A real device waits da.Interval between polls; here the user is quick.
		Sleep: func(context.Context, time.Duration) error { return nil },
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("Visit %s/device and enter the %d-character code\n", "…", len(da.UserCode))
	_ = op.ApproveDevice(da.UserCode, "ada") // the user, on their phone

	res, err := c.DeviceWait(ctx, da)
	if err != nil {
		panic(err)
	}
	fmt.Println("signed in:", res.User.Subject, res.User.Name)
	// Output:
	// Visit …/device and enter the 9-character code
	// signed in: ada Ada Lovelace
}
