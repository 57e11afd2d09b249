package oidctest

import (
	"cmp"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// pageStyle is shared by every page; pages are self-contained (no assets).
const pageStyle = `
:root{color-scheme:light dark;--bg:#f4f5f7;--card:#fff;--fg:#1d2330;--muted:#667085;--line:#e3e6ea;--accent:#3b5bdb}
@media (prefers-color-scheme:dark){:root{--bg:#15171c;--card:#1f232b;--fg:#e7e9ee;--muted:#9aa3b2;--line:#303642;--accent:#7c95ff}}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:grid;place-items:center;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif}
main{width:min(26rem,92vw);background:var(--card);border:1px solid var(--line);border-radius:14px;padding:1.75rem;box-shadow:0 8px 30px rgba(0,0,0,.08)}
h1{font-size:1.2rem;margin:0 0 .25rem}
p{margin:.25rem 0 1.25rem;color:var(--muted)}
ul{list-style:none;margin:0 0 1rem;padding:0;display:grid;gap:.5rem}
button{font:inherit;cursor:pointer;border-radius:10px}
.account{width:100%;display:flex;align-items:center;gap:.8rem;text-align:left;padding:.7rem .85rem;background:transparent;color:var(--fg);border:1px solid var(--line)}
.account:hover,.account:focus-visible{border-color:var(--accent);outline:none}
.avatar{flex:none;width:2.3rem;height:2.3rem;border-radius:50%;display:grid;place-items:center;background:var(--accent);color:#fff;font-weight:600}
.who{display:flex;flex-direction:column;min-width:0}
.who small{color:var(--muted);overflow:hidden;text-overflow:ellipsis}
.deny{padding:.55rem 1rem;background:transparent;color:var(--muted);border:1px solid var(--line)}
.deny:hover{color:var(--fg)}
code{font-size:.9em}
`

// chooserTemplate is the account chooser shown when Config.AutoApprove is empty.
var chooserTemplate = template.Must(template.New("chooser").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Choose an account · loginkit demo provider</title><style>{{.Style}}</style></head>
<body><main>
<h1>loginkit demo provider — choose an account</h1>
<p>to continue to <code>{{.ClientID}}</code></p>
<form method="post" action="{{.Action}}">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<ul>
{{range .Users}}<li><button class="account" type="submit" name="oidctest_subject" value="{{.Subject}}">
<span class="avatar" aria-hidden="true">{{.Initial}}</span>
<span class="who"><strong>{{.Name}}</strong><small>{{.Email}}</small></span></button></li>
{{else}}<li><p>No users are configured.</p></li>
{{end}}</ul>
<button class="deny" type="submit" name="oidctest_action" value="deny">Deny</button>
</form>
</main></body></html>
`))

// formPostTemplate auto-submits an authorization response (OAuth 2.0 Form
// Post Response Mode §2).
var formPostTemplate = template.Must(template.New("form_post").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Submit this form</title><style>{{.Style}}</style></head>
<body><main>
<form method="post" action="{{.Action}}">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<noscript><p>JavaScript is off: press the button to continue.</p><button class="deny" type="submit">Continue</button></noscript>
</form>
<script>document.forms[0].submit()</script>
</main></body></html>
`))

// messageTemplate shows an error or a notice, such as "signed out".
var messageTemplate = template.Must(template.New("message").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}} · loginkit demo provider</title><style>{{.Style}}</style></head>
<body><main><h1>{{.Title}}</h1><p>{{.Text}}</p></main></body></html>
`))

type hiddenField struct{ Name, Value string }

type chooserUser struct{ Subject, Name, Email, Initial string }

// hiddenFields lists params in a stable order, leaving out the given names.
func hiddenFields(params url.Values, omit ...string) []hiddenField {
	var out []hiddenField
	for _, k := range slices.Sorted(maps.Keys(params)) {
		if slices.Contains(omit, k) {
			continue
		}
		for _, v := range params[k] {
			out = append(out, hiddenField{k, v})
		}
	}
	return out
}

// renderChooser shows the account chooser for req.
func (p *Provider) renderChooser(w http.ResponseWriter, req *authzRequest) {
	renderPage(w, http.StatusOK, chooserTemplate, map[string]any{
		"Style":    template.CSS(pageStyle),
		"ClientID": req.client.ID,
		"Action":   p.url(pathAuthorize),
		"Hidden":   hiddenFields(req.params, paramChosenSubject, paramAction),
		"Users":    p.chooserUsers(),
	}, "script-src 'none'")
}

// chooserUsers lists users in the order they were added.
func (p *Provider) chooserUsers() []chooserUser {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]chooserUser, 0, len(p.order))
	for _, sub := range p.order {
		u := p.users[sub]
		name := cmp.Or(u.Name, strings.TrimSpace(u.GivenName+" "+u.FamilyName), u.Email, u.Subject)
		out = append(out, chooserUser{Subject: u.Subject, Name: name, Email: u.Email, Initial: initial(name)})
	}
	return out
}

// initial returns the first letter of name, upper-cased, for the avatar.
func initial(name string) string {
	for _, r := range name {
		return strings.ToUpper(string(r))
	}
	return "?"
}

// renderFormPost renders the auto-submitting form to a registered redirect URI.
func renderFormPost(w http.ResponseWriter, redirectURI string, params url.Values) {
	renderPage(w, http.StatusOK, formPostTemplate, map[string]any{
		"Style":  template.CSS(pageStyle),
		"Action": template.URL(redirectURI), // registered by the test or demo, so trusted
		"Hidden": hiddenFields(params),
	}, "script-src 'unsafe-inline'")
}

// renderMessage renders a short page with a title and a sentence.
func renderMessage(w http.ResponseWriter, status int, title, text string) {
	renderPage(w, status, messageTemplate, map[string]any{
		"Style": template.CSS(pageStyle), "Title": title, "Text": text,
	}, "script-src 'none'")
}

// renderPage writes an HTML page with headers that keep it out of caches,
// frames and referrers.
func renderPage(w http.ResponseWriter, status int, t *template.Template, data any, scriptSrc string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; "+scriptSrc+"; base-uri 'none'; frame-ancestors 'none'")
	w.WriteHeader(status)
	_ = t.Execute(w, data) // templates are fixed and data is plain; a write error means the client left
}
