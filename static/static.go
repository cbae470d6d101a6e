// Package static embeds the console's CSS, JavaScript and images and serves
// them from content-hashed URLs, so browsers may cache them for a year and
// still see every change at once.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
)

//go:embed css js img
var files embed.FS

// Prefix is where assets are served.
const Prefix = "/static/"

type asset struct {
	name string // path inside files
	data []byte
	etag string
}

type table struct {
	byHashed map[string]asset  // hashed URL path (without Prefix) → asset
	urls     map[string]string // name → URL
}

var load = sync.OnceValue(func() table {
	t := table{byHashed: map[string]asset{}, urls: map[string]string{}}
	fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") {
			return err
		}
		data, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		h := hex.EncodeToString(sum[:])[:12]
		ext := path.Ext(p)
		hashed := strings.TrimSuffix(p, ext) + "." + h + ext
		t.byHashed[hashed] = asset{name: p, data: data, etag: `"` + h + `"`}
		t.urls[p] = Prefix + hashed
		return nil
	})
	return t
})

// URL returns the content-hashed URL of an asset such as "css/app.css".
// An unknown name panics: it is a programming error caught by any test
// that renders a page.
func URL(name string) string {
	u, ok := load().urls[name]
	if !ok {
		panic("static: no asset " + name)
	}
	return u
}

// Handler serves assets under Prefix with long cache lifetimes.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := load().byHashed[strings.TrimPrefix(r.URL.Path, Prefix)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		ct := mime.TypeByExtension(path.Ext(a.name))
		if ct == "" {
			ct = "application/octet-stream"
		}
		h := w.Header()
		h.Set("Content-Type", ct)
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Set("ETag", a.etag)
		h.Set("X-Content-Type-Options", "nosniff")
		if r.Header.Get("If-None-Match") == a.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write(a.data)
	})
}
