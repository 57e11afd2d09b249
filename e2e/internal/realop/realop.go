// Package realop runs a real, independently written OpenID Provider —
// panva's oidc-provider from npm, pinned in e2e/op/package-lock.json — for
// loginkit's end-to-end tests, and scripts a browser through its development
// login and consent pages.
//
// The provider is a Node.js program (e2e/op/server.mjs). Start installs its
// node_modules with `npm ci` when they are missing, starts it on a random port
// of 127.0.0.1 and stops it when the test ends. Without Node.js the test is
// skipped, except in CI (CI=true), where it fails.
package realop

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/loginkit/loginkit/internal/procio"
)

// The clients server.mjs registers by default (unless Options.Env sets OP_CLIENTS).
const (
	// ConfidentialClientID is a web client: client_secret_basic, authorization_code
	// and refresh_token, redirect URIs from Options.RedirectURIs.
	ConfidentialClientID     = "loginkit-confidential"
	ConfidentialClientSecret = "loginkit-secret"
	// PublicClientID is a native public client (no secret, PKCE): loopback
	// redirect URIs match on any port. Redirect URIs: OP_PUBLIC_REDIRECT_URIS,
	// else Options.RedirectURIs.
	PublicClientID = "loginkit-public"
	// ServiceClientID uses the client_credentials grant (scopes api:read api:write).
	ServiceClientID     = "loginkit-service"
	ServiceClientSecret = "loginkit-service-secret"
	// DeviceClientID is a public client of the device authorization grant.
	DeviceClientID = "loginkit-device"
)

// Timeouts of the harness.
const (
	readyTimeout   = 30 * time.Second
	stopGrace      = 5 * time.Second
	npmTimeout     = 5 * time.Minute
	requestTimeout = 10 * time.Second
)

// Options configure the provider. Zero values take server.mjs's defaults.
type Options struct {
	// RedirectURIs of the confidential client (OP_REDIRECT_URIS); the public
	// client uses them too unless Env sets OP_PUBLIC_REDIRECT_URIS.
	RedirectURIs []string
	// PostLogoutURIs of the confidential client (OP_POST_LOGOUT_URIS).
	PostLogoutURIs []string
	// AccessTTL of access tokens and client credentials tokens, rounded up to
	// whole seconds (OP_ACCESS_TTL); zero means one hour.
	AccessTTL time.Duration
	// Env holds more KEY=value settings for server.mjs (see the top of that
	// file); they override the ones above.
	Env []string
}

// OP is a running provider.
type OP struct {
	// Issuer is http://127.0.0.1:<port>, without a trailing slash.
	Issuer string
	// HTTPClient is the client that GrantCount and ResetCounts use.
	HTTPClient *http.Client

	stderr   *procio.Buffer
	stopOnce sync.Once
	stop     func()
}

// Start starts a provider for the test and stops it when the test ends.
// In -short mode (make fast: no real peers) it skips the test.
func Start(t testing.TB, opt Options) *OP {
	t.Helper()
	if testing.Short() {
		t.Skip("realop: the real OpenID Provider is not started in -short mode")
	}
	dir := opDir(t)
	node := requireTool(t, "node")
	ensureModules(t, dir)

	env := append(os.Environ(),
		"OP_PORT=0",
		"OP_TEST_HOOKS=1",
		"OP_EXIT_ON_STDIN_EOF=1",
	)
	if len(opt.RedirectURIs) > 0 {
		env = append(env, "OP_REDIRECT_URIS="+strings.Join(opt.RedirectURIs, ","))
	}
	if len(opt.PostLogoutURIs) > 0 {
		env = append(env, "OP_POST_LOGOUT_URIS="+strings.Join(opt.PostLogoutURIs, ","))
	}
	if opt.AccessTTL < 0 {
		t.Fatalf("realop: negative AccessTTL %v", opt.AccessTTL)
	}
	if opt.AccessTTL > 0 {
		secs := int64((opt.AccessTTL + time.Second - 1) / time.Second)
		env = append(env, "OP_ACCESS_TTL="+strconv.FormatInt(secs, 10))
	}
	env = append(env, opt.Env...) // exec keeps the last value of a duplicated key

	cmd := exec.Command(node, "server.mjs")
	cmd.Dir = dir
	cmd.Env = env
	cmd.WaitDelay = stopGrace
	stderr := &procio.Buffer{}
	cmd.Stderr = stderr
	// The server exits when this pipe closes, so a test binary that dies
	// without running its cleanups does not leave it behind.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("realop: %v", err)
	}
	ready := make(chan string, 1)
	readySent := false
	cmd.Stdout = &procio.LineWriter{Fn: func(line string) {
		// Called from exec's copying goroutine only.
		if !readySent && strings.HasPrefix(line, "READY ") {
			readySent = true
			ready <- strings.TrimSpace(strings.TrimPrefix(line, "READY "))
			return
		}
		fmt.Fprintf(stderr, "[stdout] %s\n", line)
	}}
	if err := cmd.Start(); err != nil {
		t.Fatalf("realop: starting %s server.mjs: %v", node, err)
	}

	op := &OP{
		HTTPClient: &http.Client{Timeout: requestTimeout},
		stderr:     stderr,
	}

	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()

	op.stop = func() {
		_ = stdin.Close()
		select {
		case <-exited:
		default:
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(stopGrace):
				_ = cmd.Process.Kill()
				<-exited
			}
		}
	}
	t.Cleanup(func() {
		op.Stop()
		if t.Failed() {
			t.Logf("realop: oidc-provider stderr:\n%s", stderr.String())
		}
	})

	select {
	case issuer := <-ready:
		op.Issuer = issuer
	case <-exited:
		t.Fatalf("realop: server.mjs exited before it was ready (%v); stderr:\n%s", waitErr, stderr.String())
	case <-time.After(readyTimeout):
		t.Fatalf("realop: server.mjs not ready after %v; stderr:\n%s", readyTimeout, stderr.String())
	}
	return op
}

// Stop stops the provider now (SIGTERM, then SIGKILL after 5 s), for tests
// of an unreachable provider. The test's cleanup calls it too; more calls do
// nothing.
func (o *OP) Stop() { o.stopOnce.Do(o.stop) }

// Stderr returns what the provider wrote to stderr so far (its errors and
// oidc-provider's notices; never tokens).
func (o *OP) Stderr() string { return o.stderr.String() }

// Counts are the provider's token endpoint requests by grant_type.
type Counts struct {
	Success map[string]int `json:"success"`
	Error   map[string]int `json:"error"`
}

// Counts reads the provider's token endpoint counters.
func (o *OP) Counts(t testing.TB) Counts {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.Issuer+"/__test/counts", nil)
	if err != nil {
		t.Fatalf("realop: %v", err)
	}
	resp, err := o.HTTPClient.Do(req)
	if err != nil {
		t.Fatalf("realop: reading counts: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("realop: GET /__test/counts: %s", resp.Status)
	}
	var c Counts
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&c); err != nil {
		t.Fatalf("realop: decoding counts: %v", err)
	}
	return c
}

// GrantCount is the number of successful token endpoint requests with the
// grant_type (e.g. "authorization_code", "refresh_token") since the start or
// the last ResetCounts.
func (o *OP) GrantCount(t testing.TB, grantType string) int {
	t.Helper()
	return o.Counts(t).Success[grantType]
}

// GrantErrorCount is the number of failed token endpoint requests with the grant_type.
func (o *OP) GrantErrorCount(t testing.TB, grantType string) int {
	t.Helper()
	return o.Counts(t).Error[grantType]
}

// ResetCounts sets the token endpoint counters to zero.
func (o *OP) ResetCounts(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.Issuer+"/__test/reset", nil)
	if err != nil {
		t.Fatalf("realop: %v", err)
	}
	resp, err := o.HTTPClient.Do(req)
	if err != nil {
		t.Fatalf("realop: resetting counts: %v", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("realop: POST /__test/reset: %s", resp.Status)
	}
}

// opDir is e2e/op, found from this source file so any package's tests can use it.
func opDir(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("realop: cannot locate e2e/op: runtime.Caller failed")
	}
	dir := filepath.Join(filepath.Dir(file), "..", "..", "op")
	if _, err := os.Stat(filepath.Join(dir, "server.mjs")); err != nil {
		t.Fatalf("realop: e2e/op/server.mjs not found: %v", err)
	}
	return dir
}

const installHint = "Node.js 20.18 or later (22 LTS preferred) with npm on PATH; Debian 12's own nodejs package (18) is too old"

// requireTool finds a program, or skips the test (fails it in CI).
func requireTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("realop: %q not found in PATH; the real-OP end-to-end tests need %s", name, installHint)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

var installMu sync.Mutex // serialises installs inside one test binary; the file lock covers the rest

// ensureModules runs `npm ci` in dir unless node_modules already matches
// package-lock.json. A file lock keeps test binaries running in parallel
// (go test ./... runs packages at once) from installing over each other.
func ensureModules(t testing.TB, dir string) {
	t.Helper()
	ok, err := modulesInstalled(dir)
	if err != nil {
		t.Fatalf("realop: %v", err)
	}
	if ok {
		return
	}
	npm := requireTool(t, "npm")

	installMu.Lock()
	defer installMu.Unlock()
	unlock, err := lockFile(lockPath(dir))
	if err != nil {
		t.Fatalf("realop: locking for npm ci: %v", err)
	}
	defer unlock()

	if ok, err := modulesInstalled(dir); err != nil {
		t.Fatalf("realop: %v", err)
	} else if ok {
		return // another process installed them while we waited
	}
	ctx, cancel := context.WithTimeout(context.Background(), npmTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("realop: npm ci in %s: %v\n%s", dir, err, out)
	}
	if ok, err := modulesInstalled(dir); err != nil || !ok {
		t.Fatalf("realop: node_modules still not matching package-lock.json after npm ci (%v)\n%s", err, out)
	}
}

// modulesInstalled reports whether every package in package-lock.json is in
// node_modules at its locked version.
func modulesInstalled(dir string) (bool, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return false, fmt.Errorf("reading package-lock.json: %w", err)
	}
	var lock struct {
		Packages map[string]struct {
			Version  string `json:"version"`
			Optional bool   `json:"optional"`
			Dev      bool   `json:"dev"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(raw, &lock); err != nil {
		return false, fmt.Errorf("parsing package-lock.json: %w", err)
	}
	n := 0
	for path, p := range lock.Packages {
		if !strings.HasPrefix(path, "node_modules/") || p.Optional || p.Dev {
			continue
		}
		n++
		raw, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path), "package.json"))
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		var pkg struct {
			Version string `json:"version"`
		}
		if json.Unmarshal(raw, &pkg) != nil || pkg.Version != p.Version {
			return false, nil
		}
	}
	if n == 0 {
		return false, errors.New("package-lock.json lists no packages")
	}
	return true, nil
}

// lockPath is a lock file outside the work tree, one per e2e/op directory.
func lockPath(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	sum := sha256.Sum256([]byte(dir))
	return filepath.Join(os.TempDir(), "loginkit-realop-npm-"+hex.EncodeToString(sum[:8])+".lock")
}
