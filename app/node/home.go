package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/types"
	cmttime "github.com/cometbft/cometbft/types/time"

	"ebill/app/ledger"
)

// ErrHomeExists is returned when InitHome or Testnet would overwrite an existing node.
var ErrHomeExists = errors.New("home already exists")

// HomeOptions are the per-node settings InitHome writes into config/config.toml.
type HomeOptions struct {
	Moniker string // node name shown to peers; "ebill" when empty
	// Loopback ports. 0 picks a free port at each start, which suits the embedded node:
	// its clients learn the address from (*Node).RPCAddr.
	P2PPort int
	RPCPort int
}

// networkTemplate is where a home keeps the RPC addresses of its network, so that
// (*Node).NetworkFile can name the primary and witnesses once it knows a trusted header.
const networkTemplate = "network-template.json"

// InitHome writes a one-validator network into home: config, node key, validator key and
// a genesis whose app_state is g. It refuses a home that already holds files.
func InitHome(home, chainID string, g ledger.Genesis, opts HomeOptions) error {
	if err := checkFreshDir(home); err != nil {
		return err
	}
	v, err := newValidatorHome(home)
	if err != nil {
		return err
	}
	doc, err := genesisDoc(chainID, g, []types.GenesisValidator{v.genesisValidator(opts.Moniker)})
	if err != nil {
		return err
	}
	c := defaultConfig(home)
	c.Moniker = moniker(opts.Moniker, "ebill")
	c.P2P.ListenAddress = loopback(opts.P2PPort)
	c.RPC.ListenAddress = loopback(opts.RPCPort)
	return v.finish(c, doc, NetworkFile{ChainID: chainID})
}

// Testnet writes n validator homes, dir/node0 … dir/node{n-1}, for one network on
// loopback. Node i listens for peers on basePort+2i and for RPC on basePort+2i+1; every
// node has all others as persistent peers. Node 0 is the primary of the network file the
// nodes write when started, the others its witnesses.
func Testnet(dir string, n, basePort int, chainID string, g ledger.Genesis) error {
	if n < 1 {
		return fmt.Errorf("testnet: %d validators: want at least 1", n)
	}
	if basePort < 1024 || basePort+2*n-1 > 65535 {
		return fmt.Errorf("testnet: base port %d: ports %d–%d must lie within 1024–65535", basePort, basePort, basePort+2*n-1)
	}
	if err := checkFreshDir(dir); err != nil {
		return err
	}
	homes := make([]*validatorHome, n)
	vals := make([]types.GenesisValidator, n)
	peers := make([]string, n)
	tmpl := NetworkFile{ChainID: chainID}
	for i := range homes {
		v, err := newValidatorHome(filepath.Join(dir, fmt.Sprintf("node%d", i)))
		if err != nil {
			return err
		}
		homes[i] = v
		vals[i] = v.genesisValidator(fmt.Sprintf("node%d", i))
		peers[i] = p2p.IDAddressString(v.nodeID, fmt.Sprintf("127.0.0.1:%d", basePort+2*i))
		rpc := fmt.Sprintf("http://127.0.0.1:%d", basePort+2*i+1)
		if i == 0 {
			tmpl.Primary = rpc
		} else {
			tmpl.Witnesses = append(tmpl.Witnesses, rpc)
		}
	}
	doc, err := genesisDoc(chainID, g, vals)
	if err != nil {
		return err
	}
	for i, v := range homes {
		c := defaultConfig(v.dir)
		c.Moniker = fmt.Sprintf("node%d", i)
		c.P2P.ListenAddress = loopback(basePort + 2*i)
		c.RPC.ListenAddress = loopback(basePort + 2*i + 1)
		c.P2P.PersistentPeers = strings.Join(append(append([]string{}, peers[:i]...), peers[i+1:]...), ",")
		if err := v.finish(c, doc, tmpl); err != nil {
			return err
		}
	}
	return nil
}

// defaultConfig is CometBFT's default tuned for a desk network: quick blocks, an empty
// block at least every second so a light client always finds header H+1, room for bursts
// of a few thousand bills, and peers on loopback.
func defaultConfig(home string) *cfg.Config {
	c := cfg.DefaultConfig()
	c.SetRoot(home)
	c.Consensus.TimeoutCommit = 300 * time.Millisecond
	c.Consensus.CreateEmptyBlocks = true
	c.Consensus.CreateEmptyBlocksInterval = time.Second
	// A stopped validator costs one propose timeout per missed turn; on a LAN a second is
	// plenty for a live proposer.
	c.Consensus.TimeoutPropose = time.Second
	c.Consensus.TimeoutProposeDelta = 200 * time.Millisecond
	c.Consensus.TimeoutPrevote = 500 * time.Millisecond
	c.Consensus.TimeoutPrecommit = 500 * time.Millisecond
	c.Mempool.Size = 20000
	c.Mempool.CacheSize = 100000
	// The ledger's CheckTx keeps no pending state, and FinalizeBlock refuses whatever a
	// block made invalid, so re-checking the whole mempool after every block only slows
	// the next one down.
	c.Mempool.Recheck = false
	c.P2P.PexReactor = false
	c.P2P.AddrBookStrict = false
	c.P2P.AllowDuplicateIP = true
	c.P2P.SendRate = 20 << 20
	c.P2P.RecvRate = 20 << 20
	// Bills of several KB and blocks of megabytes went out in 1 KB packets, each framed,
	// marshalled and accounted for on its own. Every node of a network must use the same
	// size: a node refuses packets larger than its own setting.
	c.P2P.MaxPacketMsgPayloadSize = 10240
	c.Instrumentation.Prometheus = false
	// Light clients of desks that were offline for days still verify against old heights.
	c.Storage.DiscardABCIResponses = false
	// Keys ordered by height, so that blocks, parts and commits written one height after
	// the other land in order and compaction rewrites far less: 10–15 % more bills a second
	// on four validators (docs/PERFORMANCE.md). A home keeps the layout it was created with.
	c.Storage.ExperimentalKeyLayout = "v2"
	return c
}

func loopback(port int) string { return fmt.Sprintf("tcp://127.0.0.1:%d", port) }

func moniker(name, fallback string) string {
	if name == "" {
		return fallback
	}
	return name
}

func checkFreshDir(dir string) error {
	if dir == "" {
		return errors.New("home directory not given")
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("check home %q: %w", dir, err)
	case len(entries) > 0:
		return fmt.Errorf("%w: %q is not empty; remove it or choose another directory", ErrHomeExists, dir)
	}
	return nil
}

// validatorHome is a home whose keys exist and whose config and genesis are still to be
// written (a testnet needs every validator key before it can write any genesis).
type validatorHome struct {
	dir    string
	pub    crypto.PubKey
	nodeID p2p.ID
}

func newValidatorHome(dir string) (*validatorHome, error) {
	c := cfg.DefaultConfig()
	c.SetRoot(dir)
	for _, d := range []string{filepath.Dir(c.GenesisFile()), c.DBDir(), filepath.Dir(c.PrivValidatorStateFile())} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("create home %q: %w", dir, err)
		}
	}
	pv, err := privval.GenFilePV(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile(), nil)
	if err != nil {
		return nil, fmt.Errorf("create validator key in %q: %w", dir, err)
	}
	pv.Save()
	nk, err := p2p.LoadOrGenNodeKey(c.NodeKeyFile())
	if err != nil {
		return nil, fmt.Errorf("create node key in %q: %w", dir, err)
	}
	return &validatorHome{dir: dir, pub: pv.Key.PubKey, nodeID: nk.ID()}, nil
}

func (v *validatorHome) genesisValidator(name string) types.GenesisValidator {
	return types.GenesisValidator{Address: v.pub.Address(), PubKey: v.pub, Power: 10, Name: name}
}

func (v *validatorHome) finish(c *cfg.Config, doc *types.GenesisDoc, tmpl NetworkFile) error {
	if err := c.ValidateBasic(); err != nil {
		return fmt.Errorf("config for %q: %w", v.dir, err)
	}
	cfg.WriteConfigFile(filepath.Join(v.dir, "config", "config.toml"), c)
	if err := doc.SaveAs(c.GenesisFile()); err != nil {
		return fmt.Errorf("write genesis in %q: %w", v.dir, err)
	}
	data, err := json.MarshalIndent(tmpl, "", "  ")
	if err != nil {
		return fmt.Errorf("write network template in %q: %w", v.dir, err)
	}
	if err := os.WriteFile(filepath.Join(v.dir, "config", networkTemplate), data, 0o644); err != nil {
		return fmt.Errorf("write network template in %q: %w", v.dir, err)
	}
	return nil
}

func genesisDoc(chainID string, g ledger.Genesis, vals []types.GenesisValidator) (*types.GenesisDoc, error) {
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	state, err := json.Marshal(g)
	if err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	doc := &types.GenesisDoc{
		ChainID:         chainID,
		GenesisTime:     cmttime.Now(),
		ConsensusParams: types.DefaultConsensusParams(),
		Validators:      vals,
		AppState:        state,
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return nil, fmt.Errorf("genesis for chain %q: %w", chainID, err)
	}
	return doc, nil
}
