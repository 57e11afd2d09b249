package providers

import (
	"github.com/loginkit/loginkit/client"
)

// SlackConfig configures Sign in with Slack (OpenID Connect). In the app's
// settings add the user scopes openid, email and profile and the redirect
// URL BASE_URL/callback/slack (Slack requires https).
type SlackConfig struct {
	ClientID, ClientSecret string
	Scopes                 []string // added to openid email profile
	// Team is a workspace ID (T…) to pre-select on Slack's sign-in page.
	Team   string
	Issuer string // default https://slack.com
}

// Slack returns the Slack preset. sub is the Slack user ID; the ID token
// also carries https://slack.com/team_id, kept in User.Raw.
//
// See https://docs.slack.dev/authentication/sign-in-with-slack/ and
// https://slack.com/.well-known/openid-configuration.
func Slack(c SlackConfig) (client.Provider, error) {
	const name = "slack"
	if err := required(name, field{"ClientID", c.ClientID}, field{"ClientSecret", c.ClientSecret}); err != nil {
		return client.Provider{}, err
	}
	iss, err := baseURL(name, "Issuer", c.Issuer, "https://slack.com")
	if err != nil {
		return client.Provider{}, err
	}
	p := oidcPreset(name, "Slack", iss, c.ClientID, c.ClientSecret, c.Scopes)
	p.AuthParams = values("team", c.Team)
	return p, nil
}
