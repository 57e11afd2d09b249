package providers

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/loginkit/loginkit/client"
)

// DiscordConfig configures Sign in with Discord (plain OAuth 2.0). Add the
// redirect BASE_URL/callback/discord under the application's OAuth2 page in
// the Discord developer portal.
type DiscordConfig struct {
	ClientID, ClientSecret string
	Scopes                 []string // added to identify email
	// AuthURL, TokenURL, RevocationURL, APIURL and CDNURL default to
	// https://discord.com/oauth2/authorize, https://discord.com/api/oauth2/token,
	// https://discord.com/api/oauth2/token/revoke, https://discord.com/api/v10
	// and https://cdn.discordapp.com.
	AuthURL, TokenURL, RevocationURL, APIURL, CDNURL string
}

// Discord returns the Discord preset. The profile is GET /users/@me: id
// (a snowflake, the subject), username, global_name (the display name),
// avatar (a hash), email and verified. The picture is the avatar on Discord's
// CDN (GIF for animated "a_" hashes), or the default avatar when there is
// none.
//
// See https://discord.com/developers/docs/topics/oauth2,
// https://discord.com/developers/docs/resources/user#get-current-user and
// https://discord.com/developers/docs/reference#image-formatting.
func Discord(c DiscordConfig) (client.Provider, error) {
	const name = "discord"
	if err := required(name, field{"ClientID", c.ClientID}, field{"ClientSecret", c.ClientSecret}); err != nil {
		return client.Provider{}, err
	}
	if err := setEndpoints(name,
		endpoint{&c.AuthURL, "AuthURL", "https://discord.com/oauth2/authorize"},
		endpoint{&c.TokenURL, "TokenURL", "https://discord.com/api/oauth2/token"},
		endpoint{&c.RevocationURL, "RevocationURL", "https://discord.com/api/oauth2/token/revoke"},
		endpoint{&c.APIURL, "APIURL", "https://discord.com/api/v10"},
		endpoint{&c.CDNURL, "CDNURL", "https://cdn.discordapp.com"},
	); err != nil {
		return client.Provider{}, err
	}
	return client.Provider{
		Name: name, DisplayName: "Discord", AuthURL: c.AuthURL, TokenURL: c.TokenURL, RevocationURL: c.RevocationURL,
		ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		Scopes:      withScopes([]string{"identify", "email"}, c.Scopes),
		UserInfoURL: c.APIURL + "/users/@me", Claims: discordClaims, // the profile document; sign-in uses Profile
		Profile: discordProfile(c.APIURL, c.CDNURL),
	}, nil
}

var discordClaims = client.ClaimMap{Subject: "id", Email: "email", EmailVerified: "verified", Name: "global_name"}

func discordProfile(api, cdn string) client.ProfileFunc {
	return func(ctx context.Context, hc *http.Client, t *client.Tokens) (*client.User, error) {
		raw, err := apiGet(ctx, hc, "users/@me", api+"/users/@me", nil)
		if err != nil {
			return nil, err
		}
		u, err := mapProfile(raw, discordClaims)
		if err != nil {
			return nil, err
		}
		doc, _ := decode(raw)
		if u.Name == "" {
			u.Name = str(lookup(doc, "username"))
		}
		u.Picture = discordAvatar(cdn, u.Subject, str(lookup(doc, "avatar")), str(lookup(doc, "discriminator")))
		return u, nil
	}
}

// discordAvatar is the user's avatar URL, or the default avatar: index
// (id >> 22) % 6 for users on the new username system, discriminator % 5
// for legacy ones.
func discordAvatar(cdn, id, hash, discriminator string) string {
	if hash != "" {
		ext := "png"
		if strings.HasPrefix(hash, "a_") {
			ext = "gif"
		}
		return cdn + "/avatars/" + id + "/" + hash + "." + ext
	}
	var index uint64
	if d, err := strconv.ParseUint(discriminator, 10, 64); err == nil && d != 0 {
		index = d % 5
	} else if n, err := strconv.ParseUint(id, 10, 64); err == nil {
		index = (n >> 22) % 6
	}
	return cdn + "/embed/avatars/" + strconv.FormatUint(index, 10) + ".png"
}
