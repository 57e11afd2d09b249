// Command loginkit helps integrate an OAuth 2.0 / OpenID Connect provider:
//
//	loginkit discover ISSUER                       check the provider's metadata
//	loginkit login ISSUER --client-id ID           sign in (browser on a loopback port, or --device)
//	loginkit token ISSUER --client-id ID           a client credentials token
//	loginkit register ISSUER --name N --redirect-uri U   dynamic client registration
//
// Run "loginkit COMMAND --help" for each command's flags. Secrets can come
// from the environment (LOGINKIT_CLIENT_SECRET, LOGINKIT_INITIAL_ACCESS_TOKEN)
// rather than the command line, where other users may see them.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program but for the process: testable with any args and
// writers. It returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return newApp(stdout, stderr).run(ctx, args)
}
