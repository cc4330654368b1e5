//go:build cgo

package pkcs11key

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/miekg/pkcs11"
)

// module is a loaded PKCS#11 library. C_Initialize and C_Finalize act on the
// whole process, so every Key opened from one library shares it, and the last
// Close finalizes and unloads it.
type module struct {
	path  string
	ctx   *pkcs11.Ctx
	refs  int
	owned bool // this package called C_Initialize, so it calls C_Finalize
	// pins holds, per slot, the PIN this process last logged in with:
	// PKCS#11 logs an application in per token, so a second login answers
	// CKR_USER_ALREADY_LOGGED_IN without checking the PIN, and this does.
	pins map[uint]string
}

var modules = struct {
	sync.Mutex
	m map[string]*module
	// refused records the PINs a token refused in this process (by module,
	// token and the PIN's digest): one wrong PIN in a config that names the
	// token several times is tried once, not once a section, so that a
	// token which locks after a few tries is not locked by one check.
	refused map[string]error
}{m: map[string]*module{}, refused: map[string]error{}}

// refusedKey is the refused map's key of a PIN for a module's token.
func refusedKey(path string, token pkcs11.TokenInfo, pin string) string {
	sum := sha256.Sum256([]byte(pin))
	return path + "\x00" + token.Label + "\x00" + token.SerialNumber + "\x00" + hex.EncodeToString(sum[:])
}

func loadModule(path string) (*module, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil, fmt.Errorf("cannot load the module: %w", err)
	}
	modules.Lock()
	defer modules.Unlock()
	if m := modules.m[real]; m != nil {
		m.refs++
		return m, nil
	}
	if fi, err := os.Stat(real); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("cannot load the module: %s is not a file", real)
	}
	ctx := pkcs11.New(real)
	if ctx == nil {
		return nil, errors.New("cannot load the module: it is not a PKCS#11 library for this platform " +
			"(no C_GetFunctionList), or a library it needs is missing")
	}
	owned := true
	if err := ctx.Initialize(); err != nil {
		if !errors.Is(err, pkcs11.Error(pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED)) {
			ctx.Destroy()
			return nil, fmt.Errorf("the module failed to initialize (C_Initialize): %w", err)
		}
		owned = false
	}
	m := &module{path: real, ctx: ctx, refs: 1, owned: owned, pins: map[uint]string{}}
	modules.m[real] = m
	return m, nil
}

func (m *module) release() error {
	modules.Lock()
	defer modules.Unlock()
	if m.refs--; m.refs > 0 {
		return nil
	}
	delete(modules.m, m.path)
	var err error
	if m.owned {
		err = m.ctx.Finalize()
	}
	m.ctx.Destroy()
	return err
}

// Open loads the module, finds the one token and the one private key the URI
// names, logs in with the PIN, and returns the key. Errors name the module
// and the URI and say what is wrong.
func Open(c Config) (Key, error) {
	u, err := ParseURI(c.URI)
	if err != nil {
		return nil, err
	}
	path := c.Module
	switch {
	case path == "" && u.ModulePath == "":
		return nil, fmt.Errorf("pkcs11key: %s: no PKCS#11 module given "+
			"(the path of the token's library, e.g. /usr/lib/softhsm/libsofthsm2.so)", c.URI)
	case path == "":
		path = u.ModulePath
	case u.ModulePath != "" && u.ModulePath != path:
		return nil, fmt.Errorf("pkcs11key: %s: the URI's module-path %s is not the configured module %s; "+
			"give one of them", c.URI, u.ModulePath, path)
	}
	m, err := loadModule(path)
	if err != nil {
		return nil, fmt.Errorf("pkcs11key: %s (module %s): %w", c.URI, path, err)
	}
	k, err := openKey(m, u, c.PIN)
	if err != nil {
		m.release()
		return nil, fmt.Errorf("pkcs11key: %s (module %s): %w", c.URI, path, err)
	}
	return k, nil
}

func openKey(m *module, u URI, pin string) (*key, error) {
	slot, token, err := findToken(m.ctx, u)
	if err != nil {
		return nil, err
	}
	sh, err := m.ctx.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		return nil, fmt.Errorf("token %q: opening a session: %w", token.Label, err)
	}
	k := &key{mod: m, session: sh, name: u.String()}
	if err := m.login(sh, slot, token, pin); err != nil {
		m.ctx.CloseSession(sh)
		return nil, err
	}
	if err := k.find(u, token.Label, pin != ""); err != nil {
		m.ctx.CloseSession(sh)
		return nil, err
	}
	return k, nil
}

// findToken returns the one slot whose token matches u.
func findToken(ctx *pkcs11.Ctx, u URI) (uint, pkcs11.TokenInfo, error) {
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		return 0, pkcs11.TokenInfo{}, fmt.Errorf("listing slots: %w", err)
	}
	if len(slots) == 0 {
		return 0, pkcs11.TokenInfo{}, errors.New("the module shows no token (not plugged in, or not initialized?)")
	}
	var match []uint
	var info pkcs11.TokenInfo
	var present []string
	for _, s := range slots {
		ti, err := ctx.GetTokenInfo(s)
		if err != nil {
			return 0, pkcs11.TokenInfo{}, fmt.Errorf("reading the token in slot %d: %w", s, err)
		}
		if ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED == 0 {
			continue // a blank token (SoftHSM always offers one) holds no key
		}
		present = append(present,
			fmt.Sprintf("token=%s;serial=%s (slot-id=%d)", escape(ti.Label), escape(ti.SerialNumber), s))
		if u.matchesToken(s, ti) {
			match, info = append(match, s), ti
		}
	}
	switch len(match) {
	case 0:
		if len(present) == 0 {
			return 0, info, errors.New("the module shows no initialized token")
		}
		return 0, info, fmt.Errorf("no token %s; the module has %s", u.tokenWanted(), strings.Join(present, ", "))
	case 1:
		return match[0], info, nil
	}
	return 0, info, fmt.Errorf("%d tokens match (%s); add serial= or slot-id= to the URI to choose one",
		len(match), strings.Join(present, ", "))
}

func (u URI) matchesToken(slot uint, ti pkcs11.TokenInfo) bool {
	return (u.Token == "" || u.Token == ti.Label) &&
		(u.Manufacturer == "" || u.Manufacturer == ti.ManufacturerID) &&
		(u.Serial == "" || u.Serial == ti.SerialNumber) &&
		(u.Model == "" || u.Model == ti.Model) &&
		(u.SlotID == nil || *u.SlotID == slot)
}

// tokenWanted describes the URI's token attributes for an error message.
func (u URI) tokenWanted() string {
	var w []string
	for _, a := range []struct{ what, v string }{
		{"labelled", u.Token}, {"from manufacturer", u.Manufacturer}, {"with serial", u.Serial}, {"of model", u.Model},
	} {
		if a.v != "" {
			w = append(w, fmt.Sprintf("%s %q", a.what, a.v))
		}
	}
	if u.SlotID != nil {
		w = append(w, fmt.Sprintf("in slot %d", *u.SlotID))
	}
	return strings.Join(w, ", ")
}

func (m *module) login(sh pkcs11.SessionHandle, slot uint, token pkcs11.TokenInfo, pin string) error {
	if pin == "" {
		if token.Flags&pkcs11.CKF_LOGIN_REQUIRED != 0 {
			return fmt.Errorf("token %q needs its user PIN and none was given", token.Label)
		}
		return nil
	}
	key := refusedKey(m.path, token, pin)
	modules.Lock()
	refused := modules.refused[key]
	modules.Unlock()
	if refused != nil {
		return fmt.Errorf("wrong PIN for token %q (refused before in this run: not tried again, so as not to "+
			"use up the token's tries): %w", token.Label, refused)
	}
	err := m.ctx.Login(sh, pkcs11.CKU_USER, pin)
	modules.Lock()
	defer modules.Unlock()
	if errors.Is(err, pkcs11.Error(pkcs11.CKR_PIN_INCORRECT)) {
		modules.refused[key] = err
	}
	switch {
	case err == nil:
		m.pins[slot] = pin
		return nil
	case errors.Is(err, pkcs11.Error(pkcs11.CKR_USER_ALREADY_LOGGED_IN)):
		if known, ok := m.pins[slot]; ok && subtle.ConstantTimeCompare([]byte(known), []byte(pin)) != 1 {
			return fmt.Errorf("wrong PIN for token %q (not the PIN this process is logged in with)", token.Label)
		}
		return nil
	case errors.Is(err, pkcs11.Error(pkcs11.CKR_PIN_INCORRECT)), errors.Is(err, pkcs11.Error(pkcs11.CKR_PIN_LEN_RANGE)):
		return fmt.Errorf("wrong PIN for token %q: %w", token.Label, err)
	case errors.Is(err, pkcs11.Error(pkcs11.CKR_PIN_LOCKED)):
		return fmt.Errorf("the user PIN of token %q is locked after too many wrong PINs; "+
			"its security officer must reset it: %w", token.Label, err)
	}
	return fmt.Errorf("logging in to token %q: %w", token.Label, err)
}

// escape percent-encodes s for a URI path value.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x80 && strings.IndexByte(pathChars, c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
