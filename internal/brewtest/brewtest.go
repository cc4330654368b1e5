// Package brewtest reads a Homebrew formula back for tests: ruby -c checks
// its syntax, then Ruby itself evaluates it against a stand-in of
// Homebrew's formula DSL (the class methods desc, url, on_macos, on_arm,
// ..., the install and post_install methods, the service block) and
// reports, as JSON, what the formula says on one platform and CPU.
package brewtest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"
)

// Result is what a formula says on one platform and CPU.
type Result struct {
	// Class is the formula's class name.
	Class string `json:"class"`
	// Fields are the class-level calls: desc, homepage, version, license,
	// url, sha256 (the url and sha256 of this platform and CPU).
	Fields map[string]any `json:"fields"`
	// Installs are the install and post_install steps: ["install",
	// folder, file] (folder bin, etc/x, ...) and ["mkpath", folder].
	Installs [][]string `json:"installs"`
	// Service holds the service block's calls, by name.
	Service map[string]any `json:"service"`
}

// dsl stands in for Homebrew's formula DSL.
const dsl = `require "json"
FORMULA, OS_NAME, CPU = ARGV
$installs = []
class FakePath
  def initialize(s)
    @s = s
  end
  def /(other)
    FakePath.new("#{@s}/#{other}")
  end
  def to_s
    @s
  end
  def mkpath
    $installs << ["mkpath", @s]
  end
  def install(*files)
    files.each { |f| $installs << ["install", @s, f.to_s] }
  end
end
class Formula
  @@fields = {}
  @@service = nil
  def self.fields
    @@fields
  end
  def self.service_block
    @@service
  end
  %i[desc homepage version license url sha256].each do |m|
    define_singleton_method(m) do |*args, **kw|
      raise ArgumentError, "#{m} given twice for #{OS_NAME}/#{CPU}" if @@fields.key?(m)
      @@fields[m] = args.empty? ? kw : (kw.empty? ? args[0] : [args[0], kw])
    end
  end
  def self.on_macos
    yield if OS_NAME == "macos"
  end
  def self.on_linux
    yield if OS_NAME == "linux"
  end
  def self.on_intel
    yield if CPU == "intel"
  end
  def self.on_arm
    yield if CPU == "arm"
  end
  def self.service(&block)
    @@service = block
  end
  def self.test(&block); end
  def bin = FakePath.new("bin")
  def etc = FakePath.new("etc")
  def var = FakePath.new("var")
  def opt_bin = FakePath.new("opt_bin")
end
class Service
  attr_reader :calls
  def initialize(formula)
    @formula = formula
    @calls = {}
  end
  def opt_bin = @formula.opt_bin
  def var = @formula.var
  def etc = @formula.etc
  def method_missing(name, *args, **kw)
    value = args.empty? ? kw : args[0]
    value = value.map(&:to_s) if value.is_a?(Array)
    value = value.to_s if value.is_a?(FakePath)
    @calls[name] = value
  end
  def respond_to_missing?(*) = true
end
before = Object.constants
load FORMULA
classes = (Object.constants - before).map { |c| Object.const_get(c) }.select { |c| c.is_a?(Class) && c < Formula }
raise "want one formula class, found #{classes}" unless classes.size == 1
f = classes[0].new
f.install
f.post_install if f.respond_to?(:post_install)
service = Service.new(f)
service.instance_eval(&Formula.service_block) if Formula.service_block
puts JSON.generate({class: classes[0].name, fields: Formula.fields, installs: $installs, service: service.calls})
`

// Read checks the formula's syntax with ruby -c and evaluates it for platform
// ("macos", "linux") and cpu ("intel", "arm").
func Read(t *testing.T, formula, platform, cpu string) Result {
	t.Helper()
	ruby := testtool.Need(t, "ruby", "ruby")
	if out, err := exec.Command(ruby, "-c", formula).CombinedOutput(); err != nil {
		t.Fatalf("ruby -c %s: %v\n%s", formula, err, out)
	}
	script := filepath.Join(t.TempDir(), "dsl.rb")
	if err := os.WriteFile(script, []byte(dsl), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(ruby, script, formula, platform, cpu).CombinedOutput()
	if err != nil {
		t.Fatalf("ruby evaluating %s for %s/%s: %v\n%s", formula, platform, cpu, err, out)
	}
	var r Result
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("ruby's reading of %s: %v\n%s", formula, err, out)
	}
	return r
}
