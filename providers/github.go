package providers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/loginkit/loginkit/client"
)

// GitHubConfig configures Sign in with GitHub (plain OAuth 2.0 and the REST
// API), for an OAuth app or a GitHub App. Register it under Settings →
// Developer settings with the callback URL BASE_URL/callback/github.
type GitHubConfig struct {
	ClientID, ClientSecret string
	Scopes                 []string // added to read:user user:email (GitHub Apps ignore scopes)
	// BaseURL is a GitHub Enterprise Server, e.g. https://github.example.com:
	// sign-in under BaseURL/login/oauth, the API under BaseURL/api/v3.
	// Default github.com with the API at https://api.github.com.
	BaseURL string
	// AuthURL, TokenURL and APIURL override what BaseURL implies.
	AuthURL, TokenURL, APIURL string
	// UserAgent is sent on every API call, which GitHub requires; default
	// "loginkit".
	UserAgent string
}

// GitHub returns the GitHub preset. The profile is GET /user (numeric id,
// login, name, email, avatar_url); the subject is the numeric id, since
// logins can be renamed. The address comes from GET /user/emails: the
// primary one, and only if GitHub has verified it (the profile's email is
// empty when the user keeps it private, and says nothing about
// verification). Without access to /user/emails (a GitHub App lacking the
// "Email addresses" permission) the profile's public address is kept,
// unverified.
//
// A GitHub App with expiring user tokens gets an 8-hour access token and a
// 6-month refresh token that is replaced at every refresh; client.Refresh
// and middleware handle that rotation.
//
// See https://docs.github.com/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps,
// https://docs.github.com/rest/users/users#get-the-authenticated-user,
// https://docs.github.com/rest/users/emails#list-email-addresses-for-the-authenticated-user,
// https://docs.github.com/rest/using-the-rest-api/getting-started-with-the-rest-api#user-agent
// and https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens.
func GitHub(c GitHubConfig) (client.Provider, error) {
	const name = "github"
	if err := required(name, field{"ClientID", c.ClientID}, field{"ClientSecret", c.ClientSecret}); err != nil {
		return client.Provider{}, err
	}
	site, api := "https://github.com", "https://api.github.com"
	if c.BaseURL != "" {
		b, err := baseURL(name, "BaseURL", c.BaseURL, "")
		if err != nil {
			return client.Provider{}, err
		}
		site, api = b, b+"/api/v3"
	}
	if err := setEndpoints(name,
		endpoint{&c.AuthURL, "AuthURL", site + "/login/oauth/authorize"},
		endpoint{&c.TokenURL, "TokenURL", site + "/login/oauth/access_token"},
		endpoint{&c.APIURL, "APIURL", api},
	); err != nil {
		return client.Provider{}, err
	}
	return client.Provider{
		Name: name, DisplayName: "GitHub", AuthURL: c.AuthURL, TokenURL: c.TokenURL,
		ClientID: c.ClientID, ClientSecret: c.ClientSecret, AuthMethod: client.AuthPost,
		Scopes: withScopes([]string{"read:user", "user:email"}, c.Scopes),
		// UserInfoURL is GitHub's profile document, for apps that show it;
		// sign-in uses Profile.
		UserInfoURL: c.APIURL + "/user", Claims: githubClaims,
		Profile: githubProfile(c.APIURL, or(c.UserAgent, "loginkit")),
	}, nil
}

var githubClaims = client.ClaimMap{Subject: "id", Email: "email", Name: "name", Picture: "avatar_url"}

func githubProfile(api, userAgent string) client.ProfileFunc {
	hdr := http.Header{
		"Accept":               {"application/vnd.github+json"},
		"X-Github-Api-Version": {"2022-11-28"},
		"User-Agent":           {userAgent},
	}
	return func(ctx context.Context, hc *http.Client, t *client.Tokens) (*client.User, error) {
		raw, err := apiGet(ctx, hc, "user", api+"/user", hdr)
		if err != nil {
			return nil, err
		}
		u, err := mapProfile(raw, githubClaims)
		if err != nil {
			return nil, err
		}
		if u.Name == "" {
			doc, _ := decode(raw)
			u.Name = str(lookup(doc, "login"))
		}
		u.EmailVerified = false
		email, err := githubPrimaryEmail(ctx, hc, api, hdr)
		var pe *client.ProviderError
		switch {
		case errors.As(err, &pe) && (pe.Status == http.StatusForbidden || pe.Status == http.StatusNotFound):
			// No permission to list addresses: keep the public one, unverified.
		case err != nil:
			return nil, err
		case email != "":
			u.Email, u.EmailVerified = email, true
		}
		return u, nil
	}
}

// githubPrimaryEmail returns the primary address if it is verified, else "".
func githubPrimaryEmail(ctx context.Context, hc *http.Client, api string, hdr http.Header) (string, error) {
	raw, err := apiGet(ctx, hc, "user/emails", api+"/user/emails?per_page=100", hdr)
	if err != nil {
		return "", err
	}
	var emails []struct {
		Email    string `json:"email"`
		Primary  bool   `json:"primary"`
		Verified bool   `json:"verified"`
	}
	if err := json.Unmarshal(raw, &emails); err != nil {
		return "", fmt.Errorf("%w: user/emails: %v", client.ErrProviderResponse, err)
	}
	for _, e := range emails {
		if e.Primary && e.Verified {
			return e.Email, nil
		}
	}
	return "", nil
}
