// Package providers holds loginkit's presets: one constructor per identity
// provider, each validating a small config struct and returning the
// client.Provider that carries everything that provider does differently
// (endpoints, scopes, client authentication, response mode, claim checks,
// the profile API and how it maps onto client.User).
//
//	google, err := providers.Google(providers.GoogleConfig{
//		ClientID: id, ClientSecret: secret,
//		HostedDomain: "example.com", // only Workspace accounts of example.com
//	})
//	if err != nil { … }
//	auth, err := middleware.New(middleware.Config{
//		BaseURL: "https://app.example.com", Keys: keys,
//		Providers: []client.Provider{google},
//	})
//	// register https://app.example.com/callback/google with Google
//
// Every preset names itself ("google", "entra", "apple", …): the name is the
// route segment, so the redirect URI to register with the provider is
// BASE_URL/callback/<name>. The result is a plain value: change Name,
// DisplayName, HTTPClient or Timeout before use to run two instances of one
// preset side by side.
//
// Every endpoint is a config field with the provider's documented URL as its
// default, never a package variable, so a test can point a preset at a fake.
//
// One client.User shape comes out of all of them: Subject is the provider's
// immutable user ID (never an email address, which users change and some
// providers let anyone set), EmailVerified is true only when the provider
// says so, and Raw keeps the provider's ID token claims or profile document.
package providers
