package release

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWorkflowDrift: check's warning names both versions when the
// workflow pins another svcpack, and is silent when they agree or the
// running svcpack has no version.
func TestWorkflowDrift(t *testing.T) {
	c, err := programProject(t, "netsvc", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Workflow(c, t.TempDir(), "v1.2.3"); err == nil {
		t.Fatal("a config outside the repository's top was accepted")
	}
	w, err := Workflow(c, c.Dir, "v1.2.3")
	if fmt.Sprint(w.PartNames()) != "[windows linux]" {
		t.Errorf("parts %v, want windows and linux", w.PartNames())
	}
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := w.Write(&b); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(c.Dir, filepath.FromSlash(WorkflowPath))
	os.MkdirAll(filepath.Dir(file), 0o755)
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := WorkflowDrift(c.Dir, "v1.3.0"); !strings.Contains(got, "runs svcpack v1.2.3, and this is svcpack v1.3.0") ||
		!strings.Contains(got, "svcpack init -ci github -force") {
		t.Errorf("drift: %q", got)
	}
	for _, running := range []string{"v1.2.3", ""} {
		if got := WorkflowDrift(c.Dir, running); got != "" {
			t.Errorf("drift with %q running: %q", running, got)
		}
	}
}
