package release

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/platform"
)

// The compose format, proven by Debian's docker-compose (1.x), which
// validates the file against its schema and prints it as it reads it.

// composeConfig runs docker-compose config on the Compose file at file,
// with HOME set to a value that must never show (the file's values say
// $HOME), and decodes what it prints.
func composeConfig(t *testing.T, file string) (map[string]any, []byte) {
	t.Helper()
	out, err := composeRun(t, file)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("docker-compose config printed: %v\n%s", err, out)
	}
	return doc, out
}

// composeRun runs docker-compose config on file, with HOME set to
// /interpolated-home.
func composeRun(t *testing.T, file string) ([]byte, error) {
	t.Helper()
	bin := testtool.Need(t, "docker-compose", "docker-compose")
	cmd := exec.Command(bin, "-f", file, "config")
	cmd.Dir = filepath.Dir(file)
	cmd.Env = append(os.Environ(), "HOME=/interpolated-home")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("docker-compose config: %v\n%s", err, stderr.Bytes())
	}
	return out, nil
}

// TestComposeFile releases netsvc as an image and a Compose file:
// docker-compose accepts it and reads the image by the index's digest
// (skopeo's), the environment as the image has it with every $ as written
// (docker-compose prints a value's $ as $$: the file's own escape), the
// user, a read-only root, the configuration file (as written) bind-mounted
// where the image has it, a named volume for the state, the limits and
// the restart policy; the file and the configuration file are in
// artifacts.json and checksums.txt; a second release gives the same
// bytes. Without the escape, docker-compose would substitute $HOME: the
// check is not vacuous.
func TestComposeFile(t *testing.T) {
	testtool.Need(t, "docker-compose", "docker-compose")
	c := containerProject(t, "oci, compose", "")
	res, err := Release(context.Background(), c, Options{Dist: filepath.Join(t.TempDir(), "dist")})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(res.Dist, "compose", "netsvc", "compose.yaml")
	paths := []string{"compose/netsvc/compose.yaml", "compose/netsvc/config/rules.json"}
	arts, sums := artifactsOf(res, packager.KindCompose), sha256sums(t, res.Dist)
	for _, p := range paths {
		if arts[p].Path == "" || sums[p] != arts[p].SHA256 {
			t.Errorf("%s: artifact %+v, checksums.txt %q", p, arts[p], sums[p])
		}
	}
	if len(arts) != len(paths) {
		t.Errorf("compose artifacts %v, want %v", arts, paths)
	}
	rules, err := os.ReadFile(filepath.Join(res.Dist, "compose", "netsvc", "config", "rules.json"))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "config/rules.json", string(rules), configWithTemplates)

	doc, out := composeConfig(t, file)
	if strings.Contains(string(out), "interpolated-home") {
		t.Errorf("docker-compose substituted $HOME:\n%s", out)
	}
	svc, _ := doc["services"].(map[string]any)["netsvc"].(map[string]any)
	if svc == nil {
		t.Fatalf("no service netsvc:\n%s", out)
	}
	index := sha256Hex(skopeoJSON(t, nil, "--raw", "oci-archive:"+filepath.Join(res.Dist, "netsvc_1.0.0.oci.tar")))
	eq(t, "image", svc["image"], "registry.example.com/svcpack/netsvc@"+index)
	env := map[string]string{}
	for k, v := range svc["environment"].(map[string]any) {
		env[k] = strings.ReplaceAll(v.(string), "$$", "$") // as the container gets it
	}
	img := imageEnv(t, res.Dist)
	eq(t, "environment, as the image has it", env, map[string]string{"PORT": img["PORT"], "PRICE": img["PRICE"], "DATA": img["DATA"]})
	eq(t, "PRICE", env["PRICE"], "costs $5 and ${HOME}")
	eq(t, "user, read_only, restart", []any{svc["user"], svc["read_only"], svc["restart"]}, []any{"65532:65532", true, "unless-stopped"})
	eq(t, "cap_drop", svc["cap_drop"], []any{"ALL"})
	eq(t, "ports", svc["ports"], []any{map[string]any{"target": 8095, "published": 8095, "protocol": "tcp"}})
	eq(t, "tmpfs", svc["tmpfs"], []any{"/tmp"})
	eq(t, "volumes", svc["volumes"], []any{
		map[string]any{"type": "bind", "source": filepath.Join(filepath.Dir(file), "config", "rules.json"), "target": "/etc/netsvc/rules.json", "read_only": true},
		map[string]any{"type": "volume", "source": "state", "target": "/var/lib/netsvc"},
		map[string]any{"type": "volume", "source": "srv-netsvc", "target": "/srv/netsvc"},
	})
	eq(t, "limits", svc["deploy"], map[string]any{"resources": map[string]any{"limits": map[string]any{"cpus": 1.5, "memory": "256M"}}})
	for _, v := range []string{"state", "srv-netsvc"} {
		if _, ok := doc["volumes"].(map[string]any)[v]; !ok {
			t.Errorf("no volume %s: %v", v, doc["volumes"])
		}
	}

	// The same file without its escapes: docker-compose interpolates (and
	// refuses $5).
	raw, _ := os.ReadFile(file)
	bare := filepath.Join(filepath.Dir(file), "bare.yaml")
	writeTestFile(t, bare, bytes.ReplaceAll(raw, []byte("$$"), []byte("$")))
	if out, err := composeRun(t, bare); err == nil || !strings.Contains(err.Error(), "Invalid interpolation format") {
		t.Errorf("docker-compose read the unescaped file (%v): the check above proves nothing\n%s", err, out)
	}
	writeTestFile(t, bare, bytes.ReplaceAll(raw, []byte("$${HOME}"), []byte("${HOME}")))
	if out, err := composeRun(t, bare); err != nil || !strings.Contains(string(out), "interpolated-home") {
		t.Errorf("docker-compose did not substitute an unescaped ${HOME} (%v): the check above proves nothing\n%s", err, out)
	}

	again, err := Release(context.Background(), c, Options{Dist: filepath.Join(t.TempDir(), "dist"), Force: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		a, _ := os.ReadFile(filepath.Join(res.Dist, p))
		b, _ := os.ReadFile(filepath.Join(again.Dist, p))
		if !bytes.Equal(a, b) {
			t.Errorf("two releases made two different %s", p)
		}
	}
}

// TestComposeRestart: the restart policy follows service.restart.policy
// and service.start (docker-compose reads it back).
func TestComposeRestart(t *testing.T) {
	testtool.Need(t, "docker-compose", "docker-compose")
	for _, tc := range []struct{ service, want string }{
		{"", "unless-stopped"},
		{"  restart: {policy: always}\n", "always"},
		{"  start: manual\n", "on-failure"},
		{"  start: disabled\n  restart: {policy: always}\n", "always"},
	} {
		c, err := containerLoad(t, 8096, "oci, compose", tc.service, "")
		if err != nil {
			t.Fatal(err)
		}
		res, err := Release(context.Background(), c, Options{Dist: filepath.Join(t.TempDir(), "dist")})
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := composeConfig(t, filepath.Join(res.Dist, "compose", "netsvc", "compose.yaml"))
		eq(t, strings.TrimSpace(tc.service)+" restart", doc["services"].(map[string]any)["netsvc"].(map[string]any)["restart"], tc.want)
	}
}

// TestContainerFormatsReadDeclaredFields runs the helm and compose jobs of
// a release again as TestWritersReadOnlyDeclaredFields does, with the spec
// projected onto their Reads and with the whole spec: the same bytes, and
// the release's.
func TestContainerFormatsReadDeclaredFields(t *testing.T) {
	c := containerProject(t, "oci, helm, compose", "helm: {replicas: 2}\n")
	res, err := Release(context.Background(), c, Options{Dist: filepath.Join(t.TempDir(), "dist")})
	if err != nil {
		t.Fatal(err)
	}
	made := map[string]string{}
	for _, a := range res.Artifacts {
		made[a.Path] = a.SHA256
	}
	ran := 0
	for _, pk := range registry() {
		if pk.Name != "helm" && pk.Name != "compose" {
			continue
		}
		ran++
		view, err := c.Project(pk.Reads)
		if err != nil {
			t.Fatal(err)
		}
		projected := runWrite(context.Background(), t, c, view, pk, platform.Target{}, res)
		full := runWrite(context.Background(), t, c, c, pk, platform.Target{}, res)
		eq(t, pk.Name+": projected and whole spec", projected, full)
		if len(projected) == 0 {
			t.Errorf("%s wrote nothing", pk.Name)
		}
		for p, sum := range projected {
			if made[p] != sum {
				t.Errorf("%s: %s differs from the release's", pk.Name, p)
			}
		}
	}
	eq(t, "packagers run", ran, 2)
}

// TestContainerFormatsAtMerge: a release in two parts makes the chart and
// the Compose file at merge, where the image index is made, and the merged
// release is the single-machine one byte for byte.
func TestContainerFormatsAtMerge(t *testing.T) {
	c := containerProject(t, "oci, helm, compose", "")
	c.Targets = mustTargets(t, "linux/amd64", "linux/arm64")
	dir := t.TempDir()
	single := filepath.Join(dir, "single")
	res, err := Release(context.Background(), c, Options{Dist: single})
	if err != nil {
		t.Fatal(err)
	}
	if len(artifactsOf(res, packager.KindHelm)) != 1 || len(artifactsOf(res, packager.KindCompose)) != 2 {
		t.Fatalf("artifacts %v", res.Artifacts)
	}
	parts := releaseParts(t, c, dir, [][]string{{"linux/amd64"}, {"linux/arm64"}})
	merged := filepath.Join(dir, "merged")
	if _, err := Merge(context.Background(), c, OpenParts(context.Background(), parts, Options{}), Options{Dist: merged, GoTool: filepath.Join(dir, "no-go-here")}); err != nil {
		t.Fatal(err)
	}
	sameTree(t, "merged", merged, single)
}

// TestComposeProjectName: a release template that names the Compose folder
// after the version is a warning (Compose's project would change); one that
// keeps the version to the chart is not.
func TestComposeProjectName(t *testing.T) {
	for tmpl, warn := range map[string]bool{
		`"{{.Name}}-{{.Version}}"`: true,
		`"{{if eq .Format \"helm\"}}{{.Conventional}}{{else}}{{.Name}}-app{{end}}"`: false,
	} {
		c := containerProject(t, "oci, compose", "name_template: {release: "+tmpl+"}\n")
		got := slices.ContainsFunc(c.Warnings, func(w string) bool {
			return strings.Contains(w, "name_template.release: warning:") && strings.Contains(w, "new project")
		})
		if got != warn {
			t.Errorf("release: %s: warned %v, want %v (%q)", tmpl, got, warn, c.Warnings)
		}
	}
}
