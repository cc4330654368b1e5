package msi

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/svcpack/svcpack/pkg/winargv"
)

// formatted is the text of a column that Windows Installer formats at
// install time (the categories of formattedCategories): it replaces
// [property], [%env], [#file], [!file], [$component], [~] and [\x], and
// {groups} of them. Text from the caller enters it only through literal,
// which escapes it; formatted(...) of a constant, ref and the concatenation
// of those are the package's own references. rowColumns requires this type
// for exactly the columns of those categories.
type formatted string

// formattedCategories are the column categories Windows Installer formats.
var formattedCategories = map[string]bool{"Formatted": true, "FormattedSDDLText": true, "RegPath": true,
	"KeyFormatted": true, "Template": true}

// literal is s as formatted text that reads back as s: each of [ ] { } is
// written as [\x], which Windows Installer replaces by the character x
// without further processing; the other characters mean nothing outside
// brackets.
func literal(s string) formatted {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("[]{}", r) {
			b.WriteString(`[\`)
			b.WriteRune(r)
			b.WriteByte(']')
			continue
		}
		b.WriteRune(r)
	}
	return formatted(b.String())
}

// ref is a reference to a property (or a Directory, whose property is its
// path).
func ref(property string) formatted { return formatted("[" + property + "]") }

// literalMarked is literal for a text that may hold InstallDirMark, which
// becomes a reference to the install folder.
func literalMarked(s string) formatted {
	return formatted(strings.ReplaceAll(string(literal(s)), InstallDirMark, string(ref(installDirID))))
}

// quoteArg quotes one argument of the service's command line by the rules
// of CommandLineToArgvW; an argument naming the install folder (which may
// hold spaces and ends in a backslash) is quoted whatever it holds.
func quoteArg(a string) string { return winargv.QuoteMarked(a, InstallDirMark) }

// commandLine is args quoted (quoteArg) and joined by spaces.
func commandLine(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = quoteArg(a)
	}
	return strings.Join(quoted, " ")
}

// failureCommandLine is the command line of a failure command: the
// program in quotes (winargv.QuoteProgram), then its arguments (quoteArg).
func failureCommandLine(cmd []string) string {
	line := winargv.QuoteProgram(cmd[0])
	if len(cmd) > 1 {
		line += " " + commandLine(cmd[1:])
	}
	return line
}

// quoteArgs is the command line of args as formatted text.
func quoteArgs(args []string) formatted { return literalMarked(commandLine(args)) }

// The grammars of the column categories that hold names, not text. A
// value outside its category's is refused when the row is added, naming
// the table, the column and the value.
var (
	identifierRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)
	upperCaseRE  = regexp.MustCompile(`^[A-Z_][A-Z0-9_.]*$`)
	guidRE       = regexp.MustCompile(`^\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$`)
	versionRE    = regexp.MustCompile(`^[0-9]+(\.[0-9]+){0,3}$`)
	languageRE   = regexp.MustCompile(`^[0-9]+(,[0-9]+)*$`)
	cabinetRE    = regexp.MustCompile(`^#?[A-Za-z0-9_.]+$`)
	// A condition is written by this package from identifiers, operators
	// and quoted version numbers: never a bracket, brace or control
	// character.
	conditionRE = regexp.MustCompile(`^[A-Za-z0-9_ .$&|?!~=<>"()-]*$`)
)

// checkCategory reports why v cannot be a value of a column of category
// cat, or nil. Text and the formatted categories hold any text (their
// values are escaped where they are built).
func checkCategory(cat, v string) error {
	var re *regexp.Regexp
	switch cat {
	case "Identifier", "CustomSource", "Property":
		re = identifierRE
	case "UpperCase":
		re = upperCaseRE
	case "Guid":
		re = guidRE
	case "Version":
		re = versionRE
	case "Language":
		re = languageRE
	case "Cabinet":
		re = cabinetRE
	case "Condition":
		re = conditionRE
	case "Filename", "DefaultDir", "WildCardFilename":
		return checkFilename(cat, v)
	default:
		return nil
	}
	if !re.MatchString(v) {
		return fmt.Errorf("%q is not a valid %s", v, cat)
	}
	return nil
}

// checkFilename checks a short|long name pair (DefaultDir also takes "."
// and SourceDir; WildCardFilename also * and ?).
func checkFilename(cat, v string) error {
	if cat == "DefaultDir" && (v == "." || v == "SourceDir") {
		return nil
	}
	parts := strings.Split(v, "|")
	if len(parts) > 2 {
		return fmt.Errorf("%q is not a valid %s: more than one |", v, cat)
	}
	for _, p := range parts {
		if cat == "WildCardFilename" {
			p = strings.NewReplacer("*", "x", "?", "x").Replace(p)
		}
		if err := checkLongName(p); err != nil {
			return fmt.Errorf("%q is not a valid %s: %w", v, cat, err)
		}
	}
	if len(parts) == 2 && !valid83(parts[0]) {
		return fmt.Errorf("%q is not a valid %s: %q is not a short (8.3) name", v, cat, parts[0])
	}
	return nil
}

var errFormattedType = errors.New("a column Windows Installer formats needs a field of type formatted, and only such a column")
