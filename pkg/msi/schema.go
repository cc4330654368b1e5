package msi

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// parseColumns turns a schema line (name:type:category, space-separated)
// into columns.
func parseColumns(spec string) ([]Column, error) {
	var cols []Column
	for _, f := range strings.Fields(spec) {
		parts := strings.Split(f, ":")
		if len(parts) < 2 || len(parts[1]) < 2 {
			return nil, fmt.Errorf("msi: bad column spec %q", f)
		}
		c := Column{Name: parts[0]}
		t := parts[1]
		if strings.HasSuffix(t, "*") {
			c.Key = true
			t = strings.TrimSuffix(t, "*")
		}
		if len(parts) > 2 {
			c.Category = parts[2]
		}
		n, err := strconv.Atoi(t[1:])
		if err != nil {
			return nil, fmt.Errorf("msi: bad column spec %q", f)
		}
		code := t[0]
		if code >= 'A' && code <= 'Z' {
			c.Nullable = true
			code += 'a' - 'A'
		}
		switch code {
		case 's', 'l':
			c.Type, c.Size, c.Localizable = String, n, code == 'l'
		case 'i':
			c.Type = Int16
			if n == 4 {
				c.Type = Int32
			}
		case 'v':
			c.Type = Binary
		default:
			return nil, fmt.Errorf("msi: bad column spec %q", f)
		}
		cols = append(cols, c)
	}
	return cols, nil
}

// rowColumns returns the columns of a row type, from its fields' msi tags,
// and checks that each field's Go type can hold its column.
func rowColumns(r row) ([]Column, error) {
	t := reflect.TypeOf(r)
	var specs []string
	var fields []reflect.StructField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("msi")
		if tag == "" {
			continue
		}
		specs = append(specs, strings.ReplaceAll(tag, ",", ":"))
		fields = append(fields, f)
	}
	cols, err := parseColumns(strings.Join(specs, " "))
	if err != nil {
		return nil, fmt.Errorf("msi: table %s: %w", r.table(), err)
	}
	for i, c := range cols {
		ft := fields[i].Type
		var ok bool
		switch c.Type {
		case String:
			ok = ft.Kind() == reflect.String
			if ok && (ft == reflect.TypeOf(formatted(""))) != formattedCategories[c.Category] {
				return nil, fmt.Errorf("msi: table %s: field %s (%s), column %s (%s): %w", r.table(), fields[i].Name, ft,
					c.Name, c.Category, errFormattedType)
			}
		case Binary:
			ok = ft == reflect.TypeOf([]byte(nil))
		default:
			ok = ft.Kind() == reflect.Int || c.Nullable && ft == reflect.TypeOf((*int)(nil))
		}
		if !ok {
			return nil, fmt.Errorf("msi: table %s: field %s (%s) cannot hold column %s", r.table(), fields[i].Name, ft, c.Name)
		}
	}
	return cols, nil
}

// addRow adds a typed row to its table, creating the table on first use.
// A value outside its column's category (checkCategory) is refused.
func addRow(db *Database, r row) error {
	t := db.Table(r.table())
	if t == nil {
		cols, err := rowColumns(r)
		if err != nil {
			return err
		}
		if t, err = db.CreateTable(r.table(), cols); err != nil {
			return err
		}
	}
	v := reflect.ValueOf(r)
	var values []any
	for i := 0; i < v.NumField(); i++ {
		if v.Type().Field(i).Tag.Get("msi") == "" {
			continue
		}
		f := v.Field(i)
		switch {
		case f.Kind() == reflect.Pointer && f.IsNil():
			values = append(values, nil)
		case f.Kind() == reflect.Pointer:
			values = append(values, int(f.Elem().Int()))
		case f.Kind() == reflect.Int:
			values = append(values, int(f.Int()))
		case f.Kind() == reflect.String:
			c := t.Columns[len(values)]
			if err := checkCategory(c.Category, f.String()); f.String() != "" && err != nil {
				return fmt.Errorf("msi: table %s, column %s: %w", t.Name, c.Name, err)
			}
			values = append(values, f.String())
		default:
			values = append(values, f.Interface())
		}
	}
	return t.AddRow(values...)
}
