// Command benchserver serves the request paths of the benchmark table on
// 127.0.0.1 for wrk (make bench): GET /{case} for each case of bench.Cases
// (bare, gorilla-gob, cookie-identity, cookie-3k, cookie-3k+tokens, memory,
// memory+tokens, redis-ping, redis, redis+tokens, redis-near,
// redis-near+tokens). Once listening it writes
// one line per case to the file named by -cases: the case name, its URL and
// the Cookie header of its signed-in browser, separated by tabs. It stops
// on SIGINT or SIGTERM.
//
//	benchserver -addr 127.0.0.1:8099 -cases /tmp/cases.tsv -redis redis://127.0.0.1:6390/0
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/loginkit/loginkit/bench"
	"github.com/loginkit/loginkit/session"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback only)")
	casesFile := flag.String("cases", "", "write the cases (name<TAB>URL<TAB>cookie) to this file once listening")
	redisURL := flag.String("redis", "", "redis:// URL for the Redis store's cases; none leaves them out")
	flag.Parse()
	if err := run(*addr, *casesFile, *redisURL); err != nil {
		log.Fatal("benchserver: ", err)
	}
}

func run(addr, casesFile, redisURL string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || (host != "127.0.0.1" && host != "localhost" && host != "::1") {
		return fmt.Errorf("-addr %q: listen on loopback only", addr)
	}
	opt := bench.Options{RedisPrefix: fmt.Sprintf("lk-benchserver-%d:", os.Getpid())}
	if redisURL != "" {
		rc, err := session.NewRedisClient(redisURL)
		if err != nil {
			return err
		}
		defer rc.Close()
		if err := ping(rc); err != nil {
			return fmt.Errorf("redis %s: %w", redisURL, err)
		}
		opt.Redis = rc
	}
	cases, err := bench.Cases(opt)
	if err != nil {
		return err
	}
	for _, c := range cases {
		if c.Close != nil {
			defer c.Close()
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	var list strings.Builder
	for _, c := range cases {
		mux.Handle("GET /"+c.Name, c.Handler)
		fmt.Fprintf(&list, "%s\thttp://%s/%s\t%s\n", c.Name, ln.Addr(), c.Name, c.Cookie)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute,
		ErrorLog: log.New(os.Stderr, "benchserver: ", 0)}
	if casesFile != "" { // written whole, then renamed: a reader never sees half
		if err := os.WriteFile(casesFile+".tmp", []byte(list.String()), 0o600); err != nil {
			return err
		}
		if err := os.Rename(casesFile+".tmp", casesFile); err != nil {
			return err
		}
	}
	log.Printf("benchserver: %d cases on http://%s", len(cases), ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func ping(rc *redis.Client) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return rc.Ping(ctx).Err()
}
