package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/templates"
)

// cmdInit writes a starter svcpack.yaml with a fresh upgrade code. It never
// overwrites an existing file.
func cmdInit(args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("init", flag.ContinueOnError)
	fset.SetOutput(stderr)
	path := fset.String("config", config.FileName, "file to write")
	wd, _ := os.Getwd()
	name := fset.String("name", sanitize(filepath.Base(wd)), "binary and service name")
	mainPkg := fset.String("main", "", "main package (default . when main.go is here, else ./cmd/NAME)")
	vendor := fset.String("vendor", "", "company or author (default: git config user.name)")
	maintainer := fset.String("maintainer", "", "package maintainer, \"Name <email>\" (default: git config user.name and user.email)")
	if err := parse(fset, args); err != nil {
		return err
	}
	if *mainPkg == "" {
		*mainPkg = "./cmd/" + *name
		if _, err := os.Stat("main.go"); err == nil {
			*mainPkg = "."
		}
	}
	if _, err := os.Stat(*path); err == nil {
		return fmt.Errorf("%s already exists; remove it first or pass -config with another name", *path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	gitName, gitEmail := gitConfig("user.name"), gitConfig("user.email")
	if *vendor == "" {
		*vendor = gitName
	}
	if *maintainer == "" && gitName != "" && gitEmail != "" {
		*maintainer = gitName + " <" + gitEmail + ">"
	}
	code, err := newGUID()
	if err != nil {
		return err
	}
	tmpl, err := templates.Parse("svcpack.yaml.tmpl", template.FuncMap{"q": yamlQuote})
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, map[string]string{"Name": *name, "Main": *mainPkg, "UpgradeCode": code, "Vendor": *vendor, "Maintainer": *maintainer}); err != nil {
		return err
	}
	f, err := os.OpenFile(*path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		f.Close()
		os.Remove(*path)
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (MSI upgrade code %s: keep it fixed for this product forever)\n", *path, code)
	if *vendor == "" || *maintainer == "" {
		fmt.Fprintf(stdout, "set vendor and maintainer (\"Name <email>\") in %s before releasing: the MSI and the Linux packages need them (svcpack check says what is missing)\n", *path)
	}
	return nil
}

// newGUID returns a random (version 4) GUID in upper case.
func newGUID() (string, error) {
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		return "", err
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return strings.ToUpper(fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])), nil
}

// sanitize turns a directory name into a valid service name.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		default:
			b.WriteRune('-')
		}
	}
	out := strings.Trim(b.String(), "-._")
	if out == "" {
		return "app"
	}
	return out
}

// gitConfig returns a git configuration value, or "".
func gitConfig(key string) string {
	out, err := exec.Command("git", "config", "--get", key).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// yamlQuote writes s as a YAML double-quoted scalar (a JSON string is one).
func yamlQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
