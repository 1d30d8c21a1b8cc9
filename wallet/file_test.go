package wallet_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ebill/wallet"
)

var pass = []byte("correct horse battery staple")

func exported(t *testing.T, id *wallet.Identity) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := wallet.Export(&buf, id, pass); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestExportImport(t *testing.T) {
	id := mustNew(t, "张三")
	b := exported(t, id)
	got, err := wallet.Import(bytes.NewReader(b), pass)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name() != id.Name() || !got.PublicKey().Equal(id.PublicKey()) || !bytes.Equal(got.KEMPublic(), id.KEMPublic()) {
		t.Errorf("Import gave %v, want %v", got, id)
	}
	if bytes.Equal(b, exported(t, id)) {
		t.Error("two exports are identical: the salt is not fresh")
	}
	if err := wallet.Export(io.Discard, id, nil); err == nil {
		t.Error("Export with an empty passphrase: no error")
	}
}

// Each way a backup can be bad has its own error, so the UI can say which.
func TestImportErrors(t *testing.T) {
	b := exported(t, mustNew(t, "clerk"))
	for _, tc := range []struct {
		name string
		b    []byte
		pass string
		want error
	}{
		{"wrong passphrase", b, "correct horse battery stapler", wallet.ErrWrongPassphrase},
		{"truncated by one byte", b[:len(b)-1], string(pass), wallet.ErrCorrupt},
		{"truncated to the header", b[:20], string(pass), wallet.ErrCorrupt},
		{"truncated inside the magic", b[:4], string(pass), wallet.ErrCorrupt},
		{"extended", append(bytes.Clone(b), 0), string(pass), wallet.ErrCorrupt},
		{"flipped secret bit", flip(b, len(b)-20), string(pass), wallet.ErrCorrupt},
		{"flipped name bit", flip(b, len(b)-50), string(pass), wallet.ErrCorrupt},
		{"scrypt cost raised past the bound", withByte(b, 9, 30), string(pass), wallet.ErrCorrupt},
		{"empty", nil, string(pass), wallet.ErrFormat},
		{"a PDF", []byte("%PDF-1.7\n%âãÏÓ\n1 0 obj << >> endobj\n"), string(pass), wallet.ErrFormat},
		{"a JSON key file", []byte(`{"name":"clerk","secret":"..."}`), string(pass), wallet.ErrFormat},
		{"unknown version", withByte(b, 8, 2), string(pass), wallet.ErrFormat},
		{"an envelope", mustSeal(t, []byte("x"), mustOrg(t).KEMPublic()).Marshal(), string(pass), wallet.ErrFormat},
	} {
		_, err := wallet.Import(bytes.NewReader(tc.b), []byte(tc.pass))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func withByte(b []byte, i int, v byte) []byte {
	c := bytes.Clone(b)
	c[i] = v
	return c
}

func TestFileStoreErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := wallet.NewFileStore(dir, pass)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, mustNew(t, "clerk")); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "clerk.id")
	good, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	wrong, _ := wallet.NewFileStore(dir, []byte("not it"))
	if _, err := wrong.Load(ctx, "clerk"); !errors.Is(err, wallet.ErrWrongPassphrase) {
		t.Errorf("wrong passphrase: err = %v", err)
	}
	for _, tc := range []struct {
		name    string
		content []byte
		want    error
	}{
		{"truncated", good[:len(good)/2], wallet.ErrCorrupt},
		{"wrong format", []byte("-----BEGIN OPENSSH PRIVATE KEY-----\n"), wallet.ErrFormat},
		{"renamed from another identity", exported(t, mustNew(t, "other")), wallet.ErrCorrupt},
	} {
		if err := os.WriteFile(file, tc.content, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Load(ctx, "clerk"); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := wallet.NewFileStore(dir, nil); err == nil {
		t.Error("NewFileStore with an empty passphrase: no error")
	}
}

func TestFileStorePermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "wallet")
	s, err := wallet.NewFileStore(dir, pass)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(context.Background(), mustNew(t, "clerk")); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]fs.FileMode{dir: 0o700, filepath.Join(dir, "clerk.id"): 0o600} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", path, fi.Mode().Perm(), err, want)
		}
	}
}

// A write that fails halfway leaves neither the file nor its temporary.
func TestWriteNewAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	boom := errors.New("disk full")
	err := wallet.WriteNew(dir, "clerk.id", func(w io.Writer) error {
		w.Write([]byte("half of it"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want %v", err, boom)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
	if err := wallet.WriteNew(dir, "clerk.id", func(w io.Writer) error { _, err := w.Write([]byte("v1")); return err }); err != nil {
		t.Fatal(err)
	}
	err = wallet.WriteNew(dir, "clerk.id", func(w io.Writer) error { _, err := w.Write([]byte("v2")); return err })
	if b, _ := os.ReadFile(filepath.Join(dir, "clerk.id")); !errors.Is(err, fs.ErrExist) || string(b) != "v1" {
		t.Errorf("second write: err = %v, content %q; want ErrExist and v1 kept", err, b)
	}
}

// What a crash in the middle of a save leaves (a temporary file) never shadows or
// becomes an identity.
func TestFileStoreCrashLeftovers(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, _ := wallet.NewFileStore(dir, pass)
	clerk := mustNew(t, "clerk")
	if err := s.Save(ctx, clerk); err != nil {
		t.Fatal(err)
	}
	half := exported(t, mustNew(t, "clerk"))
	for _, name := range []string{".clerk.id.tmp-123", ".new.id.tmp-456"} {
		os.WriteFile(filepath.Join(dir, name), half[:len(half)/2], 0o600)
	}
	if names, err := s.List(ctx); err != nil || strings.Join(names, ",") != "clerk" {
		t.Errorf("List = %q, %v; want [clerk]", names, err)
	}
	got, err := s.Load(ctx, "clerk")
	if err != nil || !got.PublicKey().Equal(clerk.PublicKey()) {
		t.Errorf("Load clerk = %v, %v; want the saved one", got, err)
	}
	if _, err := s.Load(ctx, "new"); !errors.Is(err, wallet.ErrNotFound) {
		t.Errorf("Load of a half-written identity: err = %v, want ErrNotFound", err)
	}
}

// No secret reaches the disk or a log in any usual encoding, through any path that
// handles identities, including the failing ones.
func TestNoSecretInClear(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var logs bytes.Buffer
	defer log.SetOutput(log.Writer())
	log.SetOutput(&logs)
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))

	id := mustNew(t, "clerk")
	org := mustOrg(t)
	s, _ := wallet.NewFileStore(filepath.Join(dir, "store"), pass)
	if err := s.Save(ctx, id); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Create(filepath.Join(dir, "backup.id"))
	if err := wallet.Export(f, id, pass); err != nil {
		t.Fatal(err)
	}
	f.Close()
	grant, _ := wallet.Grant(org, id.KEMPublic())
	os.WriteFile(filepath.Join(dir, "grant"), grant, 0o600)
	pub, _ := json.Marshal(id.Public())
	whole, _ := json.Marshal(id)
	wrong, _ := wallet.NewFileStore(filepath.Join(dir, "store"), []byte("wrong"))
	_, errWrong := wrong.Load(ctx, "clerk")
	_, errDup := id, s.Save(ctx, id)
	log.Printf("%v %+v %#v %s %s %s %v %v", id, id, id, pub, whole, org, errWrong, errDup)
	log.Printf("%v %+v %#v %+v %#v", org, *org, org, *id, *id)
	slog.Info("identity", "id", id, "org", org, "err", errWrong)

	var secrets [][]byte
	for _, raw := range [][]byte{wallet.SecretOf(id), wallet.SignSeedOf(id)} {
		goSyntax := fmt.Sprintf("%#v", raw) // []byte{0x1, …}; an array prints the same inside {}
		secrets = append(secrets, raw,
			[]byte(hex.EncodeToString(raw)), []byte(strings.ToUpper(hex.EncodeToString(raw))),
			[]byte(base64.StdEncoding.EncodeToString(raw)), []byte(base64.RawURLEncoding.EncodeToString(raw)),
			[]byte(strings.Trim(fmt.Sprint(raw), "[]")), []byte(goSyntax[strings.Index(goSyntax, "{"):]))
	}
	leaks := func(b []byte) (found []string) {
		for _, s := range secrets {
			if bytes.Contains(b, s) {
				found = append(found, fmt.Sprintf("%.16q…", s))
			}
		}
		return found
	}
	if n := len(leaks([]byte(fmt.Sprintf("%v %x", wallet.SecretOf(id), wallet.SignSeedOf(id))))); n != 2 {
		t.Fatalf("the search finds %d forms in a planted leak, want 2: the test is not looking", n)
	}
	if found := leaks(logs.Bytes()); found != nil || logs.Len() < 100 {
		t.Errorf("%d bytes of log output hold secrets in clear: %v", logs.Len(), found)
	}
	files := 0
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files++
			b, _ := os.ReadFile(path)
			if found := leaks(b); found != nil {
				t.Errorf("%s holds secrets in clear: %v", path, found)
			}
		}
		return err
	})
	if files != 3 {
		t.Errorf("searched %d files, want 3 (store, backup, grant)", files)
	}
}

// The wait for unlocking an identity from a file or a backup: scrypt dominates it.
func BenchmarkImport(b *testing.B) {
	id := mustNew(b, "clerk")
	var buf bytes.Buffer
	if err := wallet.Export(&buf, id, pass); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := wallet.Import(bytes.NewReader(buf.Bytes()), pass); err != nil {
			b.Fatal(err)
		}
	}
}
