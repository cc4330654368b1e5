package launchd

import (
	"encoding/xml"
	"slices"
	"testing"
	"unicode/utf8"
)

// plistValues reads a plist's top-level dictionary with encoding/xml: each
// key with its string values (an array or dict gives several).
func plistValues(t testing.TB, b []byte) (keys []string, values map[string][]string) {
	t.Helper()
	var doc struct {
		Dict struct {
			Items []struct {
				XMLName xml.Name
				Text    string   `xml:",chardata"`
				Strings []string `xml:"string"`
				Keys    []string `xml:"key"`
			} `xml:",any"`
		} `xml:"dict"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("the plist is not well-formed XML: %v\n%s", err, b)
	}
	values = map[string][]string{}
	key := ""
	for _, it := range doc.Dict.Items {
		if it.XMLName.Local == "key" {
			key = it.Text
			keys = append(keys, key)
			continue
		}
		switch it.XMLName.Local {
		case "string":
			values[key] = append(values[key], it.Text)
		case "array":
			values[key] = append(values[key], it.Strings...)
		case "dict":
			for i := range it.Keys {
				values[key] = append(values[key], it.Keys[i])
				if i < len(it.Strings) {
					values[key] = append(values[key], it.Strings[i])
				}
			}
		}
	}
	return keys, values
}

// FuzzPlist renders plists and install scripts from arbitrary arguments
// and environment values: they are refused, or the plist is well-formed,
// holds exactly the keys of a plain one, and every value reads back as
// given.
func FuzzPlist(f *testing.F) {
	for _, s := range []string{"x", "a & b < c > d", `"q" 'q'`, "]]> <!--", "\x00", "\x1b[31m", "é日本", "\uFFFE"} {
		f.Add(s, s)
	}
	base := Options{Name: "hello", Label: "com.example.hello"}
	plain := base
	plain.Args, plain.Env = []string{"x"}, map[string]string{"V": "x"}
	b, err := Plist(plain)
	if err != nil {
		f.Fatal(err)
	}
	wantKeys, _ := plistValues(f, b)
	f.Fuzz(func(t *testing.T, arg, env string) {
		if !utf8.ValidString(arg) || !utf8.ValidString(env) {
			return
		}
		o := base
		o.Args, o.Env = []string{arg}, map[string]string{"V": env}
		b, err := Plist(o)
		if err != nil {
			return
		}
		keys, values := plistValues(t, b)
		if !slices.Equal(keys, wantKeys) {
			t.Fatalf("keys %q, want %q", keys, wantKeys)
		}
		if got := values["ProgramArguments"]; !slices.Equal(got, []string{"/usr/local/bin/hello", arg}) {
			t.Errorf("ProgramArguments %q, want [/usr/local/bin/hello %q]", got, arg)
		}
		if got := values["EnvironmentVariables"]; !slices.Equal(got, []string{"V", env}) {
			t.Errorf("EnvironmentVariables %q, want [V %q]", got, env)
		}
		if _, err := InstallScript(o); err != nil {
			t.Fatalf("the plist was made, install.sh was not: %v", err)
		}
	})
}
