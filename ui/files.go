package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
)

// The file dialogs behind UI.pickOpen, pickFolder and pickSave. A cancelled dialog calls
// nothing. No extensions means any file: an empty filter would match none, and a backup
// may have been renamed.

func (u *UI) openDialog(exts []string, done func(fyne.URIReadCloser)) {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			u.showError(err)
		} else if r != nil {
			done(r)
		}
	}, u.win)
	if len(exts) > 0 {
		d.SetFilter(storage.NewExtensionFileFilter(exts))
	}
	d.Resize(fyne.NewSize(800, 560))
	d.Show()
}

func (u *UI) folderDialog(done func(string)) {
	d := dialog.NewFolderOpen(func(l fyne.ListableURI, err error) {
		if err != nil {
			u.showError(err)
		} else if l != nil {
			done(l.Path())
		}
	}, u.win)
	d.Resize(fyne.NewSize(800, 560))
	d.Show()
}

func (u *UI) saveDialog(name string, done func(fyne.URIWriteCloser)) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			u.showError(err)
		} else if w != nil {
			done(w)
		}
	}, u.win)
	d.SetFileName(name)
	d.Resize(fyne.NewSize(800, 560))
	d.Show()
}
