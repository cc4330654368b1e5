// Package msi writes Windows Installer packages (.msi) without Windows.
//
// The package has two layers. [Database] is the storage layer: tables
// defined by [Column]s, the string pool, the _Tables, _Columns and
// _Validation system tables, binary streams and summary information,
// written into an OLE compound file (package cfb) with the MSI stream-name
// compression. [Write] is the authoring layer above it: it turns a
// [Package] (a product, its files and an optional Windows service) into the
// standard tables, an embedded MSZIP cabinet and the install sequences,
// deterministically: every GUID is derived from the configuration and the
// content, and the only time written is the one the caller supplies.
package msi

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/svcpack/svcpack/pkg/msi/cfb"
)

// rootCLSID is the class of the root storage of an installer database.
const rootCLSID = "{000C1084-0000-0000-C000-000000000046}"

// ColumnType is the storage type of a column.
type ColumnType uint8

// Column storage types.
const (
	Int16  ColumnType = iota + 1 // 2-byte integer, -32767..32767
	Int32                        // 4-byte integer, -2147483647..2147483647
	String                       // string from the string pool
	Binary                       // stream named Table.Key, e.g. Icon data
)

// Column describes one column of a table: its storage, and the _Validation
// facts that tools such as Orca check.
type Column struct {
	Name string
	Type ColumnType
	// Size is the maximum length of a String column in characters
	// (0: unlimited).
	Size        int
	Key         bool // part of the primary key
	Nullable    bool
	Localizable bool
	// MinValue and MaxValue bound integer columns when HasRange is set.
	HasRange           bool
	MinValue, MaxValue int32
	// KeyTable and KeyColumn name the table (";"-separated list) and the
	// 1-based column a foreign key refers to.
	KeyTable  string
	KeyColumn int
	// Category is the Windows Installer column data type (Identifier,
	// Text, Formatted, Guid, Condition, ...); Set lists allowed values.
	Category    string
	Set         string
	Description string
}

// Column type bits stored in _Columns.Type.
const (
	typeValid       = 0x0100
	typeLocalizable = 0x0200
	typeShort       = 0x0400
	typeString      = 0x0800 | typeShort | typeValid
	typeObject      = 0x0800 | typeValid
	typeNullable    = 0x1000
	typeKey         = 0x2000
)

func (c Column) typeBits() int {
	var t int
	switch c.Type {
	case Int16:
		t = typeShort | typeValid | 2
	case Int32:
		t = typeValid | 4
	case String:
		t = typeString | c.Size
	case Binary:
		t = typeObject
	}
	if c.Nullable {
		t |= typeNullable
	}
	if c.Key {
		t |= typeKey
	}
	if c.Localizable {
		t |= typeLocalizable
	}
	return t
}

// width is the number of bytes a value of the column takes in a table stream.
func (c Column) width() int {
	if c.Type == Int32 {
		return 4
	}
	return 2
}

// A Table is a table of a [Database].
type Table struct {
	Name    string
	Columns []Column
	rows    [][]any // each value nil, int64, string or []byte
}

// Database is an installer database being built in memory. Table
// contents are small; large streams (the cabinet) are copied at Write.
type Database struct {
	// Summary is written as the summary information stream.
	Summary SummaryInfo
	// TempDir is where the compound file writer spools when the output
	// is not seekable ("" for the system default).
	TempDir string
	tables  map[string]*Table
	streams []rawStream
}

type rawStream struct {
	name string
	size int64
	r    io.Reader
}

// NewDatabase returns an empty database.
func NewDatabase() *Database {
	return &Database{tables: map[string]*Table{}}
}

// CreateTable adds a table. Every table needs at least one key column,
// and key columns come first.
func (db *Database) CreateTable(name string, cols []Column) (*Table, error) {
	if !validIdentifier(name) || len(name) > 31 {
		return nil, fmt.Errorf("msi: table name %q: want an identifier of at most 31 characters", name)
	}
	if strings.HasPrefix(name, "_") && name != "_Validation" {
		return nil, fmt.Errorf("msi: table name %q is reserved", name)
	}
	if _, ok := db.tables[name]; ok {
		return nil, fmt.Errorf("msi: table %s already exists", name)
	}
	if len(cols) == 0 || !cols[0].Key {
		return nil, fmt.Errorf("msi: table %s: the first column must be a key column", name)
	}
	seen := map[string]bool{}
	for i, c := range cols {
		switch {
		case !validIdentifier(c.Name) || len(c.Name) > 64:
			return nil, fmt.Errorf("msi: table %s: column name %q is not a valid identifier", name, c.Name)
		case seen[c.Name]:
			return nil, fmt.Errorf("msi: table %s: duplicate column %s", name, c.Name)
		case c.Type < Int16 || c.Type > Binary:
			return nil, fmt.Errorf("msi: table %s: column %s has no type", name, c.Name)
		case c.Key && i > 0 && !cols[i-1].Key:
			return nil, fmt.Errorf("msi: table %s: key column %s follows a non-key column", name, c.Name)
		case c.Size < 0 || c.Size > 255:
			return nil, fmt.Errorf("msi: table %s: column %s: size %d out of range 0..255", name, c.Name, c.Size)
		}
		seen[c.Name] = true
	}
	t := &Table{Name: name, Columns: append([]Column(nil), cols...)}
	db.tables[name] = t
	return t, nil
}

// Table returns the named table, or nil.
func (db *Database) Table(name string) *Table { return db.tables[name] }

// AddRow appends a row. Values are given in column order: an int for
// integer columns, a string for string columns, []byte for binary
// columns, and nil for null (the empty string is null too).
func (t *Table) AddRow(values ...any) error {
	if len(values) != len(t.Columns) {
		return fmt.Errorf("msi: table %s: %d values for %d columns", t.Name, len(values), len(t.Columns))
	}
	row := make([]any, len(values))
	for i, v := range values {
		c := t.Columns[i]
		var err error
		row[i], err = c.convert(v)
		if err == nil && row[i] == nil && !c.Nullable {
			err = fmt.Errorf("null in a non-nullable column")
		}
		if err != nil {
			return fmt.Errorf("msi: table %s, column %s: %w", t.Name, c.Name, err)
		}
	}
	t.rows = append(t.rows, row)
	return nil
}

func (c Column) convert(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch c.Type {
	case Int16, Int32:
		var n int64
		switch x := v.(type) {
		case int:
			n = int64(x)
		case int16:
			n = int64(x)
		case int32:
			n = int64(x)
		case int64:
			n = x
		default:
			return nil, fmt.Errorf("value %v (%T) is not an integer", v, v)
		}
		lim := int64(32767)
		if c.Type == Int32 {
			lim = 2147483647
		}
		if n < -lim || n > lim {
			return nil, fmt.Errorf("value %d out of range -%d..%d", n, lim, lim)
		}
		return n, nil
	case String:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("value %v (%T) is not a string", v, v)
		}
		if s == "" {
			return nil, nil
		}
		if strings.ContainsRune(s, 0) {
			// Windows Installer reads strings up to the first NUL.
			return nil, fmt.Errorf("value %q holds a NUL character", s)
		}
		if _, err := encode1252(s); err != nil {
			return nil, err
		}
		if c.Size > 0 && len([]rune(s)) > c.Size {
			return nil, fmt.Errorf("value %q is longer than %d characters", s, c.Size)
		}
		return s, nil
	default:
		b, ok := v.([]byte)
		if !ok {
			return nil, fmt.Errorf("value of type %T is not []byte", v)
		}
		if b == nil {
			return nil, nil
		}
		return b, nil
	}
}

// AddStream adds a stream stored under name (encoded with the MSI
// stream-name compression), such as an embedded cabinet referred to as
// "#name" from the Media table. r must yield size bytes when Write runs.
func (db *Database) AddStream(name string, size int64, r io.Reader) error {
	if _, err := encodeStreamName(name, false); err != nil {
		return err
	}
	for _, s := range db.streams {
		if s.name == name {
			return fmt.Errorf("msi: stream %s added twice", name)
		}
	}
	db.streams = append(db.streams, rawStream{name, size, r})
	return nil
}

// validationColumns is the schema of the _Validation table.
var validationColumns = []Column{
	{Name: "Table", Type: String, Size: 32, Key: true, Category: "Identifier", Description: "Name of table"},
	{Name: "Column", Type: String, Size: 32, Key: true, Category: "Identifier", Description: "Name of column"},
	{Name: "Nullable", Type: String, Size: 4, Set: "Y;N", Description: "Whether the column is nullable"},
	{Name: "MinValue", Type: Int32, Nullable: true, HasRange: true, MinValue: -2147483647, MaxValue: 2147483647, Description: "Minimum value allowed"},
	{Name: "MaxValue", Type: Int32, Nullable: true, HasRange: true, MinValue: -2147483647, MaxValue: 2147483647, Description: "Maximum value allowed"},
	{Name: "KeyTable", Type: String, Size: 255, Nullable: true, Category: "Identifier", Description: "For foreign key, name of table to which data must link"},
	{Name: "KeyColumn", Type: Int16, Nullable: true, HasRange: true, MinValue: 1, MaxValue: 32, Description: "Column to which foreign key connects"},
	{Name: "Category", Type: String, Size: 32, Nullable: true, Set: "Text;Formatted;Template;Condition;Guid;Path;Version;Language;Identifier;Binary;UpperCase;LowerCase;Filename;Paths;AnyPath;WildCardFilename;RegPath;CustomSource;Property;Cabinet;Shortcut;FormattedSDDLText;Integer;DoubleInteger;TimeDate;DefaultDir", Description: "String category"},
	{Name: "Set", Type: String, Size: 255, Nullable: true, Category: "Text", Description: "Set of values that are permitted"},
	{Name: "Description", Type: String, Size: 255, Nullable: true, Category: "Text", Description: "Description of column"},
}

// validationRows returns the _Validation rows for every user table,
// _Validation included.
func (db *Database) validationRows() [][]any {
	var rows [][]any
	for _, t := range db.sortedTables() {
		for _, c := range t.Columns {
			nullable := "N"
			if c.Nullable {
				nullable = "Y"
			}
			var min, max, keyCol any
			if c.HasRange {
				min, max = int64(c.MinValue), int64(c.MaxValue)
			}
			if c.KeyColumn > 0 {
				keyCol = int64(c.KeyColumn)
			}
			str := func(s string) any {
				if s == "" {
					return nil
				}
				return s
			}
			rows = append(rows, []any{t.Name, c.Name, nullable, min, max, str(c.KeyTable), keyCol, str(c.Category), str(c.Set), str(c.Description)})
		}
	}
	return rows
}

func (db *Database) sortedTables() []*Table {
	ts := make([]*Table, 0, len(db.tables))
	for _, t := range db.tables {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	return ts
}

// Write writes the database as a compound file to w. It may be called
// once: the streams added with AddStream are consumed.
func (db *Database) Write(w io.Writer) error {
	if db.tables["_Validation"] == nil {
		if _, err := db.CreateTable("_Validation", validationColumns); err != nil {
			return err
		}
	}
	vt := db.tables["_Validation"]
	vt.rows = nil
	for _, r := range db.validationRows() {
		if err := vt.AddRow(r...); err != nil {
			return err
		}
	}
	tables := db.sortedTables()

	// Pool every string: table and column names, string cells, and the
	// names of the system tables' own rows.
	pool := newStringPool()
	for _, t := range tables {
		pool.add(t.Name) // _Tables row
		for _, c := range t.Columns {
			pool.add(t.Name) // _Columns.Table
			pool.add(c.Name)
		}
		for _, r := range t.rows {
			for i, v := range r {
				if s, ok := v.(string); ok && t.Columns[i].Type == String {
					pool.add(s)
				}
			}
		}
	}
	if err := pool.finish(); err != nil {
		return err
	}

	type stream struct {
		name string
		data []byte
	}
	var out []stream
	add := func(name string, table bool, data []byte) error {
		enc, err := encodeStreamName(name, table)
		if err != nil {
			return err
		}
		out = append(out, stream{enc, data})
		return nil
	}
	sp, sd, err := pool.streams()
	if err != nil {
		return err
	}
	if err := add("_StringPool", true, sp); err != nil {
		return err
	}
	if err := add("_StringData", true, sd); err != nil {
		return err
	}

	// _Tables: one string column; _Columns: Table, Number, Name, Type.
	tablesCol := []Column{{Name: "Name", Type: String, Key: true}}
	columnsCol := []Column{
		{Name: "Table", Type: String, Key: true},
		{Name: "Number", Type: Int16, Key: true},
		{Name: "Name", Type: String},
		{Name: "Type", Type: Int16},
	}
	var tRows, cRows [][]any
	for _, t := range tables {
		tRows = append(tRows, []any{t.Name})
		for i, c := range t.Columns {
			cRows = append(cRows, []any{t.Name, int64(i + 1), c.Name, int64(int16(c.typeBits()))})
		}
	}
	if err := add("_Tables", true, encodeTable(pool, tablesCol, tRows)); err != nil {
		return err
	}
	if err := add("_Columns", true, encodeTable(pool, columnsCol, cRows)); err != nil {
		return err
	}
	for _, t := range tables {
		if err := checkKeys(t); err != nil {
			return err
		}
		if len(t.rows) > 0 {
			if err := add(t.Name, true, encodeTable(pool, t.Columns, t.rows)); err != nil {
				return err
			}
		}
		for _, r := range t.rows {
			for i, v := range r {
				b, ok := v.([]byte)
				if !ok || t.Columns[i].Type != Binary {
					continue
				}
				if err := add(t.Name+"."+keyName(t, r), false, b); err != nil {
					return fmt.Errorf("msi: table %s: %w", t.Name, err)
				}
			}
		}
	}
	si, err := db.Summary.marshal()
	if err != nil {
		return fmt.Errorf("msi: %w", err)
	}
	out = append(out, stream{"\x05SummaryInformation", si})

	clsid, err := cfb.ParseCLSID(rootCLSID)
	if err != nil {
		return fmt.Errorf("msi: %w", err)
	}
	cw, err := cfb.NewWriter(w, &cfb.Options{RootCLSID: clsid, TempDir: db.TempDir})
	if err != nil {
		return fmt.Errorf("msi: %w", err)
	}
	for _, s := range out {
		if err := cw.AddStream(s.name, int64(len(s.data)), bytes.NewReader(s.data)); err != nil {
			return fmt.Errorf("msi: writing stream: %w", err)
		}
	}
	for _, s := range db.streams {
		enc, err := encodeStreamName(s.name, false)
		if err != nil {
			return err
		}
		if err := cw.AddStream(enc, s.size, s.r); err != nil {
			return fmt.Errorf("msi: writing stream %s: %w", s.name, err)
		}
	}
	if err := cw.Close(); err != nil {
		return fmt.Errorf("msi: %w", err)
	}
	return nil
}

// keyName joins the primary key values of r with dots, as Windows
// Installer names the streams of binary cells.
func keyName(t *Table, r []any) string {
	var parts []string
	for i, c := range t.Columns {
		if !c.Key {
			break
		}
		switch v := r[i].(type) {
		case string:
			parts = append(parts, v)
		case int64:
			parts = append(parts, strconv.FormatInt(v, 10))
		}
	}
	return strings.Join(parts, ".")
}

// checkKeys reports rows whose primary keys collide.
func checkKeys(t *Table) error {
	seen := map[string]bool{}
	for _, r := range t.rows {
		var k []string
		for i, c := range t.Columns {
			if !c.Key {
				break
			}
			k = append(k, fmt.Sprintf("%T:%v", r[i], r[i]))
		}
		key := strings.Join(k, "\x00")
		if seen[key] {
			return fmt.Errorf("msi: table %s: duplicate primary key %s", t.Name, keyName(t, r))
		}
		seen[key] = true
	}
	return nil
}

// stored returns the value of v as written in a table stream.
func stored(pool *stringPool, c Column, v any) uint32 {
	switch x := v.(type) {
	case nil:
		return 0
	case string:
		return uint32(pool.id(x))
	case []byte:
		return 1 // a present stream
	case int64:
		if c.Type == Int16 {
			return uint32(uint16(x) ^ 0x8000)
		}
		return uint32(x) ^ 0x80000000
	}
	return 0
}

// encodeTable stores rows column by column, sorted by their stored
// primary-key values (string ids follow string order, see stringPool).
func encodeTable(pool *stringPool, cols []Column, rows [][]any) []byte {
	vals := make([][]uint32, len(rows))
	for i, r := range rows {
		vals[i] = make([]uint32, len(cols))
		for j, c := range cols {
			vals[i][j] = stored(pool, c, r[j])
		}
	}
	sort.SliceStable(vals, func(a, b int) bool {
		for j, c := range cols {
			if !c.Key {
				break
			}
			if vals[a][j] != vals[b][j] {
				return vals[a][j] < vals[b][j]
			}
		}
		return false
	})
	var b []byte
	for j, c := range cols {
		for _, v := range vals {
			if c.width() == 4 {
				b = binary.LittleEndian.AppendUint32(b, v[j])
			} else {
				b = binary.LittleEndian.AppendUint16(b, uint16(v[j]))
			}
		}
	}
	return b
}

// validIdentifier reports whether s is an MSI identifier: letters, digits,
// underscores and periods, starting with a letter or underscore.
func validIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z'):
		case i > 0 && (r == '.' || (r >= '0' && r <= '9')):
		default:
			return false
		}
	}
	return true
}
