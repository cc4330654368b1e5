// Package sign signs Windows executables and MSI packages with Authenticode
// through osslsigncode (Debian package osslsigncode). No maintained pure-Go
// Authenticode signer is available from the module proxy (relic v8 and
// KarpelesLab/authenticode are not), and osslsigncode signs both PE files and
// MSIs, verifies them, and can pin the signing time, so signatures are
// reproducible: RSA PKCS#1 v1.5 signatures are deterministic once the signed
// attributes, time included, are fixed.
//
// The key comes from a PKCS#12 file or from PEM certificate and key files,
// or a signing command (a cloud signing service's tool) signs instead;
// the password is given by the caller (svcpack reads it from an environment
// variable only) and passed to the tools on standard input, never on a
// command line. Check validates tool, files and password before any build.
package sign

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/svcpack/svcpack/pkg/pkcs11key"
)

// Authenticode holds the signing identity and options.
type Authenticode struct {
	// PKCS12 is a .p12/.pfx file holding certificate and key; or use Cert
	// and Key (PEM).
	PKCS12, Cert, Key string
	// Password unlocks the PKCS#12 file or the PEM key ("" for none).
	Password string
	// TimestampURL is an RFC 3161 time-stamping server (optional).
	TimestampURL string
	// Description and URL are shown in the signature details.
	Description, URL string
	// Time is the signing time written into the signature.
	Time time.Time
	// Tool is the osslsigncode command; default "osslsigncode".
	Tool string
	// PKCS11Module and PKCS11URI, when set, take the key from a PKCS#11
	// token (osslsigncode's PKCS#11 engine; Cert is its certificate
	// chain), unlocked by PIN.
	PKCS11Module, PKCS11URI, PIN string
	// Command, when set, signs instead of a key: a program and its
	// arguments, rendered by Arg for each file, run in Dir; it writes the
	// signed file where {{.Out}} says. Its output is shown when it fails.
	Command []string
	// Dir is where Command runs.
	Dir string
	// Arg renders one argument of Command for the file to sign, the signed
	// file's place and the artifact's name.
	Arg func(arg, in, out, file string) (string, error)
}

func (a *Authenticode) tool() string {
	if a.Tool != "" {
		return a.Tool
	}
	return "osslsigncode"
}

// Check verifies, before anything is built, that the signer tool exists, the
// key files exist, and the password opens the key.
func (a *Authenticode) Check(ctx context.Context) error {
	if len(a.Command) > 0 {
		return nil // checked by the config; the command itself is tried on the first file
	}
	if _, err := exec.LookPath(a.tool()); err != nil {
		return fmt.Errorf("sign: %s not found: install it (Debian package osslsigncode) or remove windows.sign from svcpack.yaml", a.tool())
	}
	if a.PKCS11URI != "" {
		return a.checkToken()
	}
	switch {
	case a.PKCS12 != "" && (a.Cert != "" || a.Key != ""):
		return errors.New("sign: give either a PKCS#12 file or PEM cert and key, not both")
	case a.PKCS12 == "" && (a.Cert == "" || a.Key == ""):
		return errors.New("sign: give a PKCS#12 file, or both a PEM cert and a PEM key")
	}
	for _, f := range []string{a.PKCS12, a.Cert, a.Key} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("sign: %w", err)
		}
	}
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		return errors.New("sign: openssl not found (needed to check the key's password before the build)")
	}
	var cmd *exec.Cmd
	if a.PKCS12 != "" {
		cmd = exec.CommandContext(ctx, openssl, "pkcs12", "-in", a.PKCS12, "-noout", "-passin", "stdin")
	} else {
		cmd = exec.CommandContext(ctx, openssl, "pkey", "-in", a.Key, "-noout", "-passin", "stdin")
	}
	cmd.Stdin = strings.NewReader(a.Password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		what := a.PKCS12
		if what == "" {
			what = a.Key
		}
		return fmt.Errorf("sign: %s: the password does not open it (or it is not a valid key): %s", what, firstLine(out))
	}
	return nil
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return s
}

// Sign signs the exe or MSI at path in place (through a temporary file
// beside it, renamed on success).
func (a *Authenticode) Sign(ctx context.Context, path string) error {
	if len(a.Command) > 0 {
		return a.signWithCommand(ctx, path)
	}
	tmp := filepath.Join(filepath.Dir(path), ".tmp-sign-"+filepath.Base(path))
	args := []string{"sign", "-h", "sha256"}
	if a.Password != "" && a.PKCS11URI == "" {
		args = append(args, "-readpass", "-") // from stdin, not argv
	}
	pass := a.Password
	switch {
	case a.PKCS11URI != "":
		args = append(args, "-pkcs11module", a.PKCS11Module, "-certs", a.Cert, "-key", a.PKCS11URI, "-readpass", "-")
		pass = a.PIN
	case a.PKCS12 != "":
		args = append(args, "-pkcs12", a.PKCS12)
	default:
		args = append(args, "-certs", a.Cert, "-key", a.Key)
	}
	if a.Description != "" {
		args = append(args, "-n", a.Description)
	}
	if a.URL != "" {
		args = append(args, "-i", a.URL)
	}
	if a.TimestampURL != "" {
		args = append(args, "-ts", a.TimestampURL)
	}
	if !a.Time.IsZero() {
		args = append(args, "-time", strconv.FormatInt(a.Time.Unix(), 10))
	}
	args = append(args, "-in", path, "-out", tmp)
	cmd := exec.CommandContext(ctx, a.tool(), args...)
	cmd.Stdin = strings.NewReader(pass)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	run := cmd.Run
	if a.PKCS11URI != "" {
		// One signature at a time through the token, this program's own
		// (OpenPGP) included: tokens (SoftHSM2's file store among them)
		// fail concurrent sessions of several processes, and a release
		// signs its exes, MSIs and packages in parallel.
		run = func() error { return pkcs11key.Exclusive(cmd.Run) }
	}
	if err := run(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("sign: %s: %v\n%s", path, err, strings.TrimSpace(out.String()))
	}
	st, err := os.Stat(path)
	if err == nil {
		err = os.Chmod(tmp, st.Mode().Perm())
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("sign: %s: %w", path, err)
	}
	return nil
}

// signWithCommand runs the signing command over a copy of the file and
// takes its output only when it is the same file with an Authenticode
// signature added (osslsigncode extract-signature finds one): a command
// that fails, writes nothing or returns an unsigned file is an error naming
// the file, with the command's output.
func (a *Authenticode) signWithCommand(ctx context.Context, path string) error {
	dir, err := os.MkdirTemp(filepath.Dir(path), ".tmp-sign-")
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "in-"+filepath.Base(path)), filepath.Join(dir, filepath.Base(path))
	data, err := os.ReadFile(path)
	if err == nil {
		err = os.WriteFile(in, data, 0o644)
	}
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	var args []string
	for _, t := range a.Command {
		arg, err := a.Arg(t, in, out, filepath.Base(path))
		if err != nil {
			return fmt.Errorf("sign: windows.sign.command: %w", err)
		}
		args = append(args, arg)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = a.Dir
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("sign: %s: the signing command %s failed: %v\n%s", filepath.Base(path), a.Command[0], err,
			strings.TrimSpace(log.String()))
	}
	if _, err := os.Stat(out); err != nil {
		return fmt.Errorf("sign: %s: the signing command %s wrote no signed file ({{.Out}}):\n%s",
			filepath.Base(path), a.Command[0], strings.TrimSpace(log.String()))
	}
	check := exec.CommandContext(ctx, a.tool(), "extract-signature", "-in", out, "-out", filepath.Join(dir, "sig"))
	if msg, err := check.CombinedOutput(); err != nil {
		return fmt.Errorf("sign: %s: the signing command %s returned a file without an Authenticode signature "+
			"(osslsigncode extract-signature: %s)", filepath.Base(path), a.Command[0], firstLine(msg))
	}
	st, err := os.Stat(path)
	if err == nil {
		err = os.Chmod(out, st.Mode().Perm())
	}
	if err == nil {
		err = os.Rename(out, path)
	}
	if err != nil {
		return fmt.Errorf("sign: %s: %w", path, err)
	}
	return nil
}

// checkToken opens the token's key before any build, so that a wrong PIN,
// a URI that names no key or a key of another kind is a check error, and
// checks that osslsigncode's PKCS#11 engine is installed.
func (a *Authenticode) checkToken() error {
	if _, err := os.Stat(a.Cert); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	key, err := pkcs11key.Open(pkcs11key.Config{Module: a.PKCS11Module, URI: a.PKCS11URI, PIN: a.PIN})
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	defer key.Close()
	pub, ok := key.Public().(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("sign: %s: not an RSA key: Authenticode signs with an RSA key here", a.PKCS11URI)
	}
	if err := certMatches(a.Cert, pub); err != nil {
		return fmt.Errorf("sign: %s and %s: %w", a.Cert, a.PKCS11URI, err)
	}
	if !pkcs11Engine() {
		return errors.New("sign: osslsigncode's PKCS#11 engine is not installed: install it (Debian package " +
			"libengine-pkcs11-openssl)")
	}
	return nil
}

// pkcs11Engine reports whether OpenSSL's PKCS#11 engine is installed where
// osslsigncode looks for it.
func pkcs11Engine() bool {
	out, err := exec.Command("openssl", "version", "-e").Output()
	if err != nil {
		return false
	}
	dir := strings.Trim(strings.TrimSpace(strings.TrimPrefix(string(out), "ENGINESDIR:")), `"`)
	_, err = os.Stat(filepath.Join(dir, "pkcs11.so"))
	return err == nil
}

// certMatches checks that the first certificate of the PEM chain in file
// is the key's: osslsigncode would find out only when it signs, after the
// build.
func certMatches(file string, pub *rsa.PublicKey) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return errors.New("the certificate file holds no PEM CERTIFICATE")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return err
	}
	if certKey, ok := cert.PublicKey.(*rsa.PublicKey); !ok || !certKey.Equal(pub) {
		return fmt.Errorf("the certificate (%s) is not the token key's: give the certificate issued for that key "+
			"first in the chain", cert.Subject)
	}
	return nil
}
