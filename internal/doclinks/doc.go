// Package doclinks keeps svcpack's documentation navigable. Its test checks
// that every relative link in README.md and docs/*.md names a file or folder
// of the repository and, when it points at a heading of a Markdown file
// (#anchor), a heading that exists there under GitHub's anchor rule; that
// the README and the docs index link every page under docs/; and that the
// README stays an entry page of at most 160 lines, the reference living
// under docs/. The package has no code outside its test.
package doclinks
