// Package templates holds the text templates svcpack fills from config: the
// systemd unit, the Windows install/uninstall scripts, the launchd plist and
// the READMEs that ride in archives. They are embedded so that svcpack works
// the same when used from another module (mage import or go run ...@version).
package templates

import (
	"embed"
	"fmt"
	"io/fs"
	"text/template"
)

//go:embed *.tmpl
var files embed.FS

// FS returns the embedded template files.
func FS() fs.FS { return files }

// Parse parses the named embedded template with the given functions, and
// the named partials: files of {{define}}s the template may call.
func Parse(name string, funcs template.FuncMap, partials ...string) (*template.Template, error) {
	t := template.New(name).Option("missingkey=error").Funcs(funcs)
	for _, n := range append([]string{name}, partials...) {
		data, err := files.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("templates: %s: %w", n, err)
		}
		if _, err := t.Parse(string(data)); err != nil {
			return nil, fmt.Errorf("templates: %s: %w", n, err)
		}
	}
	return t, nil
}
