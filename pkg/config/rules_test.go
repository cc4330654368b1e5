package config

import (
	"reflect"
	"strings"
	"testing"
)

// TestEveryTextFieldHasARule: a text field added to the schema without a
// grammar fails here by name.
func TestEveryTextFieldHasARule(t *testing.T) {
	rules := textRules()
	used := map[string]bool{}
	for _, f := range Fields() {
		k := f.Type.Kind()
		if k == reflect.Slice {
			k = f.Type.Elem().Kind()
		}
		switch {
		case f.Type.Kind() == reflect.Map:
			for _, p := range []string{f.Path, f.Path + "{}"} {
				if rules[p] == nil {
					t.Errorf("text field %s has no rule in textRules", p)
				}
				used[p] = true
			}
		case k == reflect.String:
			if rules[f.Path] == nil {
				t.Errorf("text field %s has no rule in textRules", f.Path)
			}
			used[f.Path] = true
		}
	}
	for p := range rules {
		if !used[p] {
			t.Errorf("textRules has %s, which is no text field", p)
		}
	}
}

// TestURLRuleExample: each URL field's message shows a value of its own
// kind, not another field's (a health check URL is no project page).
func TestURLRuleExample(t *testing.T) {
	msg := textRules()["service.wrapper.health.url"]("http://admin:secret@127.0.0.1:9091/-/healthy")
	if !strings.Contains(msg, "holds credentials") || !strings.Contains(msg, "such as http://127.0.0.1:8080/healthz") {
		t.Errorf("health.url with credentials: %q", msg)
	}
}

func TestRules(t *testing.T) {
	for _, tc := range []struct {
		rule      rule
		good, bad []string
	}{
		{httpURL(true, "https://example.com/project"),
			[]string{"https://example.com", "http://example.com:8080/a/b-c_d.e~f", "https://sub.example.co.uk/x/%20y"},
			[]string{"ftp://example.com", "https://exa mple.com", "https://example.com/a'b", "https://example.com/\"", "https://u:p@example.com",
				"https://example.com/?q=1", "https://example.com/#x", "https://ex_ample.com", "https://example.com:99999", "https:///x", "javascript:alert(1)",
				"https://example.com/$(reboot)", "https://example.com/a`b`", "https://[::1]/"}},
		{httpURL(false, "http://127.0.0.1:8080/healthz"),
			[]string{"http://127.0.0.1:8080/healthz?full=1", "https://ts.example.com/tsa", "http://[::1]:8080/healthz", "https://[::1]/"},
			[]string{"http://", "//x", "http://a b", "http://[::1%25eth0]:80/", "http://[127.0.0.1]/", "http://[x]/"}},
		{nameEmail,
			[]string{"Acme Ops <ops@example.com>", "J. Doe <j.doe+pkg@mail.example.org>"},
			[]string{"Acme", "ops@example.com", "<ops@example.com>", "Acme <ops>", "Acme <ops@example.com> x", "A, B <a@example.com>", "Acme <ops@example.com>\nPre-Depends: x"}},
		{spdxExpression,
			[]string{"MIT", "Apache-2.0", "GPL-3.0-or-later", "MIT OR Apache-2.0", "(MIT AND BSD-3-Clause) OR GPL-2.0-only WITH Classpath-exception-2.0", "LicenseRef-Acme-1"},
			[]string{"MIT OR", "(MIT", "MIT)", "AND MIT", "MIT Apache-2.0", "MIT; rm -rf", "Public Domain", "MIT\nX: y"}},
		{windowsFolder, []string{`Acme\Hello`, "Acme/Hello", "Hello Service"}, []string{`C:\x`, `\\server\share`, `\x`, `Acme\..\..\Windows`, "./x"}},
		{packagePath, []string{"config.yaml", "conf/app.yaml", "./a.txt"}, []string{"../x", "/etc/x", "a//b", `a\b`, "a:b", "conf/../../x", "."}},
		{serviceName, []string{"hello", "hello-svc.2", "A_b"}, []string{"hello world", "-x", "a/b", strings.Repeat("x", 65), "a;b"}},
		{fileDst, []string{"app.yaml", "conf/-x", "{{.ConfigDir}}/a.yaml", ".env", "_x"}, []string{"-rf", "--help", "./-x", "{{.ConfigDir}}/-x"}},
		{textRules()["service.name"], []string{"hello"}, []string{"-rf", "--help", "/delete"}},
		{textRules()["service.linux.user"], []string{"_hello", "hello"}, []string{"-x", "--help"}},
		{textRules()["service.darwin.user"], []string{"_hello", "nobody"}, []string{"-x", "--help"}},
		{textRules()["winget.package_id"], []string{"Acme.Hello"}, []string{"-x.Hello", "--help.x"}},
		{account, []string{"LocalSystem", "LocalService", "NetworkService", `NT SERVICE\hello`}, []string{"Administrator", `NT SERVICE\`, `NT SERVICE\a b`, "localsystem"}},
		{envValue, []string{"8080", "a & b | c > d ^ e % f ! g", `say "hi"`}, []string{`a\0b`}},
		{writablePath, []string{"/srv/www", "/var/www/site-1", "/opt/a+b@c", "/device"},
			[]string{"/", "srv", "/srv/", "/srv/../etc", "/srv/./www", "//srv", "/srv/my www", "/srv/%n", `/srv/a"b`, `/srv\x`,
				"/proc", "/proc/sys", "/sys/fs", "/dev", "/dev/shm", "-/srv"}},
		{tagPrefix, []string{"svc/", "services/hello/", "a.b_c+d-e/"},
			[]string{"svc", "svc*/", "sv?/", "[s]vc/", `svc\/`, "/svc/", "svc//", "../", ".svc/", "s vc/", "svc/v"}},
	} {
		for _, v := range tc.good {
			if msg := tc.rule(v); msg != "" {
				t.Errorf("%q refused: %s", v, msg)
			}
		}
		for _, v := range tc.bad {
			if tc.rule(v) == "" && text(v) == "" {
				t.Errorf("%q accepted", v)
			}
		}
	}
}
