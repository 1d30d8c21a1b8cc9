package wallet

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/crypto/scrypt"

	"ebill/internal/files"
)

// Encrypted identity format, version 1 (files of the FileStore and backups):
//
//	"ebill-id" 0x01   magic and version
//	logN   uint8      scrypt cost (N = 2^logN, r = 8, p = 1)
//	salt   [16]       scrypt salt
//	check  [16]       HKDF(scrypt key, "check"): tells a wrong passphrase from damage
//	nlen   uint8      name length, then the name (not secret: it is the file name)
//	sealed [48]       AES-256-GCM(HKDF(scrypt key, "seal"), nonce 0, secret),
//	                  with every byte above as AAD
//
// A fresh salt gives every write its own key, so the all-zero nonce is never reused.
const (
	fileMagic = "ebill-id\x01"
	fileLogN  = 15 // 32 MiB of memory (128·r·N bytes), about 0.1 s
	// fileMaxLogN bounds what a crafted file can demand before its passphrase is even
	// checked: 2^18 is 256 MiB and about a second, which a hospital desk PC can spare beside
	// the app. It leaves room for a later version to raise fileLogN three steps and still be
	// read by this one; no version has written more than fileLogN.
	fileMaxLogN   = 18
	fileSaltSize  = 16
	fileCheckSize = 16
	fileHeader    = len(fileMagic) + 1 + fileSaltSize + fileCheckSize + 1
	fileSealed    = SecretSize + 16
	fileMaxSize   = fileHeader + 64 + fileSealed
	fileExt       = ".id"
)

// Export writes id to w encrypted with passphrase, in the format of the file store.
func Export(w io.Writer, id *Identity, passphrase []byte) error {
	b, err := encryptIdentity(id, passphrase)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("wallet: export %q: %w", id.name, err)
	}
	return nil
}

// Import reads an identity written by [Export] or kept by a file store. A wrong passphrase
// gives [ErrWrongPassphrase], a damaged backup [ErrCorrupt], anything else [ErrFormat].
func Import(r io.Reader, passphrase []byte) (*Identity, error) {
	b, err := io.ReadAll(io.LimitReader(r, int64(fileMaxSize)+1))
	if err != nil {
		return nil, fmt.Errorf("wallet: import: %w", err)
	}
	return decryptIdentity(b, passphrase)
}

func encryptIdentity(id *Identity, passphrase []byte) ([]byte, error) {
	if len(passphrase) == 0 {
		return nil, fmt.Errorf("wallet: encrypt %q: empty passphrase", id.name)
	}
	b := append([]byte(fileMagic), fileLogN)
	salt := make([]byte, fileSaltSize)
	rand.Read(salt)
	b = append(b, salt...)
	key, check, err := fileKeys(passphrase, salt, fileLogN)
	if err != nil {
		return nil, fmt.Errorf("wallet: encrypt %q: %w", id.name, err)
	}
	b = append(b, check...)
	b = append(b, byte(len(id.name)))
	b = append(b, id.name...)
	return gcm(key).Seal(b, zeroNonce[:], id.secret[:], b), nil
}

func decryptIdentity(b, passphrase []byte) (*Identity, error) {
	magic := []byte(fileMagic[:len(fileMagic)-1])
	switch {
	case len(b) < len(magic):
		if bytes.HasPrefix(magic, b) && len(b) > 0 {
			return nil, fmt.Errorf("wallet: encrypted identity: %d bytes: %w", len(b), ErrCorrupt)
		}
		return nil, fmt.Errorf("wallet: encrypted identity: %w", ErrFormat)
	case !bytes.HasPrefix(b, magic):
		return nil, fmt.Errorf("wallet: encrypted identity: %w", ErrFormat)
	case len(b) == len(magic):
		return nil, fmt.Errorf("wallet: encrypted identity: truncated: %w", ErrCorrupt)
	case b[len(magic)] != fileMagic[len(magic)]:
		return nil, fmt.Errorf("wallet: encrypted identity: version %d: %w", b[len(magic)], ErrFormat)
	case len(b) < fileHeader || len(b) != fileHeader+int(b[fileHeader-1])+fileSealed:
		return nil, fmt.Errorf("wallet: encrypted identity: %d bytes, truncated or extended: %w", len(b), ErrCorrupt)
	}
	logN := b[len(fileMagic)]
	switch {
	case logN < fileLogN:
		return nil, fmt.Errorf("wallet: encrypted identity: scrypt cost 2^%d below the 2^%d this wallet writes: %w", logN, fileLogN, ErrCorrupt)
	case logN > fileMaxLogN:
		return nil, fmt.Errorf("wallet: encrypted identity: scrypt cost 2^%d would take %s of memory, above the cap 2^%d (%s): %w",
			logN, scryptMemory(logN), fileMaxLogN, scryptMemory(fileMaxLogN), ErrCorrupt)
	}
	salt := b[len(fileMagic)+1:][:fileSaltSize]
	key, check, err := fileKeys(passphrase, salt, logN)
	if err != nil {
		return nil, fmt.Errorf("wallet: encrypted identity: %w", err)
	}
	if subtle.ConstantTimeCompare(check, b[len(fileMagic)+1+fileSaltSize:][:fileCheckSize]) != 1 {
		return nil, fmt.Errorf("wallet: encrypted identity: %w", ErrWrongPassphrase)
	}
	aadEnd := len(b) - fileSealed
	name := string(b[fileHeader:aadEnd])
	secret, err := gcm(key).Open(nil, zeroNonce[:], b[aadEnd:], b[:aadEnd])
	if err != nil {
		return nil, fmt.Errorf("wallet: encrypted identity %q: fails authentication: %w", name, ErrCorrupt)
	}
	return newIdentity(name, secret)
}

// scryptMemory is what scrypt at cost 2^logN allocates: 128·r·N bytes with r = 8.
func scryptMemory(logN byte) string {
	switch e := int(logN) + 10; {
	case e >= 40:
		return fmt.Sprintf("2^%d bytes", e)
	case e >= 30:
		return fmt.Sprintf("%d GiB", 1<<(e-30))
	default:
		return fmt.Sprintf("%d MiB", 1<<(e-20))
	}
}

func fileKeys(passphrase, salt []byte, logN byte) (key, check []byte, err error) {
	master, err := scrypt.Key(passphrase, salt, 1<<logN, 8, 1, 32)
	if err != nil {
		return nil, nil, err
	}
	if key, err = hkdf.Key(sha256.New, master, nil, "ebill/v1/file-seal", 32); err != nil {
		return nil, nil, err
	}
	check, err = hkdf.Key(sha256.New, master, nil, "ebill/v1/file-check", fileCheckSize)
	return key, check, err
}

// FileStore is a [Store] of passphrase-encrypted files, one per identity, for machines
// without a keyring.
type FileStore struct {
	dir        string
	passphrase []byte
}

// NewFileStore keeps identities in dir (created 0700 if missing), each file encrypted with
// passphrase. Files are written 0600 and atomically: a crash leaves the old state or the
// new one, never a partial file.
func NewFileStore(dir string, passphrase []byte) (*FileStore, error) {
	if len(passphrase) == 0 {
		return nil, errors.New("wallet: file store: empty passphrase")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("wallet: file store: %w", err)
	}
	return &FileStore{dir: dir, passphrase: bytes.Clone(passphrase)}, nil
}

func (s *FileStore) path(name string) string { return filepath.Join(s.dir, name+fileExt) }

func (s *FileStore) Save(ctx context.Context, id *Identity) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b, err := encryptIdentity(id, s.passphrase)
	if err != nil {
		return err
	}
	err = writeNew(s.dir, id.name+fileExt, func(w io.Writer) error { _, err := w.Write(b); return err })
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("wallet: save %q: %w", id.name, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("wallet: save %q: %w", id.name, err)
	}
	return nil
}

func (s *FileStore) Load(ctx context.Context, name string) (*Identity, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkName(name); err != nil {
		return nil, err
	}
	f, err := os.Open(s.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("wallet: load %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("wallet: load %q: %w", name, err)
	}
	defer f.Close()
	id, err := Import(f, s.passphrase)
	if err != nil {
		return nil, fmt.Errorf("wallet: load %s: %w", f.Name(), err)
	}
	if id.name != name {
		return nil, fmt.Errorf("wallet: load %s: holds identity %q: %w", f.Name(), id.name, ErrCorrupt)
	}
	return id, nil
}

// List names the identities in the directory; temporary files of unfinished writes start
// with "." and are never listed.
func (s *FileStore) List(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("wallet: list: %w", err)
	}
	var names []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), fileExt)
		if ok && e.Type().IsRegular() && checkName(name) == nil {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

func (s *FileStore) Delete(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkName(name); err != nil {
		return err
	}
	err := os.Remove(s.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("wallet: delete %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("wallet: delete %q: %w", name, err)
	}
	return files.SyncDir(s.dir)
}

// writeNew creates dir/name with the bytes write produces, all or nothing: it writes a
// temporary file, syncs it, and links it into place, which (unlike rename) fails with
// fs.ErrExist instead of replacing an existing file. The temporary file is removed on
// every path.
func writeNew(dir, name string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // CreateTemp made it 0600
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	return files.SyncDir(dir)
}
