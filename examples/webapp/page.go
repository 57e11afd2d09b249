package main

import (
	"html/template"
	"net/http"

	"github.com/loginkit/loginkit/middleware"
)

var homePage = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>loginkit demo</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;background:#f5f6f8;color:#1d2330;margin:0}
main{max-width:30rem;margin:5rem auto;background:#fff;border-radius:12px;padding:2rem 2.2rem;box-shadow:0 2px 14px #0001}
h1{font-size:1.5rem;margin:0 0 .3rem}p.sub{color:#5a6375;margin:0 0 1.5rem}
a.btn,button{display:block;width:100%;box-sizing:border-box;text-align:center;font:inherit;padding:.7rem 1rem;margin:.6rem 0;border-radius:8px;border:1px solid #c9ced8;background:#fff;color:#1d2330;text-decoration:none;cursor:pointer}
a.btn:hover,button:hover{background:#eef1f6}
.primary{background:#1f5eff!important;border-color:#1f5eff!important;color:#fff!important}
dl{display:grid;grid-template-columns:auto 1fr;gap:.3rem 1rem;margin:1rem 0 1.5rem}dt{color:#5a6375}dd{margin:0;word-break:break-all}
</style></head><body><main>
{{if .User}}
<h1 id="greeting">Hello, {{.User.Name}}</h1>
<p class="sub">You are signed in with {{.User.Provider}}.</p>
<dl><dt>Subject</dt><dd id="sub">{{.User.Subject}}</dd><dt>Email</dt><dd id="email">{{.User.Email}}{{if .User.EmailVerified}} ✓{{end}}</dd></dl>
<a class="btn" id="profile" href="/profile">Show my profile from the provider</a>
<a class="btn" href="/me">Show /me</a>
<form method="post" action="/logout"><button id="signout" type="submit">Sign out</button></form>
{{else}}
<h1>loginkit demo</h1>
<p class="sub">Sign in to see who you are.</p>
{{range .Providers}}<a class="btn primary" id="signin-{{.Name}}" href="{{.LoginURL}}{{if $.ReturnTo}}?return_to={{$.ReturnTo}}{{end}}">{{.DisplayName}}</a>
{{end}}
{{end}}
</main></body></html>
`))

// home shows sign-in buttons, or the signed-in user: GET /.
func (a *app) home(w http.ResponseWriter, r *http.Request) {
	u, _ := middleware.UserFrom(r.Context())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	homePage.Execute(w, map[string]any{
		"User":      u,
		"Providers": a.auth.Providers(),
		"ReturnTo":  middleware.SafeReturnTo(r.URL.Query().Get("return_to"), ""),
	})
}
