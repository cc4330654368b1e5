package testtool

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// jsonSchemaScript validates a document (JSON, or YAML read by PyYAML's
// safe_load) against a JSON schema with python3-jsonschema, formats
// checked, and prints every error.
const jsonSchemaScript = `import json, sys
import jsonschema
schema_file, doc_file, kind = sys.argv[1:4]
with open(schema_file, encoding="utf-8") as f:
    schema = json.load(f)
with open(doc_file, encoding="utf-8") as f:
    if kind == "yaml":
        import yaml
        doc = yaml.safe_load(f)
    else:
        doc = json.load(f)
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
errors = sorted(cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(doc), key=lambda e: list(e.absolute_path))
for e in errors:
    print("/".join(str(p) for p in e.absolute_path) + ": " + e.message)
sys.exit(1 if errors else 0)
`

// ValidateJSONSchema validates the document in the file doc (YAML when its
// name ends in .yaml, else JSON) against the JSON schema in the file
// schema with python3-jsonschema (and PyYAML, python3-yaml), failing the
// test with every error it reports.
func ValidateJSONSchema(t testing.TB, schema, doc string) {
	t.Helper()
	python := Need(t, "python3", "python3-jsonschema")
	kind := "json"
	if strings.HasSuffix(doc, ".yaml") {
		kind = "yaml"
	}
	if out, err := exec.Command(python, "-c", "import jsonschema, yaml").CombinedOutput(); err != nil {
		Missing(t, "python3 modules jsonschema and yaml (Debian packages python3-jsonschema, python3-yaml): "+strings.TrimSpace(string(out)))
	}
	script := filepath.Join(t.TempDir(), "validate.py")
	if err := os.WriteFile(script, []byte(jsonSchemaScript), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(python, script, schema, doc, kind).CombinedOutput()
	if err != nil {
		data, _ := os.ReadFile(doc)
		t.Errorf("%s does not validate against %s: %v\n%s\n%s", filepath.Base(doc), filepath.Base(schema), err, out, data)
	}
}

// ReadYAML reads a YAML file with PyYAML (python3-yaml) and returns the
// document as encoding/json decodes its JSON form (dates as strings).
func ReadYAML(t testing.TB, file string) map[string]any {
	t.Helper()
	python := Need(t, "python3", "python3-yaml")
	out, err := exec.Command(python, "-c", "import json, sys, yaml\nprint(json.dumps(yaml.safe_load(open(sys.argv[1], encoding='utf-8')), default=str))", file).Output()
	if err != nil {
		t.Fatalf("PyYAML reading %s: %v", file, err)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("PyYAML's reading of %s: %v\n%s", file, err, out)
	}
	return m
}
