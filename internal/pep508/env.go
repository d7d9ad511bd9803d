package pep508

import (
	"fmt"
	"regexp"
)

// Env is one target environment: the values of the PEP 508 marker variables.
type Env struct {
	PythonVersion, PythonFullVersion, OSName, SysPlatform, PlatformMachine, PlatformSystem,
	PlatformRelease, PlatformVersion, ImplementationName, ImplementationVersion, PlatformPythonImplementation string
	// Extras are the requested extras: extra == "x" is true when x
	// (normalized) is one of them; with none, extra is "".
	Extras []string

	// As given to EnvFor, for String.
	python, platform string
}

func (e Env) value(o operand) string {
	switch o.variable {
	case "":
		return o.value
	case "python_version":
		return e.PythonVersion
	case "python_full_version":
		return e.PythonFullVersion
	case "os_name":
		return e.OSName
	case "sys_platform":
		return e.SysPlatform
	case "platform_release":
		return e.PlatformRelease
	case "platform_system":
		return e.PlatformSystem
	case "platform_version":
		return e.PlatformVersion
	case "platform_machine":
		return e.PlatformMachine
	case "platform_python_implementation":
		return e.PlatformPythonImplementation
	case "implementation_name":
		return e.ImplementationName
	case "implementation_version":
		return e.ImplementationVersion
	}
	return "" // "extra" is handled by Evaluate
}

// pythonRe accepts "3.12", "3.12.4" and pre-release interpreters ("3.13.0rc2").
var pythonRe = regexp.MustCompile(`^([0-9]+)\.([0-9]+)(?:\.[0-9]+(?:(?:a|b|rc)[0-9]+)?)?$`)

// machines maps OCI "os/arch[/variant]" platforms to what Python's
// platform.machine() reports on them.
var machines = map[string]string{
	"linux/amd64":    "x86_64",
	"linux/arm64":    "aarch64",
	"linux/arm64/v8": "aarch64", // the same platform, variant spelled out
	"linux/arm/v7":   "armv7l",
	"linux/arm/v6":   "armv6l",
	"linux/386":      "i686",
	"linux/ppc64le":  "ppc64le",
	"linux/s390x":    "s390x",
	"linux/riscv64":  "riscv64",
}

// EnvFor describes CPython on a Linux container platform.
//
// python is "X.Y" or "X.Y.Z" (also "X.Y.ZrcN"); the full version defaults to
// X.Y.0. platform is an OCI platform: linux/amd64 (x86_64), linux/arm64 or
// linux/arm64/v8 (aarch64), linux/arm/v7 (armv7l), linux/arm/v6 (armv6l),
// linux/386 (i686), linux/ppc64le, linux/s390x or linux/riscv64. The result
// has sys_platform "linux", platform_system "Linux", os_name "posix",
// implementation_name "cpython", platform_python_implementation "CPython",
// implementation_version equal to the full Python version, and
// platform_release and platform_version empty, since a container image does
// not fix the kernel. It is an error for any other operating system or
// architecture (including linux/arm without a variant, which is ambiguous)
// or a malformed Python version.
func EnvFor(python, platform string) (Env, error) {
	m := pythonRe.FindStringSubmatch(python)
	if m == nil {
		return Env{}, fmt.Errorf("pep508: invalid python version %q: want X.Y or X.Y.Z, e.g. 3.12 or 3.12.4", python)
	}
	machine, ok := machines[platform]
	if !ok {
		return Env{}, fmt.Errorf("pep508: unsupported platform %q: want a linux platform such as linux/amd64, linux/arm64, linux/arm/v7, linux/arm/v6, linux/386, linux/ppc64le, linux/s390x or linux/riscv64", platform)
	}
	full := python
	if len(m[0]) == len(m[1])+1+len(m[2]) {
		full = python + ".0"
	}
	return Env{
		PythonVersion:                m[1] + "." + m[2],
		PythonFullVersion:            full,
		OSName:                       "posix",
		SysPlatform:                  "linux",
		PlatformMachine:              machine,
		PlatformSystem:               "Linux",
		ImplementationName:           "cpython",
		ImplementationVersion:        full,
		PlatformPythonImplementation: "CPython",
		python:                       python,
		platform:                     platform,
	}, nil
}

// String is a short description for messages: "python 3.12, linux/arm64",
// with the Python version and platform as given to EnvFor. For an Env built
// by hand it falls back to the marker values.
func (e Env) String() string {
	python, platform := e.python, e.platform
	if python == "" {
		python = e.PythonFullVersion
		if python == "" {
			python = e.PythonVersion
		}
	}
	if platform == "" {
		platform = e.SysPlatform + "/" + e.PlatformMachine
	}
	return fmt.Sprintf("python %s, %s", python, platform)
}
