package pkcs11key

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// URI is a parsed PKCS#11 URI. An empty field (nil SlotID, nil ID) matches
// anything.
type URI struct {
	Token        string // token label (token=)
	Manufacturer string // token manufacturer ID (manufacturer=)
	Serial       string // token serial number (serial=)
	Model        string // token model (model=)
	SlotID       *uint  // slot ID (slot-id=, decimal)
	Object       string // key label, CKA_LABEL (object=)
	ID           []byte // key ID, CKA_ID (id=, percent-encoded bytes)
	ModulePath   string // module-path= query attribute
	raw          string
}

// String returns the URI as it was given.
func (u URI) String() string { return u.raw }

// attr describes one URI attribute: its longest value (the width of the
// PKCS#11 field it is compared with, 0 for no limit) and where it goes.
type attr struct {
	max int
	set func(u *URI, v string) error
}

func str(field func(*URI) *string) func(*URI, string) error {
	return func(u *URI, v string) error { *field(u) = v; return nil }
}

var pathAttrs = map[string]attr{
	"token":        {32, str(func(u *URI) *string { return &u.Token })},
	"manufacturer": {32, str(func(u *URI) *string { return &u.Manufacturer })},
	"serial":       {16, str(func(u *URI) *string { return &u.Serial })},
	"model":        {16, str(func(u *URI) *string { return &u.Model })},
	"object":       {0, str(func(u *URI) *string { return &u.Object })},
	"id":           {0, func(u *URI, v string) error { u.ID = []byte(v); return nil }},
	"slot-id":      {0, setSlotID},
	"type":         {0, checkType},
}

var queryAttrs = map[string]attr{
	"module-path": {0, str(func(u *URI) *string { return &u.ModulePath })},
	"module-name": {0, func(*URI, string) error {
		return errors.New("module-name needs p11-kit's module registry, which svcpack does not read; " +
			"give the library's path (the module setting, or module-path=)")
	}},
	"pin-value":  {0, refusePIN},
	"pin-source": {0, refusePIN},
}

func setSlotID(u *URI, v string) error {
	n, err := strconv.ParseUint(v, 10, 0)
	if err != nil {
		return fmt.Errorf("slot-id=%s is not a decimal number", v)
	}
	id := uint(n)
	u.SlotID = &id
	return nil
}

func checkType(_ *URI, v string) error {
	if v != "private" {
		return fmt.Errorf("type=%s: a signing key is a private key; write type=private or leave type out", v)
	}
	return nil
}

func refusePIN(*URI, string) error {
	return errors.New("the PIN is never read from the URI (it would end up in config files and logs); " +
		"remove it and give the PIN through the environment variable svcpack reads it from")
}

// Characters allowed unencoded in attribute values (RFC 7512, section 2.3):
// pk11-unreserved plus pk11-path-res or pk11-query-res.
const (
	unreserved = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"
	pathChars  = unreserved + ":[]@!$'()*+,=&"
	queryChars = unreserved + ":[]@!$'()*+,=/?|"
)

// ParseURI parses and checks a PKCS#11 URI (RFC 7512) such as
// pkcs11:token=release;object=signing;id=%01. It refuses attributes it does
// not know, attributes given twice, empty values, characters that must be
// percent-encoded, and PINs.
func ParseURI(uri string) (URI, error) {
	u := URI{raw: uri}
	const scheme = "pkcs11:"
	if len(uri) < len(scheme) || !strings.EqualFold(uri[:len(scheme)], scheme) {
		return URI{}, fmt.Errorf("pkcs11key: URI %q does not start with %q "+
			"(RFC 7512, e.g. pkcs11:token=release;object=signing)", uri, scheme)
	}
	path, query, _ := strings.Cut(uri[len(scheme):], "?")
	if err := u.parseAttrs(path, ";", pathChars, pathAttrs); err != nil {
		return URI{}, fmt.Errorf("pkcs11key: URI %q: %w", uri, err)
	}
	if err := u.parseAttrs(query, "&", queryChars, queryAttrs); err != nil {
		return URI{}, fmt.Errorf("pkcs11key: URI %q: %w", uri, err)
	}
	return u, nil
}

func (u *URI) parseAttrs(s, sep, allowed string, attrs map[string]attr) error {
	if s == "" {
		return nil
	}
	seen := map[string]bool{}
	for _, field := range strings.Split(s, sep) {
		name, raw, ok := strings.Cut(field, "=")
		a, known := attrs[name]
		switch {
		case field == "":
			return fmt.Errorf("empty attribute (two %q in a row, or one at the end)", sep)
		case !ok:
			return fmt.Errorf("%q is not name=value", field)
		case !known:
			return fmt.Errorf("unknown attribute %q; valid here: %s", name, strings.Join(slices.Sorted(maps.Keys(attrs)), ", "))
		case seen[name]:
			return fmt.Errorf("attribute %s is given twice", name)
		case raw == "":
			return fmt.Errorf("%s= has an empty value; give a value or leave the attribute out", name)
		}
		seen[name] = true
		v, err := unescape(raw, allowed)
		if err != nil {
			return fmt.Errorf("%s=%s: %w", name, raw, err)
		}
		if a.max > 0 && len(v) > a.max {
			return fmt.Errorf("%s=%s is %d bytes long; PKCS#11 holds at most %d, so it can match nothing",
				name, raw, len(v), a.max)
		}
		if err := a.set(u, v); err != nil {
			return err
		}
	}
	return nil
}

// unescape percent-decodes v after checking that every character outside
// an escape is one the RFC allows there.
func unescape(v, allowed string) (string, error) {
	for i, r := range v {
		if r != '%' && !strings.ContainsRune(allowed, r) {
			return "", fmt.Errorf("character %q at offset %d must be percent-encoded (%%XX per byte); "+
				"allowed as is: letters, digits and %s", r, i, allowed[len(unreserved)-4:])
		}
	}
	s, err := url.PathUnescape(v)
	if err != nil {
		return "", fmt.Errorf("bad percent-encoding (write a byte as %%XX, two hex digits): %w", err)
	}
	return s, nil
}
