// Package redistest runs a real redis-server (the Debian package) for
// loginkit's tests: on 127.0.0.1, a random port, in a temporary directory,
// without periodic persistence (--save "" --appendonly no), stopped when the
// test ends.
//
// A test can take Redis away and bring it back mid-test: Stop shuts it down
// (writing one snapshot to its temporary directory, as a Redis with
// persistence would), Start brings it back on the same port with the same
// data, Kill loses the data, and Pause/Resume freeze it so that requests
// hang instead of failing fast.
//
// Without redis-server the test is skipped, except under CI=true, where it
// fails; under -short (make fast: no real peers) it is skipped.
package redistest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loginkit/loginkit/internal/procio"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

const (
	readyTimeout = 10 * time.Second
	stopGrace    = 5 * time.Second
)

// Server is a redis-server process owned by one test.
type Server struct {
	// Addr is 127.0.0.1:port; it stays the same across Stop and Start.
	Addr string

	t    testing.TB
	bin  string
	dir  string
	port int

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	paused bool
}

// Start runs a redis-server for t and stops it when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("redistest: redis-server is not started in -short mode")
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		msg := "redistest: redis-server not found in PATH (Debian: apt-get install redis-server)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir()}
	t.Cleanup(s.cleanup)
	var lastErr error
	for range 5 { // a free port can be taken between picking and binding it
		if s.port, lastErr = freePort(); lastErr != nil {
			continue
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
		if lastErr = s.start(); lastErr == nil {
			return s
		}
	}
	t.Fatalf("redistest: %v", lastErr)
	return nil
}

// URL is the server's redis:// URL for database db.
func (s *Server) URL(db int) string { return "redis://" + s.Addr + "/" + strconv.Itoa(db) }

// Client returns a client with loginkit's recommended options (short
// timeouts, no retries to speak of), closed when the test ends.
func (s *Server) Client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr: s.Addr, DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second,
		MaxRetries: -1, DialerRetries: 1, ContextTimeoutEnabled: true, PoolSize: 64,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// Start brings a stopped server back on the same port, with the data it had
// when Stop shut it down.
func (s *Server) Start() {
	s.t.Helper()
	var err error
	for i := 0; i < 20; i++ { // the old socket may linger for a moment
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("redistest: restarting on %s: %v", s.Addr, err)
}

// Stop shuts the server down, saving its data to the temporary directory
// so that Start brings it back (SHUTDOWN SAVE, as a Redis with persistence
// would keep it). New connections are refused until Start.
func (s *Server) Stop() {
	s.t.Helper()
	s.Resume()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), stopGrace)
	defer cancel()
	_ = c.ShutdownSave(ctx).Err() // the connection closes before any answer
	s.wait(true)
}

// Kill ends the server at once, losing its data.
func (s *Server) Kill() {
	s.t.Helper()
	s.mu.Lock()
	cmd := s.cmd
	s.paused = false
	s.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Kill()
	}
	s.wait(false)
	os.Remove(s.dir + "/dump.rdb")
}

// Pause freezes the server (SIGSTOP): connections stay open, requests hang.
func (s *Server) Pause() { s.pause(true) }

// Resume undoes Pause.
func (s *Server) Resume() { s.pause(false) }

func (s *Server) pause(paused bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sig := pauseSignal(paused)
	if s.cmd == nil || s.paused == paused || sig == nil {
		return
	}
	_ = s.cmd.Process.Signal(sig)
	s.paused = paused
}

func (s *Server) start() error {
	cmd := exec.Command(s.bin,
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--protected-mode", "yes",
		"--save", "", "--appendonly", "no", "--dir", s.dir, "--dbfilename", "dump.rdb",
		"--daemonize", "no", "--loglevel", "warning", "--logfile", "")
	cmd.Dir = s.dir
	setParentDeathSignal(cmd)
	out := &procio.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(readyTimeout)
	for {
		if ping(s.Addr) {
			s.mu.Lock()
			s.cmd, s.exited, s.paused = cmd, exited, false
			s.mu.Unlock()
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("redis-server on port %d exited: %s", s.port, strings.TrimSpace(out.String()))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("redis-server on port %d not ready after %v: %s", s.port, readyTimeout, out.String())
		}
	}
}

// wait waits for the process to exit, killing it after the grace period.
func (s *Server) wait(graceful bool) {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd, s.exited = nil, nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	grace := stopGrace
	if !graceful {
		grace = 0
	}
	select {
	case <-exited:
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-exited
	}
}

func (s *Server) cleanup() {
	s.Resume()
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Signal(os.Interrupt) // redis-server exits on SIGINT as on SIGTERM
		s.wait(true)
	}
}

// ping speaks just enough RESP to see the server answer.
func ping(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
