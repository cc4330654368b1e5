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

// Parse parses the named embedded template with the given functions.
func Parse(name string, funcs template.FuncMap) (*template.Template, error) {
	data, err := files.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("templates: %s: %w", name, err)
	}
	t, err := template.New(name).Option("missingkey=error").Funcs(funcs).Parse(string(data))
	if err != nil {
		return nil, fmt.Errorf("templates: %s: %w", name, err)
	}
	return t, nil
}
