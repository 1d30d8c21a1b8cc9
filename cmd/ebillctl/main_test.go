package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"

	"ebill/app/bill"
	"ebill/app/node"
	"ebill/app/service"
	"ebill/render"
	"ebill/wallet"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"ebillctl": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			env.Values[netKey{}] = &scriptNet{}
			return nil
		},
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"exits":      cmdExits,
			"samplebill": cmdSampleBill,
			"billid":     cmdBillID,
			"startnet":   cmdStartNet,
			"stopnet":    cmdStopNet,
			"falsetrust": cmdFalseTrust,
			"tamperpdf":  cmdTamperPDF,
			"encode":     cmdEncode,
		},
	})
}

// cmdExits runs a command that must fail with one exit code: `exits 2 ebillctl bill
// validate x.json`. Its output is there for stdout and stderr to check, as after exec.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE COMMAND [ARG…]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: code %q: %v", args[0], err)
	}
	got := 0
	var ee *exec.ExitError
	if err := ts.Exec(args[1], args[2:]...); errors.As(err, &ee) {
		got = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("exits: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

// cmdSampleBill writes a valid sample bill, or with -total one whose total disagrees with
// its items: `samplebill [-items N] [-total FEN] KIND ORG SERIAL FILE`.
func cmdSampleBill(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("samplebill", flag.ContinueOnError)
	items := fs.Int("items", 4, "")
	total := fs.Int64("total", 0, "")
	if neg || fs.Parse(args) != nil || fs.NArg() != 4 {
		ts.Fatalf("usage: samplebill [-items N] [-total FEN] KIND ORG SERIAL FILE")
	}
	a := fs.Args()
	b := bill.Sample(bill.Kind(a[0]), a[1], a[2], *items, time.Now())
	b.Code = node.DemoBillCode
	if *total != 0 {
		b.Total = bill.Money(*total)
	}
	f, err := os.Create(ts.MkAbs(a[3]))
	ts.Check(err)
	ts.Check(b.Encode(f))
	ts.Check(f.Close())
}

// cmdBillID sets VAR to the ledger id of the bill with business serial SERIAL of the org of
// $EBILL_IDENTITY, on the script's network: `billid SERIAL VAR`. Only the org's members
// can make it (the ledger knows the serial by a keyed tag).
func cmdBillID(ts *testscript.TestScript, neg bool, args []string) {
	sn := netOf(ts)
	if neg || len(args) != 2 || sn.net == nil {
		ts.Fatalf("usage: billid SERIAL VAR, after startnet")
	}
	store, err := wallet.NewFileStore(strings.TrimPrefix(ts.Getenv("EBILL_KEYSTORE"), "file:"), []byte(ts.Getenv("EBILL_PASSPHRASE")))
	ts.Check(err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id, err := store.Load(ctx, ts.Getenv("EBILL_IDENTITY"))
	ts.Check(err)
	d, err := sn.net.As(ctx, id)
	ts.Check(err)
	billID, err := d.BillID(args[0])
	ts.Check(err)
	ts.Setenv(args[1], billID)
}

// netKey holds a script's *scriptNet among its testscript values.
type netKey struct{}

// scriptNet is the embedded network a script started, if any.
type scriptNet struct{ net *service.Network }

func netOf(ts *testscript.TestScript) *scriptNet { return ts.Value(netKey{}).(*scriptNet) }

// cmdStartNet starts the embedded demo network in DIR inside the test process, so that it
// outlives each ebillctl run of the script: DIR/network.json describes it and the demo
// identities are in the file store DIR/demo-keys under $EBILL_PASSPHRASE.
func cmdStartNet(ts *testscript.TestScript, neg bool, args []string) {
	sn := netOf(ts)
	if neg || len(args) != 1 || sn.net != nil {
		ts.Fatalf("usage: startnet DIR (once per script)")
	}
	dir := ts.MkAbs(args[0])
	store, err := wallet.NewFileStore(filepath.Join(dir, "demo-keys"), []byte(ts.Getenv("EBILL_PASSPHRASE")))
	ts.Check(err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sn.net, err = service.StartEmbedded(ctx, dir, store)
	ts.Check(err)
	ts.Defer(func() { sn.stop() })
}

// cmdStopNet stops the script's network: what a desk sees when the ledger is down.
func cmdStopNet(ts *testscript.TestScript, neg bool, args []string) {
	sn := netOf(ts)
	if neg || len(args) != 0 || sn.net == nil {
		ts.Fatalf("usage: stopnet, after startnet")
	}
	ts.Check(sn.stop())
}

func (sn *scriptNet) stop() error {
	if sn.net == nil {
		return nil
	}
	net := sn.net
	sn.net = nil
	return net.Close()
}

// cmdFalseTrust copies a network file with its trusted header hash altered, as a forged
// network file would have it: `falsetrust IN OUT`.
func cmdFalseTrust(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: falsetrust IN OUT")
	}
	f, err := os.Open(ts.MkAbs(args[0]))
	ts.Check(err)
	defer f.Close()
	nf, err := node.ReadNetworkFile(f)
	ts.Check(err)
	h, err := hex.DecodeString(nf.TrustHash)
	ts.Check(err)
	h[0] ^= 1 // well-formed, but another header's hash
	nf.TrustHash = hex.EncodeToString(h)
	ts.Check(node.WriteNetworkFileAtomic(ts.MkAbs(args[1]), nf))
}

// cmdTamperPDF copies a PDF with one byte of its attachment changed, as a forger would:
// `tamperpdf IN OUT FIELD` changes the base64 digit in the middle of the bundle's JSON field
// FIELD and embeds the result in a new PDF; `tamperpdf IN OUT -stream` flips a bit in the
// middle of the compressed attachment where it is.
func cmdTamperPDF(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: tamperpdf IN OUT FIELD|-stream")
	}
	pdf, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	if args[2] == "-stream" {
		at := bytes.Index(pdf, []byte("/Type /EmbeddedFile"))
		start := at + bytes.Index(pdf[at:], []byte("stream\n")) + len("stream\n")
		end := start + bytes.Index(pdf[start:], []byte("\nendstream"))
		if at < 0 || end <= start {
			ts.Fatalf("tamperpdf: no embedded file stream in %s", args[0])
		}
		pdf[(start+end)/2] ^= 1
		ts.Check(os.WriteFile(ts.MkAbs(args[1]), pdf, 0o644))
		return
	}
	att, err := render.ReadAttachment(bytes.NewReader(pdf))
	ts.Check(err)
	key := []byte(`"` + args[2] + `": "`)
	i := bytes.Index(att, key)
	if i < 0 {
		ts.Fatalf("tamperpdf: no field %q in the attachment", args[2])
	}
	start := i + len(key)
	mid := start + bytes.IndexByte(att[start:], '"')/2
	if att[mid] == 'A' {
		att[mid] = 'B'
	} else {
		att[mid] = 'A'
	}
	b := bill.Sample(bill.Outpatient, "H32010001", "FORGED", 1, time.Now())
	var out bytes.Buffer
	ts.Check(render.Render(&out, &bill.Issued{Bill: *b}, render.Options{Attachment: att}))
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), out.Bytes(), 0o644))
}

// cmdEncode writes a UTF-8 file in another encoding, as a Windows HIS may export it:
// `encode gbk|bom|latin1 IN OUT` (bom: UTF-8 behind a byte order mark).
func cmdEncode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: encode gbk|bom|latin1 IN OUT")
	}
	data, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	switch args[0] {
	case "gbk":
		data, err = simplifiedchinese.GB18030.NewEncoder().Bytes(data)
	case "bom":
		data = append([]byte("\xEF\xBB\xBF"), data...)
	case "latin1":
		data, err = charmap.ISO8859_1.NewEncoder().Bytes(data)
	default:
		ts.Fatalf("encode: unknown encoding %q", args[0])
	}
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), data, 0o644))
}
