// Command faketofu stands in for OpenTofu in the wrapper's tests. It is a Go
// program, like OpenTofu, so it handles SIGINT even when started with SIGINT
// ignored (as background jobs are), which a shell script cannot.
//
// It prints one line on stdout per call ("fake init progress", or "fake
// <stack> <action> result"), appends its calls, the mode and content of
// .secrets.auto.tfvars and the signals it receives to $FAKE_LOG, then acts
// as $FAKE_MODE says: ok, fail (exit 3), wait (touch $FAKE_READY, then
// wait for a signal) or badpass (init fails as with a wrong state
// passphrase). It logs the S3 backend's credentials when they are set.
package main

import (
	"bufio"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	log, err := os.OpenFile(os.Getenv("FAKE_LOG"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer log.Close()
	wd, _ := os.Getwd()
	stack := filepath.Base(wd)
	fmt.Fprintf(log, "call %s %s\n", stack, strings.Join(os.Args[1:], " "))
	if id, ok := os.LookupEnv("AWS_ACCESS_KEY_ID"); ok {
		fmt.Fprintf(log, "env AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s\n", id, os.Getenv("AWS_SECRET_ACCESS_KEY"))
	}
	if os.Getenv("FAKE_MODE") == "badpass" && len(os.Args) > 1 && os.Args[1] == "init" {
		// OpenTofu's words when the state does not open with the passphrase.
		fmt.Fprintln(os.Stderr, "Error: encountered unexpected error while decoding state: decryption failed for all provided methods: ")
		os.Exit(1)
	}
	if len(os.Args) > 1 && os.Args[1] == "init" {
		fmt.Println("fake init progress")
		return
	}
	if len(os.Args) > 1 {
		fmt.Printf("fake %s %s result\n", stack, os.Args[1])
	}
	// Listen before announcing readiness so no signal is missed.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	if st, err := os.Stat(".secrets.auto.tfvars"); err == nil {
		fmt.Fprintf(log, "mode %o\n", st.Mode().Perm())
		f, _ := os.Open(".secrets.auto.tfvars")
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fmt.Fprintf(log, "secret %s\n", sc.Text())
		}
		f.Close()
	} else {
		fmt.Fprintln(log, "mode missing")
	}
	switch os.Getenv("FAKE_MODE") {
	case "fail":
		os.Exit(3)
	case "wait":
		if err := os.WriteFile(os.Getenv("FAKE_READY"), nil, 0o644); err != nil {
			os.Exit(2)
		}
		select {
		case s := <-sigs:
			name := map[os.Signal]string{os.Interrupt: "INT", syscall.SIGTERM: "TERM"}[s]
			fmt.Fprintf(log, "signal %s %s\n", name, stack)
			// Like OpenTofu: finish gracefully, then exit; a second signal
			// within this window would be logged too.
			select {
			case s2 := <-sigs:
				fmt.Fprintf(log, "signal %v again %s\n", s2, stack)
			case <-time.After(300 * time.Millisecond):
			}
			os.Exit(1)
		case <-time.After(60 * time.Second):
			fmt.Fprintln(log, "wait timed out")
		}
	}
}
