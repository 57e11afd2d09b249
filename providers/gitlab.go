package providers

import (
	"github.com/loginkit/loginkit/client"
)

// GitLabConfig configures Sign in with GitLab (OpenID Connect), on
// gitlab.com or a self-managed instance. Create an application under User
// settings → Applications (or an instance or group application) with the
// scopes openid, email and profile and the redirect URI
// BASE_URL/callback/gitlab.
type GitLabConfig struct {
	ClientID, ClientSecret string
	// BaseURL is a self-managed GitLab, e.g. https://gitlab.example.com;
	// it is the issuer. Default https://gitlab.com.
	BaseURL string
	Scopes  []string // added to openid email profile
}

// GitLab returns the GitLab preset: discovery at the instance root, the
// user's numeric ID as sub, email_verified in the ID token and userinfo.
//
// See https://docs.gitlab.com/integration/openid_connect_provider/.
func GitLab(c GitLabConfig) (client.Provider, error) {
	const name = "gitlab"
	if err := required(name, field{"ClientID", c.ClientID}); err != nil {
		return client.Provider{}, err
	}
	iss, err := baseURL(name, "BaseURL", c.BaseURL, "https://gitlab.com")
	if err != nil {
		return client.Provider{}, err
	}
	return oidcPreset(name, "GitLab", iss, c.ClientID, c.ClientSecret, c.Scopes), nil
}
