package providers_test

import (
	"errors"
	"testing"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/providers"
)

const (
	contoso  = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	fabrikam = "3f2a4b5c-1111-4222-8333-944455566677"
	entraOID = "00000000-0000-0000-66f3-3332eca7ea81"
)

// entraFake serves the discovery document Entra ID serves for tenant, whose
// ID tokens come from tokenTenant.
func entraFake(t *testing.T, tenant, tokenTenant string) *fake {
	issuerTenant := tenant
	switch tenant {
	case providers.EntraCommon, providers.EntraOrganizations:
		issuerTenant = "{tenantid}"
	case providers.EntraConsumers:
		issuerTenant = providers.EntraConsumersTenantID
	}
	f := newFake(t, "entra")
	f.oidc("/"+tenant+"/v2.0/.well-known/openid-configuration", "userinfo.json",
		"{{TENANT}}", tenant, "{{ISSUER_TENANT}}", issuerTenant, "{{TID}}", tokenTenant)
	return f
}

func TestEntraSignIn(t *testing.T) {
	t.Parallel()
	f := entraFake(t, "common", contoso)
	p, err := providers.Entra(providers.EntraConfig{ClientID: "test-client", ClientSecret: "test-secret", Authority: f.URL})
	if err != nil {
		t.Fatal(err)
	}
	a := startApp(t, f, p, false)
	// Keyed on tid/oid, never on email; Entra's email is not verified.
	wantUser(t, a.mustSignIn(), client.User{Provider: "entra", Subject: contoso + "/" + entraOID,
		Email: "ada@contoso.example", EmailVerified: false, Name: "Ada Lovelace",
		Picture: "https://graph.microsoft.com/v1.0/me/photo/$value"})
}

// TestEntraTenants: the {tenantid} issuer template is filled with the
// token's tid, the tenant the app is registered for admits only its own
// users, and AllowedTenants narrows common further.
func TestEntraTenants(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, tenant, tokenTenant string
		allowed                   []string
		claims                    func(map[string]any)
		want                      error // nil: signed in
	}{
		{"common, allowed tenant", "common", contoso, []string{contoso}, nil, nil},
		{"common, tenant outside the allowed list", "common", fabrikam, []string{contoso}, nil, providers.ErrTenantNotAllowed},
		{"organizations admits a work tenant", "organizations", fabrikam, nil, nil, nil},
		{"organizations refuses personal accounts", "organizations", providers.EntraConsumersTenantID, nil, nil, client.ErrInvalidIssuer},
		{"consumers admits personal accounts", "consumers", providers.EntraConsumersTenantID, nil, nil, nil},
		{"single tenant admits its own", contoso, contoso, nil, nil, nil},
		{"single tenant refuses another", contoso, fabrikam, nil, nil, client.ErrInvalidIssuer},
		{"iss names another tenant than tid", "common", contoso, nil,
			func(c map[string]any) { c["tid"] = fabrikam }, client.ErrInvalidIssuer},
		{"tid missing", "common", contoso, nil, func(c map[string]any) { delete(c, "tid") }, client.ErrInvalidIssuer},
		{"oid missing", "common", contoso, nil, func(c map[string]any) { delete(c, "oid") }, client.ErrClaimRejected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := entraFake(t, tc.tenant, tc.tokenTenant)
			if tc.claims != nil {
				f.configure(func(c *fakeConfig) { tc.claims(c.idToken) })
			}
			p, err := providers.Entra(providers.EntraConfig{ClientID: "test-client", ClientSecret: "test-secret",
				Tenant: tc.tenant, AllowedTenants: tc.allowed, Authority: f.URL})
			if err != nil {
				t.Fatal(err)
			}
			a := startApp(t, f, p, false)
			if tc.want == nil {
				if u := a.mustSignIn(); u.Subject != tc.tokenTenant+"/"+entraOID {
					t.Errorf("subject %q", u.Subject)
				}
				return
			}
			if e := a.refused(); !errors.Is(e, tc.want) {
				t.Errorf("error = %v, want %v", e.Err, tc.want)
			}
		})
	}
}

// TestEntraDiscoveryIssuer: the common document must declare the template;
// any other issuer is refused at discovery.
func TestEntraDiscoveryIssuer(t *testing.T) {
	t.Parallel()
	f := newFake(t, "entra")
	f.oidc("/common/v2.0/.well-known/openid-configuration", "userinfo.json",
		"{{TENANT}}", "common", "{{ISSUER_TENANT}}", fabrikam, "{{TID}}", fabrikam)
	p, _ := providers.Entra(providers.EntraConfig{ClientID: "test-client", ClientSecret: "test-secret", Authority: f.URL})
	p.RedirectURL = "https://app.test/callback/entra"
	c, err := client.New(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Discover(t.Context()); !errors.Is(err, client.ErrInvalidIssuer) {
		t.Errorf("Discover = %v, want ErrInvalidIssuer", err)
	}
}

// TestEntraRefresh: a refreshed ID token names the same tid/oid key, so the
// session's subject still matches.
func TestEntraRefresh(t *testing.T) {
	t.Parallel()
	f := entraFake(t, "common", contoso)
	f.configure(func(c *fakeConfig) { c.refresh = true })
	p, _ := providers.Entra(providers.EntraConfig{ClientID: "test-client", ClientSecret: "test-secret", Authority: f.URL})
	c, res, err := directSignIn(t, f, p)
	if err != nil {
		t.Fatal(err)
	}
	nt, err := c.Refresh(t.Context(), &res.Tokens, res.User.Subject)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if nt.RefreshToken == res.Tokens.RefreshToken {
		t.Error("refresh token was not rotated")
	}
	f.configure(func(c *fakeConfig) { c.idToken["oid"] = "11111111-0000-0000-66f3-3332eca7ea81" })
	if _, err := c.Refresh(t.Context(), nt, res.User.Subject); !errors.Is(err, client.ErrSubjectMismatch) {
		t.Errorf("Refresh as another user = %v, want ErrSubjectMismatch", err)
	}
}
