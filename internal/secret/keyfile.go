package secret

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// PrivateKeyFile narrows a master key file that others may read: one that
// is a regular file the running user owns becomes readable by its owner
// only. Anything else (a link, as a Kubernetes secret is mounted; another
// user's file) is left as it is, and the returned warning says that others
// may read it. "" when the file is private, or was made so.
func PrivateKeyFile(path string) (warning string, err error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return "", fmt.Errorf("checking master key file: %w", err)
	}
	if fi.Mode().IsRegular() {
		f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
		if err != nil && !errors.Is(err, syscall.ELOOP) {
			return "", fmt.Errorf("checking master key file: %w", err)
		}
		if err == nil {
			defer f.Close()
			if fi, err = f.Stat(); err != nil {
				return "", fmt.Errorf("checking master key file: %w", err)
			}
			if fi.Mode().Perm()&0o077 == 0 {
				return "", nil
			}
			if fi.Mode().IsRegular() && owned(fi) {
				if err := f.Chmod(fi.Mode().Perm() & 0o700); err != nil {
					return "", fmt.Errorf("making master key file private: %w", err)
				}
				return "", nil
			}
		}
	}
	// Not ours to change: say so when others can read what it leads to.
	if target, err := os.Stat(path); err == nil && target.Mode().Perm()&0o077 != 0 {
		return fmt.Sprintf("the master key file can be read by others (mode %04o), and tokendesk narrows only a regular file of its own user: make it readable by its owner only", target.Mode().Perm()), nil
	}
	return "", nil
}

// owned reports whether the running user owns the file.
func owned(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return !ok || int(st.Uid) == os.Geteuid()
}
