package config

import (
	"os"
	"path"
	"path/filepath"
	"time"
)

// Formats lists every artifact format svcpack knows, in pipeline order.
func Formats() []string {
	return []string{"zip", "msi", "deb", "rpm", "apk", "tar.gz", "sbom"}
}

// DefaultTargets returns the default build matrix.
func DefaultTargets() []string {
	return []string{
		"windows/386", "windows/amd64", "windows/arm64",
		"linux/amd64", "linux/arm64",
		"darwin/amd64", "darwin/arm64",
	}
}

func (c *Config) applyDefaults() {
	if len(c.Targets) == 0 {
		c.Targets = DefaultTargets()
	}
	if c.Ldflags == nil {
		c.Ldflags = []string{"-s", "-w", "-X main.version={{.Version}}"}
	}
	if c.Dist == "" {
		c.Dist = "dist"
	}
	if c.Formats == nil {
		c.Formats = Formats()
	}
	if c.Maintainer == "" {
		c.Maintainer = c.Vendor
	}
	if c.LicenseFile == "" {
		if _, err := os.Stat(filepath.Join(c.Dir, "LICENSE")); err == nil {
			c.LicenseFile = "LICENSE"
		}
	}
	for i := range c.Files {
		if c.Files[i].Dst == "" && c.Files[i].Src != "" {
			c.Files[i].Dst = path.Base(filepath.ToSlash(c.Files[i].Src))
		}
	}
	s := &c.Service
	if s.Name == "" {
		s.Name = c.Name
	}
	if s.DisplayName == "" {
		s.DisplayName = s.Name
	}
	if c.Description == "" {
		c.Description = s.Description
	}
	if s.Description == "" {
		s.Description = c.Description
	}
	if s.Start == "" {
		s.Start = "auto"
	}
	if s.Account == "" {
		s.Account = "LocalSystem"
	}
	if s.Restart.Policy == "" {
		s.Restart.Policy = "on-failure"
	}
	if s.Restart.Delay == 0 {
		s.Restart.Delay = Duration(5 * time.Second)
	}
	if s.Restart.ResetAfter == 0 {
		s.Restart.ResetAfter = Duration(24 * time.Hour)
	}
	w := &c.Windows
	if w.ProductName == "" {
		w.ProductName = s.DisplayName
	}
	if w.Manifest.ExecutionLevel == "" {
		w.Manifest.ExecutionLevel = "asInvoker"
	}
	if w.MSI.InstallDir == "" {
		if c.Vendor != "" {
			w.MSI.InstallDir = c.Vendor + `\` + w.ProductName
		} else {
			w.MSI.InstallDir = w.ProductName
		}
	}
}

// Abs resolves a path from the config against the config's directory.
func (c *Config) Abs(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Dir, filepath.FromSlash(p))
}

// DistDir returns the absolute output directory.
func (c *Config) DistDir() string { return c.Abs(c.Dist) }
