package packager

import "github.com/svcpack/svcpack/pkg/config"

// RenderArgs renders the places in args with dir.
func RenderArgs(args []string, dir func(config.Place) string) []string {
	var out []string
	for _, a := range args {
		out = append(out, config.PlacesIn(a, dir))
	}
	return out
}

// RenderEnv renders the places in env's values with dir.
func RenderEnv(env map[string]string, dir func(config.Place) string) map[string]string {
	if env == nil {
		return nil
	}
	out := make(map[string]string, len(env))
	for k, v := range env {
		out[k] = config.PlacesIn(v, dir)
	}
	return out
}
