// Package chaos holds the reliability tests of a four-validator network on loopback, run by
// `make chaos` (go test -tags chaos ./chaos/...): validators killed with SIGKILL and
// restarted under load, one and two of four stopped, and the desk's light node reading
// through all of it. The tests are in files with the build tag chaos, so the default test
// run skips them: they take minutes.
package chaos
