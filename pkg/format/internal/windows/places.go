package windows

import (
	"path"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/msi"
	"github.com/svcpack/svcpack/pkg/svcwrap"
	"github.com/svcpack/svcpack/pkg/winscripts"
)

// StateFolder is the service's data folder on Windows, inside the install
// folder: the installers make it and let the service's account write it.
const StateFolder = "data"

// placeFolder is where place p is on Windows, relative to the install
// folder ("" for the folder itself), or absolute (a log folder the
// administrator configured).
func placeFolder(wc *svcwrap.Config, p config.Place) string {
	switch p {
	case config.StateDir:
		return StateFolder
	case config.LogDir:
		if wc != nil {
			return strings.TrimRight(strings.ReplaceAll(wc.Logs.Dir, "/", `\`), `\`)
		}
		return svcwrap.DefaultLogDir
	}
	return ""
}

// installerText renders v for an installer that writes the install folder
// as mark, which expands to the folder with a backslash at its end
// (INSTALLDIR, %~dp0): a place is mark, then its folder and a backslash;
// the separator written after it in v is dropped, and a place that ends
// the text is followed by "." so that no argument ends in a backslash
// (which the C runtime would read as escaping the closing quote).
func installerText(v, mark string, wc *svcwrap.Config) string {
	return renderWindows(v, func(p config.Place) string {
		f := placeFolder(wc, p)
		switch {
		case f == "":
			return mark
		case winscripts.IsAbs(f):
			return f + `\`
		}
		return mark + f + `\`
	}, true, nil)
}

// wrapperText renders v for the wrapper's configuration: a place is
// ${name} of the wrapper's Folders, and a $ of the text is $$.
func wrapperText(v string) string {
	return renderWindows(v, func(p config.Place) string { return "${" + wrapperFolderName(p) + "}" }, false,
		func(s string) string { return strings.ReplaceAll(s, "$", "$$") })
}

// wrapperFolderName is the wrapper's name of place p.
func wrapperFolderName(p config.Place) string {
	switch p {
	case config.ConfigDir:
		return "config"
	case config.StateDir:
		return "state"
	case config.LogDir:
		return "logs"
	}
	return "install"
}

// wrapperFolders are the wrapper's Folders for the places.
func wrapperFolders(wc *svcwrap.Config) map[string]string {
	out := map[string]string{}
	for _, p := range config.Places() {
		f := placeFolder(wc, p)
		if f == "" {
			f = "."
		}
		out[wrapperFolderName(p)] = f
	}
	return out
}

// renderWindows renders v with dir for each place, the path that follows a
// place with \ for /, and literal text through lit (nil: as it is). When
// sepEnded, dir's folders end in a separator: the one written after a
// place is dropped, and a place followed by no separator gets ".".
func renderWindows(v string, dir func(config.Place) string, sepEnded bool, lit func(string) string) string {
	t, err := config.ParsePlaces(v)
	if err != nil {
		return v // Load refused it
	}
	var b strings.Builder
	for i, part := range t {
		if part.Place != 0 {
			b.WriteString(dir(part.Place))
			next := ""
			if i+1 < len(t) && t[i+1].Place == 0 {
				next = t[i+1].Text
			}
			if sepEnded && !strings.HasPrefix(next, "/") && !strings.HasPrefix(next, `\`) {
				b.WriteString(".")
			}
			continue
		}
		text := part.Text
		if i > 0 && t[i-1].Place != 0 {
			end := strings.IndexAny(text, " ,;=\"'")
			if end < 0 {
				end = len(text)
			}
			text = strings.ReplaceAll(text[:end], "/", `\`) + text[end:]
			if sepEnded {
				text = strings.TrimPrefix(text, `\`)
			}
		}
		if lit != nil {
			text = lit(text)
		}
		b.WriteString(text)
	}
	return b.String()
}

// WritableFolders are the folders inside the install folder that the
// installers make for the service's account, besides the wrapper's log
// folder: its data folder when the config names {{.StateDir}}, and for a
// program that is not wrapped its log folder when the config names
// {{.LogDir}}.
func WritableFolders(s *config.Spec, wc *svcwrap.Config) []string {
	var out []string
	if s.UsesPlace(config.StateDir) {
		out = append(out, StateFolder)
	}
	if wc == nil && s.UsesPlace(config.LogDir) {
		out = append(out, svcwrap.DefaultLogDir)
	}
	return out
}

// writableMSIFolders are WritableFolders for the MSI, with the account's
// write permission.
func writableMSIFolders(s *config.Spec, wc *svcwrap.Config) []msi.Folder {
	var out []msi.Folder
	for _, f := range WritableFolders(s, wc) {
		out = append(out, WritableFolder(path.Clean(f), s.Service.Account, s.Service.Name))
	}
	return out
}
