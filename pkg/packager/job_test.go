package packager

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/svcpack/svcpack/pkg/platform"
)

// memoRun is a Run with only the memo: Shared's behaviour is what it adds.
type memoRun struct {
	Run // the rest is not called
	mu  sync.Mutex
	m   map[string]func() (any, error)
}

func (r *memoRun) Shared(key string, read func() (any, error)) (any, error) {
	r.mu.Lock()
	f, ok := r.m[key]
	if !ok {
		f = sync.OnceValues(read)
		r.m[key] = f
	}
	r.mu.Unlock()
	return f()
}

// TestShared: one read per key, its error shared too, and a key read as two
// types is an error, never a zero value.
func TestShared(t *testing.T) {
	j := NewJob(nil, platform.Target{}, &memoRun{m: map[string]func() (any, error){}})
	reads := 0
	read := func() (*int, error) { reads++; n := 7; return &n, nil }
	a, err := Shared(j, "n", read)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Shared(j, "n", read)
	if reads != 1 || a != b || *a != 7 {
		t.Errorf("reads %d, %p %p", reads, a, b)
	}
	boom := errors.New("boom")
	if _, err := Shared(j, "e", func() (string, error) { return "", boom }); !errors.Is(err, boom) {
		t.Errorf("error %v, want boom", err)
	}
	if _, err := Shared(j, "n", func() (string, error) { return "x", nil }); err == nil || !strings.Contains(err.Error(), "two readers use one key") {
		t.Errorf("a key read as another type: %v", err)
	}
}
