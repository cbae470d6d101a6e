package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ErrNotRegularFile is a database path (or its -wal or -shm file) that is a
// symbolic link, a FIFO, a device, a socket or a directory rather than a
// file: the store refuses it rather than open or chmod it. A chmod of
// whatever a mistyped TOKENDESK_DATABASE_URL named made /dev/null 0600 for
// every other program on the machine when run as root.
var ErrNotRegularFile = errors.New("store: not a regular file")

// notRegular says what a path is instead of a regular file.
type notRegular struct{ name, what string }

func (e notRegular) Error() string {
	return fmt.Sprintf("names %s (%s), not a SQLite file: give the path of a regular file", e.what, e.name)
}

func (e notRegular) Is(target error) bool { return target == ErrNotRegularFile }

// NotRegularFileProblem is the sentence a start-up error shows for a path
// ErrNotRegularFile refused.
func NotRegularFileProblem(err error) string {
	var nr notRegular
	if errors.As(err, &nr) {
		return nr.Error()
	}
	return err.Error()
}

// describeMode names a kind of file for a person.
func describeMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	default:
		return "something other than a file"
	}
}

// privateFiles makes the database file readable by its owner only, like
// the master key: it holds sealed credentials, hashed keys and sessions.
// SQLite creates the -wal and -shm files with the database file's mode;
// ones left from an older start are narrowed too.
//
// Only regular files are touched, never through a symbolic link, and only
// files this process created or whose owner it runs as: a path naming
// anything else is refused (ErrNotRegularFile) before it is opened.
func privateFiles(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("store: creating database file: %w", err)
		}
		if err == nil {
			f.Close()
		}
		// Created just now, by another process if it existed after all:
		// checked like any existing file below.
	case err != nil:
		return fmt.Errorf("store: opening database file: %w", err)
	case !fi.Mode().IsRegular():
		return notRegular{filepath.Base(path), describeMode(fi.Mode())}
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := narrow(p); err != nil {
			return err
		}
	}
	return nil
}

// narrow makes an existing regular file that the running user owns
// readable by that user only; a missing file is left missing. The file is
// opened without following a link and without blocking (a FIFO swapped in
// after the Lstat would otherwise wait for a writer), and checked and
// changed through that one descriptor, so what is checked is what is
// changed.
func narrow(p string) error {
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("store: checking %s: %w", filepath.Base(p), err)
	}
	if !fi.Mode().IsRegular() {
		return notRegular{filepath.Base(p), describeMode(fi.Mode())}
	}
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return notRegular{filepath.Base(p), "a symbolic link"}
		}
		return fmt.Errorf("store: checking %s: %w", filepath.Base(p), err)
	}
	defer f.Close()
	fi, err = f.Stat()
	if err != nil {
		return fmt.Errorf("store: checking %s: %w", filepath.Base(p), err)
	}
	if !fi.Mode().IsRegular() {
		return notRegular{filepath.Base(p), describeMode(fi.Mode())}
	}
	if fi.Mode().Perm()&0o077 == 0 || !ownedByUs(fi) {
		return nil
	}
	if err := f.Chmod(fi.Mode().Perm() & 0o700); err != nil {
		return fmt.Errorf("store: making %s private: %w", filepath.Base(p), err)
	}
	return nil
}

// ownedByUs reports whether the running user owns the file: a file of
// someone else's (a shared path given by mistake) keeps its mode.
func ownedByUs(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return !ok || int(st.Uid) == os.Geteuid()
}
