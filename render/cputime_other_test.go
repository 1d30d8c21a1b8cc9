//go:build !unix

package render_test

import "time"

// cpuTime is not measured here; the benchmark then reports no cpu-ns/op.
func cpuTime() time.Duration { return 0 }
