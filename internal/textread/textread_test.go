package textread

import (
	"slices"
	"testing"
)

func TestReaders(t *testing.T) {
	if _, v, err := CmdSet(`set "X=a "b^" ^& c 100%%"`); err != nil || v != `a "b" & c 100%` {
		t.Errorf("CmdSet: %q %v", v, err)
	}
	for _, bad := range []string{`set "X=100%"`, `set "X=a"&b"`} {
		if _, _, err := CmdSet(bad); err == nil {
			t.Errorf("CmdSet(%s) accepted", bad)
		}
	}
	if got := Argv(`"C:\a b\x.exe" plain "a b\\" x\"y "" \\server`); !slices.Equal(got, []string{`C:\a b\x.exe`, "plain", `a b\`, `x"y`, "", `\\server`}) {
		t.Errorf("Argv: %q", got)
	}
	if got := SystemdWords(`/bin/x "a b" '%%n' "$$HOME" \;`, true); !slices.Equal(got, []string{"/bin/x", "a b", "%n", "$HOME", ";"}) {
		t.Errorf("SystemdWords: %q", got)
	}
	if got := SystemdWords(`"A=$x %%"`, false); !slices.Equal(got, []string{"A=$x %"}) {
		t.Errorf("SystemdWords env: %q", got)
	}
	if got, err := MSIFormat(`a[\[]b[\]]c[~]d[\{][\}][\é][D]`, map[string]string{"D": `C:\x\`}); err != nil || got != "a[b]c\x00d{}é"+`C:\x\` {
		t.Errorf("MSIFormat: %q %v", got, err)
	}
	for _, bad := range []string{"[P]", "{x}", "a]", "[%PATH]", "[\\ab]", "[x"} {
		if got, err := MSIFormat(bad, nil); err == nil {
			t.Errorf("MSIFormat(%s) = %q, want an error", bad, got)
		}
	}
	if got := MSIFormatted(`a[\[]b[\]]c[~]d`); got != "a[b]c\x00d" {
		t.Errorf("MSIFormatted: %q", got)
	}
}
