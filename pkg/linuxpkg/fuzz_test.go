package linuxpkg

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/svcpack/svcpack/internal/textread"
)

// unitLines parses a unit the way systemd reads its lines: sections,
// comments, and Key=value pairs (a line continuation would be a backslash
// at the end, which Unit refuses).
func unitLines(unit string) (keys []string, values map[string][]string) {
	values = map[string][]string{}
	for _, l := range strings.Split(unit, "\n") {
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";") || strings.HasPrefix(l, "[") {
			continue
		}
		k, v, _ := strings.Cut(l, "=")
		keys = append(keys, k)
		values[k] = append(values[k], v)
	}
	return keys, values
}

// FuzzUnit renders units from arbitrary descriptions, arguments and
// environment values (the last also as a unit override's value): Unit either
// refuses them, or the unit holds exactly the directives of a plain one and
// every value reads back as given.
func FuzzUnit(f *testing.F) {
	for _, s := range []string{"x", `a "b" \c`, "100% $HOME ;", ";", "a\nExecStartPre=+/bin/sh", "x\rY=z", "tail\\", "%n %i $$", "é日本\u2028"} {
		f.Add(s, s, s)
	}
	o := Options{Name: "hello", Service: Service{Name: "hello", Restart: "on-failure", RestartDelay: time.Second, Hardening: true}}
	plain, err := Unit(withValues(o, "x", "x", "x"))
	if err != nil {
		f.Fatal(err)
	}
	wantKeys, _ := unitLines(string(plain))
	f.Fuzz(func(t *testing.T, desc, arg, env string) {
		if !utf8.ValidString(desc) || !utf8.ValidString(arg) || !utf8.ValidString(env) {
			return
		}
		b, err := Unit(withValues(o, desc, arg, env))
		if err != nil {
			return
		}
		keys, values := unitLines(string(b))
		if !slices.Equal(keys, wantKeys) {
			t.Fatalf("directives %q, want %q\n%s", keys, wantKeys, b)
		}
		wantDesc := desc
		if desc == "" {
			wantDesc = o.Name // the default
		}
		if got := textread.SystemdSpecifiers(values["Description"][0], false); got != wantDesc {
			t.Errorf("Description reads %q, want %q", got, wantDesc)
		}
		if got := textread.SystemdWords(values["ExecStart"][0], true); !slices.Equal(got, []string{"/usr/bin/hello", arg}) {
			t.Errorf("ExecStart reads %q, want [/usr/bin/hello %q]", got, arg)
		}
		env0 := values["Environment"][0]
		words := textread.SystemdWords(env0, false) // Environment= expands no $
		if !slices.Equal(words, []string{"V=" + env}) {
			t.Errorf("Environment %s reads %q, want [V=%s]", env0, words, env)
		}
		if got := strings.ReplaceAll(values["ProtectHome"][0], "%%", "%"); got != env {
			t.Errorf("the ProtectHome override reads %q, want %q", got, env)
		}
	})
}

func withValues(o Options, desc, arg, env string) Options {
	o.Service.Description = desc
	o.Service.Args = []string{arg}
	o.Service.Env = map[string]string{"V": env}
	o.Service.Overrides = map[string]string{"ProtectHome": env}
	return o
}
