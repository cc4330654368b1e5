package msi

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/svcpack/svcpack/pkg/msi/cab"
)

// writeCabinet writes the embedded cabinet: one MSZIP folder holding the
// files in File.Sequence order, named by their File table keys.
func writeCabinet(w io.Writer, files []cabFile, date time.Time, tempDir string) error {
	cw, err := cab.NewWriter(w, cab.Options{Compression: cab.MSZIP, Date: date, TempDir: tempDir})
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := addCabFile(cw, f); err != nil {
			return err
		}
	}
	return cw.Close()
}

func addCabFile(cw *cab.Writer, f cabFile) error {
	r, err := os.Open(f.Src)
	if err != nil {
		return fmt.Errorf("%s: %w", f.Name, err)
	}
	defer r.Close()
	if err := cw.Add(f.Name, f.Size, r, cab.AttrArchive); err != nil {
		return fmt.Errorf("%s: %w", f.Name, err)
	}
	return nil
}
