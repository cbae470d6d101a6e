// Command slowest-tests ranks a test run by time, from `go test -json`
// output (make test-slowest):
//
//	go test -json ./... | go run ./scripts/slowest-tests
//	go run ./scripts/slowest-tests -n 50 -sub test-times.json
//
// It prints each package's time, then the slowest tests (top-level ones;
// -sub adds subtests; a test whose subtests run in parallel counts from its
// start to its end), then any test that failed, and exits 1 when a test or package
// failed, so that a make target using it fails as `make test` would.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// event is one line of test2json's output (go doc test2json).
type event struct {
	Time    time.Time
	Action  string
	Package string
	Test    string
	Elapsed float64
}

type result struct {
	pkg, test, action string
	elapsed           float64
}

func main() {
	n := flag.Int("n", 25, "how many of the slowest tests to list")
	sub := flag.Bool("sub", false, "list subtests too, not only top-level tests")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: slowest-tests [-n 25] [-sub] [go-test-json-file]  (reads stdin without a file)")
		flag.PrintDefaults()
	}
	flag.Parse()
	in := io.Reader(os.Stdin)
	if flag.NArg() == 1 {
		f, err := os.Open(flag.Arg(0))
		if err != nil {
			fmt.Fprintln(os.Stderr, "slowest-tests:", err)
			os.Exit(2)
		}
		defer f.Close()
		in = f
	} else if flag.NArg() > 1 {
		flag.Usage()
		os.Exit(2)
	}
	pkgs, tests, err := read(in)
	if err != nil {
		fmt.Fprintln(os.Stderr, "slowest-tests:", err)
		os.Exit(2)
	}
	failed := report(os.Stdout, pkgs, tests, *n, *sub)
	if failed {
		os.Exit(1)
	}
}

// read collects the final result of every package and test. Lines that
// are not JSON (build errors go test prints as text) are skipped.
func read(in io.Reader) (pkgs, tests []result, err error) {
	// A test whose subtests run in parallel reports hardly any time of its
	// own (go test stops its clock before they resume): it is charged the
	// time from its start (or its resumption, when it is parallel itself)
	// to its end, when that is longer.
	started := map[[2]string]time.Time{}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20) // a test's output line can be long
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		id := [2]string{e.Package, e.Test}
		switch e.Action {
		case "run", "cont":
			started[id] = e.Time
			continue
		case "pass", "fail", "skip":
		default:
			continue
		}
		if at, ok := started[id]; ok && e.Test != "" {
			e.Elapsed = max(e.Elapsed, e.Time.Sub(at).Seconds())
		}
		r := result{pkg: e.Package, test: e.Test, action: e.Action, elapsed: e.Elapsed}
		if e.Test == "" {
			pkgs = append(pkgs, r)
		} else {
			tests = append(tests, r)
		}
	}
	return pkgs, tests, sc.Err()
}

func report(w io.Writer, pkgs, tests []result, n int, sub bool) (failed bool) {
	byTime := func(rs []result) {
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].elapsed > rs[j].elapsed })
	}
	byTime(pkgs)
	var total float64
	fmt.Fprintln(w, "packages, slowest first (seconds):")
	for _, p := range pkgs {
		total += p.elapsed
		mark := ""
		if p.action == "fail" {
			mark, failed = "  FAIL", true
		}
		fmt.Fprintf(w, "%9.1f  %s%s\n", p.elapsed, p.pkg, mark)
	}
	fmt.Fprintf(w, "%9.1f  all packages together (they run side by side, so the run took less)\n\n", total)

	var listed []result
	for _, t := range tests {
		if t.action == "fail" {
			failed = true
		}
		if sub || !strings.Contains(t.test, "/") {
			listed = append(listed, t)
		}
	}
	byTime(listed)
	kind := "top-level tests"
	if sub {
		kind = "tests and subtests"
	}
	fmt.Fprintf(w, "the %d slowest %s of %d (seconds):\n", min(n, len(listed)), kind, len(listed))
	for _, t := range listed[:min(n, len(listed))] {
		fmt.Fprintf(w, "%9.2f  %s %s\n", t.elapsed, short(t.pkg), t.test)
	}
	for _, t := range tests {
		if t.action == "fail" {
			fmt.Fprintf(w, "FAIL  %s %s\n", short(t.pkg), t.test)
		}
	}
	return failed
}

// short drops the module path from a package's import path.
func short(pkg string) string { return strings.TrimPrefix(pkg, "github.com/tokendesk/tokendesk/") }
