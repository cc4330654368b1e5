package platform

import (
	"strings"
	"testing"
)

func TestParseVariants(t *testing.T) {
	for _, tc := range []struct {
		in, str, slug, env string
	}{
		{"linux/arm/7", "linux/arm/7", "linux_armv7", "GOARM=7"},
		{"linux/amd64/v3", "linux/amd64/v3", "linux_amd64_v3", "GOAMD64=v3"},
		{"windows/386/softfloat", "windows/386/softfloat", "windows_386_softfloat", "GO386=softfloat"},
		{"linux/arm64/v8.2", "linux/arm64/v8.2", "linux_arm64_v8.2", "GOARM64=v8.2"},
		{"darwin/arm64", "darwin/arm64", "darwin_arm64", ""},
	} {
		tg, err := Parse(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if tg.String() != tc.str || tg.Slug() != tc.slug || strings.Join(tg.Env(), " ") != tc.env {
			t.Errorf("%s: String %q Slug %q Env %q, want %q %q %q", tc.in, tg.String(), tg.Slug(), tg.Env(), tc.str, tc.slug, tc.env)
		}
		var back Target
		if err := back.UnmarshalText([]byte(tc.in)); err != nil || back != tg {
			t.Errorf("%s: UnmarshalText gave %v, %v", tc.in, back, err)
		}
	}
	for _, bad := range []string{"linux/amd64/v5", "linux//7", "linux/arm/", "linux/arm/7/x", "windows/amd64/softfloat", "linux"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
	if vars := VariantVars(); len(vars) != 8 || vars[0] != "GO386" {
		t.Errorf("VariantVars() = %v", vars)
	}
}
