package release

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	yaml2 "go.yaml.in/yaml/v2"
	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	kjson "sigs.k8s.io/json"

	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/pkg/config"
	enchelm "github.com/svcpack/svcpack/pkg/manifests/helm"
	"github.com/svcpack/svcpack/pkg/packager"
)

// The helm format, proven by the real helm (v4): it lints the chart
// strictly and renders it, and the rendered Deployment, Service and
// ConfigMap decode strictly (an unknown or misspelt field refused, as the
// API server's strict field validation does) into Kubernetes' own types.

// helmInstall is how the tests name helm when it is missing; .ci/run
// installs that version.
const helmInstall = "helm (not a Debian package: go install helm.sh/helm/v4/cmd/helm@v4.3.2, with $(go env GOPATH)/bin on the PATH)"

// containerLoad loads the netsvc test program released for linux/amd64 as
// an image for registry.example.com/svcpack/netsvc, with formats, lines
// added to the service section and top-level YAML extra.
func containerLoad(t *testing.T, port int, formats, service, extra string) (*config.Spec, error) {
	t.Helper()
	return programProject(t, "netsvc", port, func(y string) string {
		y = strings.Replace(y, "targets: [windows/amd64, linux/amd64]", "targets: [linux/amd64]", 1)
		y = strings.Replace(y, "formats: [zip, msi, deb]", "formats: ["+formats+"]\nhomepage: https://example.com/netsvc", 1)
		y = strings.Replace(y, "  account: LocalService\n", "  account: LocalService\n"+service, 1)
		return y + "oci:\n  push: [registry.example.com/svcpack/netsvc]\n" + extra
	})
}

// containerService is the service section of the container tests: a
// value with $ and a place in the environment, an HTTP health check, and
// limits.
const containerService = `  env: {PORT: "8095", PRICE: "costs $5 and ${HOME}", DATA: "{{.StateDir}}/db"}
  wrapper: {health: {url: "http://127.0.0.1:8095/healthz?full=1", interval: 15s, timeout: 3s, failures: 4}}
  linux: {memory_max: 256M, cpu_quota: 150%, writable: [/srv/netsvc]}
`

// containerProject is containerLoad that must load, with a configuration
// file (rules.json) that holds template text.
func containerProject(t *testing.T, formats, extra string) *config.Spec {
	t.Helper()
	c, err := containerLoad(t, 8095, formats, containerService, extra)
	if err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, string(c.Files[0].Src), []byte(configWithTemplates))
	return c
}

// configWithTemplates is a configuration file that Helm would fail on, and
// Compose would interpolate, if either read it as anything but data.
const configWithTemplates = `{"greeting": "{{ .Release.Name }} {{ fail \"evaluated\" }}", "home": "$HOME ${HOME}"}` + "\n"

// helmCommand runs the helm on PATH with its folders in the test's
// temporary folder, and returns its standard output.
func helmCommand(t *testing.T, args ...string) []byte {
	t.Helper()
	bin, err := exec.LookPath("helm")
	if err != nil {
		testtool.Missing(t, helmInstall)
	}
	home := t.TempDir()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+home+"/cache", "HELM_CONFIG_HOME="+home+"/config", "HELM_DATA_HOME="+home+"/data")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return out
}

// k8sDocs splits helm template's output into its objects, by kind.
func k8sDocs(t *testing.T, out []byte) map[string]string {
	t.Helper()
	docs := map[string]string{}
	for _, doc := range strings.Split(string(out), "\n---\n") {
		var head struct{ Kind string }
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			t.Fatalf("helm template's output: %v\n%s", err, doc)
		}
		if head.Kind != "" {
			docs[head.Kind] = doc
		}
	}
	return docs
}

// decodeStrict decodes a YAML object as the API server reads one: YAML 1.1
// (go.yaml.in/yaml/v2, as sigs.k8s.io/yaml), then JSON with
// case-sensitive names and unknown or duplicate fields refused
// (sigs.k8s.io/json, apimachinery's strict decoder).
func decodeStrict(t *testing.T, doc string, v any) {
	t.Helper()
	var raw any
	if err := yaml2.Unmarshal([]byte(doc), &raw); err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	j, err := jsonOf(raw)
	if err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	strict, err := kjson.UnmarshalStrict(j, v, kjson.DisallowUnknownFields)
	if err != nil || len(strict) > 0 {
		t.Fatalf("strict decoding into %T: %v %v\n%s", v, err, strict, doc)
	}
}

// jsonOf is YAML 1.1 data as JSON (YAML maps have any keys).
func jsonOf(v any) ([]byte, error) {
	var conv func(any) (any, error)
	conv = func(v any) (any, error) {
		switch v := v.(type) {
		case map[any]any:
			m := map[string]any{}
			for k, e := range v {
				ks, ok := k.(string)
				if !ok {
					return nil, fmt.Errorf("key %v is not a string", k)
				}
				var err error
				if m[ks], err = conv(e); err != nil {
					return nil, err
				}
			}
			return m, nil
		case []any:
			out := make([]any, len(v))
			for i, e := range v {
				var err error
				if out[i], err = conv(e); err != nil {
					return nil, err
				}
			}
			return out, nil
		}
		return v, nil
	}
	c, err := conv(v)
	if err != nil {
		return nil, err
	}
	return json.Marshal(c)
}

// imageEnv is the environment of the release's linux/amd64 image, as
// skopeo reads it.
func imageEnv(t *testing.T, dist string) map[string]string {
	var cfg ociImageConfig
	skopeoJSON(t, &cfg, "--config", "oci-archive:"+filepath.Join(dist, "netsvc_1.0.0_linux_amd64.oci.tar"))
	env := map[string]string{}
	for _, kv := range cfg.Config.Env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return env
}

// TestHelmChart releases netsvc as an image and a chart: helm lint --strict
// passes; helm template renders a Deployment, Service and ConfigMap that
// decode strictly into Kubernetes' types and run the image by the index's
// digest (skopeo's), with the probes of service.wrapper.health, limits, the
// restricted security context, the environment the image has, the
// configuration file as written (template text and all) mounted where the
// image has it, and empty volumes for what it writes; Helm does not
// evaluate template text in values; the chart is in artifacts.json and
// checksums.txt; a second release gives the same bytes.
func TestHelmChart(t *testing.T) {
	helmCommand(t, "version")
	c := containerProject(t, "oci, helm", "helm: {replicas: 3}\n")
	res, err := Release(context.Background(), c, Options{Dist: filepath.Join(t.TempDir(), "dist")})
	if err != nil {
		t.Fatal(err)
	}
	chart := filepath.Join(res.Dist, "helm", "netsvc-1.0.0.tgz")
	if a := artifactsOf(res, packager.KindHelm); len(a) != 1 || a["helm/netsvc-1.0.0.tgz"].Path == "" {
		t.Fatalf("helm artifacts %v", a)
	}
	if sums := sha256sums(t, res.Dist); sums["helm/netsvc-1.0.0.tgz"] == "" {
		t.Errorf("checksums.txt lacks the chart: %v", sums)
	}
	m, err := ReadManifest(res.Dist)
	if err != nil || !slices.ContainsFunc(m.Artifacts, func(a Artifact) bool { return a.Path == "helm/netsvc-1.0.0.tgz" && a.Kind == packager.KindHelm }) {
		t.Errorf("artifacts.json lacks the chart (%v)", err)
	}

	lint := helmCommand(t, "lint", "--strict", chart)
	if !strings.Contains(string(lint), "0 chart(s) failed") {
		t.Errorf("helm lint --strict:\n%s", lint)
	}
	var meta map[string]any
	if err := yaml.Unmarshal(helmCommand(t, "show", "chart", chart), &meta); err != nil {
		t.Fatal(err)
	}
	eq(t, "Chart.yaml", meta, map[string]any{"apiVersion": "v2", "name": "netsvc", "version": "1.0.0", "appVersion": "1.0.0",
		"type": "application", "description": c.Description, "home": "https://example.com/netsvc"})

	docs := k8sDocs(t, helmCommand(t, "template", "rel", chart, "--namespace", "ns"))
	var d appsv1.Deployment
	decodeStrict(t, docs["Deployment"], &d)
	var svc corev1.Service
	decodeStrict(t, docs["Service"], &svc)
	var cm corev1.ConfigMap
	decodeStrict(t, docs["ConfigMap"], &cm)

	index := sha256Hex(skopeoJSON(t, nil, "--raw", "oci-archive:"+filepath.Join(res.Dist, "netsvc_1.0.0.oci.tar")))
	eq(t, "replicas", *d.Spec.Replicas, int32(3))
	pod := d.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("containers %v", pod.Containers)
	}
	ct := pod.Containers[0]
	eq(t, "image", ct.Image, "registry.example.com/svcpack/netsvc@"+index)
	eq(t, "container name", ct.Name, "netsvc")
	for name, p := range map[string]*corev1.Probe{"startup": ct.StartupProbe, "liveness": ct.LivenessProbe, "readiness": ct.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s probe %+v: want an HTTP GET", name, p)
			continue
		}
		eq(t, name+" probe", []any{p.HTTPGet.Path, p.HTTPGet.Port.IntValue(), string(p.HTTPGet.Scheme), p.TimeoutSeconds}, []any{"/healthz?full=1", 8095, "HTTP", int32(3)})
	}
	eq(t, "liveness timing", []int32{ct.LivenessProbe.PeriodSeconds, ct.LivenessProbe.FailureThreshold}, []int32{15, 4})
	eq(t, "readiness timing", []int32{ct.ReadinessProbe.PeriodSeconds, ct.ReadinessProbe.FailureThreshold}, []int32{15, 1})
	eq(t, "startup timing", []int32{ct.StartupProbe.PeriodSeconds, ct.StartupProbe.FailureThreshold}, []int32{1, 60})
	eq(t, "limits", []string{ct.Resources.Limits.Cpu().String(), ct.Resources.Limits.Memory().String()}, []string{"1500m", "256Mi"})
	sc := ct.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || sc.RunAsUser == nil || sc.RunAsGroup == nil || sc.ReadOnlyRootFilesystem == nil ||
		sc.AllowPrivilegeEscalation == nil || sc.Capabilities == nil || sc.SeccompProfile == nil {
		t.Fatalf("securityContext %+v", sc)
	}
	eq(t, "securityContext", []any{*sc.RunAsNonRoot, *sc.RunAsUser, *sc.RunAsGroup, *sc.ReadOnlyRootFilesystem, *sc.AllowPrivilegeEscalation,
		sc.Capabilities.Drop, sc.Capabilities.Add, string(sc.SeccompProfile.Type)},
		[]any{true, int64(65532), int64(65532), true, false, []corev1.Capability{"ALL"}, []corev1.Capability(nil), "RuntimeDefault"})
	eq(t, "fsGroup", *pod.SecurityContext.FSGroup, int64(65532))

	env := map[string]string{}
	for _, e := range ct.Env {
		env[e.Name] = e.Value
	}
	img := imageEnv(t, res.Dist)
	eq(t, "env, as the image has it", env, map[string]string{"PORT": img["PORT"], "PRICE": img["PRICE"], "DATA": img["DATA"]})
	eq(t, "env values", []string{env["PRICE"], env["DATA"]}, []string{"costs $5 and ${HOME}", "/var/lib/netsvc/db"})

	eq(t, "ports", []any{ct.Ports[0].ContainerPort, svc.Spec.Ports[0].Port, svc.Spec.Ports[0].TargetPort.String()}, []any{int32(8095), int32(8095), "service"})
	eq(t, "Service selector", svc.Spec.Selector, d.Spec.Selector.MatchLabels)
	eq(t, "ConfigMap", cm.Data, map[string]string{"rules.json": configWithTemplates})
	mounts := map[string]string{}
	for _, vm := range ct.VolumeMounts {
		mounts[vm.MountPath] = vm.Name + " " + vm.SubPath
	}
	eq(t, "mounts", mounts, map[string]string{"/etc/netsvc/rules.json": "config rules.json", "/var/lib/netsvc": "writable-0 ",
		"/srv/netsvc": "writable-1 ", "/tmp": "writable-2 "})
	for _, v := range pod.Volumes {
		if v.Name == "config" && (v.ConfigMap == nil || v.ConfigMap.Name != cm.Name) || v.Name != "config" && v.EmptyDir == nil {
			t.Errorf("volume %+v", v)
		}
	}

	// Helm does not evaluate template text in values (only tpl would); a
	// claim replaces the state folder's empty volume.
	override := filepath.Join(t.TempDir(), "override.yaml")
	writeTestFile(t, override, []byte("env: {INJECTED: '{{ .Release.Name }} {{ fail \"evaluated\" }}'}\n"+
		"volumes: {/var/lib/netsvc: {persistentVolumeClaim: {claimName: netsvc-data}}}\n"))
	docs = k8sDocs(t, helmCommand(t, "template", "rel", chart, "-f", override))
	d = appsv1.Deployment{}
	decodeStrict(t, docs["Deployment"], &d)
	if e := d.Spec.Template.Spec.Containers[0].Env; !slices.Contains(e, corev1.EnvVar{Name: "INJECTED", Value: `{{ .Release.Name }} {{ fail "evaluated" }}`}) {
		t.Errorf("a value with template text: env %v", e)
	}
	for _, v := range d.Spec.Template.Spec.Volumes {
		claim := v.PersistentVolumeClaim
		if (v.Name == "writable-0") != (claim != nil && claim.ClaimName == "netsvc-data" && v.EmptyDir == nil) {
			t.Errorf("with a claim for /var/lib/netsvc: volume %+v", v)
		}
	}

	again, err := Release(context.Background(), c, Options{Dist: filepath.Join(t.TempDir(), "dist"), Force: true})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(chart)
	b, _ := os.ReadFile(filepath.Join(again.Dist, "helm", "netsvc-1.0.0.tgz"))
	if !bytes.Equal(a, b) {
		t.Error("two releases made two different charts")
	}
}

// TestHelmPush pushes the released chart to Debian's docker-registry on
// loopback with enchelm.Push: helm pull gets the same bytes back, the
// manifest has Helm's media types (skopeo), and a second push is the same
// manifest.
func TestHelmPush(t *testing.T) {
	helmCommand(t, "version")
	host := startRegistry(t, false)
	c := containerProject(t, "oci, helm", "")
	res, err := Release(context.Background(), c, Options{Dist: filepath.Join(t.TempDir(), "dist")})
	if err != nil {
		t.Fatal(err)
	}
	chart := filepath.Join(res.Dist, "helm", "netsvc-1.0.0.tgz")
	repo := "oci://" + host + "/svcpack/charts"
	pushed, err := enchelm.Push(context.Background(), chart, repo, enchelm.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "reference", pushed.Reference, host+"/svcpack/charts/netsvc:1.0.0")
	again, err := enchelm.Push(context.Background(), chart, repo, enchelm.PushOptions{})
	if err != nil || again != pushed {
		t.Errorf("a second push: %+v, %v; the first %+v", again, err, pushed)
	}
	raw := skopeoJSON(t, nil, "--raw", "--tls-verify=false", "docker://"+pushed.Reference)
	eq(t, "the registry's manifest", sha256Hex(raw), pushed.Digest)
	var man struct {
		Config struct{ MediaType string }
		Layers []struct{ MediaType, Digest string }
	}
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(chart)
	eq(t, "media types", []any{man.Config.MediaType, len(man.Layers), man.Layers[0].MediaType, man.Layers[0].Digest},
		[]any{enchelm.ConfigMediaType, 1, enchelm.ChartMediaType, sha256Hex(want)})

	dir := t.TempDir()
	helmCommand(t, "pull", repo+"/netsvc", "--version", "1.0.0", "--plain-http", "--destination", dir)
	got, err := os.ReadFile(filepath.Join(dir, "netsvc-1.0.0.tgz"))
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("helm pull gave other bytes than the chart pushed (%v)", err)
	}
}

// TestHelmCheck: what the chart cannot say is refused by check, naming the
// field: a chart name Helm refuses, a health URL not on the pod, timings
// and limits out of range, a missing image, replicas below 1.
func TestHelmCheck(t *testing.T) {
	for _, tc := range []struct {
		name, formats, service, extra, field, want string
	}{
		{name: "chart name", formats: "oci, helm", service: "  name: Net_Svc\n", field: "service.name", want: "names the Helm chart"},
		{name: "remote health URL", formats: "oci, helm", service: "  wrapper: {health: {url: \"http://example.com:8095/healthz\", allow_remote: true}}\n",
			field: "service.wrapper.health.url", want: "checked on the container itself"},
		{name: "health timings", formats: "oci, helm", service: "  wrapper: {health: {url: \"http://127.0.0.1:8095/\", interval: 1000000h}}\n",
			field: "service.wrapper.health", want: "out of range"},
		{name: "CPU quota", formats: "oci, helm", service: "  linux: {cpu_quota: 0%}\n", field: "service.linux.cpu_quota", want: "container CPU limit"},
		{name: "no oci", formats: "helm", field: "formats", want: "add oci to formats"},
		{name: "replicas", formats: "oci, helm", extra: "helm: {replicas: 0}\n", field: "helm.replicas", want: "want 1 or more"},
		{name: "negative replicas", formats: "oci, helm", extra: "helm: {replicas: -2}\n", field: "helm.replicas", want: "want 1 or more"},
		{name: "port", formats: "oci, helm, compose", extra: "", service: "", field: "oci.port", want: "not a TCP port"},
		{name: "a count of the wrong form", formats: "oci, helm",
			service: "  health: {url: \"http://127.0.0.1:8095/\", failures: 0x}\n", field: "service.health.failures",
			want: `"0x" is not a whole number`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			extra := tc.extra
			if tc.field == "oci.port" {
				extra = "  port: 70000\n" // under the oci: section containerLoad ends with
			}
			_, err := containerLoad(t, 0, tc.formats, tc.service, extra)
			if err == nil || !strings.Contains(err.Error(), ": "+tc.field+": ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming %s with %q", err, tc.field, tc.want)
			} else if n := strings.Count(err.Error(), "\n") + 1; n != 1 {
				t.Errorf("%d errors, want the one naming %s:\n%v", n, tc.field, err)
			}
		})
	}
	if _, err := containerLoad(t, 0, "oci, helm", "", ""); err != nil {
		t.Fatalf("the config without faults: %v", err)
	}
	if _, err := containerLoad(t, 0, "oci, helm", "  health: {url: \"http://[::1]:8095/healthz\"}\n", ""); err != nil {
		t.Errorf("a health URL on [::1], the container's own: %v", err)
	}
}

// TestLoopbackWarning: check warns about an argument or environment value
// that listens on loopback, where a container is not reached (netsvc's
// tests run its image on the host's network), naming oci.port, else 8080.
func TestLoopbackWarning(t *testing.T) {
	const msg = `warning: "127.0.0.1:8095" is on loopback: in the image the program is reached ` +
		`(docker run -p, a Service, Compose's ports) only when it listens on every interface, such as `
	for _, tc := range []struct{ service, want string }{
		{containerService, "service.args[1]: " + msg + ":8095 or 0.0.0.0:8095"},
		{"  env: {LISTEN: \"127.0.0.1:8095\"}\n", "service.env.LISTEN: " + msg + ":8080 or 0.0.0.0:8080"},
	} {
		c, err := containerLoad(t, 8095, "oci, helm", tc.service, "")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(c.Warnings, func(w string) bool { return strings.Contains(w, tc.want) }) {
			t.Errorf("warnings %q\nlack %s", c.Warnings, tc.want)
		}
		for _, w := range c.Warnings {
			if strings.Contains(w, "health") && strings.Contains(w, "loopback") {
				t.Errorf("the health URL's loopback is the container's own: %s", w)
			}
		}
	}
}
