package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestParsePlaces(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want PlaceText
		err  string
	}{
		{"plain", PlaceText{{Text: "plain"}}, ""},
		{"", nil, ""},
		{"{{.ConfigDir}}/rules.json", PlaceText{{Place: ConfigDir}, {Text: "/rules.json"}}, ""},
		{"-data={{ .StateDir }}", PlaceText{{Text: "-data="}, {Place: StateDir}}, ""},
		{"{{.LogDir}}{{.InstallDir}}", PlaceText{{Place: LogDir}, {Place: InstallDir}}, ""},
		{"{{.Version}}", nil, "{{.Version}} is not a place variable"},
		{"{{ConfigDir}}", nil, "is not a place variable"},
		{"a {{.ConfigDir", nil, "without closing it"},
	} {
		got, err := ParsePlaces(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "{{.StateDir}}") {
				t.Errorf("%q: error %v, want %q and the list of variables", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: %#v, %v; want %#v", tc.in, got, err, tc.want)
		}
	}
	got := PlacesIn("{{.ConfigDir}}/a.json,{{.StateDir}}", func(p Place) string { return "<" + p.Var() + ">" })
	if got != "<ConfigDir>/a.json,<StateDir>" {
		t.Errorf("PlacesIn: %q", got)
	}
}

// TestPlacesInConfig: the variables are checked where they may stand, a
// files[].dst may name the configuration folder only, and check warns
// when an argument names a shipped file by a relative path.
func TestPlacesInConfig(t *testing.T) {
	for _, tc := range []struct {
		name, from, to string
		err            []string
	}{
		{"unknown variable in args", "  account: LocalService\n", "  account: LocalService\n  args: [-c, '{{.Home}}/x']\n",
			[]string{"service.args[1]", "{{.Home}} is not a place variable", "{{.ConfigDir}}"}},
		{"unknown variable in env", `PORT: "8080"`, `PORT: "8080", DATA: '{{.Data}}'`, []string{"service.env.DATA", "{{.Data}}"}},
		{"dst in the state folder", "{src: conf.yaml, config: true}", "{src: conf.yaml, dst: '{{.StateDir}}/x.db'}",
			[]string{"files[0].dst", "names {{.StateDir}}", "configuration folder"}},
		{"dst is the folder", "{src: conf.yaml, config: true}", "{src: conf.yaml, dst: '{{.ConfigDir}}'}",
			[]string{"files[0].dst", "without a file after it"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(project(t, strings.Replace(good, tc.from, tc.to, 1)), env())
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.err {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}

	yaml := strings.Replace(good, "  account: LocalService\n",
		"  account: LocalService\n  args: [-rules, conf.yaml, '-data={{.StateDir}}', -c=./conf.yaml]\n", 1)
	yaml = strings.Replace(yaml, "{src: conf.yaml, config: true}", "{src: conf.yaml, dst: '{{.ConfigDir}}/conf.yaml', config: true}", 1)
	s, err := load(project(t, yaml), env())
	if err != nil {
		t.Fatal(err)
	}
	if s.Files[0].Dst != "conf.yaml" {
		t.Errorf("dst %q, want conf.yaml (relative to the configuration folder)", s.Files[0].Dst)
	}
	// The variable however spaced, as the other texts take it.
	for _, dst := range []string{"{{ .ConfigDir}}/sub/a.yaml", "{{.ConfigDir }}/sub/a.yaml", "{{  .ConfigDir  }}/sub/a.yaml"} {
		if got := DstPath(dst); got != "sub/a.yaml" {
			t.Errorf("DstPath(%q) = %q, want sub/a.yaml", dst, got)
		}
	}
	for _, dst := range []string{"{{.ConfigDir}}", "{{.StateDir}}/x", "{{.Nope}}/x"} {
		if got := DstPath(dst); got != dst {
			t.Errorf("DstPath(%q) = %q: a refused dst stays as written, for the rule to name", dst, got)
		}
	}
	if len(s.Warnings) != 2 {
		t.Fatalf("warnings %q, want two (args[1] and args[3])", s.Warnings)
	}
	for i, w := range []string{"service.args[1]", "service.args[3]"} {
		for _, part := range []string{"svcpack.yaml:", w, "relative path", "{{.ConfigDir}}/conf.yaml"} {
			if !strings.Contains(s.Warnings[i], part) {
				t.Errorf("warning %q lacks %q", s.Warnings[i], part)
			}
		}
	}
	if !strings.Contains(s.Warnings[1], "-c={{.ConfigDir}}/conf.yaml") {
		t.Errorf("the fix keeps the flag: %q", s.Warnings[1])
	}
	if !s.UsesPlace(StateDir) || s.UsesPlace(LogDir) {
		t.Error("UsesPlace")
	}
}
