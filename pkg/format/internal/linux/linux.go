// Package linux maps the spec onto what the Linux formats share: the
// package options and systemd unit of the deb, rpm and apk, which the Linux
// tarball's unit and the image's port read too, and the unit's rules.
package linux

import (
	"cmp"
	"errors"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/linuxpkg"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/platform"
)

// The Linux packages (deb, rpm, apk) and the Linux tarball's unit share one
// mapping from the spec.

// Reads are the fields a Linux package is made from.
func Reads() []string {
	return []string{"name", "version", "maintainer", "vendor", "homepage", "license", "license_file", "description",
		"files", "date", "service.name", "service.description", "service.args", "service.env", "service.restart", "service.start", "service.linux", "service.depends_on", config.NotifyField}
}

// Options maps the spec onto a Linux package for target t, whose
// binary is at bin.
func Options(s *config.Spec, t platform.Target, bin string, format string) linuxpkg.Options {
	var files []linuxpkg.File
	for _, f := range s.Files {
		files = append(files, linuxpkg.File{Src: string(f.Src), Dst: f.Dst, Config: f.Config})
	}
	sv := s.Service
	return linuxpkg.Options{
		Name: s.Name, Version: PackageVersion(s, format), Arch: t.Arch, Variant: t.Variant, Maintainer: s.Maintainer, Vendor: s.Vendor,
		Homepage: s.Homepage, License: s.License, Description: s.Description,
		Binary: bin, BinDir: sv.Linux.BinDir, Files: files, LicenseFile: string(s.LicenseFile), Date: s.Date,
		Service: linuxpkg.Service{
			Name: sv.Name, Description: sv.Description, Args: packager.RenderArgs(sv.Args, Dir(s)), Env: packager.RenderEnv(sv.Env, Dir(s)),
			User:    sv.Linux.User,
			Restart: sv.Restart.Policy, RestartDelay: sv.Restart.Delay.Std(), Notify: sv.Contract.Notify.On,
			Manual:    sv.StartsByHand(),
			MemoryMax: sv.Linux.MemoryMax, CPUQuota: sv.Linux.CPUQuota, Port: Port(s),
			Hardening: sv.Linux.HardeningOn(), HardeningOff: sv.Linux.HardeningOff, Overrides: sv.Linux.Unit,
			Writable: sv.Linux.Writable, Capabilities: sv.Linux.Capabilities, Groups: sv.Linux.Groups,
			RunPrograms: sv.Linux.RunPrograms, Dependencies: dependencies(sv.DependsOn),
			NoNetworkWait: sv.Linux.WaitNetwork != nil && !*sv.Linux.WaitNetwork,
		},
	}
}

func dependencies(deps []config.Dependency) []linuxpkg.Dependency {
	var out []linuxpkg.Dependency
	for _, d := range deps {
		if d.For("linux") {
			out = append(out, linuxpkg.Dependency{Name: d.Name, Require: d.Require, Bind: d.Bind})
		}
	}
	return out
}

// Dir is where a Linux package puts each place: files in /etc/<name>,
// state and logs in the unit's StateDirectory= and LogsDirectory=.
func Dir(s *config.Spec) func(config.Place) string {
	return func(p config.Place) string {
		switch p {
		case config.ConfigDir:
			return "/etc/" + s.Name
		case config.StateDir:
			return "/var/lib/" + s.Service.Name
		case config.LogDir:
			return "/var/log/" + s.Service.Name
		}
		return cmp.Or(s.Service.Linux.BinDir, linuxpkg.DefaultBinDir)
	}
}

// PackageVersion is the spec's version in the format's own grammar ("" for
// an apk version apk cannot express: the apk packager's Check reports it).
func PackageVersion(s *config.Spec, format string) string {
	v := s.Version
	switch format {
	case "deb":
		return v.Deb()
	case "rpm":
		return v.RPM()
	}
	apk, _ := v.APK()
	return apk
}

// Port is the service's PORT setting, when it has one.
func Port(s *config.Spec) int {
	p, _ := strconv.Atoi(s.Service.Env["PORT"])
	return p
}

// CheckUnit checks what the systemd unit needs (the deb, rpm, apk and the
// Linux tarball all carry it) and where the program goes.
func CheckUnit(s *config.Spec, probs *config.Problems) {
	if strings.HasSuffix(s.Service.Description, `\`) {
		probs.AddAt("service.description", []string{"description"}, "%q ends with a backslash, which systemd reads as the continuation of Description= onto the next line; remove it or end with another character", s.Service.Description)
	}
	l := s.Service.Linux
	valid := linuxpkg.HardeningDirectives()
	for i, d := range l.HardeningOff {
		if !slices.Contains(valid, d) {
			probs.Add("service.linux.hardening_off["+strconv.Itoa(i)+"]", "%q is not a hardening directive svcpack sets; valid: %s", d, strings.Join(valid, ", "))
		}
		if _, ok := l.Unit[d]; ok {
			probs.Add("service.linux.unit."+d, "is set, and service.linux.hardening_off leaves %s out: keep one of them", d)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(l.Unit)) {
		if owner := linuxpkg.OwnedDirective(k); owner != "" {
			probs.Add("service.linux.unit."+k, "%s is what svcpack writes from the config's %s: set that instead (overridable: %s)", k, ownerField(k), strings.Join(linuxpkg.Overridable(), ", "))
		} else if err := linuxpkg.CheckOverride(k, l.Unit[k]); err != nil {
			probs.Add("service.linux.unit."+k, "%v", strings.TrimPrefix(err.Error(), "linuxpkg: "))
		}
	}
	checkCapabilities(l, probs)
	if l.BinDir != "" {
		if err := linuxpkg.CheckBinDir(l.BinDir); err != nil {
			probs.Add("service.linux.bin_dir", "%v", strings.TrimPrefix(err.Error(), "linuxpkg: "))
		}
	}
	if owners := linuxpkg.Clash(l.BinDir, s.Name); owners != "" {
		dir := cmp.Or(l.BinDir, linuxpkg.DefaultBinDir)
		probs.AddAt("name", []string{"service.linux.bin_dir"}, "%q would be installed as %s/%s, a program the base system already has (package %s in Debian or Alpine): dpkg refuses to overwrite it, and elsewhere it would replace the system's command. Rename the program (name: %s-server, say), or install it outside the PATH with service.linux.bin_dir: /usr/lib/%s",
			s.Name, dir, s.Name, owners, s.Name, s.Name)
	}
}

// checkCapabilities refuses names that are not capabilities, and
// capabilities the unit would not grant: with the directives that grant
// them left out or replaced.
func checkCapabilities(l config.Linux, probs *config.Problems) {
	for i, c := range l.Capabilities {
		if err := linuxpkg.CheckCapability(c); err != nil {
			probs.Add("service.linux.capabilities["+strconv.Itoa(i)+"]", "%v", strings.TrimPrefix(err.Error(), "linuxpkg: "))
		}
	}
	if len(l.Capabilities) == 0 {
		return
	}
	if slices.Contains(l.HardeningOff, "AmbientCapabilities") {
		probs.Add("service.linux.hardening_off", "leaves AmbientCapabilities out, so service.linux.capabilities %s "+
			"would not be granted: keep one of them", strings.Join(l.Capabilities, " "))
	}
	for _, d := range []string{"CapabilityBoundingSet", "AmbientCapabilities"} {
		if _, ok := l.Unit[d]; ok {
			probs.Add("service.linux.unit."+d, "replaces the %s= that service.linux.capabilities writes: keep one of them", d)
		}
	}
}

// ownerField names the config field a directive svcpack writes comes from.
func ownerField(directive string) string {
	switch directive {
	case "Type":
		return "service.linux.notify"
	case "ExecStart":
		return "service.args and service.linux.bin_dir"
	case "Restart", "RestartSec":
		return "service.restart"
	case "User", "Group", "DynamicUser":
		return "service.linux.user"
	case "Environment":
		return "service.env"
	case "MemoryMax":
		return "service.linux.memory_max"
	case "CPUQuota":
		return "service.linux.cpu_quota"
	case "ReadWritePaths":
		return "service.linux.writable"
	case "SupplementaryGroups":
		return "service.linux.groups"
	}
	return "settings"
}

// Previous is a repository's previous tree as the format reads it: the
// folder p, or "" when it does not exist yet (the first release into the
// served branch starts the tree; check warns).
func Previous(p config.Path) string {
	if p == "" {
		return ""
	}
	if _, err := os.Stat(string(p)); errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	return string(p)
}
