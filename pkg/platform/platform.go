// Package platform names the platforms svcpack builds for: a Target is a
// GOOS/GOARCH pair with an optional variant (the value of the architecture's
// Go setting: GOARM, GOAMD64, GO386, GOARM64, ...), as in linux/arm/7 or
// linux/amd64/v3. It knows each architecture's variant variable and valid
// values, and how artifact names show a target.
package platform

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Target is one GOOS/GOARCH pair, optionally with a variant.
type Target struct {
	// OS is the GOOS value.
	OS string
	// Arch is the GOARCH value.
	Arch string
	// Variant is the value of the architecture's variant variable (GOARM,
	// GOAMD64, ...; see Env); empty means Go's default.
	Variant string
}

// String returns "os/arch" or "os/arch/variant".
func (t Target) String() string {
	if t.Variant != "" {
		return t.OS + "/" + t.Arch + "/" + t.Variant
	}
	return t.OS + "/" + t.Arch
}

// ArchName is the architecture as artifact names show it: the GOARCH, with
// the variant appended the way release tools name them ("armv7",
// "amd64_v3", "386_softfloat", "arm64_v8.2").
func (t Target) ArchName() string {
	switch {
	case t.Variant == "":
		return t.Arch
	case t.Arch == "arm":
		return "armv" + t.Variant
	}
	return t.Arch + "_" + t.Variant
}

// Slug is "os_archname", the target part of artifact names.
func (t Target) Slug() string { return t.OS + "_" + t.ArchName() }

// Universal returns darwin/universal, the target of macOS universal
// binaries: one Mach-O file holding the darwin/amd64 and darwin/arm64
// programs, made from those two builds rather than built itself.
func Universal() Target { return Target{OS: "darwin", Arch: "universal"} }

// IsUniversal reports whether t is Universal().
func (t Target) IsUniversal() bool { return t == Universal() }

// IsZero reports whether t is the zero Target (no target: a
// release-wide artifact).
func (t Target) IsZero() bool { return t == Target{} }

// variant is an architecture's variant variable and its valid values.
type variant struct {
	env    string
	values []string
}

// variants returns, for each GOARCH that has variants, its variable and
// values (a function rather than a package variable: no global state).
func variants() map[string]variant {
	return map[string]variant{
		"arm":      {"GOARM", []string{"5", "6", "7"}},
		"amd64":    {"GOAMD64", []string{"v1", "v2", "v3", "v4"}},
		"386":      {"GO386", []string{"sse2", "softfloat"}},
		"arm64":    {"GOARM64", []string{"v8.0", "v8.1", "v8.2", "v8.3", "v8.4", "v8.5", "v8.6", "v8.7", "v8.8", "v8.9", "v9.0", "v9.1", "v9.2", "v9.3", "v9.4", "v9.5"}},
		"mips":     {"GOMIPS", []string{"hardfloat", "softfloat"}},
		"mipsle":   {"GOMIPS", []string{"hardfloat", "softfloat"}},
		"mips64":   {"GOMIPS64", []string{"hardfloat", "softfloat"}},
		"mips64le": {"GOMIPS64", []string{"hardfloat", "softfloat"}},
		"ppc64":    {"GOPPC64", []string{"power8", "power9", "power10"}},
		"ppc64le":  {"GOPPC64", []string{"power8", "power9", "power10"}},
		"riscv64":  {"GORISCV64", []string{"rva20u64", "rva22u64", "rva23u64"}},
	}
}

// VariantVars lists every variant variable, sorted, so that builds can
// clear the ones inherited from the environment.
func VariantVars() []string {
	seen := map[string]bool{}
	for _, v := range variants() {
		seen[v.env] = true
	}
	return slices.Sorted(maps.Keys(seen))
}

// Env returns the variant's environment setting ("GOARM=7"), or nil.
func (t Target) Env() []string {
	if t.Variant == "" {
		return nil
	}
	return []string{variants()[t.Arch].env + "=" + t.Variant}
}

// Parse splits "os/arch" or "os/arch/variant" and checks the variant
// against the architecture's valid values.
func Parse(s string) (Target, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" || (len(parts) == 3 && parts[2] == "") {
		return Target{}, fmt.Errorf("bad target %q: want GOOS/GOARCH such as linux/amd64, or GOOS/GOARCH/VARIANT such as linux/arm/7", s)
	}
	t := Target{OS: parts[0], Arch: parts[1]}
	if len(parts) == 3 {
		t.Variant = parts[2]
		all := variants()
		v, ok := all[t.Arch]
		if !ok {
			return Target{}, fmt.Errorf("bad target %q: %s has no variants (variants exist for %s)", s, t.Arch, strings.Join(slices.Sorted(maps.Keys(all)), ", "))
		}
		if !slices.Contains(v.values, t.Variant) {
			return Target{}, fmt.Errorf("bad target %q: %q is not a valid %s variant (%s): valid are %s", s, t.Variant, t.Arch, v.env, strings.Join(v.values, ", "))
		}
	}
	return t, nil
}

// MarshalText writes the target as String does.
func (t Target) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText parses a target as Parse does.
func (t *Target) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}
