package helm

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/svcpack/svcpack/internal/testtool"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func sample() *Chart {
	return &Chart{
		Name: "hello", Version: "1.2.4-0.3.gabc1234", AppVersion: "1.2.3-3-gabc1234", Description: "Says hello over HTTP", Home: "https://example.com/hello",
		Replicas: 2, Image: Image{Repository: "ghcr.io/acme/hello", Tag: "1.2.3-3-gabc1234", Digest: "sha256:" + strings.Repeat("ab", 32)},
		Port: 8080, Env: map[string]string{"PORT": "8080", "MODE": "prod"}, UID: 65532, GID: 65532,
		Check: &Check{Path: "/healthz", Port: 8080, Interval: 10 * time.Second, Timeout: 2500 * time.Millisecond, Failures: 3},
		CPU:   "800m", Memory: "512Mi",
		Files:    []File{{Path: "/etc/hello/config.yaml", Data: []byte("greeting: hi\n")}, {Path: "/etc/hello/conf/key.bin", Data: []byte{0xff, 0xfe, 0}}},
		Writable: []string{"/var/lib/hello", "/tmp"}, Created: time.Unix(1700000000, 0),
	}
}

// chartFiles writes c and reads the archive back: its files by name, and
// the archive's bytes.
func chartFiles(t *testing.T, c *Chart) (map[string][]byte, []byte) {
	t.Helper()
	var b bytes.Buffer
	if err := c.Write(&b); err != nil {
		t.Fatal(err)
	}
	gz, err := gzip.NewReader(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if gz.Name != "" || !gz.ModTime.IsZero() && gz.ModTime.Unix() != 0 {
		t.Errorf("gzip header: name %q, time %v", gz.Name, gz.ModTime)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, b.Bytes()
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 || !h.ModTime.Equal(c.Created) {
			t.Errorf("%s: owner %d:%d, time %v", h.Name, h.Uid, h.Gid, h.ModTime)
		}
		files[h.Name], _ = io.ReadAll(tr)
	}
}

// TestChart compares the sample's Chart.yaml and values.yaml with their
// golden files (-update rewrites them), and its archive with a second
// one's.
func TestChart(t *testing.T) {
	files, archive := chartFiles(t, sample())
	for _, name := range []string{"Chart.yaml", "values.yaml"} {
		golden := filepath.Join("testdata", name)
		got := files["hello/"+name]
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (%v):\n%s", name, golden, err, got)
		}
	}
	for _, name := range []string{"_helpers.tpl", "deployment.yaml", "service.yaml", "configmap.yaml", "NOTES.txt"} {
		if len(files["hello/templates/"+name]) == 0 {
			t.Errorf("no templates/%s in %v", name, len(files))
		}
	}
	if _, again := chartFiles(t, sample()); !bytes.Equal(archive, again) {
		t.Error("two archives of one chart differ")
	}
}

// TestChartRefuses: what Helm or Kubernetes would refuse is an error.
func TestChartRefuses(t *testing.T) {
	for name, edit := range map[string]func(c *Chart){
		"name":          func(c *Chart) { c.Name = "Hello" },
		"long name":     func(c *Chart) { c.Name = strings.Repeat("a", 64) },
		"version":       func(c *Chart) { c.Version = "1.2" },
		"replicas":      func(c *Chart) { c.Replicas = 0 },
		"image":         func(c *Chart) { c.Image = Image{Repository: "ghcr.io/acme/hello"} },
		"port":          func(c *Chart) { c.Port = 65536 },
		"check port":    func(c *Chart) { c.Check.Port = 0 },
		"check path":    func(c *Chart) { c.Check.Path = "healthz" },
		"check space":   func(c *Chart) { c.Check.Path = "/a b" },
		"check timing":  func(c *Chart) { c.Check.Interval = 1 << 62 },
		"failures":      func(c *Chart) { c.Check.Failures = 0 },
		"relative file": func(c *Chart) { c.Files[0].Path = "etc/hello/config.yaml" },
		"unclean":       func(c *Chart) { c.Writable[0] = "/var/lib/../hello" },
		"root":          func(c *Chart) { c.Writable[0] = "/" },
		"line break":    func(c *Chart) { c.Writable[0] = "/var/lib/a\nb" },
		"big config":    func(c *Chart) { c.Files[0].Data = bytes.Repeat([]byte("x"), 1<<20) },
	} {
		c := sample()
		edit(c)
		if err := c.Write(io.Discard); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestCheckName follows Helm's chart name rule and a DNS label's.
func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{
		"hello": true, "my-service": true, "a1": true, "1a": true, strings.Repeat("a", 63): true,
		"Hello": false, "my_service": false, "my.service": false, "-a": false, "a-": false, "a--b": false, "": false, strings.Repeat("a", 64): false,
	} {
		if err := CheckName(name); (err == nil) != ok {
			t.Errorf("%q: %v", name, err)
		}
	}
}

// TestDefaultRepository: the chart repository beside an image reference.
func TestDefaultRepository(t *testing.T) {
	for image, want := range map[string]string{
		"ghcr.io/acme/hello":                  "oci://ghcr.io/acme/charts",
		"ghcr.io/acme/hello:1.0":              "oci://ghcr.io/acme/charts",
		"localhost:5000/hello@sha256:" + "00": "oci://localhost:5000/charts",
		"registry.example.com/a/b/hello:v1":   "oci://registry.example.com/a/b/charts",
	} {
		got := DefaultRepository(image)
		if got != want || CheckRepository(got) != nil {
			t.Errorf("%s: %s, want %s", image, got, want)
		}
	}
}

// TestValuesAreData renders a chart whose values hold YAML and template
// syntax with the real helm: each arrives in the Deployment as written.
func TestValuesAreData(t *testing.T) {
	hostile := []string{
		"{{ .Release.Name }}", `{{ fail "evaluated" }}`, "yes", "no", "on", "~", "null", "0755", "1e3", "0x1F", "1_000", "1:20",
		"- a", "a: b", "#c", "&anchor", "*alias", "!!binary", "|", ">", "'", `"`, "\\", "%TAG", "@", "`", "a\nb", "tab\there",
		" lead", "trail ", "", "ü ✓ \u2028", "<>&", "$HOME",
	}
	c := sample()
	c.Env = map[string]string{}
	for i, v := range hostile {
		c.Env[string(rune('A'+i/26))+string(rune('A'+i%26))] = v
	}
	c.Description = "{{ fail \"evaluated\" }}"
	c.Files[0].Data = []byte("{{ fail \"evaluated\" }}\n")
	chart, helm := helmRunner(t, c)
	out, err := helm("template", "rel", chart)
	if err != nil {
		t.Fatalf("helm template: %v\n%s", err, out)
	}
	var env map[string]string
	for _, doc := range strings.Split(out, "\n---\n") {
		var d struct {
			Kind string
			Spec struct {
				Template struct {
					Spec struct {
						Containers []struct {
							Env []struct{ Name, Value string }
						}
					}
				}
			}
			Data map[string]string
		}
		if err := yaml.Unmarshal([]byte(doc), &d); err != nil {
			t.Fatalf("%v\n%s", err, doc)
		}
		switch d.Kind {
		case "Deployment":
			env = map[string]string{}
			for _, e := range d.Spec.Template.Spec.Containers[0].Env {
				env[e.Name] = e.Value
			}
		case "ConfigMap":
			if d.Data["config.yaml"] != string(c.Files[0].Data) {
				t.Errorf("ConfigMap config.yaml %q", d.Data["config.yaml"])
			}
		}
	}
	if len(env) != len(c.Env) {
		t.Fatalf("env %v", env)
	}
	for k, v := range c.Env {
		if env[k] != v {
			t.Errorf("%s: %q, want %q", k, env[k], v)
		}
	}
}

// TestMinimalChart: a chart without port, check, limits, files or
// environment passes helm lint --strict and renders the Deployment alone.
func TestMinimalChart(t *testing.T) {
	c := &Chart{Name: "min", Version: "0.1.0", Replicas: 1, Image: Image{Repository: "localhost:5000/min", Tag: "0.1.0"}, UID: 0, GID: 0}
	chart, helm := helmRunner(t, c)
	run := func(args ...string) string {
		out, err := helm(args...)
		if err != nil {
			t.Fatalf("helm %v: %v\n%s", args, err, out)
		}
		return out
	}
	run("lint", "--strict", chart)
	out := run("template", "rel", chart)
	if strings.Count(out, "kind: ") != 1 || !strings.Contains(out, `image: "localhost:5000/min:0.1.0"`) || !strings.Contains(out, "runAsNonRoot: false") {
		t.Errorf("helm template:\n%s", out)
	}
}

// TestVolumesNameWritableFolders: a volume for a folder the program does not
// write (a typo, a trailing slash) fails helm template, rather than leaving
// the state on an empty volume.
func TestVolumesNameWritableFolders(t *testing.T) {
	chart, helm := helmRunner(t, sample())
	for set, want := range map[string]string{
		"volumes./var/lib/hello/.persistentVolumeClaim.claimName=data": "volumes: /var/lib/hello/ is none of the folders the program writes",
		"volumes./var/lib/hello.persistentVolumeClaim.claimName=data":  "",
	} {
		out, err := helm("template", "rel", chart, "--set", set)
		if (err != nil) != (want != "") || !strings.Contains(out, want) {
			t.Errorf("--set %s: %v\n%s", set, err, out)
		}
	}
}

// helmRunner writes c's archive to a temporary folder and returns the chart
// file and a function running the helm on PATH (with its folders there)
// that returns helm's output and error; a missing helm skips the test.
func helmRunner(t *testing.T, c *Chart) (string, func(args ...string) (string, error)) {
	t.Helper()
	bin, err := exec.LookPath("helm")
	if err != nil {
		testtool.Missing(t, "helm (go install helm.sh/helm/v4/cmd/helm@v4.3.2)")
	}
	var b bytes.Buffer
	if err := c.Write(&b); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	chart := filepath.Join(dir, c.FileName())
	if err := os.WriteFile(chart, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return chart, func(args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+dir, "HELM_CONFIG_HOME="+dir, "HELM_DATA_HOME="+dir)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
}
