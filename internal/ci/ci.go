// Package ci holds the tests of the repository's GitHub Actions workflows
// (.github/workflows): they must pass actionlint, pin every action to a
// commit, and ask for the least permissions.
package ci
