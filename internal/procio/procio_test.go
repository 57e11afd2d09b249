package procio_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/loginkit/loginkit/internal/procio"
)

func TestLineWriter(t *testing.T) {
	t.Parallel()
	var got []string
	w := &procio.LineWriter{Fn: func(l string) { got = append(got, l) }}
	for _, chunk := range []string{"REA", "DY http://x\r\nsecond", " line\nthird"} {
		fmt.Fprint(w, chunk)
	}
	if want := []string{"READY http://x", "second line"}; !slices.Equal(got, want) {
		t.Fatalf("lines %q, want %q (the unfinished third is held back)", got, want)
	}
}

func TestBufferConcurrent(t *testing.T) {
	t.Parallel()
	var b procio.Buffer
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { fmt.Fprint(&b, "ab") })
	}
	wg.Wait()
	if len(b.String()) != 20 {
		t.Fatalf("%q", b.String())
	}
}
