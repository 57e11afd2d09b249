package bounded_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loginkit/loginkit/internal/bounded"
)

func TestLimit(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		size     int
		declared bool
		wantErr  bool
	}{
		{"under", 99, true, false},
		{"exactly", 100, true, false},
		{"exactly chunked", 100, false, false},
		{"over declared", 101, true, true},
		{"over chunked", 101, false, true},
		{"far over chunked", 20 << 20, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.declared {
					w.Header().Set("Content-Length", strconv.Itoa(tc.size))
				}
				w.Write([]byte(strings.Repeat("x", tc.size)))
			}))
			defer srv.Close()
			hc := bounded.Client(nil, time.Second, 100)
			resp, err := hc.Get(srv.URL)
			if err == nil {
				defer resp.Body.Close()
				var body []byte
				body, err = io.ReadAll(resp.Body)
				if err == nil && len(body) != tc.size {
					t.Fatalf("read %d bytes, want %d", len(body), tc.size)
				}
			}
			if got := errors.Is(err, bounded.ErrTooLarge); got != tc.wantErr {
				t.Fatalf("err %v, want ErrTooLarge %t", err, tc.wantErr)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	start := time.Now()
	if _, err := bounded.Client(nil, 200*time.Millisecond, 0).Get(srv.URL); err == nil {
		t.Fatal("no timeout")
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("took %v", el)
	}
}

func TestBaseClientKept(t *testing.T) {
	t.Parallel()
	base := &http.Client{Timeout: time.Hour}
	c := bounded.Client(base, 5*time.Second, 0)
	if c.Timeout != 5*time.Second || base.Timeout != time.Hour || base.Transport != nil {
		t.Fatalf("timeout %v; base changed: %v %v", c.Timeout, base.Timeout, base.Transport)
	}
}
