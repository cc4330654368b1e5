package release

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/debroot"
	"github.com/svcpack/svcpack/internal/softhsm"
	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/oci"
	"golang.org/x/crypto/bcrypt"
)

// The oci format, proven by readers nobody here wrote: skopeo and umoci read
// the image index and every image, the image runs (podman, or the rootfs
// umoci unpacks started by systemd-nspawn as the image's user), and a real
// registry server (Debian's docker-registry) takes the pushed index.

// ociProject is the netsvc test program released as OCI images for
// targets, listening on port, with the oci section extra (YAML lines
// under oci:).
func ociProject(t *testing.T, port int, targets string, extra string) *config.Spec {
	t.Helper()
	c, err := programProject(t, "netsvc", port, func(y string) string {
		y = strings.Replace(y, "targets: [windows/amd64, linux/amd64]", "targets: ["+targets+"]", 1)
		y = strings.Replace(y, "formats: [zip, msi, deb]", "formats: [oci]\nhomepage: https://example.com/netsvc", 1)
		y = strings.Replace(y, "  account: LocalService\n", "  account: LocalService\n  env: {PORT: \""+strconv.Itoa(port)+"\", GREETING: two words, STATE_DIRECTORY: /var/lib/netsvc}\n", 1)
		return y + "oci:\n" + extra
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// linuxArgs are the service's arguments with the places where the Linux
// packages and the image put them.
func linuxArgs(c *config.Spec) []string {
	var out []string
	for _, a := range c.Service.Args {
		out = append(out, config.PlacesIn(a, func(p config.Place) string {
			return map[config.Place]string{config.ConfigDir: "/etc/netsvc", config.StateDir: "/var/lib/netsvc"}[p]
		}))
	}
	return out
}

// skopeoJSON runs skopeo inspect with args and decodes its JSON.
func skopeoJSON(t *testing.T, v any, args ...string) []byte {
	t.Helper()
	out := runTool(t, "skopeo", "skopeo", append([]string{"inspect"}, args...)...)
	if v != nil {
		if err := json.Unmarshal(out, v); err != nil {
			t.Fatalf("skopeo inspect %v: %v\n%s", args, err, out)
		}
	}
	return out
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// ociImageConfig is the part of an image configuration the tests compare.
type ociImageConfig struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Variant      string `json:"variant"`
	Created      string `json:"created"`
	Config       struct {
		User         string
		Entrypoint   []string
		Cmd          []string
		Env          []string
		WorkingDir   string
		ExposedPorts map[string]any
		Labels       map[string]string
		StopSignal   string
	} `json:"config"`
}

// extractTar unpacks a tar archive into dir with tar(1).
func extractTar(t *testing.T, file, dir string) {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	runTool(t, "tar", "tar", "-xf", file, "-C", dir)
}

// umociUnpack unpacks the image tag of the layout directory into a bundle
// (rootfs and the runtime config umoci derives from the image), as root
// when the test runs as root (owners kept), else rootless.
func umociUnpack(t *testing.T, layout, tag, bundle string) map[string]any {
	t.Helper()
	args := []string{"unpack", "--image", layout + ":" + tag, bundle}
	if os.Geteuid() != 0 {
		args = append([]string{"--rootless"}, args...)
		args[0], args[1] = args[1], args[0]
	}
	runTool(t, "umoci", "umoci", args...)
	b, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	return spec
}

// TestOCIImagesReadByTools releases netsvc for three Linux platforms: skopeo
// reads the index (platforms, annotations) and each image's configuration
// (user, entrypoint, args, env, port, working directory, stop signal,
// labels), each index entry is the per-target image, umoci unpacks each
// image (the binary, the TLS roots, the working directory owned by the
// image's user, the runtime config umoci derives), and a second release
// gives the same bytes, so the same digests.
func TestOCIImagesReadByTools(t *testing.T) {
	c := ociProject(t, 8093, "linux/amd64, linux/arm64, linux/arm/7", "")
	c.Service.Linux.Writable = []string{"/srv/netsvc"}
	res, err := Release(context.Background(), c, Options{Dist: filepath.Join(t.TempDir(), "dist")})
	if err != nil {
		t.Fatal(err)
	}
	index := filepath.Join(res.Dist, "netsvc_1.0.0.oci.tar")
	var idx struct {
		MediaType string
		Manifests []struct {
			MediaType, Digest string
			Platform          struct{ OS, Architecture, Variant string }
		}
		Annotations map[string]string
	}
	raw := skopeoJSON(t, &idx, "--raw", "oci-archive:"+index)
	var platforms []string
	for _, m := range idx.Manifests {
		platforms = append(platforms, strings.TrimSuffix(m.Platform.OS+"/"+m.Platform.Architecture+"/"+m.Platform.Variant, "/"))
	}
	eq(t, "index media type", idx.MediaType, "application/vnd.oci.image.index.v1+json")
	eq(t, "index platforms", platforms, []string{"linux/amd64", "linux/arm64", "linux/arm/v7"})
	wantAnn := map[string]string{
		"org.opencontainers.image.created": "2023-11-14T22:13:20Z", "org.opencontainers.image.version": "1.0.0",
		"org.opencontainers.image.source": "https://example.com/netsvc", "org.opencontainers.image.url": "https://example.com/netsvc",
		"org.opencontainers.image.licenses": "MIT", "org.opencontainers.image.title": "netsvc",
		"org.opencontainers.image.description": c.Description,
	}
	if c.Commit != "" {
		wantAnn["org.opencontainers.image.revision"] = c.Commit
	}
	eq(t, "index annotations", idx.Annotations, wantAnn)

	for i, tg := range []struct{ target, slug, arch, variant string }{
		{"linux/amd64", "linux_amd64", "amd64", ""}, {"linux/arm64", "linux_arm64", "arm64", ""}, {"linux/arm/7", "linux_armv7", "arm", "v7"},
	} {
		t.Run(tg.slug, func(t *testing.T) {
			file := filepath.Join(res.Dist, "netsvc_1.0.0_"+tg.slug+".oci.tar")
			manifest := skopeoJSON(t, nil, "--raw", "oci-archive:"+file)
			eq(t, "the index's entry is this image", idx.Manifests[i].Digest, sha256Hex(manifest))
			var cfg ociImageConfig
			skopeoJSON(t, &cfg, "--config", "oci-archive:"+file)
			eq(t, "platform", []string{cfg.OS, cfg.Architecture, cfg.Variant}, []string{"linux", tg.arch, tg.variant})
			eq(t, "created", cfg.Created, "2023-11-14T22:13:20Z")
			eq(t, "User", cfg.Config.User, "65532:65532")
			eq(t, "Entrypoint", cfg.Config.Entrypoint, []string{"/usr/bin/netsvc"})
			eq(t, "Cmd", cfg.Config.Cmd, linuxArgs(c))
			eq(t, "Env", cfg.Config.Env, []string{"GREETING=two words", "PORT=8093", "STATE_DIRECTORY=/var/lib/netsvc"})
			eq(t, "ExposedPorts", cfg.Config.ExposedPorts, map[string]any{"8093/tcp": map[string]any{}})
			eq(t, "WorkingDir", cfg.Config.WorkingDir, "/var/lib/netsvc")
			eq(t, "StopSignal", cfg.Config.StopSignal, "SIGTERM")
			eq(t, "Labels", cfg.Config.Labels, wantAnn)

			layout := filepath.Join(t.TempDir(), "layout")
			extractTar(t, file, layout)
			if ls := strings.Fields(string(runTool(t, "umoci", "umoci", "ls", "--layout", layout))); !slices.Equal(ls, []string{"1.0.0"}) {
				t.Errorf("umoci ls: %v", ls)
			}
			bundle := filepath.Join(t.TempDir(), "bundle")
			spec := umociUnpack(t, layout, "1.0.0", bundle)
			proc := spec["process"].(map[string]any)
			eq(t, "runtime args", proc["args"], anySlice(append([]string{"/usr/bin/netsvc"}, linuxArgs(c)...)))
			eq(t, "runtime cwd", proc["cwd"], "/var/lib/netsvc")
			eq(t, "runtime user", proc["user"], map[string]any{"uid": float64(65532), "gid": float64(65532)})
			for _, e := range []string{"GREETING=two words", "PORT=8093"} {
				if !slices.Contains(anyStrings(proc["env"]), e) {
					t.Errorf("runtime env %v lacks %s", proc["env"], e)
				}
			}
			rootfs := filepath.Join(bundle, "rootfs")
			bin, _ := os.ReadFile(filepath.Join(res.Dist, "netsvc_"+tg.slug, "netsvc"))
			got, err := os.ReadFile(filepath.Join(rootfs, "usr/bin/netsvc"))
			if err != nil || !bytes.Equal(got, bin) {
				t.Errorf("/usr/bin/netsvc is not the released binary (%v)", err)
			}
			if b, err := os.ReadFile(filepath.Join(rootfs, "etc/ssl/certs/ca-certificates.crt")); err != nil || !bytes.Contains(b, []byte("BEGIN CERTIFICATE")) {
				t.Errorf("TLS roots: %v", err)
			}
			if _, err := os.Stat(filepath.Join(rootfs, "usr/share/zoneinfo")); err == nil {
				t.Error("time zone data although oci.tzdata is off")
			}
			for _, dir := range []string{"var/lib/netsvc", "srv/netsvc"} { // the working directory, a writable folder
				if st, err := os.Stat(filepath.Join(rootfs, dir)); err != nil || !st.IsDir() {
					t.Errorf("/%s: %v", dir, err)
				} else if os.Geteuid() == 0 && st.Sys().(*syscall.Stat_t).Uid != 65532 {
					t.Errorf("/%s owned by %d, want 65532", dir, st.Sys().(*syscall.Stat_t).Uid)
				}
			}
		})
	}
	// umoci reads the index's layout too (a multi-platform tag, which it
	// lists but, having no platform choice, does not unpack).
	layout := filepath.Join(t.TempDir(), "index")
	extractTar(t, index, layout)
	if ls := strings.Fields(string(runTool(t, "umoci", "umoci", "ls", "--layout", layout))); !slices.Equal(ls, []string{"1.0.0"}) {
		t.Errorf("umoci ls of the index layout: %v", ls)
	}

	again, err := Release(context.Background(), c, Options{Dist: filepath.Join(t.TempDir(), "dist"), Force: true})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "the second release's index", sha256Hex(skopeoJSON(t, nil, "--raw", "oci-archive:"+filepath.Join(again.Dist, "netsvc_1.0.0.oci.tar"))), sha256Hex(raw))
	sameRelease(t, "two releases", res.Dist, again.Dist)
}

func anyStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// TestOCIImageRuns releases netsvc as an image on a base image umoci made
// (a marker file and a variable), with time zone data, and runs it: with
// podman where it can run containers here, else by unpacking it with umoci
// and starting the rootfs under systemd-nspawn with umoci's runtime config
// (the image's user, arguments, environment and working directory). The
// service answers its health URL, reads time zone data and the TLS roots,
// writes into its working directory, runs as uid 65532, and stops on the
// image's stop signal, SIGTERM, by itself (exit status 0).
func TestOCIImageRuns(t *testing.T) {
	umoci := testtool.Need(t, "umoci", "umoci")
	port := testtool.FreePort(t)
	base := filepath.Join(t.TempDir(), "base")
	for _, args := range [][]string{
		{"init", "--layout", base},
		{"new", "--image", base + ":latest"},
		{"config", "--image", base + ":latest", "--config.env", "BASE_MARK=from-the-base"},
	} {
		if out, err := exec.Command(umoci, args...).CombinedOutput(); err != nil {
			t.Fatalf("umoci %v: %v\n%s", args, err, out)
		}
	}
	bb := filepath.Join(t.TempDir(), "basebundle")
	umociUnpack(t, base, "latest", bb)
	writeTestFile(t, filepath.Join(bb, "rootfs/etc/base-release"), []byte("made by umoci\n"))
	// A folder of the base's that the image's files go into (time zone
	// data in /usr/share/zoneinfo), with the base's own mode and group: the image's
	// layers must not replace them (as /usr/local is 2775 root:staff on
	// Debian, or a distroless user's home is the user's).
	share := filepath.Join(bb, "rootfs/usr/share")
	if err := os.MkdirAll(share, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(share, 0o775); err != nil {
		t.Fatal(err)
	}
	shareGID := os.Getgid()
	if os.Geteuid() == 0 {
		shareGID = 50
		if err := os.Chown(share, 0, shareGID); err != nil {
			t.Fatal(err)
		}
	}
	runTool(t, "umoci", "umoci", "repack", "--image", base+":latest", bb)

	c := ociProject(t, port, "linux/amd64", "  tzdata: true\n  base: "+base+"\n")
	res, err := Release(context.Background(), c, Options{Dist: filepath.Join(t.TempDir(), "dist")})
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(res.Dist, "netsvc_1.0.0_linux_amd64.oci.tar")
	var cfg ociImageConfig
	skopeoJSON(t, &cfg, "--config", "oci-archive:"+archive)
	if !slices.Contains(cfg.Config.Env, "BASE_MARK=from-the-base") || !slices.Contains(cfg.Config.Env, "PORT="+strconv.Itoa(port)) {
		t.Errorf("Env %v: want the base's and the service's", cfg.Config.Env)
	}
	get := func(path string) (string, error) {
		client := &http.Client{Timeout: 10 * time.Second}
		resp, err := client.Get("http://127.0.0.1:" + strconv.Itoa(port) + path)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			return string(b), fmt.Errorf("%s: %s", path, resp.Status)
		}
		return string(b), err
	}
	checks := func(t *testing.T, pid func() int) {
		t.Helper()
		var health string
		for i := 0; i < 120; i++ {
			if health, err = get("/healthz"); err == nil {
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		eq(t, "/healthz", strings.TrimSpace(health), "ok")
		for path, want := range map[string]string{
			"/zone?name=Europe/Paris": "14:00 CEST",
			"/roots":                  "/etc/ssl/certs/ca-certificates.crt ",
			"/write":                  "STATE_DIRECTORY /var/lib/netsvc <nil>",
			"/rules":                  `/etc/netsvc/rules.json {"hooks": ["deploy"]}`,
			"/data":                   "/var/lib/netsvc/probe <nil>",
		} {
			if got, err := get(path); err != nil || !strings.Contains(got, want) {
				t.Errorf("%s: %q %v, want %q", path, got, err, want)
			}
		}
		p := pid()
		if p <= 0 {
			t.Errorf("no process id for the program: its user cannot be checked")
			return
		}
		status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", p))
		if !regexpMatch(`(?m)^Uid:\t65532\t`, string(status)) {
			t.Errorf("the program does not run as uid 65532:\n%s", status)
		}
	}
	layout := filepath.Join(t.TempDir(), "layout")
	extractTar(t, archive, layout)
	bundle := filepath.Join(t.TempDir(), "bundle")
	umociUnpack(t, layout, "1.0.0", bundle)
	if b, err := os.ReadFile(filepath.Join(bundle, "rootfs/etc/base-release")); err != nil || string(b) != "made by umoci\n" {
		t.Errorf("the base image's file: %q %v", b, err)
	}
	if fi, err := os.Stat(filepath.Join(bundle, "rootfs/usr/share")); err != nil {
		t.Error(err)
	} else if st := fi.Sys().(*syscall.Stat_t); fi.Mode().Perm() != 0o775 || int(st.Gid) != shareGID {
		t.Errorf("the base's /usr/share is now %v group %d, want the base's 0775 group %d", fi.Mode().Perm(), st.Gid, shareGID)
	}
	if _, err := os.Stat(filepath.Join(bundle, "rootfs/usr/share/zoneinfo/Europe/Paris")); err != nil {
		t.Errorf("the time zone data: %v", err)
	}
	if ranInPodman(t, archive, port, checks) {
		return
	}
	runNspawn(t, bundle, cfg.Config.StopSignal, port, checks)
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }

// ranInPodman runs the image with podman (host network, so the service
// answers on this machine's loopback), runs checks, stops the container
// (podman sends the image's stop signal) and requires exit status 0 after
// "stopping". It reports false, having logged why, when podman cannot run
// containers on this machine (no cgroup setup it supports, no
// CAP_SYS_RESOURCE for its limits, ...).
func ranInPodman(t *testing.T, archive string, port int, checks func(*testing.T, func() int)) bool {
	// Without podman the image still runs under systemd-nspawn: a missing
	// podman fails the test only where every tool is required.
	_, perr := exec.LookPath("podman")
	_, cerr := exec.LookPath("crun")
	if (perr != nil || cerr != nil) && !testtool.Required() {
		t.Logf("podman or crun is not installed (Debian packages podman, crun), so the image runs under systemd-nspawn")
		return false
	}
	podman := testtool.Need(t, "podman", "podman")
	testtool.Need(t, "crun", "crun")
	pulled, err := exec.Command(podman, "pull", "-q", "oci-archive:"+archive).Output()
	if err != nil {
		t.Fatalf("podman pull oci-archive:%s: %v", archive, err)
	}
	image := strings.TrimSpace(string(pulled))
	defer exec.Command(podman, "rmi", "-f", image).Run()
	name := fmt.Sprintf("svcpack-oci-test-%d", port)
	out, err := exec.Command(podman, "run", "-d", "--name", name, "--network", "host", image).CombinedOutput()
	if err != nil {
		t.Logf("podman cannot run the container on this machine, so the image runs under systemd-nspawn instead: %v\n%s", err, debroot.Tail(out, 5))
		exec.Command(podman, "rm", "-f", name).Run()
		return false
	}
	id := strings.TrimSpace(string(out))
	defer exec.Command(podman, "rm", "-f", id).Run()
	checks(t, func() int {
		out, _ := exec.Command(podman, "inspect", "-f", "{{.State.Pid}}", id).Output()
		n, _ := strconv.Atoi(strings.TrimSpace(string(out)))
		return n
	})
	if out, err := exec.Command(podman, "stop", "-t", "30", id).CombinedOutput(); err != nil {
		t.Errorf("podman stop: %v\n%s", err, out)
	}
	code, _ := exec.Command(podman, "inspect", "-f", "{{.State.ExitCode}}", id).Output()
	logs, _ := exec.Command(podman, "logs", id).CombinedOutput()
	if strings.TrimSpace(string(code)) != "0" || !strings.Contains(string(logs), "netsvc: stopping") {
		t.Errorf("after podman stop: exit %s, logs:\n%s", code, logs)
	}
	return true
}

// runNspawn starts the unpacked bundle with systemd-nspawn --oci-bundle:
// umoci's runtime config gives the user, arguments, environment and
// working directory. The harness drops what nspawn cannot apply outside a
// systemd-managed host (cgroup device rules, which need the system bus)
// and the network namespace (so the service answers on this machine's
// loopback), and sends stopSignal to the program (nspawn --kill-signal)
// when it stops nspawn with SIGTERM.
func runNspawn(t *testing.T, bundle, stopSignal string, port int, checks func(*testing.T, func() int)) {
	if os.Geteuid() != 0 {
		testtool.Missing(t, "root privileges (systemd-nspawn)")
	}
	nspawn := testtool.Need(t, "systemd-nspawn", "systemd-container")
	file := filepath.Join(bundle, "config.json")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	linux := spec["linux"].(map[string]any)
	delete(linux, "resources")
	var ns []any
	for _, n := range linux["namespaces"].([]any) {
		if n.(map[string]any)["type"] != "network" {
			ns = append(ns, n)
		}
	}
	linux["namespaces"] = ns
	spec["process"].(map[string]any)["terminal"] = false
	if b, err = json.Marshal(spec); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, file, b)
	var out testtool.Buffer
	cmd := exec.Command(nspawn, "--register=no", "--keep-unit", "--machine=svcpack-oci-"+strconv.Itoa(port), "--kill-signal="+stopSignal, "--oci-bundle="+bundle)
	// This host mixes cgroup v1 and v2; a container whose init is not
	// systemd gets the unified hierarchy only.
	cmd.Env = append(os.Environ(), "SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stopped := false
	defer func() {
		if !stopped {
			cmd.Process.Kill()
			<-done
		}
	}()
	checks(t, func() int { return programPID(t, port) })
	if t.Failed() {
		t.Logf("systemd-nspawn's output:\n%s", out.String())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		stopped = true
		if err != nil || !strings.Contains(out.String(), "netsvc: stopping") {
			t.Errorf("after SIGTERM: %v, output:\n%s", err, out.String())
		}
	case <-time.After(2 * time.Minute):
		t.Errorf("the container did not stop within 2 minutes of SIGTERM:\n%s", out.String())
	}
}

// programPID finds the netsvc process listening on port (its arguments
// name the port).
func programPID(t *testing.T, port int) int {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, _ := os.ReadFile(p)
		args := strings.Split(string(b), "\x00")
		if len(args) > 2 && args[0] == "/usr/bin/netsvc" && slices.Contains(args, "127.0.0.1:"+strconv.Itoa(port)) {
			n, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			return n
		}
	}
	t.Errorf("no /usr/bin/netsvc process for port %d", port)
	return 0
}

// TestPublish starts Debian's docker-registry (the CNCF distribution
// server) on loopback with htpasswd authentication, releases netsvc for two
// platforms and publishes it with the credentials from each place Publish
// reads them: the image index's digest comes back from the registry
// (skopeo) under the version's tag and an explicit one, and without
// credentials the registry refuses the push.
func TestPublish(t *testing.T) {
	host := startRegistry(t, true)

	c := ociProject(t, 8094, "linux/amd64, linux/arm64", "  push: ["+host+"/svcpack/netsvc, \""+host+"/svcpack/netsvc:stable\"]\n")
	res, err := Release(context.Background(), c, Options{Dist: filepath.Join(t.TempDir(), "dist")})
	if err != nil {
		t.Fatal(err)
	}
	want := sha256Hex(skopeoJSON(t, nil, "--raw", "oci-archive:"+filepath.Join(res.Dist, "netsvc_1.0.0.oci.tar")))

	// No Docker config file in the way: HOME and DOCKER_CONFIG are the test's.
	t.Setenv("HOME", t.TempDir())
	dockerConfig := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dockerConfig)
	env := map[string]string{}
	for _, tc := range []struct {
		name, user, pass, dockerAuth, wantErr string
	}{
		{name: "no credentials", wantErr: "401 Unauthorized"},
		{name: "environment", user: "tester", pass: "s3cret pass"},
		{name: "Docker config file", dockerAuth: "tester:s3cret pass"},
		{name: "wrong password in the environment", user: "tester", pass: "wrong", dockerAuth: "tester:s3cret pass", wantErr: "401 Unauthorized"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env["SVCPACK_REGISTRY_USERNAME"], env["SVCPACK_REGISTRY_PASSWORD"] = tc.user, tc.pass
			cfg := "{}"
			if tc.dockerAuth != "" {
				cfg = `{"auths": {"` + host + `": {"auth": "` + base64.StdEncoding.EncodeToString([]byte(tc.dockerAuth)) + `"}}}`
			}
			writeTestFile(t, filepath.Join(dockerConfig, "config.json"), []byte(cfg))
			var log bytes.Buffer
			published, err := Publish(context.Background(), c, PublishOptions{Dist: res.Dist, Getenv: func(k string) string { return env[k] }, Log: &log})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("publish: %v, want an error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("publish: %v", err)
			}
			eq(t, "pushed", len(published.Images), 2)
			for _, p := range published.Images {
				eq(t, p.Reference+" digest", p.Digest, want)
			}
			for _, tag := range []string{"1.0.0", "stable"} {
				got := skopeoJSON(t, nil, "--raw", "--tls-verify=false", "--creds", "tester:s3cret pass", "docker://"+host+"/svcpack/netsvc:"+tag)
				eq(t, "the registry's "+tag, sha256Hex(got), want)
			}
			var img ociImageConfig
			skopeoJSON(t, &img, "--config", "--tls-verify=false", "--creds", "tester:s3cret pass", "--override-arch", "arm64", "docker://"+host+"/svcpack/netsvc:1.0.0")
			eq(t, "the pulled arm64 image", []string{img.OS, img.Architecture, img.Config.User}, []string{"linux", "arm64", "65532:65532"})
		})
	}
	// A release that is not the config's version is refused.
	other := *c
	other.Version.Version.Patch++
	if _, err := Publish(context.Background(), &other, PublishOptions{Dist: res.Dist}); err == nil || !strings.Contains(err.Error(), "release again first") {
		t.Errorf("publish of another version: %v", err)
	}
}

// TestOCIBaseShared: one multi-platform base layout serves every target's
// image (read once per run, shared by the jobs): each image starts with its
// own platform's base layer, as skopeo reads the archives.
func TestOCIBaseShared(t *testing.T) {
	base := oci.NewLayout()
	var ds []oci.Descriptor
	for _, arch := range []string{"amd64", "arm64"} {
		d, err := base.AddImage(oci.Image{Platform: oci.Platform{OS: "linux", Architecture: arch}, Created: time.Unix(1700000000, 0),
			Layers: []oci.Layer{{CreatedBy: "base", Files: []oci.File{{Name: "etc/base-arch", Mode: 0o644, Data: []byte(arch)}}}}})
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	idx, err := base.AddIndex(ds, nil)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := base.WriteArchive(&b, []oci.Descriptor{idx}, time.Unix(1700000000, 0)); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "base.tar")
	writeTestFile(t, archive, b.Bytes())
	c := ociProject(t, testtool.FreePort(t), "linux/amd64, linux/arm64", "  base: "+archive+"\n")
	res, err := Release(context.Background(), c, Options{Dist: filepath.Join(t.TempDir(), "dist")})
	if err != nil {
		t.Fatal(err)
	}
	for i, arch := range []string{"amd64", "arm64"} {
		var m struct{ Layers []struct{ Digest string } }
		skopeoJSON(t, &m, "--raw", "oci-archive:"+filepath.Join(res.Dist, "netsvc_1.0.0_linux_"+arch+".oci.tar"))
		var bm oci.Manifest
		if err := json.Unmarshal(mustBlob(t, base, ds[i]), &bm); err != nil {
			t.Fatal(err)
		}
		if len(m.Layers) < 2 || m.Layers[0].Digest != bm.Layers[0].Digest {
			t.Errorf("linux/%s: layers %v, want the %s base's %s first", arch, m.Layers, arch, bm.Layers[0].Digest)
		}
	}
}

func mustBlob(t *testing.T, l *oci.Layout, d oci.Descriptor) []byte {
	t.Helper()
	b, err := l.Blob(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// startRegistry starts Debian's docker-registry on loopback, with htpasswd
// authentication (user tester, password "s3cret pass") when auth is set,
// and returns its host:port.
func startRegistry(t *testing.T, auth bool) string {
	t.Helper()
	registry := testtool.Need(t, "docker-registry", "docker-registry")
	port := testtool.FreePort(t)
	dir := t.TempDir()
	config := fmt.Sprintf("version: 0.1\nlog: {level: warn}\nstorage: {filesystem: {rootdirectory: %s}}\n"+
		"http: {addr: 127.0.0.1:%d}\n", filepath.Join(dir, "data"), port)
	if auth {
		hash, err := bcrypt.GenerateFromPassword([]byte("s3cret pass"), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, filepath.Join(dir, "htpasswd"), []byte("tester:"+string(hash)+"\n"))
		config += fmt.Sprintf("auth: {htpasswd: {realm: svcpack-test, path: %s}}\n", filepath.Join(dir, "htpasswd"))
	}
	writeTestFile(t, filepath.Join(dir, "config.yml"), []byte(config))
	var logs testtool.Buffer
	srv := exec.Command(registry, "serve", filepath.Join(dir, "config.yml"))
	srv.Stdout, srv.Stderr = &logs, &logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	host := "127.0.0.1:" + strconv.Itoa(port)
	for i := 0; ; i++ {
		resp, err := http.Get("http://" + host + "/v2/")
		if err == nil {
			resp.Body.Close()
			return host
		}
		if i == 100 {
			t.Fatalf("the registry does not answer: %v\n%s", err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPublishSigned: with oci.sign, publish pushes a signature of the
// index and of each image beside them (tags sha256-<hex>.sig), which the
// real cosign verifies with the public key (no transparency log); a key
// that did not sign them is refused by cosign, and so is an image whose
// signature is missing.
func TestPublishSigned(t *testing.T) {
	cosign, err := exec.LookPath("cosign")
	if err != nil {
		testtool.Missing(t, "cosign (not a Debian package: go install github.com/sigstore/cosign/v2/cmd/cosign@"+
			"v2.6.5, as .ci/run does, with $(go env GOPATH)/bin on the PATH)")
	}
	host := startRegistry(t, false)
	dir := t.TempDir()
	keys := map[string]string{}
	for _, name := range []string{"image", "other"} {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, _ := x509.MarshalPKCS8PrivateKey(k)
		pub, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
		writeTestFile(t, filepath.Join(dir, name+".pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		writeTestFile(t, filepath.Join(dir, name+".pub"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
		keys[name] = filepath.Join(dir, name+".pub")
	}
	repo := host + "/svcpack/netsvc"
	c := ociProject(t, 8095, "linux/amd64, linux/arm64", "  push: ["+repo+"]\n  sign: {key: "+
		strconv.Quote(filepath.Join(dir, "image.pem"))+"}\n")
	res, err := Release(context.Background(), c, Options{Dist: filepath.Join(t.TempDir(), "dist")})
	if err != nil {
		t.Fatal(err)
	}
	published, err := Publish(context.Background(), c, PublishOptions{Dist: res.Dist})
	if err != nil {
		t.Fatal(err)
	}
	p := published.Images[0]
	if len(p.Signatures) != 3 || !strings.HasSuffix(p.Signatures[0], strings.Replace(p.Digest, ":", "-", 1)+".sig") {
		t.Fatalf("signatures pushed: %v (index %s)", p.Signatures, p.Digest)
	}
	verify := func(key, ref string) (string, error) {
		cmd := exec.Command(cosign, "verify", "--key", key, "--insecure-ignore-tlog=true", "--allow-http-registry=true",
			"--allow-insecure-registry=true", ref)
		cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "TUF_ROOT="+t.TempDir())
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	var index struct {
		Manifests []struct {
			Digest string `json:"digest"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(skopeoJSON(t, nil, "--raw", "--tls-verify=false", "docker://"+repo+"@"+p.Digest), &index); err != nil {
		t.Fatal(err)
	}
	refs := []string{repo + "@" + p.Digest}
	for _, m := range index.Manifests {
		refs = append(refs, repo+"@"+m.Digest)
	}
	for _, ref := range refs {
		if out, err := verify(keys["image"], ref); err != nil || !strings.Contains(out, "docker-manifest-digest") {
			t.Errorf("cosign verify %s: %v\n%s", ref, err, out)
		}
		if out, err := verify(keys["other"], ref); err == nil {
			t.Errorf("cosign verify with another key accepted %s:\n%s", ref, out)
		}
	}

	// The same key on a PKCS#11 token (SoftHSM2) signs the same way.
	tk := softhsm.New(t)
	pemKey, err := os.ReadFile(filepath.Join(dir, "image.pem"))
	if err != nil {
		t.Fatal(err)
	}
	tk.ImportPEM(t, "image", "01", pemKey)
	tokenRepo := host + "/svcpack/netsvc-token"
	tc := *c // the same release, published with the key on the token
	tc.OCI.Push = []string{tokenRepo}
	tc.OCI.Sign = config.OCISign{PKCS11: &config.PKCS11{Module: tk.Module, URI: tk.URI("image"), PINEnv: "IMAGE_PIN",
		PIN: tk.PIN}}
	published, err = Publish(context.Background(), &tc, PublishOptions{Dist: res.Dist})
	if err != nil {
		t.Fatal(err)
	}
	ref := tokenRepo + "@" + published.Images[0].Digest
	if out, err := verify(keys["image"], ref); err != nil || !strings.Contains(out, "docker-manifest-digest") {
		t.Errorf("cosign verify of the token's signature %s: %v\n%s", ref, err, out)
	}
}
