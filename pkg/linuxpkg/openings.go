package linuxpkg

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
)

// Openings are holes made in the sandbox on purpose, each named for what
// it allows rather than for the directive that allows it: Service.Writable
// (ReadWritePaths=), Service.Capabilities (CapabilityBoundingSet= and
// AmbientCapabilities=), Service.Groups (SupplementaryGroups=) and
// Service.RunPrograms (RunProgramsDrops). Each is checked here, whoever
// calls the encoder.

// RunProgramsDrops are the hardening lines Service.RunPrograms leaves out,
// the ones that broke common programs run by a service under the full
// sandbox (measured with systemd 252): MemoryDenyWriteExecute=yes refuses
// the writable and executable memory a JIT compiles into (node, java,
// LuaJIT, PCRE's JIT); the SystemCallFilter line denying @privileged and
// @resources makes taskset, ionice, chrt and chgrp fail with EPERM;
// ProcSubset=pid hides /proc/meminfo, /proc/cpuinfo and /proc/stat, which
// free and runtimes sizing themselves read. sh, bash, perl, git, ps, cp -a,
// tar and rsync -a ran under the full sandbox, and PrivateUsers= broke none
// of them, so it stays.
var RunProgramsDrops = []string{"MemoryDenyWriteExecute=yes", "SystemCallFilter=~@privileged @resources", "ProcSubset=pid"}

// capabilityNames are the Linux capabilities (capabilities(7)), in the
// kernel's order.
var capabilityNames = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
	"CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
	"CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
	"CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
	"CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// Capabilities lists the capability names Service.Capabilities may hold.
func Capabilities() []string { return slices.Clone(capabilityNames) }

// CheckCapability reports a name that is not a Linux capability.
func CheckCapability(c string) error {
	if !slices.Contains(capabilityNames, c) {
		return fmt.Errorf("linuxpkg: capability %q is not a Linux capability name: want one of capabilities(7) in upper case, "+
			"such as CAP_NET_BIND_SERVICE (valid: %s)", c, strings.Join(capabilityNames, ", "))
	}
	return nil
}

// writableRE is an absolute path of plain names, which ReadWritePaths=
// carries without quoting: no spaces, quotes, backslashes or % specifiers.
var writableRE = regexp.MustCompile(`^(/[A-Za-z0-9._+@-]+)+$`)

// kernelDirs are the API file systems a service may not be given write
// access to.
var kernelDirs = []string{"/proc", "/sys", "/dev"}

// CheckWritable reports a path ReadWritePaths= should not name: relative,
// not clean (.., ., //, a trailing /), with characters that would need
// quoting, the root itself, or the kernel's /proc, /sys and /dev.
func CheckWritable(p string) error {
	const want = "want an absolute folder of plain names (letters, digits, '.', '_', '-', '+', '@') such as /srv/www"
	switch {
	case p == "/":
		return fmt.Errorf("linuxpkg: writable %q is the whole file system, which undoes ProtectSystem=strict: "+
			"%s, or leave ProtectSystem out with hardening_off", p, want)
	case !writableRE.MatchString(p) || path.Clean(p) != p:
		return fmt.Errorf("linuxpkg: writable %q: %s, without '.' or '..' and with no trailing '/'", p, want)
	}
	for _, d := range kernelDirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return fmt.Errorf("linuxpkg: writable %q is under %s, the kernel's interface, which the sandbox keeps "+
				"read-only (ProtectKernelTunables, PrivateDevices): %s", p, d, want)
		}
	}
	return nil
}

// CheckGroup reports a name that is not a system group name.
func CheckGroup(g string) error {
	if !userRE.MatchString(g) {
		return fmt.Errorf("linuxpkg: group %q: want a system group name such as adm (lowercase letters, digits, "+
			"'_' or '-', starting with a letter or '_', at most 31 characters)", g)
	}
	return nil
}

// checkOpenings checks the openings of s.
func (s Service) checkOpenings() error {
	var errs []error
	for _, p := range s.Writable {
		errs = append(errs, CheckWritable(p))
	}
	for _, c := range s.Capabilities {
		errs = append(errs, CheckCapability(c))
	}
	for _, g := range s.Groups {
		errs = append(errs, CheckGroup(g))
	}
	return errors.Join(errs...)
}

// capabilities is what the unit grants: CAP_NET_BIND_SERVICE for a port
// below 1024 and Service.Capabilities, sorted and once each.
func (s Service) capabilities() []string {
	caps := slices.Clone(s.Capabilities)
	if s.Port > 0 && s.Port < 1024 {
		caps = append(caps, "CAP_NET_BIND_SERVICE")
	}
	slices.Sort(caps)
	return slices.Compact(caps)
}

// openingLines are the lines the writable folders and the groups add
// beside the state directories, and without hardening (whose lines grant
// capabilities otherwise) the capabilities.
func (s Service) openingLines() []string {
	var out []string
	if !s.Hardening && len(s.Capabilities) > 0 {
		out = append(out, "AmbientCapabilities="+strings.Join(s.capabilities(), " "))
	}
	if len(s.Writable) > 0 {
		out = append(out, "ReadWritePaths="+strings.Join(s.Writable, " "))
	}
	if len(s.Groups) > 0 {
		out = append(out, "SupplementaryGroups="+strings.Join(s.Groups, " "))
	}
	return out
}
