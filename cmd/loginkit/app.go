package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/loginkit/loginkit/client"
)

// Exit codes.
const (
	exitOK          = 0
	exitFail        = 1 // the provider or the network failed, or discover found problems
	exitUsage       = 2 // bad command line
	exitInterrupted = 130
)

// Environment variables that keep secrets off the command line.
const (
	envClientSecret       = "LOGINKIT_CLIENT_SECRET"
	envInitialAccessToken = "LOGINKIT_INITIAL_ACCESS_TOKEN"
)

// app is the CLI with what tests replace: the outputs, the environment, the
// browser, the clock and the HTTP client.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	openBrowser    func(ctx context.Context, url string) error
	sleep          func(ctx context.Context, d time.Duration) error // nil: real waiting
	now            func() time.Time                                 // nil: time.Now
	httpClient     *http.Client                                     // nil: the default, bounded by client
}

func newApp(stdout, stderr io.Writer) *app {
	return &app{stdout: stdout, stderr: stderr, getenv: os.Getenv, openBrowser: client.OpenSystemBrowser}
}

// command is one subcommand.
type command struct {
	name, summary string
	run           func(a *app, ctx context.Context, args []string) int
}

func commands() []command {
	return []command{
		{"discover", "fetch and check a provider's metadata", (*app).discover},
		{"login", "sign in through the browser (loopback) or a device code; print the verified claims", (*app).login},
		{"token", "get a client credentials token for a service", (*app).token},
		{"register", "register an application (dynamic client registration)", (*app).register},
	}
}

func (a *app) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		a.usage(a.stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 {
			return a.run(ctx, []string{args[1], "--help"})
		}
		a.usage(a.stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(a, ctx, args[1:])
		}
	}
	fmt.Fprintf(a.stderr, "loginkit: unknown command %q\n\n", args[0])
	a.usage(a.stderr)
	return exitUsage
}

func (a *app) usage(w io.Writer) {
	fmt.Fprintln(w, "loginkit: check and try an OAuth 2.0 / OpenID Connect provider.")
	fmt.Fprintln(w, "\nUsage:\n  loginkit COMMAND ISSUER [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'loginkit COMMAND --help' for a command's flags.")
}

// flags is a command's flag set and the text --help shows above the flags.
type flags struct {
	*flag.FlagSet
	help string
}

func newFlags(name, help string) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &flags{FlagSet: fs, help: help}
}

// parse accepts flags before, between and after the positional arguments,
// of which it wants exactly want. When ok is false the command returns code.
func (a *app) parse(f *flags, args []string, want int) (pos []string, code int, ok bool) {
	for {
		err := f.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			a.printHelp(a.stdout, f)
			return nil, exitOK, false
		}
		if err != nil {
			return nil, a.usageError(f, err.Error()), false
		}
		if f.NArg() == 0 {
			break
		}
		pos = append(pos, f.Arg(0))
		args = f.Args()[1:]
	}
	if len(pos) != want {
		return nil, a.usageError(f, fmt.Sprintf("want %d argument(s), got %d", want, len(pos))), false
	}
	return pos, exitOK, true
}

func (a *app) printHelp(w io.Writer, f *flags) {
	fmt.Fprintln(w, strings.TrimSpace(f.help))
	fmt.Fprintln(w, "\nFlags:")
	f.SetOutput(w)
	f.PrintDefaults()
	f.SetOutput(io.Discard)
}

func (a *app) usageError(f *flags, msg string) int {
	fmt.Fprintf(a.stderr, "loginkit %s: %s\nRun 'loginkit %s --help' for usage.\n", f.Name(), msg, f.Name())
	return exitUsage
}

// fail reports err with a hint at what to check, and returns the exit code.
func (a *app) fail(cmd string, err error) int {
	fmt.Fprintf(a.stderr, "loginkit %s: %v\n", cmd, err)
	if h := hint(err); h != "" {
		fmt.Fprintln(a.stderr, h)
	}
	if errors.Is(err, context.Canceled) {
		return exitInterrupted
	}
	return exitFail
}

// hint tells what to check for the errors people meet first.
func hint(err error) string {
	var pe *client.ProviderError
	var ce *client.CallbackError
	code := ""
	if errors.As(err, &pe) {
		code = pe.Code
	} else if errors.As(err, &ce) {
		code = ce.Code
	}
	switch {
	case errors.Is(err, client.ErrDiscovery):
		return "Check the issuer URL: loginkit reads ISSUER/.well-known/openid-configuration."
	case code == "invalid_client":
		return "Check --client-id and the client secret (--client-secret or " + envClientSecret + ")."
	case code == "unauthorized_client":
		return "The provider does not let this client use this grant; allow it in the client's settings."
	case code == "invalid_scope":
		return "The provider refused the scopes; ask for fewer with --scopes."
	case code == "invalid_redirect_uri" || code == "invalid_client_metadata":
		return "The provider refused the application's metadata; check the redirect URIs and grant types."
	case errors.Is(err, client.ErrAccessDenied), code == "access_denied":
		return "The sign-in was denied or cancelled."
	case errors.Is(err, client.ErrDeviceCodeExpired), errors.Is(err, client.ErrFlowExpired):
		return "The sign-in took too long; run the command again."
	case errors.Is(err, client.ErrUnsupported):
		return "The provider does not offer this; 'loginkit discover ISSUER' shows what it supports."
	case errors.Is(err, context.DeadlineExceeded):
		return "Timed out; check that the provider is reachable, or raise --timeout."
	}
	return ""
}

// providerFlags are the flags that describe the client at the provider.
type providerFlags struct {
	clientID, clientSecret, scopes string
	timeout                        time.Duration
}

func (pf *providerFlags) add(f *flags, defaultScopes string) {
	f.StringVar(&pf.clientID, "client-id", "", "client ID registered with the provider (required)")
	f.StringVar(&pf.clientSecret, "client-secret", "", "client secret; default $"+envClientSecret+" (the command line is visible to other users)")
	f.StringVar(&pf.scopes, "scopes", defaultScopes, "space-separated scopes to ask for")
	f.DurationVar(&pf.timeout, "timeout", 10*time.Second, "timeout of each request to the provider")
}

// provider builds the client.Provider for issuer, the secret from the
// environment when no flag gave it.
func (a *app) provider(issuer string, pf *providerFlags) client.Provider {
	secret := pf.clientSecret
	if secret == "" {
		secret = a.getenv(envClientSecret)
	}
	return client.Provider{
		Name: "cli", Issuer: issuer, ClientID: pf.clientID, ClientSecret: secret,
		Scopes: strings.Fields(pf.scopes), HTTPClient: a.httpClient, Timeout: pf.timeout, Now: a.now,
	}
}

// printJSON writes raw indented, or as received if it is not JSON.
func printJSON(w io.Writer, raw []byte) {
	var buf bytes.Buffer
	if json.Indent(&buf, raw, "  ", "  ") != nil {
		w.Write(raw)
		fmt.Fprintln(w)
		return
	}
	fmt.Fprintf(w, "  %s\n", buf.Bytes())
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
