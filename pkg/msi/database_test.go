package msi

import (
	"bytes"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/pkg/msi/cfb"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func TestStreamNameEncoding(t *testing.T) {
	tests := []struct {
		name  string
		table bool
		want  []rune
	}{
		{"_Tables", true, []rune{0x4840, 0x3800 + 63 + 29<<6, 0x3800 + 36 + 37<<6, 0x3800 + 47 + 40<<6, 0x4800 + 54}},
		{"a", false, []rune{0x4800 + 36}},
		{"a-b", false, []rune{0x4800 + 36, '-', 0x4800 + 37}},
		{"\x05SummaryInformation", false, nil}, // kept apart: not encoded by callers
	}
	for _, tt := range tests {
		if tt.want == nil {
			continue
		}
		got, err := encodeStreamName(tt.name, tt.table)
		if err != nil {
			t.Fatal(err)
		}
		if got != string(tt.want) {
			t.Errorf("encodeStreamName(%q) = %U, want %U", tt.name, []rune(got), tt.want)
		}
		if back, table := decodeStreamName(got); back != tt.name || table != tt.table {
			t.Errorf("decode(%q) = %q, %v", tt.name, back, table)
		}
	}
	long := strings.Repeat("x", 63)
	if _, err := encodeStreamName(long, false); err == nil {
		t.Errorf("63-character name accepted")
	}
	if _, err := encodeStreamName(strings.Repeat("x", 62), false); err != nil {
		t.Errorf("62-character name: %v", err)
	}
}

func TestEncode1252(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"abc", "abc", true},
		{"café €", "caf\xe9 \x80", true},
		{"日本", "", false},
		{"a\x00b", "", false},
	}
	for _, tt := range tests {
		got, err := encode1252(tt.in)
		if (err == nil) != tt.ok || string(got) != tt.want {
			t.Errorf("encode1252(%q) = %q, %v", tt.in, got, err)
		}
	}
}

// sampleDatabase builds a small database exercising every column type.
func sampleDatabase(t *testing.T) *Database {
	t.Helper()
	db := NewDatabase()
	db.Summary = SummaryInfo{
		Title: "Installation Database", Subject: "Sample", Author: "Acme Corp",
		Template: "x64;1033", RevisionNumber: "{01234567-89AB-CDEF-0123-456789ABCDEF}",
		Created: time.Unix(1700000000, 0), Saved: time.Unix(1700000000, 0),
		PageCount: 500, WordCount: 2, Creator: "svcpack", Security: 2,
	}
	prop, err := db.CreateTable("Property", []Column{
		{Name: "Property", Type: String, Size: 72, Key: true, Category: "Identifier"},
		{Name: "Value", Type: String, Localizable: true, Category: "Text"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range [][2]string{{"ProductName", "Café Service"}, {"ALLUSERS", "1"}, {"Manufacturer", "Acme"}} {
		if err := prop.AddRow(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	nums, err := db.CreateTable("Numbers", []Column{
		{Name: "Id", Type: Int16, Key: true},
		{Name: "Sub", Type: String, Size: 20, Key: true},
		{Name: "Big", Type: Int32, Nullable: true},
		{Name: "Small", Type: Int16, Nullable: true},
		{Name: "Text", Type: String, Size: 0, Nullable: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	rows := [][]any{
		{3, "c", -2147483647, -32767, "three"},
		{-1, "a", nil, nil, nil},
		{3, "b", 2147483647, 32767, ""},
		{0, "z", 0, 0, "zero"},
	}
	for _, r := range rows {
		if err := nums.AddRow(r...); err != nil {
			t.Fatal(err)
		}
	}
	bin, err := db.CreateTable("Binary", []Column{
		{Name: "Name", Type: String, Size: 72, Key: true},
		{Name: "Data", Type: Binary},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := bin.AddRow("blob.bin", []byte("hello binary\x00\x01")); err != nil {
		t.Fatal(err)
	}
	payload := bytes.Repeat([]byte("cabinet "), 1000)
	if err := db.AddStream("sample.cab", int64(len(payload)), bytes.NewReader(payload)); err != nil {
		t.Fatal(err)
	}
	return db
}

func writeTemp(t *testing.T, db *Database) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.msi")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Write(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "TZ=UTC") // msiinfo prints times in local time
	cmd.Dir = t.TempDir()                    // msiinfo export writes binary cells to Table/ here
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestDatabaseMsiinfo(t *testing.T) {
	msiinfo := testtool.Need(t, "msiinfo", "msitools")
	path := writeTemp(t, sampleDatabase(t))

	tables := run(t, msiinfo, "tables", path)
	for _, want := range []string{"Property", "Numbers", "Binary", "_Validation"} {
		if !strings.Contains(tables, want+"\n") {
			t.Errorf("msiinfo tables lacks %s:\n%s", want, tables)
		}
	}
	var all strings.Builder
	for _, tbl := range []string{"Binary", "Numbers", "Property", "_Validation"} {
		out := run(t, msiinfo, "export", path, tbl)
		all.WriteString(out)
	}
	exp := all.String()
	// Independent facts, checked before the golden comparison: msiinfo
	// decodes rows sorted by key, signed integers, nulls and code page 1252.
	for _, want := range []string{
		"Id\tSub\tBig\tSmall\tText\r\ni2\ts20\tI4\tI2\tS0\r\nNumbers\tId\tSub\r\n-1\ta\t\t\t\r\n0\tz\t0\t0\tzero\r\n3\tb\t2147483647\t32767\t\r\n3\tc\t-2147483647\t-32767\tthree\r\n",
		"ProductName\tCafé Service",
		"blob.bin\tBinary.blob.bin",
	} {
		if !strings.Contains(exp, want) {
			t.Errorf("export lacks %q", want)
		}
	}
	golden(t, "database.export", exp)

	sum := run(t, msiinfo, "suminfo", path)
	for _, want := range []string{"Template: x64;1033", "Revision number (UUID): {01234567-89AB-CDEF-0123-456789ABCDEF}", "Version: 500", "Source: 2", "Application: svcpack", "Security: 2", "Author: Acme Corp"} {
		if !strings.Contains(sum, want) {
			t.Errorf("suminfo lacks %q:\n%s", want, sum)
		}
	}
	streams := run(t, msiinfo, "streams", path)
	for _, want := range []string{"sample.cab", "Binary.blob.bin"} {
		if !strings.Contains(streams, want) {
			t.Errorf("msiinfo streams lacks %s:\n%s", want, streams)
		}
	}
	blob := run(t, msiinfo, "extract", path, "Binary.blob.bin")
	if blob != "hello binary\x00\x01" {
		t.Errorf("extracted binary = %q", blob)
	}
	cab := run(t, msiinfo, "extract", path, "sample.cab")
	if cab != strings.Repeat("cabinet ", 1000) {
		t.Errorf("extracted stream has %d bytes", len(cab))
	}
}

func TestDatabaseRoot(t *testing.T) {
	path := writeTemp(t, sampleDatabase(t))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := cfb.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range r.Files {
		n, table := decodeStreamName(f.Name)
		if table {
			n = "@" + n
		}
		names = append(names, n)
	}
	got := strings.Join(names, " ")
	for _, want := range []string{"@_StringPool", "@_StringData", "@_Tables", "@_Columns", "@Property", "@Numbers", "@_Validation", "Binary.blob.bin", "sample.cab"} {
		if !strings.Contains(" "+got+" ", " "+want+" ") {
			t.Errorf("streams %s lack %s", got, want)
		}
	}
}

func TestDatabaseErrors(t *testing.T) {
	db := NewDatabase()
	tbl, err := db.CreateTable("T", []Column{{Name: "K", Type: String, Size: 3, Key: true}, {Name: "N", Type: Int16}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		row  []any
	}{
		{"too long", []any{"abcd", 1}},
		{"null key", []any{nil, 1}},
		{"short overflow", []any{"a", 40000}},
		{"wrong type", []any{1, 1}},
		{"not 1252", []any{"日", 1}},
		{"arity", []any{"a"}},
	}
	for _, tt := range tests {
		if err := tbl.AddRow(tt.row...); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
	if _, err := db.CreateTable("T", []Column{{Name: "K", Type: String, Key: true}}); err == nil {
		t.Error("duplicate table accepted")
	}
	if _, err := db.CreateTable("U", []Column{{Name: "K", Type: String}}); err == nil {
		t.Error("table without key accepted")
	}
	if err := tbl.AddRow("a", 1); err != nil {
		t.Fatal(err)
	}
	if err := tbl.AddRow("a", 2); err != nil {
		t.Fatal(err)
	}
	if err := db.Write(&bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "duplicate primary key") {
		t.Errorf("duplicate key: %v", err)
	}
}

// TestDatabaseUnseekable writes through the compound file writer's spool
// (a non-seekable output) and expects the bytes written to a file.
func TestDatabaseUnseekable(t *testing.T) {
	want, err := os.ReadFile(writeTemp(t, sampleDatabase(t)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	db := sampleDatabase(t)
	db.TempDir = t.TempDir()
	if err := db.Write(struct{ io.Writer }{&buf}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("non-seekable output differs from the file output (%d vs %d bytes)", buf.Len(), len(want))
	}
}
