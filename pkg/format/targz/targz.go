// Package targz is the format of the tarballs: for Linux the binary and its
// systemd unit, for darwin the binary, a launchd plist and install.sh.
package targz

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/svcpack/svcpack/pkg/format/internal/linux"
	"github.com/svcpack/svcpack/pkg/packager"

	"github.com/svcpack/svcpack/pkg/archive"
	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/launchd"
	"github.com/svcpack/svcpack/pkg/linuxpkg"
	"github.com/svcpack/svcpack/pkg/platform"
)

// Packager writes <name>_<version>_<os>_<arch>.tar.gz for Linux (binary,
// systemd unit) and darwin (binary, launchd plist, install.sh).
func Packager() *packager.Packager {
	return &packager.Packager{
		Name: "tar.gz", Kind: packager.KindTarGz, Default: true,
		Doc:     "Linux: the binary and its systemd unit; darwin: the binary, a launchd plist and `install.sh`",
		Applies: linuxOrDarwin,
		Reads:   append(linux.Reads(), "service.darwin", "name_template.archive", "commit"),
		Uses:    []packager.Kind{packager.KindBinary},
		Paths:   packager.ArchivePaths(".tar.gz"),
		Check:   check,
		Write:   write,
	}
}

func linuxOrDarwin(_ *config.Spec, t platform.Target) bool {
	return t.OS == "linux" || t.OS == "darwin"
}

func check(s *config.Spec, _ []platform.Target, probs *config.Problems) {
	if s.HasOS("linux") {
		linux.CheckUnit(s, probs)
	}
	if s.HasOS("darwin") {
		if err := launchdOptions(s).Validate(); err != nil {
			probs.Add("service.name", "%v", err)
		}
	}
}

func write(ctx context.Context, j *packager.Job) error {
	s, t := j.Spec, j.Target
	bin, err := j.MustInput(packager.KindBinary)
	if err != nil {
		return err
	}
	files := []archive.File{{Name: s.Name, Mode: 0o755, Src: bin}}
	var readme strings.Builder
	fmt.Fprintf(&readme, "%s %s for %s\n%s\n\n", s.Name, s.Version, t, s.Description)
	switch t.OS {
	case "linux":
		unit, err := linuxpkg.Unit(linux.Options(s, t, bin, "deb"))
		if err != nil {
			return err
		}
		files = append(files, archive.File{Name: s.Service.Name + ".service", Mode: 0o644, Data: unit})
		fmt.Fprintf(&readme, "Install: copy %s to %s, %s.service to /usr/lib/systemd/system and the\nconfiguration files to /etc/%s, then: systemctl daemon-reload && systemctl enable --now %s\n(the deb, rpm and apk packages do all of this, and create the service user).\n",
			s.Name, cmp.Or(s.Service.Linux.BinDir, linuxpkg.DefaultBinDir), s.Service.Name, s.Name, s.Service.Name)
	case "darwin":
		lo := launchdOptions(s)
		plist, err := launchd.Plist(lo)
		if err != nil {
			return err
		}
		install, err := launchd.InstallScript(lo)
		if err != nil {
			return err
		}
		files = append(files,
			archive.File{Name: lo.Label + ".plist", Mode: 0o644, Data: plist},
			archive.File{Name: "install.sh", Mode: 0o755, Data: install})
		starts := "and starts it"
		if lo.Manual {
			starts = "and leaves it to be started by hand, as service.start says"
		}
		fmt.Fprintf(&readme, "Install: sudo ./install.sh (places %s.plist in /Library/LaunchDaemons %s);\nremove: sudo ./install.sh --uninstall. Logs: /Library/Logs/%s.\n", lo.Label, starts, s.Name)
	}
	files = append(files, archive.File{Name: "README.txt", Mode: 0o644, Data: []byte(readme.String())})
	files = append(files, packager.ExtraFiles(s, "")...)
	name, err := packager.ArchiveName(s, t, ".tar.gz")
	if err != nil {
		return err
	}
	return j.Create(name, func(w io.Writer) error { return archive.WriteTarGz(w, files, s.Date) })
}

// launchdOptions maps the spec onto the launchd daemon.
func launchdOptions(s *config.Spec) launchd.Options {
	configs := packager.ConfigFiles(s)
	user := s.Service.Darwin.User
	if user == "root" {
		user = "" // launchd runs a daemon without UserName as root
	}
	return launchd.Options{
		Name: s.Name, Label: launchdLabel(s), Args: packager.RenderArgs(s.Service.Args, darwinDir(s)),
		Env: packager.RenderEnv(s.Service.Env, darwinDir(s)), UserName: user,
		Always: s.Service.Restart.Policy == "always", RestartDelay: s.Service.Restart.Delay.Std(), Configs: configs,
		Manual: s.Service.StartsByHand(),
	}
}

// darwinDir is where install.sh puts each place.
func darwinDir(s *config.Spec) func(config.Place) string {
	return func(p config.Place) string {
		switch p {
		case config.ConfigDir:
			return launchd.ConfDir(s.Name)
		case config.StateDir:
			return launchd.StateDir(s.Name)
		case config.LogDir:
			return launchd.LogDir(s.Name)
		}
		return launchd.BinDir
	}
}

// launchdLabel is the reverse-DNS label of the daemon: the homepage's host
// reversed (www. dropped), then service.name (example.com ->
// com.example.<service>); local.<service> without a homepage.
func launchdLabel(s *config.Spec) string {
	if u, err := url.Parse(s.Homepage); err == nil && u.Hostname() != "" {
		parts := strings.Split(strings.TrimPrefix(u.Hostname(), "www."), ".")
		slices.Reverse(parts)
		return strings.Join(parts, ".") + "." + s.Service.Name
	}
	return "local." + s.Service.Name
}
