package release

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"
)

// tarEntry returns the content of the named member of a .tar.gz.
func tarEntry(t *testing.T, path, name string) []byte {
	t.Helper()
	b, ok := gzTarFiles(t, path)[name]
	if !ok {
		t.Fatalf("%s has no %s", path, name)
	}
	return b
}

// TestDarwinUser releases the darwin tarball and reads its plist with
// Python's plistlib: the daemon runs as nobody unless service.darwin.user
// says otherwise (root: no UserName, launchd's default), under the label
// made from service.name; install.sh prepares the folders for that user.
func TestDarwinUser(t *testing.T) {
	py := testtool.Need(t, "python3", "python3")
	for _, tc := range []struct{ name, yaml, user string }{
		{"default", "", "nobody"},
		{"root", "  darwin: {user: root}\n", ""},
		{"own account", "  darwin: {user: _hello}\n", "_hello"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yaml := strings.Replace(helloYAML, "formats: [zip]", "homepage: https://example.com/hello\nformats: [tar.gz]", 1)
			yaml = strings.Replace(yaml, "service:\n", "service:\n  name: hello-svc\n"+tc.yaml, 1)
			c := helloProject(t, strings.NewReplacer("%d", "8080").Replace(yaml), "darwin/arm64")
			c.Dist = filepath.Join(t.TempDir(), "dist")
			res, err := Release(context.Background(), c, Options{})
			if err != nil {
				t.Fatal(err)
			}
			tgz := filepath.Join(res.Dist, "hello_1.4.2_darwin_arm64.tar.gz")
			plist := filepath.Join(t.TempDir(), "x.plist")
			os.WriteFile(plist, tarEntry(t, tgz, "com.example.hello-svc.plist"), 0o644)
			out, err := exec.Command(py, "-c", "import json,plistlib,sys; print(json.dumps(plistlib.load(open(sys.argv[1],'rb'))))", plist).CombinedOutput()
			if err != nil {
				t.Fatalf("plistlib: %v\n%s", err, out)
			}
			var got map[string]any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if u, _ := got["UserName"].(string); u != tc.user || got["Label"] != "com.example.hello-svc" {
				t.Errorf("UserName %q, Label %v; want %q", u, got["Label"], tc.user)
			}
			install := string(tarEntry(t, tgz, "install.sh"))
			if tc.user != "" && !strings.Contains(install, "chown -- '"+tc.user+"' '/usr/local/var/lib/hello' '/Library/Logs/hello'") {
				t.Errorf("install.sh does not give %s its folders:\n%s", tc.user, install)
			}
		})
	}
}
