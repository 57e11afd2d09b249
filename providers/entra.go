package providers

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/loginkit/loginkit/client"
)

// ErrTenantNotAllowed is an Entra ID token from a tenant outside
// EntraConfig.AllowedTenants (it arrives wrapped in client.ErrClaimRejected).
var ErrTenantNotAllowed = errors.New("loginkit/providers: Microsoft Entra tenant is not allowed to sign in")

// Entra ID's special tenants (Microsoft identity platform, "Application
// configuration options": authority).
const (
	EntraCommon        = "common"        // work, school and personal accounts
	EntraOrganizations = "organizations" // work and school accounts
	EntraConsumers     = "consumers"     // personal Microsoft accounts
	// EntraConsumersTenantID is the tid of every personal Microsoft account.
	EntraConsumersTenantID = "9188040d-6c67-4c5b-b112-36a304b66dad"
)

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// EntraConfig configures Microsoft Entra ID (OpenID Connect, v2.0
// endpoints). Register the app under Entra ID → App registrations, platform
// "Web", redirect URI BASE_URL/callback/entra, and create a client secret.
type EntraConfig struct {
	ClientID, ClientSecret string
	// Tenant is "common", "organizations", "consumers" or a tenant ID (a
	// GUID; domain names are refused because the issuer is pinned to the
	// ID). Default "common".
	Tenant string
	// AllowedTenants lists the tenant IDs whose users may sign in; empty
	// admits every tenant Tenant admits. A multi-tenant app that is not a
	// public service should set it.
	AllowedTenants []string
	Scopes         []string // added to openid email profile
	// Authority is the cloud's login host; default
	// https://login.microsoftonline.com (national clouds differ).
	Authority string
}

// Entra returns the Microsoft Entra ID preset.
//
// One discovery document serves every tenant under common and
// organizations, with the issuer template
// "https://login.microsoftonline.com/{tenantid}/v2.0"; each ID token's iss
// must be that template filled with the token's own tid, and tid must be
// one the configuration admits. Users are keyed on tid and oid ("tid/oid"),
// which Microsoft documents as the immutable identity of a user across
// apps; the email claim is mutable and unverified, so it is reported
// with EmailVerified false.
//
// See https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference
// (iss, tid, oid: "Use the GUID portion of the claim to restrict the set of
// tenants that can sign in"; "the combination of tid and oid ... uniquely
// identifies the user") and
// https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc
// (discovery per tenant, the {tenantid} template for multi-tenant apps).
func Entra(c EntraConfig) (client.Provider, error) {
	const name = "entra"
	if err := required(name, field{"ClientID", c.ClientID}, field{"ClientSecret", c.ClientSecret}); err != nil {
		return client.Provider{}, err
	}
	authority, err := baseURL(name, "Authority", c.Authority, "https://login.microsoftonline.com")
	if err != nil {
		return client.Provider{}, err
	}
	tenant := strings.ToLower(or(c.Tenant, EntraCommon))
	discovery, err := entraDiscoveryIssuer(authority, tenant)
	if err != nil {
		return client.Provider{}, err
	}
	allowed := make([]string, 0, len(c.AllowedTenants))
	for _, t := range c.AllowedTenants {
		if !guidPattern.MatchString(t) {
			return client.Provider{}, configError(name, "AllowedTenants: %q is not a tenant ID (a GUID)", t)
		}
		allowed = append(allowed, strings.ToLower(t))
	}
	return client.Provider{
		Name: name, DisplayName: "Microsoft", Issuer: authority + "/" + tenant + "/v2.0",
		DiscoveryIssuer: discovery,
		ClientID:        c.ClientID, ClientSecret: c.ClientSecret,
		Scopes:         withScopes([]string{"openid", "email", "profile"}, c.Scopes),
		ValidateIssuer: entraIssuer(authority, tenant),
		CheckClaims:    entraUser(allowed),
	}, nil
}

// entraDiscoveryIssuer is the issuer the tenant's discovery document
// declares: the template for common and organizations, the consumers
// tenant's ID for consumers, and the configured issuer (no override) for a
// tenant ID.
func entraDiscoveryIssuer(authority, tenant string) (string, error) {
	switch {
	case tenant == EntraCommon || tenant == EntraOrganizations:
		return authority + "/{tenantid}/v2.0", nil
	case tenant == EntraConsumers:
		return authority + "/" + EntraConsumersTenantID + "/v2.0", nil
	case guidPattern.MatchString(tenant):
		return authority + "/" + tenant + "/v2.0", nil
	}
	return "", configError("entra", "Tenant %q: want common, organizations, consumers or a tenant ID (a GUID)", tenant)
}

// entraIssuer checks iss against the template filled with the token's tid,
// and tid against what the configured tenant admits.
func entraIssuer(authority, tenant string) client.IssuerFunc {
	return func(iss string, claims map[string]any) error {
		tid := strings.ToLower(claimString(claims, "tid"))
		if !guidPattern.MatchString(tid) {
			return errors.New("ID token tid is not a tenant ID")
		}
		if iss != authority+"/"+tid+"/v2.0" {
			return fmt.Errorf("ID token iss %q does not name its tid", iss)
		}
		switch {
		case tenant == EntraConsumers && tid != EntraConsumersTenantID,
			tenant == EntraOrganizations && tid == EntraConsumersTenantID,
			guidPattern.MatchString(tenant) && tid != tenant:
			return fmt.Errorf("tenant %s is not admitted by %q", tid, tenant)
		}
		return nil
	}
}

// entraUser admits only allowed tenants (all when empty) and keys the user
// on tid/oid.
func entraUser(allowed []string) client.ClaimsFunc {
	return func(claims map[string]any) (string, error) {
		tid := strings.ToLower(claimString(claims, "tid"))
		oid := strings.ToLower(claimString(claims, "oid"))
		if len(allowed) > 0 && !slices.Contains(allowed, tid) {
			return "", fmt.Errorf("%w: %s", ErrTenantNotAllowed, tid)
		}
		if !guidPattern.MatchString(oid) {
			return "", errors.New("ID token has no oid (is the profile scope requested?)")
		}
		return tid + "/" + oid, nil
	}
}
