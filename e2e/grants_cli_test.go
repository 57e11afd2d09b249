package e2e_test

// cmd/loginkit built and run as a process against the real oidc-provider,
// the way someone integrating a provider would use it: the test reads what
// it prints and plays the user in a (scripted) browser.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loginkit/loginkit/e2e/internal/realop"
)

const cliTimeout = 60 * time.Second

// buildLoginkitCLI builds cmd/loginkit into the test's temporary directory.
func buildLoginkitCLI(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e: cmd/loginkit is not built in -short mode")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("e2e: the go tool is not on PATH: %v", err)
		}
		t.Skipf("e2e: the go tool is not on PATH: %v", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "loginkit")
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, "./cmd/loginkit")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("e2e: go build ./cmd/loginkit: %v\n%s", err, out)
	}
	return bin
}

// cliProc is a running loginkit command.
type cliProc struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stdout bytes.Buffer
	stderr bytes.Buffer
	lines  chan string // stderr, line by line
	done   chan struct{}
	err    error
}

func startCLI(t *testing.T, bin string, env []string, args ...string) *cliProc {
	t.Helper()
	p := &cliProc{lines: make(chan string, 256), done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout = &cliWriter{p: p, buf: &p.stdout}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
		io.Copy(io.Discard, stderr)
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("loginkit %s:\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), p.out(), p.errOut())
		}
	})
	return p
}

type cliWriter struct {
	p   *cliProc
	buf *bytes.Buffer
}

func (w *cliWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.buf.Write(b)
}

func (p *cliProc) out() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stdout.String()
}

func (p *cliProc) errOut() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// waitLine returns the first stderr line (trimmed) that has prefix.
func (p *cliProc) waitLine(t *testing.T, prefix string) string {
	t.Helper()
	timer := time.NewTimer(cliTimeout)
	defer timer.Stop()
	for {
		select {
		case l := <-p.lines:
			if l = strings.TrimSpace(l); strings.HasPrefix(l, prefix) {
				return l
			}
		case <-p.done:
			t.Fatalf("loginkit exited (%v) before printing %q", p.err, prefix)
		case <-timer.C:
			t.Fatalf("loginkit did not print %q within %v", prefix, cliTimeout)
		}
	}
}

// exitCode waits for the process and returns its exit status.
func (p *cliProc) exitCode(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(cliTimeout):
		t.Fatalf("loginkit still running after %v", cliTimeout)
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	return 0
}

func TestGrantsCLIRealOP(t *testing.T) {
	bin := buildLoginkitCLI(t)
	op := realop.Start(t, realop.Options{Env: []string{"OP_PUBLIC_REDIRECT_URIS=http://127.0.0.1/callback"}})
	secret := []string{"LOGINKIT_CLIENT_SECRET=" + realop.ServiceClientSecret}

	t.Run("discover", func(t *testing.T) {
		p := startCLI(t, bin, nil, "discover", op.Issuer)
		if code := p.exitCode(t); code != 0 {
			t.Fatalf("exit %d", code)
		}
		for _, want := range []string{"device authorization (RFC 8628)            yes", "PKCE methods                               S256", "0 problem(s)"} {
			if !strings.Contains(p.out(), want) {
				t.Errorf("report lacks %q", want)
			}
		}
	})

	t.Run("token", func(t *testing.T) {
		p := startCLI(t, bin, secret, "token", op.Issuer, "--client-id", realop.ServiceClientID, "--scopes", "api:read")
		if code := p.exitCode(t); code != 0 || !strings.Contains(p.out(), `scope "api:read"`) || strings.Contains(p.out(), "access_token:") {
			t.Fatalf("exit %d:\n%s", code, p.out())
		}
		js := startCLI(t, bin, secret, "token", op.Issuer, "--client-id", realop.ServiceClientID, "--show-tokens", "--json")
		var out struct {
			Tokens struct {
				AccessToken string `json:"access_token"`
			} `json:"tokens"`
		}
		if code := js.exitCode(t); code != 0 || json.Unmarshal([]byte(js.out()), &out) != nil || out.Tokens.AccessToken == "" {
			t.Fatalf("exit %d:\n%s", code, js.out())
		}
		bad := startCLI(t, bin, []string{"LOGINKIT_CLIENT_SECRET=wrong"}, "token", op.Issuer, "--client-id", realop.ServiceClientID)
		if code := bad.exitCode(t); code != 1 || !strings.Contains(bad.errOut(), "invalid_client") || !strings.Contains(bad.errOut(), "Check --client-id") {
			t.Fatalf("wrong secret: exit %d: %s", code, bad.errOut())
		}
	})

	t.Run("login through a loopback redirect", func(t *testing.T) {
		p := startCLI(t, bin, nil, "login", op.Issuer, "--client-id", realop.PublicClientID, "--no-browser")
		authURL := p.waitLine(t, op.Issuer+"/auth?")
		back := op.Authorize(t, grantsJar(t), authURL, "dave")
		if back.Hostname() != "127.0.0.1" || back.Path != "/callback" || back.Port() == "" {
			t.Fatalf("sent back to %s://%s%s", back.Scheme, back.Host, back.Path)
		}
		resp, err := http.Get(back.String()) // the browser reaches the CLI
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "You can close this tab") {
			t.Fatalf("loopback page %d: %s", resp.StatusCode, page)
		}
		if code := p.exitCode(t); code != 0 {
			t.Fatalf("exit %d", code)
		}
		out := p.out()
		for _, want := range []string{"Signed in: dave <dave@example.com>", `"sub": "dave"`, `"iss": "` + op.Issuer + `"`, "Add --show-tokens"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q", want)
			}
		}
		if strings.Contains(out, "eyJ") || strings.Contains(p.errOut(), "eyJ") {
			t.Error("a token was printed without --show-tokens")
		}
		if !strings.Contains(p.errOut(), "Waiting for the sign-in") {
			t.Error("no progress line")
		}
	})

	t.Run("login with a device code", func(t *testing.T) {
		p := startCLI(t, bin, nil, "login", op.Issuer, "--client-id", realop.DeviceClientID, "--device", "--no-browser")
		complete := strings.TrimPrefix(p.waitLine(t, "Or open "), "Or open ")
		p.waitLine(t, "Waiting for the code to be approved")
		op.ApproveDevice(t, grantsJar(t), complete, "frank")
		if code := p.exitCode(t); code != 0 || !strings.Contains(p.out(), "Signed in: frank <frank@example.com>") {
			t.Fatalf("exit %d:\n%s", code, p.out())
		}
	})

	t.Run("register", func(t *testing.T) {
		p := startCLI(t, bin, nil, "register", op.Issuer, "--name", "CLI app", "--website", "https://cli.example", "--redirect-uri", grantsRedirect)
		if code := p.exitCode(t); code != 0 || !strings.Contains(p.out(), "client_id ") || !strings.Contains(p.errOut(), "it matches") {
			t.Fatalf("exit %d:\n%s\n%s", code, p.out(), p.errOut())
		}
	})
}
