package e2e_test

// Building examples/webapp once and running it as a separate process, the
// way a newcomer runs it: configured only through its documented environment.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/loginkit/loginkit/internal/procio"
)

const (
	webappReadyTimeout = 20 * time.Second
	webappStopGrace    = 5 * time.Second
	// listeningPrefix is the line examples/webapp prints to stdout once it serves.
	listeningPrefix = "loginkit demo listening on "
)

var (
	buildOnce sync.Once
	binDir    string // removed by TestMain
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// webappBinary builds examples/webapp once per test binary (with -race when
// the tests run with it, so the app's own data races fail the test too).
func webappBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e: examples/webapp is not built or run in -short mode")
	}
	buildOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("the go tool is not on PATH: %w", err)
			return
		}
		root, err := filepath.Abs("..")
		if err != nil {
			buildErr = err
			return
		}
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
			buildErr = fmt.Errorf("module root not found from %s: %w", root, err)
			return
		}
		if binDir, err = os.MkdirTemp("", "loginkit-e2e-bin-*"); err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(binDir, "webapp")
		args := []string{"build", "-o", binPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		args = append(args, "./examples/webapp")
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, goTool, args...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("e2e: building examples/webapp: %v", buildErr)
	}
	return binPath
}

// freeAddr picks a free port on 127.0.0.1 for the app.
func freeAddr(t *testing.T) string {
	t.Helper()
	addr, release := reserveAddr(t)
	release()
	return addr
}

// reserveAddr holds a free port on 127.0.0.1 until release, so that the
// app's redirect URIs can be registered with a provider (which binds a port
// of its own meanwhile) before the app listens on it.
func reserveAddr(t *testing.T) (addr string, release func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() { once.Do(func() { ln.Close() }) }
	t.Cleanup(release)
	return ln.Addr().String(), release
}

// webapp is a running examples/webapp process.
type webapp struct {
	URL string // http://127.0.0.1:PORT, no trailing slash

	cmd     *exec.Cmd
	stderr  *procio.Buffer
	exited  chan struct{}
	waitErr error

	mu      sync.Mutex
	secrets []string // values that must never appear in the app's log
}

// startWebapp runs the app on addr with the given LOGINKIT_* variables (and a
// fixed session key), waits for its listening line and /healthz, and stops it
// with SIGTERM when the test ends. The cleanup fails the test when the app
// does not exit cleanly, reports a data race, or logs a token or secret; on
// failure it dumps the app's stderr.
func startWebapp(t *testing.T, addr string, env ...string) *webapp {
	t.Helper()
	bin := webappBinary(t)
	key := make([]byte, 32)
	rand.Read(key)
	cmd := exec.Command(bin)
	// Only the documented environment: nothing leaks in from the test's.
	cmd.Env = append([]string{
		"LOGINKIT_ADDR=" + addr,
		"LOGINKIT_SESSION_KEY=" + hex.EncodeToString(key),
	}, env...)
	cmd.WaitDelay = webappStopGrace
	setParentDeathSignal(cmd)
	app := &webapp{cmd: cmd, stderr: &procio.Buffer{}, exited: make(chan struct{})}
	cmd.Stderr = app.stderr
	listening := make(chan string, 1)
	cmd.Stdout = &procio.LineWriter{Fn: func(line string) {
		if u, ok := strings.CutPrefix(line, listeningPrefix); ok {
			select {
			case listening <- strings.TrimSpace(u):
			default:
			}
		}
	}}
	if err := cmd.Start(); err != nil {
		t.Fatalf("e2e: starting webapp: %v", err)
	}
	go func() {
		app.waitErr = cmd.Wait()
		close(app.exited)
	}()
	t.Cleanup(func() { app.stop(t) })

	select {
	case app.URL = <-listening:
	case <-app.exited:
		t.Fatalf("e2e: webapp exited before listening (%v); stderr:\n%s", app.waitErr, app.stderr)
	case <-time.After(webappReadyTimeout):
		t.Fatalf("e2e: webapp did not print %q within %v", listeningPrefix, webappReadyTimeout)
	}
	if want := "http://" + addr; app.URL != want {
		t.Fatalf("e2e: webapp listens on %s, want %s", app.URL, want)
	}
	app.waitHealthy(t)
	return app
}

func (a *webapp) waitHealthy(t *testing.T) {
	t.Helper()
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(webappReadyTimeout)
	for {
		resp, err := hc.Get(a.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("e2e: %s/healthz not 200 after %v (last: %v)", a.URL, webappReadyTimeout, errOrStatus(resp, err))
		}
		select {
		case <-a.exited:
			t.Fatalf("e2e: webapp exited while starting (%v)", a.waitErr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func errOrStatus(resp *http.Response, err error) string {
	if err != nil {
		return err.Error()
	}
	return resp.Status
}

// noLeak registers values (codes, tokens, cookies) that the app's log must not contain.
func (a *webapp) noLeak(values ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, v := range values {
		if len(v) >= 12 { // shorter values could match by chance
			a.secrets = append(a.secrets, v)
		}
	}
}

// Stderr is what the app has logged so far.
func (a *webapp) Stderr() string { return a.stderr.String() }

func (a *webapp) stop(t *testing.T) {
	select {
	case <-a.exited:
		t.Errorf("e2e: webapp exited during the test: %v", a.waitErr)
	default:
		_ = a.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-a.exited:
			if a.waitErr != nil {
				t.Errorf("e2e: webapp did not exit cleanly on SIGTERM: %v", a.waitErr)
			}
		case <-time.After(webappStopGrace):
			_ = a.cmd.Process.Kill()
			<-a.exited
			t.Errorf("e2e: webapp still running %v after SIGTERM; killed", webappStopGrace)
		}
	}
	log := a.stderr.String()
	if strings.Contains(log, "WARNING: DATA RACE") {
		t.Error("e2e: the webapp reported a data race (stderr below)")
	}
	a.checkLogForSecrets(t, log)
	if t.Failed() {
		t.Logf("e2e: webapp stderr:\n%s", log)
	}
}

var (
	// A JWT (ID tokens; JWT access tokens).
	jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.`)
	// A long base64url run: opaque access and refresh tokens (oidc-provider's
	// are 43 characters), codes, sealed cookies. Nothing the app should log
	// legitimately looks like this.
	opaquePattern = regexp.MustCompile(`[A-Za-z0-9_-]{32,}`)
)

// checkLogForSecrets fails the test when the app's log holds a registered
// secret, or anything shaped like a token.
func (a *webapp) checkLogForSecrets(t *testing.T, log string) {
	a.mu.Lock()
	secrets := append([]string(nil), a.secrets...)
	a.mu.Unlock()
	for _, s := range secrets {
		if strings.Contains(log, s) {
			t.Errorf("e2e: the webapp's log contains a secret value (%d characters, starting %.6q…)", len(s), s)
		}
	}
	if m := jwtPattern.FindString(log); m != "" {
		t.Errorf("e2e: the webapp's log contains a JWT (%.16q…)", m)
	}
	if m := opaquePattern.FindString(log); m != "" {
		t.Errorf("e2e: the webapp's log contains a token-like string (%.10q…, %d characters)", m, len(m))
	}
}

// oidcEnv configures the app's "oidc" provider with the real OP's confidential client.
func oidcEnv(issuer string, extra ...string) []string {
	return append([]string{
		"LOGINKIT_OIDC_ISSUER=" + issuer,
		"LOGINKIT_OIDC_CLIENT_ID=loginkit-confidential",
		"LOGINKIT_OIDC_CLIENT_SECRET=loginkit-secret",
	}, extra...)
}

// skipOrFail skips the test for a missing tool, or fails it in CI.
func skipOrFail(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
