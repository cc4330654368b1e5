// Command goreleaser measures a forced svcpack release against GoReleaser
// doing the same work on the same example, in one run:
//
//	go run ./bench/goreleaser [-rounds 5]
//
// It copies this module into a temporary git repository, writes a
// .goreleaser.yaml equivalent to svcpack.yaml (the 7 targets, -trimpath,
// the same ldflags, CGO off, mod_timestamp, tar.gz/zip archives with the
// LICENSE and config file, nfpm deb/rpm/apk with the same metadata,
// checksums), builds the svcpack CLI, warms both (and go's build cache), and
// then runs, alternately, GoReleaser (`release --snapshot --clean`, into its
// own dist folder) and `svcpack release -force` twice: once limited to the
// formats both make (zip, tar.gz, deb, rpm, apk) and once with everything
// svcpack makes (adding the MSI, SBOMs, Windows resources and service
// scripts). It prints the medians of wall and CPU time (user+system of the
// process and its children) and the ratios svcpack / GoReleaser.
//
// GoReleaser must be on PATH: go install github.com/goreleaser/goreleaser/v2@v2.12.0
// (several minutes to build). Without it the benchmark says so and exits 0.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/svcpack/svcpack/internal/benchutil"
)

// goreleaserYAML is GoReleaser's version of svcpack.yaml's work.
const goreleaserYAML = `version: 2
project_name: hello
dist: grdist
builds:
  - id: hello
    main: ./examples/hello
    binary: hello
    env: [CGO_ENABLED=0]
    goos: [windows, linux, darwin]
    goarch: ["386", amd64, arm64]
    ignore:
      - {goos: linux, goarch: "386"}
      - {goos: darwin, goarch: "386"}
    flags: [-trimpath]
    ldflags: ["-s -w -X main.version={{.Version}}"]
    mod_timestamp: "{{ .CommitTimestamp }}"
archives:
  - formats: [tar.gz]
    format_overrides:
      - {goos: windows, formats: [zip]}
    files: [LICENSE, examples/hello/config.yaml]
nfpms:
  - package_name: hello
    vendor: Acme Corp
    homepage: https://example.com/hello
    maintainer: Acme Corp <ops@example.com>
    description: Says hello over HTTP
    license: MIT
    formats: [deb, rpm, apk]
    contents:
      - {src: examples/hello/config.yaml, dst: /etc/hello/config.yaml, type: config|noreplace}
checksum:
  name_template: checksums.txt
snapshot:
  version_template: "1.0.0"
release:
  disable: true
changelog:
  disable: true
`

func main() {
	rounds := flag.Int("rounds", 5, "measured rounds of each")
	flag.Parse()
	if _, err := exec.LookPath("goreleaser"); err != nil {
		fmt.Println("bench/goreleaser: goreleaser is not on PATH; install it with: go install github.com/goreleaser/goreleaser/v2@v2.12.0 (several minutes to build)")
		return
	}
	if err := run(*rounds); err != nil {
		fmt.Fprintln(os.Stderr, "bench/goreleaser:", err)
		os.Exit(1)
	}
}

// sample is one timed run.
type sample struct{ wall, cpu time.Duration }

// timed runs cmd and returns its wall time and the CPU time of it and its
// children.
func timed(cmd *exec.Cmd) (sample, error) {
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start)
	if err != nil {
		return sample{}, fmt.Errorf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	var cpu time.Duration
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return sample{wall, cpu}, nil
}

func run(rounds int) error {
	// GoReleaser's config and svcpack's with only the formats both make,
	// committed with the module and tagged.
	ws, err := benchutil.NewWorkspace("goreleaser", func(dir string) error {
		if err := os.WriteFile(filepath.Join(dir, ".goreleaser.yaml"), []byte(goreleaserYAML), 0o644); err != nil {
			return err
		}
		both, err := os.ReadFile(filepath.Join(dir, "svcpack.yaml"))
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "svcpack-both.yaml"), append(both, []byte("formats: [zip, tar.gz, deb, rpm, apk]\n")...), 0o644)
	}, "v1.0.0")
	if err != nil {
		return err
	}
	defer ws.Close()
	cli, command := ws.CLI, ws.Command
	runs := []struct {
		name string
		cmd  func() *exec.Cmd
	}{
		{"GoReleaser", func() *exec.Cmd {
			return command("goreleaser", "release", "--snapshot", "--clean", "--skip=publish,sign,sbom")
		}},
		{"svcpack, the formats both make", func() *exec.Cmd {
			return command(cli, "release", "-force", "-q", "-config", "svcpack-both.yaml")
		}},
		{"svcpack, everything it makes", func() *exec.Cmd { return command(cli, "release", "-force", "-q") }},
	}
	// Warm: go's build cache, GoReleaser's and svcpack's first runs.
	for _, r := range runs {
		if _, err := timed(r.cmd()); err != nil {
			return err
		}
	}
	samples := make([][]sample, len(runs))
	for i := 0; i < rounds; i++ {
		// Alternate the order each round, so that drift hits all alike.
		for k := range runs {
			j := (k + i) % len(runs)
			s, err := timed(runs[j].cmd())
			if err != nil {
				return err
			}
			samples[j] = append(samples[j], s)
		}
		fmt.Printf("round %d:", i+1)
		for j, r := range runs {
			fmt.Printf("  %s %.2fs wall %.2fs cpu;", r.name, samples[j][i].wall.Seconds(), samples[j][i].cpu.Seconds())
		}
		fmt.Println()
	}
	med := func(j int) (wall, cpu time.Duration) {
		var w, c []time.Duration
		for _, s := range samples[j] {
			w, c = append(w, s.wall), append(c, s.cpu)
		}
		return benchutil.Median(w), benchutil.Median(c)
	}
	gw, gc := med(0)
	if gw == 0 || gc == 0 {
		return errors.New("no GoReleaser time measured")
	}
	fmt.Printf("median GoReleaser: %.2fs wall, %.2fs cpu\n", gw.Seconds(), gc.Seconds())
	for j := 1; j < len(runs); j++ {
		w, c := med(j)
		fmt.Printf("median %s: %.2fs wall, %.2fs cpu: %.2fx GoReleaser's wall, %.2fx its cpu\n", runs[j].name, w.Seconds(), c.Seconds(), w.Seconds()/gw.Seconds(), c.Seconds()/gc.Seconds())
	}
	return nil
}
