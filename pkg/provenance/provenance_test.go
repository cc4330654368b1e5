package provenance

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// sha returns the hex SHA-256 of s, a stand-in digest.
func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// example is a representative release: three files, a tagged commit, a date.
func example() Build {
	return Build{
		Subjects: []Subject{
			{Name: "hello_1.2.3_windows_amd64.msi", SHA256: sha("msi")},
			{Name: "hello_1.2.3_linux_amd64.tar.gz", SHA256: sha("tar")},
			{Name: "hello_1.2.3_amd64.deb", SHA256: sha("deb")},
		},
		BuilderID:    "https://github.com/svcpack/svcpack@v1.0.0",
		Config:       "svcpack.yaml",
		ConfigSHA256: sha("config"),
		Version:      "1.2.3",
		SourceURI:    "git+https://github.com/acme/hello@refs/tags/v1.2.3",
		Commit:       "0123456789abcdef0123456789abcdef01234567",
		GoVersion:    "go1.22.3",
		Date:         time.Unix(1700000000, 0),
	}
}

// The test keys: Ed25519 from a fixed seed (for the golden file), RSA and
// ECDSA made once per run.
var (
	edKey  = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	})
	ecKey = sync.OnceValue(func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	})
)

// keys lists one key of each supported kind.
func keys() []struct {
	name         string
	key          crypto.Signer
	reproducible bool
} {
	return []struct {
		name         string
		key          crypto.Signer
		reproducible bool
	}{{"ed25519", edKey, true}, {"rsa", rsaKey(), true}, {"ecdsa-p256", ecKey(), false}}
}

// seal returns b's envelope signed with key.
func seal(t testing.TB, b Build, key crypto.Signer) []byte {
	t.Helper()
	st, err := b.Statement()
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	env, err := Envelope(st, s)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	file := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -run Golden -update rewrites it):\ngot  %s\nwant %s",
			name, got, want)
	}
}

// TestGoldenEnvelope pins the bytes of a representative envelope (Ed25519 key
// from a fixed seed) and, readable beside it, its Statement; Verify accepts
// the golden envelope.
func TestGoldenEnvelope(t *testing.T) {
	env := seal(t, example(), edKey)
	golden(t, "hello.intoto.jsonl", env)
	st, err := example().Statement()
	if err != nil {
		t.Fatal(err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, st, "", "  "); err != nil {
		t.Fatal(err)
	}
	golden(t, "hello.statement.json", append(pretty.Bytes(), '\n'))
	got, err := Verify(env, edKey.Public())
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !bytes.Equal(got, st) {
		t.Errorf("Verify returned\n%s\nwant\n%s", got, st)
	}
}

// TestReproducible signs the same release twice, once with its subjects in
// another order, and expects identical bytes for the deterministic key kinds,
// and for ECDSA two different envelopes that both verify. The caller's
// subjects are left in their order.
func TestReproducible(t *testing.T) {
	for _, k := range keys() {
		t.Run(k.name, func(t *testing.T) {
			b := example()
			shuffled := example()
			slices.Reverse(shuffled.Subjects)
			first, second := seal(t, b, k.key), seal(t, shuffled, k.key)
			if got := bytes.Equal(first, second); got != k.reproducible {
				t.Errorf("identical envelopes: %v, want %v\n%s%s", got, k.reproducible, first, second)
			}
			for _, env := range [][]byte{first, second} {
				if _, err := Verify(env, k.key.Public()); err != nil {
					t.Errorf("Verify: %v", err)
				}
			}
			if !reflect.DeepEqual(b.Subjects, example().Subjects) {
				t.Errorf("Statement reordered the caller's subjects: %v", b.Subjects)
			}
		})
	}
}

// decode parses JSON into a generic value for field checks.
func decode(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	return m
}

// field walks a generic JSON value along keys.
func field(v any, keys ...string) any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

// TestMetadata checks that timestamps come only from Date (in UTC, as RFC
// 3339), that the invocation id is optional, and that metadata is left out
// when there is neither.
func TestMetadata(t *testing.T) {
	tests := []struct {
		name       string
		date       time.Time
		invocation string
		want       any
	}{
		{"no date", time.Time{}, "", nil},
		{"date in another zone", time.Unix(1700000000, 0).In(time.FixedZone("x", 3600)), "",
			map[string]any{"startedOn": "2023-11-14T22:13:20Z", "finishedOn": "2023-11-14T22:13:20Z"}},
		{"invocation only", time.Time{}, "https://ci.example.com/run/42",
			map[string]any{"invocationId": "https://ci.example.com/run/42"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := example()
			b.Date, b.InvocationID = tt.date, tt.invocation
			st, err := b.Statement()
			if err != nil {
				t.Fatal(err)
			}
			got := field(decode(t, st), "predicate", "runDetails", "metadata")
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("metadata %v, want %v", got, tt.want)
			}
		})
	}
}

// TestDependencies checks resolvedDependencies: the source as far as it is
// known, then the Go toolchain; and the external parameters beside them.
func TestDependencies(t *testing.T) {
	goDep := map[string]any{"name": "go", "uri": "pkg:golang/stdlib@1.22.3"}
	commit := "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name, uri, commit string
		want              []any
	}{
		{"tag and commit", "git+https://github.com/acme/hello@refs/tags/v1.2.3", commit, []any{
			map[string]any{"uri": "git+https://github.com/acme/hello@refs/tags/v1.2.3",
				"digest": map[string]any{"gitCommit": commit}}, goDep}},
		{"module only", "pkg:golang/github.com/acme/hello@v1.2.3", "", []any{
			map[string]any{"uri": "pkg:golang/github.com/acme/hello@v1.2.3"}, goDep}},
		{"commit only", "", commit, []any{map[string]any{"digest": map[string]any{"gitCommit": commit}}, goDep}},
		{"nothing known", "", "", []any{goDep}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := example()
			b.SourceURI, b.Commit = tt.uri, tt.commit
			st, err := b.Statement()
			if err != nil {
				t.Fatal(err)
			}
			def := field(decode(t, st), "predicate", "buildDefinition")
			if got := field(def, "resolvedDependencies"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("resolvedDependencies %v, want %v", got, tt.want)
			}
			params := map[string]any{"version": "1.2.3",
				"config": map[string]any{"path": "svcpack.yaml", "digest": map[string]any{"sha256": sha("config")}}}
			if got := field(def, "externalParameters"); !reflect.DeepEqual(got, params) {
				t.Errorf("externalParameters %v, want %v", got, params)
			}
			if got := field(def, "buildType"); got != BuildTypeV1 {
				t.Errorf("buildType %v, want %v", got, BuildTypeV1)
			}
		})
	}
}

// TestStatementRejects feeds invalid builds and expects errors of the form
// "provenance: <field>: ..." that say what would be valid.
func TestStatementRejects(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*Build)
		fields []string // the fields the error must name
		want   string   // and a word of what is valid
	}{
		{"no subjects", func(b *Build) { b.Subjects = nil }, []string{"Subjects"}, "at least one"},
		{"absolute name", func(b *Build) { b.Subjects[1].Name = "/x.deb" }, []string{"Subjects[1].Name"}, "relative"},
		{"parent name", func(b *Build) { b.Subjects[0].Name = "../x.deb" }, []string{"Subjects[0].Name"}, "relative"},
		{"dot name", func(b *Build) { b.Subjects[0].Name = "dist/./x.deb" }, []string{"Subjects[0].Name"}, "relative"},
		{"empty element", func(b *Build) { b.Subjects[0].Name = "a//x.deb" }, []string{"Subjects[0].Name"}, "relative"},
		{"backslash", func(b *Build) { b.Subjects[0].Name = `dist\x.msi` }, []string{"Subjects[0].Name"}, "slash"},
		{"drive", func(b *Build) { b.Subjects[0].Name = "C:/x.msi" }, []string{"Subjects[0].Name"}, "relative"},
		{"spaces", func(b *Build) { b.Subjects[0].Name = " x.msi" }, []string{"Subjects[0].Name"}, "relative"},
		{"empty name", func(b *Build) { b.Subjects[2].Name = "" }, []string{"Subjects[2].Name"}, "relative"},
		{"uppercase digest", func(b *Build) { b.Subjects[0].SHA256 = strings.ToUpper(sha("x")) },
			[]string{"Subjects[0].SHA256"}, "lowercase hex"},
		{"short digest", func(b *Build) { b.Subjects[0].SHA256 = "abc" }, []string{"Subjects[0].SHA256"}, "64"},
		{"twice", func(b *Build) { b.Subjects[2].Name = b.Subjects[0].Name }, []string{"Subjects[2].Name"}, "once"},
		{"no builder", func(b *Build) { b.BuilderID = "" }, []string{"BuilderID"}, "absolute URI"},
		{"builder not a URI", func(b *Build) { b.BuilderID = "svcpack 1.0" }, []string{"BuilderID"}, "URI"},
		{"builder without host", func(b *Build) { b.BuilderID = "https:///svcpack" }, []string{"BuilderID"}, "host"},
		{"build type relative", func(b *Build) { b.BuildType = "build/v1" }, []string{"BuildType"}, "scheme"},
		{"absolute config", func(b *Build) { b.Config = "/home/me/svcpack.yaml" }, []string{"Config"}, "relative"},
		{"config digest", func(b *Build) { b.ConfigSHA256 = "" }, []string{"ConfigSHA256"}, "64"},
		{"no version", func(b *Build) { b.Version = "" }, []string{"Version"}, "1.2.3"},
		{"version with space", func(b *Build) { b.Version = "1.2 beta" }, []string{"Version"}, "1.2.3"},
		{"source without scheme", func(b *Build) { b.SourceURI = "github.com/acme/hello" },
			[]string{"SourceURI"}, "scheme"},
		{"source with quote", func(b *Build) { b.SourceURI = `https://x.example/"a"` }, []string{"SourceURI"}, "URI"},
		{"short commit", func(b *Build) { b.Commit = "0123abc" }, []string{"Commit"}, "40 or 64"},
		{"go without prefix", func(b *Build) { b.GoVersion = "1.22.3" }, []string{"GoVersion"}, "go1.22.3"},
		{"devel go", func(b *Build) { b.GoVersion = "devel go1.27-abc" }, []string{"GoVersion"}, "go1.22.3"},
		{"date before 1970", func(b *Build) { b.Date = time.Unix(-1, 0) }, []string{"Date"}, "1970"},
		{"several", func(b *Build) { b.Version, b.Commit = "", "x" }, []string{"Version", "Commit"}, "valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := example()
			tt.edit(&b)
			st, err := b.Statement()
			if err == nil {
				t.Fatalf("no error; got %s", st)
			}
			for _, f := range tt.fields {
				if !strings.Contains(err.Error(), "provenance: "+f+": ") {
					t.Errorf("error does not name %s: %v", f, err)
				}
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error does not say %q: %v", tt.want, err)
			}
		})
	}
}

// TestRefusesControlCharacters sets each string field of Build and Subject,
// found by reflection so that a new field is covered the day it is added, to
// a value holding a control or line-separator character (or invalid UTF-8),
// and expects an error naming that field.
func TestRefusesControlCharacters(t *testing.T) {
	bad := []string{"\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\u0085", "\u2028", "\u2029", "\xff"}
	type target struct {
		name string
		get  func(*Build) reflect.Value
	}
	var targets []target
	for i := range reflect.TypeFor[Build]().NumField() {
		targets = append(targets, target{reflect.TypeFor[Build]().Field(i).Name,
			func(b *Build) reflect.Value { return reflect.ValueOf(b).Elem().Field(i) }})
	}
	for i := range reflect.TypeFor[Subject]().NumField() {
		targets = append(targets, target{"Subjects[0]." + reflect.TypeFor[Subject]().Field(i).Name,
			func(b *Build) reflect.Value { return reflect.ValueOf(&b.Subjects[0]).Elem().Field(i) }})
	}
	checked := 0
	for _, tg := range targets {
		if probe := example(); tg.get(&probe).Kind() != reflect.String {
			continue
		}
		checked++
		for _, c := range bad {
			b := example()
			v := tg.get(&b)
			s := v.String()
			if s == "" {
				s = "x"
			}
			v.SetString(s[:len(s)/2] + c + s[len(s)/2:])
			if _, err := b.Statement(); err == nil || !strings.Contains(err.Error(), "provenance: "+tg.name+": ") {
				t.Errorf("%s with %q: error %v, want one naming the field", tg.name, c, err)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d string fields found by reflection", checked)
	}
}
