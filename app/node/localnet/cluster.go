package localnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"ebill/app/ledger"
	"ebill/app/node"
)

// Cluster is a network of validators on loopback, each one an `ebilld start` process, made
// by `ebilld testnet`. It kills, pauses, resumes and restarts single validators, so chaos
// tests and benchmarks can do to a network what a power cut or a frozen VM does.
type Cluster struct {
	Bin     string // the ebilld binary
	Dir     string
	ChainID string
	Homes   []string
	RPCs    []string // http://127.0.0.1:port of each node

	mu     sync.Mutex
	procs  []*Process
	paused []bool
}

// NewCluster writes an n-validator testnet with genesis g into dir through `ebilld testnet`
// and starts every node. It returns once every node's RPC answers; the first block needs
// more than two thirds of them, so wait for it with WaitHeight.
func NewCluster(ctx context.Context, bin, dir string, n int, chainID string, g ledger.Genesis) (*Cluster, error) {
	base, err := FreePorts(2 * n)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	state, err := json.Marshal(g)
	if err != nil {
		return nil, fmt.Errorf("cluster: genesis: %w", err)
	}
	stateFile := filepath.Join(dir, "genesis-state.json")
	if err := os.WriteFile(stateFile, state, 0o600); err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	net := filepath.Join(dir, "net")
	if err := runToEnd(ctx, bin, filepath.Join(dir, "testnet.log"), "testnet", "--validators", fmt.Sprint(n),
		"--dir", net, "--base-port", fmt.Sprint(base), "--state", stateFile, "--chain-id", chainID); err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	c := &Cluster{Bin: bin, Dir: net, ChainID: chainID, procs: make([]*Process, n), paused: make([]bool, n)}
	for i := range n {
		c.Homes = append(c.Homes, filepath.Join(net, fmt.Sprintf("node%d", i)))
		c.RPCs = append(c.RPCs, fmt.Sprintf("http://127.0.0.1:%d", base+2*i+1))
	}
	for i := range n {
		if err := c.Start(ctx, i); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// runToEnd runs bin with args and waits for it to exit.
func runToEnd(ctx context.Context, bin, log string, args ...string) error {
	p, err := StartProcess(bin, log, nil, args...)
	if err != nil {
		return err
	}
	select {
	case <-p.done:
		if p.err != nil {
			return fmt.Errorf("%s %v: %w\n%s", filepath.Base(bin), args, p.err, p.Tail(2000))
		}
		return nil
	case <-ctx.Done():
		p.Kill()
		return fmt.Errorf("%s %v: %w", filepath.Base(bin), args, ctx.Err())
	}
}

// Len is the number of validators.
func (c *Cluster) Len() int { return len(c.Homes) }

// Start starts node i (again, after Kill) and waits until its RPC answers.
func (c *Cluster) Start(ctx context.Context, i int) error {
	c.mu.Lock()
	if p := c.procs[i]; p != nil {
		if done, _ := p.Exited(); !done {
			c.mu.Unlock()
			return fmt.Errorf("cluster: node%d is still running", i)
		}
	}
	p, err := StartProcess(c.Bin, filepath.Join(c.Homes[i], "ebilld.log"), nil,
		"start", "--home", c.Homes[i], "--log-level", "error")
	if err != nil {
		c.mu.Unlock()
		return fmt.Errorf("cluster: node%d: %w", i, err)
	}
	c.procs[i], c.paused[i] = p, false
	c.mu.Unlock()
	if err := WaitUp(ctx, c.RPCs[i]); err != nil {
		return fmt.Errorf("cluster: node%d does not answer: %w\n%s", i, err, p.Tail(3000))
	}
	return nil
}

// Kill ends node i with SIGKILL, as a power cut would: nothing is flushed.
func (c *Cluster) Kill(i int) error {
	p := c.proc(i)
	if p == nil {
		return nil
	}
	// A stopped process takes SIGKILL as well; no need to resume it first.
	if err := p.Kill(); err != nil {
		return fmt.Errorf("cluster: kill node%d: %w", i, err)
	}
	return nil
}

// Pause stops node i with SIGSTOP: its sockets stay open but it answers nothing, which is
// how a hung or cut-off validator looks to its peers and clients.
func (c *Cluster) Pause(i int) error { return c.signal(i, syscall.SIGSTOP, true) }

// Resume continues a paused node i with SIGCONT.
func (c *Cluster) Resume(i int) error { return c.signal(i, syscall.SIGCONT, false) }

func (c *Cluster) signal(i int, sig syscall.Signal, paused bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.procs[i]
	if p == nil {
		return fmt.Errorf("cluster: node%d was never started", i)
	}
	if err := p.Cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("cluster: %v to node%d: %w", sig, i, err)
	}
	c.paused[i] = paused
	return nil
}

// Restart kills node i and starts it again.
func (c *Cluster) Restart(ctx context.Context, i int) error {
	if err := c.Kill(i); err != nil {
		return err
	}
	return c.Start(ctx, i)
}

// Pid is the process id of node i, 0 when it was never started.
func (c *Cluster) Pid(i int) int {
	if p := c.proc(i); p != nil {
		return p.Cmd.Process.Pid
	}
	return 0
}

// Tail is the end of node i's log, for failure messages.
func (c *Cluster) Tail(i, n int) string {
	if p := c.proc(i); p != nil {
		return p.Tail(n)
	}
	return ""
}

func (c *Cluster) proc(i int) *Process {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.procs[i]
}

// Client is a fresh RPC client of node i (a new one after each restart).
func (c *Cluster) Client(i int) (*rpchttp.HTTP, error) { return Client(c.RPCs[i]) }

// NetworkFile names node 0 as primary and the others as witnesses, trusting the latest
// header of the first node in from that answers.
func (c *Cluster) NetworkFile(ctx context.Context, from int) (node.NetworkFile, error) {
	f := node.NetworkFile{ChainID: c.ChainID, Primary: c.RPCs[0], Witnesses: append([]string{}, c.RPCs[1:]...)}
	if len(f.Witnesses) == 0 {
		f.Witnesses = []string{f.Primary}
	}
	if err := f.FillTrust(ctx, c.RPCs[from]); err != nil {
		return f, err
	}
	return f, f.Validate()
}

// Close kills every node; paused ones too (SIGKILL ends a stopped process).
func (c *Cluster) Close() error {
	var errs []error
	for i := range c.Homes {
		errs = append(errs, c.Kill(i))
	}
	return errors.Join(errs...)
}

// WaitAll waits until every running, unpaused node has committed height h.
func (c *Cluster) WaitAll(ctx context.Context, h int64) error {
	for i := range c.Homes {
		c.mu.Lock()
		p, paused := c.procs[i], c.paused[i]
		c.mu.Unlock()
		if p == nil || paused {
			continue
		}
		if done, _ := p.Exited(); done {
			continue
		}
		cl, err := c.Client(i)
		if err != nil {
			return err
		}
		if _, err := WaitHeight(ctx, cl, h); err != nil {
			return fmt.Errorf("node%d: %w", i, err)
		}
	}
	return nil
}

// grace bounds an orderly stop; used by Stop.
const grace = 30 * time.Second

// Stop stops node i with SIGTERM, the orderly way.
func (c *Cluster) Stop(i int) error {
	if p := c.proc(i); p != nil {
		return p.Stop(grace)
	}
	return nil
}
