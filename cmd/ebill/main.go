// Command ebill is the desktop for hospital cashiers and finance-bureau clerks: it issues
// medical e-bills on the ledger through a local light node.
//
//	ebill                      first run, then straight to work
//	ebill --demo               the local demo network, no questions (keys in an encrypted file)
//	ebill --measure-startup    print the time to the first usable window, then quit
//
// EBILL_PASSPHRASE is the passphrase of --demo's key file (default "ebill-demo"; the keys only
// control a throwaway local chain).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"ebill/ui"
)

// started is as close to process start as a Go program gets.
var started = time.Now()

func main() {
	demo := flag.Bool("demo", false, "start the local demo network without the first-run questions")
	measure := flag.Bool("measure-startup", false, "print the time to the first usable window and quit")
	dir := flag.String("data", "", "directory of the desk's files (default: the app's storage)")
	flag.Parse()
	if err := ui.SweepPDFs(); err != nil {
		fmt.Fprintln(os.Stderr, "ebill: removing the PDFs of earlier runs:", err)
	}

	a := app.NewWithID("cn.ebill.desk")
	a.Settings().SetTheme(ui.Theme())
	a.SetIcon(ui.Icon)
	if *dir == "" {
		*dir = filepath.Join(a.Storage().RootURI().Path(), "desk")
	}
	w := a.NewWindow("ebill")
	ready := func(work bool) {
		if !*measure || (*demo && !work) {
			return
		}
		// The content is set; the next frame shows it.
		fyne.Do(func() {
			fmt.Printf("startup: %.2f s to the first usable window (%s)\n", time.Since(started).Seconds(), screen(work))
			a.Quit()
		})
	}
	u, err := ui.New(a, w, ui.Options{Dir: *dir, Ready: ready})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ebill:", err)
		os.Exit(1)
	}
	if *demo {
		pass := os.Getenv("EBILL_PASSPHRASE")
		if pass == "" {
			pass = "ebill-demo"
		}
		if err := u.StartDemo([]byte(pass)); err != nil {
			fmt.Fprintln(os.Stderr, "ebill:", err)
			os.Exit(1)
		}
	} else {
		u.Start()
	}
	w.SetMaster()
	w.ShowAndRun()
	u.Close()
}

func screen(work bool) string {
	if work {
		return "work screens, connected"
	}
	return "first-run screen"
}
