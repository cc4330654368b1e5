package config

import (
	"fmt"
	"net"
	"net/url"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Text from the config is data, never code: every text value reaches shell
// scripts run as root, systemd units, package control files, .cmd scripts,
// XML and MSI tables. This file is the first line of defence: every text
// field of the schema has a grammar here (a test fails for a field without
// one), checked on top of the rule that holds for all of them, no control
// characters. The encoders escape what they write as the second line.

// A rule checks one non-empty text value: "" when it is valid, else what is
// wrong and what would be valid (the message follows the quoted value).
type rule func(v string) string

// textRules gives every text field its grammar, by schema path (as in
// Fields: list items share their list's path). For a map, the path holds
// the values' rule and path+"{}" the keys'.
func textRules() map[string]rule {
	return map[string]rule{
		"name":                             notOption("-/", nameCommands, serviceName),
		"main":                             text,
		"tag_prefix":                       tagPrefix,
		"ldflags":                          text, // executed as templates by the core's build check
		"tags":                             match(`^[A-Za-z0-9_.]+$`, "is not a build tag: want letters, digits, '_' and '.'"),
		"dist":                             text,
		"formats":                          match(`^[a-z0-9.]+$`, "is not a format name"),
		"vendor":                           text,
		"maintainer":                       nameEmail,
		"homepage":                         httpURL(true, "https://example.com/project"),
		"license":                          spdxExpression,
		"license_file":                     text,
		"description":                      text,
		"windows.icon":                     text,
		"windows.product_name":             text,
		"windows.copyright":                text,
		"windows.manifest.execution_level": oneOf("asInvoker", "highestAvailable", "requireAdministrator"),
		"windows.msi.upgrade_code":         match(`^\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?$`, "is not a GUID: want the form 6B2A1E7C-1D3F-4A5B-9C8D-0E1F2A3B4C5D (`svcpack init` generates one)"),
		"windows.msi.install_dir":          windowsFolder,
		"windows.sign.pkcs12":              text,
		"windows.sign.cert":                text,
		"windows.sign.key":                 text,
		"windows.sign.password_env":        envName,
		"windows.sign.timestamp_url":       httpURL(false, "http://timestamp.example.com"),
		"windows.sign.command":             text, // a program and its argument templates (checkSignCommand)
		"service.name":                     notOption("-/", nameCommands, serviceName),
		"service.display_name":             text,
		"service.description":              text,
		"service.args":                     placeText,
		"service.start":                    oneOf("auto", "delayed", "manual", "disabled"),
		"service.account":                  account,
		"service.env":                      both(envValue, placeText),
		"service.env{}":                    envName,
		"service.restart.policy":           oneOf("on-failure", "always"),
		"service.restart.command":          placeText, // the program's place: checkFailureCommand
		"service.depends_on.name":          dependencyName,
		"service.depends_on.os":            oneOf("windows", "linux"),
		"service.wrapper.logs.rotate":      oneOf("daily", "hourly"),
		"helm.push":                        match(`^oci://[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]+([._-]+[a-z0-9]+)*)+$`, "is not an OCI chart repository: want oci://host[:port]/path in lower case, such as oci://ghcr.io/acme/charts"),
		"service.linux.user":               notOption("-", "useradd, getent and chown", match(`^[a-z_][a-z0-9_-]{0,30}$`, "is not a valid system user name: want lowercase letters, digits, '_' or '-', starting with a letter or '_', at most 31 characters")),
		"service.linux.memory_max":         match(`^([0-9]+[KMGT]?|[0-9]+%|infinity)$`, "is not valid: want bytes with an optional K, M, G or T suffix (512M), a percentage (50%) or infinity"),
		"service.linux.cpu_quota":          match(`^[0-9]+%$`, "is not valid: want a percentage such as 80% (200% = two cores)"),
		"service.linux.hardening_off":      match(`^[A-Za-z]+$`, "is not a systemd directive name"),
		"service.linux.bin_dir":            match(`^/(usr|opt)(/[A-Za-z0-9_+-][A-Za-z0-9._+-]*)*$`, "is not an absolute directory under /usr or /opt of plain names: want /usr/bin (the default) or /usr/lib/<name>"),
		"service.linux.unit{}":             match(`^[A-Z][A-Za-z]+$`, "is not a systemd directive name such as ProtectHome"),
		"service.linux.unit":               unitValue,
		"service.linux.writable":           writablePath,
		"service.linux.capabilities":       match(`^CAP_[A-Z_]+$`, "is not a capability name: want one of capabilities(7) in upper case, such as CAP_NET_BIND_SERVICE"),
		"service.linux.groups":             notOption("-", "groupadd and getent, which make and look up a group,", match(`^[a-z_][a-z0-9_-]{0,30}$`, "is not a valid system group name: want lowercase letters, digits, '_' or '-', starting with a letter or '_', at most 31 characters, such as adm")),
		"service.wrap":                     oneOf("auto", "true", "false"),
		"service.linux.notify":             oneOf("auto", "true", "false"),
		"service.darwin.user":              notOption("-", "id and chown in install.sh", match(`^[A-Za-z_][A-Za-z0-9_.-]{0,254}$`, "is not a macOS account name: want letters, digits, '_', '.' or '-', such as nobody or _hello")),
		"service.wrapper.logs.dir":         text, // the wrapper's own rules apply (checkWrapper)
		"service.wrapper.logs.max_size":    text, // a size, read by the wrapper's rules
		"service.wrapper.health.url":       httpURL(false, "http://127.0.0.1:8080/healthz"),
		"service.health.url":               httpURL(false, "http://127.0.0.1:8080/healthz"),
		"files.src":                        text,
		"files.dst":                        fileDst,
		"allow_outside":                    text, // host paths, resolved by checkProject
		"gpg.key_file":                     text,
		"gpg.passphrase_env":               envName,
		"gpg.sign":                         oneOf(gpgTargets()...),
		"name_template.archive":            text, // a template: checkNameTemplates renders it
		"name_template.package":            text,
		"name_template.binary_dir":         text,
		"name_template.release":            text,
		"download_url":                     text, // a template: the manifests' checks render it
		"chocolatey.id":                    notOption("-/", "choco install", match(nugetIDRE.String(), "is not a package id: want letters, digits and '_', in parts joined by '.' or '-', such as hello-server")),
		"winget.package_id":                notOption("-/", "winget install", match(wingetIDRE.String(), "is not a winget package identifier: want Publisher.Package, 2 to 8 parts of 1 to 32 letters, digits, '-', '_' or '+' separated by dots, such as Acme.Hello")),
		"apt.suite":                        match(aptWordRE, "is not an apt suite: want letters, digits and . + _ ~ -, such as stable"),
		"apt.component":                    match(aptWordRE, "is not an apt component: want letters, digits and . + _ ~ -, such as main"),
		"apt.origin":                       match(aptWordRE, "is not an apt origin: want letters, digits and . + _ ~ -, such as acme"),
		"apt.previous":                     text, // a host folder, checked by checkApt
		"dnf.url":                          httpURL(true, "https://example.com/dnf/"),
		"dnf.previous":                     text, // a host folder, checked by checkGrowth
		"apt.url":                          httpURL(true, "https://example.com/apt/"),
		"homebrew.tap.repository":          gitRepository,
		"homebrew.tap.branch":              gitBranch,
		"homebrew.tap.folder":              gitFolder,
		"homebrew.tap.token_env":           envName,
		"homebrew.tap.author":              nameEmail,
		"pages.repository":                 gitRepository,
		"pages.branch":                     gitBranch,
		"pages.folder":                     gitFolder,
		"pages.token_env":                  envName,
		"pages.author":                     nameEmail,
		"scoop.bucket.repository":          gitRepository,
		"scoop.bucket.branch":              gitBranch,
		"scoop.bucket.folder":              gitFolder,
		"scoop.bucket.token_env":           envName,
		"scoop.bucket.author":              nameEmail,
		"oci.base":                         text,
		"oci.sign.key":                     text,
		"oci.sign.pkcs11.module":           pkcs11Module,
		"oci.sign.pkcs11.uri":              pkcs11URI,
		"oci.sign.pkcs11.pin_env":          envName,
		"gpg.public_key":                   text,
		"gpg.pkcs11.module":                pkcs11Module,
		"gpg.pkcs11.uri":                   pkcs11URI,
		"gpg.pkcs11.pin_env":               envName,
		"windows.sign.pkcs11.module":       pkcs11Module,
		"windows.sign.pkcs11.uri":          pkcs11URI,
		"windows.sign.pkcs11.pin_env":      envName,
		"oci.user":                         match(`^[0-9]{1,10}(:[0-9]{1,10})?$`, "is not a numeric uid[:gid] such as 65532:65532: an image from scratch has no user database to look names up in"),
		"oci.workdir":                      match(`^/([A-Za-z0-9_+-][A-Za-z0-9._+-]*(/[A-Za-z0-9_+-][A-Za-z0-9._+-]*)*)?$`, "is not an absolute directory of plain names: want /var/lib/<service> (the default) or /srv/app"),
		"oci.push":                         match(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]+([._-]+[a-z0-9]+)*)+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$`, "is not a registry reference: want host[:port]/repository[:tag] in lower case, such as ghcr.io/acme/hello or registry.example.com:5000/team/hello:latest"),
	}
}

// gitRepository is a tap's or bucket's repository: an https URL (httpURL
// refuses a user or password in it: the token comes from token_env) or a host folder,
// never an option to git.
func gitRepository(v string) string {
	if strings.Contains(v, "://") {
		if msg := httpURL(false, "https://github.com/acme/homebrew-tap.git")(v); msg != "" {
			return msg
		}
		if !strings.HasPrefix(v, "https://") {
			return "is not an https URL: want https://github.com/acme/homebrew-tap.git, or a local folder"
		}
		return ""
	}
	if strings.HasPrefix(v, "-") {
		return "begins with \"-\", which git would read as an option: write ./" + v
	}
	return text(v)
}

// gitBranch is a plain branch name (git check-ref-format, and never an
// option).
func gitBranch(v string) string {
	const msg = "is not a plain branch name: want letters, digits and _ . + - in parts joined by '/', " +
		"without '..' or a part ending in '.' or '.lock', such as main"
	if m := match(`^[A-Za-z0-9_][A-Za-z0-9_.+-]*(/[A-Za-z0-9_][A-Za-z0-9_.+-]*)*$`, msg)(v); m != "" {
		return m
	}
	for _, part := range strings.Split(v, "/") {
		if strings.Contains(part, "..") || strings.HasSuffix(part, ".") || strings.HasSuffix(part, ".lock") {
			return msg
		}
	}
	return ""
}

// gitFolder is a relative folder of plain names in a repository, or ".".
var gitFolder = match(`^(\.|[A-Za-z0-9_][A-Za-z0-9_.+-]*(/[A-Za-z0-9_][A-Za-z0-9_.+-]*)*)$`,
	"is not a relative folder of plain names: want Formula, bucket, or . for the top")

// pkcs11Module is a PKCS#11 library: an absolute path on the release
// machine.
func pkcs11Module(v string) string {
	if !strings.HasPrefix(v, "/") && !(len(v) > 2 && v[1] == ':') {
		return "is not an absolute path: want the token's PKCS#11 library, such as /usr/lib/softhsm/libsofthsm2.so"
	}
	return text(v)
}

// pkcs11URI is a PKCS#11 URI without a PIN (the token's own rules are
// the release core's, which opens it).
func pkcs11URI(v string) string {
	switch {
	case !strings.HasPrefix(strings.ToLower(v), "pkcs11:"):
		return "is not a PKCS#11 URI: want pkcs11:token=<label>;object=<key label> (RFC 7512)"
	case strings.Contains(strings.ToLower(v), "pin-value") || strings.Contains(strings.ToLower(v), "pin-source"):
		return "holds a PIN: give it in the variable pin_env names, never in the config"
	}
	return text(v)
}

// dependencyName is a service another one waits for: a systemd unit name
// (with or without its type suffix) that is also a Windows service name,
// never an option to sc or systemctl.
var dependencyName = notOption("-/", nameCommands, match(`^[A-Za-z0-9_][A-Za-z0-9_.@:-]{0,127}$`,
	"is not a service name: want letters, digits and _ . @ : -, such as postgresql or network-online.target"))

// aptWordRE is what an apt suite, component and origin may be: one word,
// safe as a path element and in Release.
const aptWordRE = `^[A-Za-z0-9][A-Za-z0-9.+_~-]*$`

// nameCommands are the commands of the generated scripts that take a
// service's name as an argument.
const nameCommands = "systemctl, launchctl, sc and reg"

// notOption is rule r for a name that generated scripts (or the users of a
// package manager) pass to commands: one beginning with one of the
// characters in leads ('-', and '/' for Windows' commands) would be read
// there as an option, whatever the quoting, so it is refused first, naming
// those commands (cmds). Where a command allows it the scripts also end
// option parsing with -- before a path, or anchor a relative one as
// ./name (docs/security.md has the table); names have no such defence in
// sc, reg or deb-systemd-helper, so their rules carry it.
func notOption(leads, cmds string, r rule) rule {
	return func(v string) string {
		if v == "" || !strings.ContainsRune(leads, rune(v[0])) {
			return r(v)
		}
		msg := fmt.Sprintf("begins with %q, which %s would read as an option", v[:1], cmds)
		if more := r(v); more != "" {
			msg += "; it " + more
		}
		return msg
	}
}

// wingetIDRE is a winget PackageIdentifier of plain characters (winget
// allows more; these are safe in the repository's folder names too).
var wingetIDRE = regexp.MustCompile(`^[A-Za-z0-9_+-]{1,32}(\.[A-Za-z0-9_+-]{1,32}){1,7}$`)

// nugetIDRE is a NuGet (Chocolatey) package id.
var nugetIDRE = regexp.MustCompile(`^\w+([.-]\w+)*$`)

// schemaPath turns a value's path ("files[2].dst", "service.env.PORT") into
// its field's path in textRules ("files.dst", "service.env").
func schemaPath(path string, isKey bool, mapFields map[string]bool) string {
	p := regexp.MustCompile(`\[\d+\]`).ReplaceAllString(path, "")
	if i := strings.LastIndexByte(p, '.'); i > 0 && mapFields[p[:i]] {
		p = p[:i]
		if isKey {
			p += "{}"
		}
	}
	return p
}

// checkText checks every text value of the file (found by reflection, so a
// new field is covered the day it is added): no control characters, then
// the field's own grammar.
func (c *Spec) checkText(p *Problems) {
	rules := textRules()
	mapFields := map[string]bool{}
	for _, f := range Fields() {
		if f.Type.Kind() == reflect.Map {
			mapFields[f.Path] = true
		}
	}
	walkValues(reflect.ValueOf(c).Elem(), "", func(path string, v reflect.Value, isKey bool) {
		if v.Kind() != reflect.String || v.String() == "" {
			return
		}
		s := v.String()
		if msg := text(s); msg != "" {
			p.Add(path, "%q %s", s, msg)
			return
		}
		r, ok := rules[schemaPath(path, isKey, mapFields)]
		if !ok {
			p.Add(path, "has no grammar in svcpack (a bug: add the field to textRules)")
			return
		}
		if msg := r(s); msg != "" {
			if isKey {
				p.Add(path, "the name %q %s", s, msg)
			} else {
				p.Add(path, "%q %s", s, msg)
			}
		}
	})
}

// isControl reports the characters no text field may hold: C0 and C1
// controls (line breaks, tab, NUL, ...), DEL, the Unicode line and paragraph
// separators, and the byte order mark.
func isControl(r rune) bool {
	return r < 0x20 || r >= 0x7f && r <= 0x9f || r == 0x2028 || r == 0x2029 || r == 0xfeff ||
		isNoncharacter(r)
}

// isNoncharacter reports Unicode's noncharacters (U+FDD0-U+FDEF and the
// last two code points of every plane): YAML cannot hold them (the winget
// manifests), and no text means them.
func isNoncharacter(r rune) bool {
	return r >= 0xfdd0 && r <= 0xfdef || r&0xfffe == 0xfffe
}

// text is the rule every field has: one line of printable characters.
func text(v string) string {
	for _, r := range v {
		if isControl(r) {
			return fmt.Sprintf("holds the control character %U: text fields hold one line of printable characters; remove it", r)
		}
	}
	if !utf8Valid(v) {
		return "is not valid UTF-8"
	}
	return ""
}

// both is a rule that holds when a and b hold.
func both(a, b rule) rule {
	return func(v string) string {
		if msg := a(v); msg != "" {
			return msg
		}
		return b(v)
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// envValue is text that reg.exe can carry in a multi-string value, whose
// entries it separates at \0.
func envValue(v string) string {
	if strings.Contains(v, `\0`) {
		return `holds \0, which reg.exe reads as the separator of the Environment value's entries`
	}
	return ""
}

// unitValue is a value a unit line can carry to its end: no trailing
// backslash (a line continuation). % is written as %% by the unit writer.
func unitValue(v string) string {
	if strings.HasSuffix(v, `\`) {
		return "ends with a backslash, which systemd reads as a line continuation"
	}
	return ""
}

func match(re, msg string) rule {
	r := regexp.MustCompile(re)
	return func(v string) string {
		if r.MatchString(v) {
			return ""
		}
		return msg
	}
}

func oneOf(values ...string) rule {
	return func(v string) string {
		for _, x := range values {
			if v == x {
				return ""
			}
		}
		if len(values) == 1 {
			return "is not valid: want " + values[0]
		}
		return "is not valid: want " + strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1]
	}
}

// serviceName is what the SCM, systemd, launchd and the package managers
// all accept.
func serviceName(v string) string {
	if len(v) > maxNameLen {
		return fmt.Sprintf("is %d characters long: want at most %d", len(v), maxNameLen)
	}
	if !nameRE.MatchString(v) {
		return "has characters the Windows SCM or systemd reject: want letters, digits, '.', '_' or '-', starting with a letter or digit"
	}
	return ""
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func envName(v string) string {
	if !envNameRE.MatchString(v) {
		return "is not a valid environment variable name: want letters, digits and '_', not starting with a digit"
	}
	return ""
}

// account is an account the Windows installers can express without a
// password (checkService checks that a virtual account is the service's).
func account(v string) string {
	switch {
	case v == "LocalSystem", v == "LocalService", v == "NetworkService":
		return ""
	case strings.HasPrefix(v, `NT SERVICE\`) && nameRE.MatchString(strings.TrimPrefix(v, `NT SERVICE\`)):
		return ""
	case ManagedAccountRE.MatchString(v), UserAccountRE.MatchString(v):
		return ""
	}
	return "is not an account svcpack can express: want LocalSystem, LocalService, NetworkService, " +
		"NT SERVICE\\<service name>, a group managed service account DOMAIN\\name$, or a user DOMAIN\\user or " +
		".\\user (whose password is given at install)"
}

// The account forms that are not built in: a group managed service account
// (DOMAIN\name$: no password, Windows manages it) and a domain or local
// user (DOMAIN\user, .\user: its password given at install only). Names
// are NetBIOS domains and sAMAccountNames of plain characters, which the
// installers' command lines and tables carry without quoting rules.
var (
	ManagedAccountRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,14}\\[A-Za-z0-9_][A-Za-z0-9_.-]{0,13}\$$`)
	UserAccountRE    = regexp.MustCompile(`^(\.|[A-Za-z0-9][A-Za-z0-9-]{0,14})\\[A-Za-z0-9_][A-Za-z0-9_.-]{0,19}$`)
)

// nameEmail is "Name <email>", as deb, rpm and apk want a maintainer.
var nameEmailRE = regexp.MustCompile(`^[^<>@,]*[^<>@,\s] <[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}>$`)

func nameEmail(v string) string {
	if !nameEmailRE.MatchString(v) {
		return `is not "Name <email>": want a name, a space and an address in angle brackets, such as "Acme Ops <ops@example.com>"`
	}
	return ""
}

// pagePathRE is the path of a project page: letters, digits, - . _ ~ / % :
// @ + , =, and none of the characters shells and scripts give a meaning to.
var pagePathRE = regexp.MustCompile(`^[A-Za-z0-9._~/%:@+,=-]*$`)

// ipv6Literal reports whether host (with its port, if any) is an IPv6
// address in brackets, such as [::1]:8080, without a zone.
func ipv6Literal(host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
		if "["+h+"]" != host {
			return false
		}
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.To4() == nil && !strings.Contains(h, "%")
}

// hostRE is a plain DNS host name (or an IPv4 address).
var hostRE = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)

// httpURL is an http(s) URL with a plain host name (no credentials) and
// only the characters URLs hold unescaped (RFC 3986): no spaces, quotes,
// angle brackets, backslashes or braces. With page set (a homepage) it may
// not carry a query or fragment either. example is a valid value of the
// field, for the message.
func httpURL(page bool, example string) rule {
	return func(v string) string {
		want := "want an http(s) URL with a plain host name, such as " + example
		if strings.ContainsAny(v, " \"'<>\\^`{|}") {
			return "holds characters a URL does not (spaces, quotes, <, >, \\, ^, `, {, |, }): " + want
		}
		u, err := url.Parse(v)
		switch {
		case err != nil, u.Scheme != "http" && u.Scheme != "https", u.Opaque != "":
			return "is not an http(s) URL: " + want
		case u.User != nil:
			return "holds credentials: " + want
		case !hostRE.MatchString(u.Hostname()) && (page || !ipv6Literal(u.Host)): // a check may be on [::1]
			return "does not name a plain host: " + want
		case u.Port() != "":
			if n, err := strconv.Atoi(u.Port()); err != nil || n < 1 || n > 65535 {
				return "names a bad port: " + want
			}
		}
		if page && (u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(v, "?#")) {
			return "holds a query or fragment: " + want
		}
		if page && !pagePathRE.MatchString(u.EscapedPath()) {
			return "holds characters a project page's path does not need (! $ & ' ( ) * ; or others): " + want
		}
		return ""
	}
}

// spdxExpression is an SPDX license expression: identifiers (MIT,
// Apache-2.0, GPL-3.0-or-later, LicenseRef-x) joined by AND, OR and WITH,
// with parentheses.
func spdxExpression(v string) string {
	const want = "is not an SPDX license expression: want an identifier such as MIT or Apache-2.0, or identifiers joined by AND, OR, WITH and parentheses"
	tokens := strings.Fields(strings.NewReplacer("(", " ( ", ")", " ) ").Replace(v))
	id := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.+-]*$`)
	depth, wantOperand := 0, true
	for _, t := range tokens {
		switch {
		case t == "(":
			if !wantOperand {
				return want
			}
			depth++
		case t == ")":
			if wantOperand || depth == 0 {
				return want
			}
			depth--
		case t == "AND" || t == "OR" || t == "WITH":
			if wantOperand {
				return want
			}
			wantOperand = true
		case id.MatchString(t):
			if !wantOperand {
				return want
			}
			wantOperand = false
		default:
			return want
		}
	}
	if wantOperand || depth != 0 {
		return want
	}
	return ""
}

// windowsFolder is a folder under Program Files: no drive, no UNC or
// rooted path, no . or .. segment.
func windowsFolder(v string) string {
	const want = `want a folder under Program Files such as Acme\Hello`
	switch {
	case strings.HasPrefix(v, `\`) || strings.HasPrefix(v, "/"):
		return "is rooted (or a UNC path): " + want
	case len(v) >= 2 && v[1] == ':':
		return "names a drive: " + want
	}
	for _, seg := range strings.FieldsFunc(v, func(r rune) bool { return r == '\\' || r == '/' }) {
		if seg == "." || seg == ".." {
			return fmt.Sprintf("holds %q: %s, without . or ..", seg, want)
		}
	}
	return ""
}

// writablePath is a folder the unit's ReadWritePaths= can carry unquoted
// and the sandbox may open: absolute and clean, of plain names, not the
// root and not the kernel's /proc, /sys or /dev.
func writablePath(v string) string {
	const want = "want an absolute folder of plain names (letters, digits, '.', '_', '-', '+', '@') such as /srv/www"
	if v == "/" {
		return "is the whole file system, which undoes ProtectSystem=strict: " + want +
			", or leave ProtectSystem out with service.linux.hardening_off"
	}
	if !regexp.MustCompile(`^(/[A-Za-z0-9._+@-]+)+$`).MatchString(v) || path.Clean(v) != v {
		return "is not a clean absolute path: " + want + ", without '.' or '..' and with no trailing '/'"
	}
	for _, d := range []string{"/proc", "/sys", "/dev"} {
		if v == d || strings.HasPrefix(v, d+"/") {
			return "is under " + d + ", the kernel's interface, which the sandbox keeps read-only: " + want
		}
	}
	return ""
}

// packagePath is a file's place inside the packages: relative, with /
// separators, inside the install tree.
// fileDst is a files[].dst: a path in the configuration folder, written
// plainly or after {{.ConfigDir}}/. The state and log folders belong to the
// service's account and are made at its start, so nothing is shipped there.
func fileDst(v string) string {
	t, err := ParsePlaces(v)
	if err != nil {
		return err.Error()
	}
	t, ok := inConfigDir(t)
	if !ok {
		return "names {{.ConfigDir}} without a file after it: want {{.ConfigDir}}/app.yaml or app.yaml"
	}
	for _, part := range t {
		if part.Place != 0 {
			return fmt.Sprintf("names %s: files are shipped to the configuration folder ({{.ConfigDir}}); "+
				"the state and log folders belong to the service's account and are made when it starts", part.Place)
		}
	}
	rel := t.Render(nil, nil)
	if strings.HasPrefix(strings.TrimPrefix(rel, "./"), "-") {
		return fmt.Sprintf("begins with '-' (as %q), which install in the darwin install.sh would read as an option: "+
			"want a file name starting with a letter, digit, '_' or '.', such as app.yaml", rel)
	}
	return packagePath(rel)
}

// inConfigDir is a files[].dst relative to the configuration folder: t
// without a leading {{.ConfigDir}}/, however the variable is spaced. ok is
// false when t names the folder with no file after it.
func inConfigDir(t PlaceText) (PlaceText, bool) {
	if len(t) == 0 || t[0].Place != ConfigDir {
		return t, true
	}
	if len(t) < 2 || t[1].Place != 0 || !strings.HasPrefix(t[1].Text, "/") {
		return nil, false
	}
	return append(PlaceText{{Text: strings.TrimPrefix(t[1].Text, "/")}}, t[2:]...), true
}

// DstPath is a files[].dst relative to the configuration folder: without a
// leading {{.ConfigDir}}/. A dst the files.dst rule refuses is returned as
// it is, for the rule to name.
func DstPath(dst string) string {
	t, err := ParsePlaces(dst)
	if err != nil {
		return dst
	}
	rel, ok := inConfigDir(t)
	if !ok || slices.ContainsFunc(rel, func(p PlacePart) bool { return p.Place != 0 }) {
		return dst
	}
	return rel.Render(nil, nil)
}

func packagePath(v string) string {
	clean := strings.TrimPrefix(v, "./")
	for _, seg := range strings.Split(clean, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "is not a relative path inside the package: want a path such as config.yaml or conf/app.yaml, without .., empty segments or a leading /"
		}
	}
	if strings.ContainsAny(v, `\:*?"<>|`) {
		return `holds one of \ : * ? " < > |, which Windows file names cannot: want a path such as config.yaml or conf/app.yaml`
	}
	return ""
}
