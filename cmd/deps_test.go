// The commands link no test code: no package of this module that a command links may
// import testing, testify, testscript or a test-helper package of this module, nor be one.
// CometBFT's own packages import testing; that is theirs, and not checked here.
package cmd_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path"
	"strings"
	"testing"
)

// commands are the binaries this module ships.
var commands = []string{"ebill/cmd/ebill", "ebill/cmd/ebillctl", "ebill/cmd/ebilld"}

// testOnly reports whether a package path is test code.
func testOnly(pkg string) bool {
	switch {
	case pkg == "testing", strings.HasPrefix(pkg, "testing/"),
		strings.Contains(pkg, "/testify"), strings.Contains(pkg, "go-internal/testscript"):
		return true
	case strings.HasPrefix(pkg, "ebill/"):
		// This module's test helpers: nodetest, golden, anything named like them.
		return strings.HasSuffix(path.Base(pkg), "test") || pkg == "ebill/internal/golden"
	}
	return false
}

func TestCommandsLinkNoTestCode(t *testing.T) {
	out, err := exec.Command("go", append([]string{"list", "-deps", "-json=ImportPath,Imports"}, commands...)...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	ours := 0
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(p.ImportPath, "ebill/") {
			continue
		}
		ours++
		if testOnly(p.ImportPath) {
			t.Errorf("a command links %s, a test helper", p.ImportPath)
		}
		for _, imp := range p.Imports {
			if testOnly(imp) {
				t.Errorf("%s (linked by a command) imports %s", p.ImportPath, imp)
			}
		}
	}
	// The check itself: it saw this module's packages, and it knows a test helper.
	if ours < len(commands)+3 {
		t.Fatalf("go list showed %d packages of this module; want the commands and what they link", ours)
	}
	for _, pkg := range []string{"testing", "ebill/app/node/nodetest", "ebill/internal/golden", "github.com/stretchr/testify/require"} {
		if !testOnly(pkg) {
			t.Errorf("testOnly(%q) = false", pkg)
		}
	}
	if testOnly("ebill/app/node") || testOnly("ebill/lightclient") {
		t.Error("testOnly takes a production package for a test helper")
	}
}
