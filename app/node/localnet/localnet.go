// Package localnet runs an ebill network on this machine and drives it: `ebilld` validators
// as child processes on loopback (Cluster: start, kill, pause, resume, restart), waits for
// a height with a deadline instead of a sleep, and raw ledger transactions signed for load
// (Signer, Submit, Approve) — what `ebillctl bench`, the chaos runs and the integration
// tests share.
//
// It is production code (the bench ships in ebillctl), so it never imports testing; the
// helpers that only tests need are in package nodetest.
//
// Every wait polls the node's RPC every 50 ms until the condition holds or ctx ends, and
// reports the last thing it saw, so a failure says how far the chain got.
package localnet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"ebill/internal/httplimit"
)

const pollEvery = 50 * time.Millisecond

// Client returns a fresh RPC client for addr (http://host:port). Use a new one after a
// node restarts: a kept-alive connection may still reach the stopped node.
func Client(addr string) (*rpchttp.HTTP, error) {
	// A transport of its own, so no connection is shared with clients of earlier nodes.
	return rpchttp.NewWithClient(addr, &http.Client{Transport: &httplimit.Transport{Base: &http.Transport{}}, Timeout: 10 * time.Second})
}

// WaitHeight waits until the node has committed a block at height ≥ h and returns the
// node's latest height.
func WaitHeight(ctx context.Context, c rpcclient.StatusClient, h int64) (int64, error) {
	var last int64
	var lastErr error
	err := Poll(ctx, func() bool {
		st, err := c.Status(ctx)
		if err != nil {
			lastErr = err
			return false
		}
		last = st.SyncInfo.LatestBlockHeight
		return last >= h
	})
	if err != nil {
		return last, fmt.Errorf("wait for height %d (at %d, last error %v): %w", h, last, lastErr, err)
	}
	return last, nil
}

// WaitUp waits until the RPC at addr answers.
func WaitUp(ctx context.Context, addr string) error {
	c, err := Client(addr)
	if err != nil {
		return err
	}
	_, err = WaitHeight(ctx, c, 0)
	return err
}

// Poll calls done every 50 ms until it reports true or ctx ends.
func Poll(ctx context.Context, done func() bool) error {
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for !done() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// FreePorts finds n consecutive loopback TCP ports that are free now and returns the
// first, for a testnet's base port.
func FreePorts(n int) (int, error) {
	for range 100 {
		base := 20000 + mrand.IntN(40000-n)
		ok := true
		var held []net.Listener
		for p := base; p < base+n && ok; p++ {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				ok = false
				break
			}
			held = append(held, l)
		}
		for _, l := range held {
			l.Close()
		}
		if ok {
			return base, nil
		}
	}
	return 0, fmt.Errorf("no %d consecutive free ports on 127.0.0.1", n)
}

// Build compiles the main package pkg of this module (e.g. "ebill/cmd/ebilld") into dir and
// returns the binary's path. Call it once from TestMain: a build takes seconds.
func Build(dir, pkg string) (string, error) {
	bin := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, out.String())
	}
	return bin, nil
}

// Process is a command running as a child of this process, its output going to a log file.
type Process struct {
	Cmd  *exec.Cmd
	Log  string // path of the combined stdout and stderr
	done chan struct{}
	err  error
}

// StartProcess runs bin with args and env added to this process's environment; output goes to
// logFile (appended, so restarts of one node share a log).
func StartProcess(bin, logFile string, env []string, args ...string) (*Process, error) {
	f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", filepath.Base(bin), err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s %s: %w", filepath.Base(bin), strings.Join(args, " "), err)
	}
	p := &Process{Cmd: cmd, Log: logFile, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// Kill sends SIGKILL and waits for the process to be gone.
func (p *Process) Kill() error {
	if err := p.Cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	<-p.done
	return nil
}

// Stop sends SIGTERM and waits up to grace for a clean exit, then kills. It returns the
// exit error of a process that did not exit cleanly.
func (p *Process) Stop(grace time.Duration) error {
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-p.done:
		return p.err
	case <-time.After(grace):
		p.Kill()
		return fmt.Errorf("%s did not stop within %v of SIGTERM", filepath.Base(p.Cmd.Path), grace)
	}
}

// Exited reports whether the process has ended, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Tail returns the last n bytes of the process log, for failure messages.
func (p *Process) Tail(n int) string {
	data, _ := os.ReadFile(p.Log)
	if len(data) > n {
		data = data[len(data)-n:]
	}
	return string(data)
}
