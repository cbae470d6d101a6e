package main

import (
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// make demo checks its addresses first (scripts/port-free): one taken,
// by make run say, stops it with a message that names the variable to
// change; a free one lets it go on.
func TestDemoSaysWhenItsAddressIsTaken(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	script, _ := filepath.Abs("../../scripts/port-free")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	taken := ln.Addr().String()
	out, err := exec.Command(script, taken, "DEMO_ADDR", "the demo console").CombinedOutput()
	if err == nil || !strings.Contains(string(out), taken+" (the demo console) is already in use") ||
		!strings.Contains(string(out), "make run") || !strings.Contains(string(out), "make demo DEMO_ADDR=127.0.0.1:") {
		t.Fatalf("taken address: %v\n%s", err, out)
	}
	ln.Close()
	if out, err := exec.Command(script, taken, "DEMO_ADDR", "the demo console").CombinedOutput(); err != nil {
		t.Fatalf("free address: %v\n%s", err, out)
	}
	// The Makefile runs it for both addresses before starting anything.
	mk, _ := exec.Command("make", "-n", "-C", "../..", "demo", "BIN=true").Output()
	if !strings.Contains(string(mk), "scripts/port-free 127.0.0.1:8080 DEMO_ADDR") || !strings.Contains(string(mk), "scripts/port-free 127.0.0.1:9090 EMU_ADDR") {
		t.Errorf("make demo does not check its addresses:\n%s", mk)
	}
}
