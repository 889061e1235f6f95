// Command fakekubectl stands in for kubectl in the tests of infra migrate:
// it answers the three calls the command makes from a real MariaDB and a
// real directory on this machine.
//
//	get secret mariadb-superuser ...  prints base64($FAKE_ROOT_PASSWORD)
//	get deployment wordpress ...      prints $FAKE_TABLE_PREFIX (WordPress's WORDPRESS_TABLE_PREFIX)
//	port-forward ...                  says it forwards to 127.0.0.1:$FAKE_MARIADB_PORT, then waits
//	exec ... -- sh -c SCRIPT sh DIR   runs the script with sh here, DIR being $FAKE_PVC_DIR
package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"time"
)

func main() {
	var args []string
	for i := 1; i < len(os.Args); i++ {
		if os.Args[i] == "--kubeconfig" || os.Args[i] == "--context" {
			i++
			continue
		}
		args = append(args, os.Args[i])
	}
	if len(args) == 0 {
		fail("no command")
	}
	switch args[0] {
	case "get":
		if len(args) > 1 && args[1] == "deployment" {
			fmt.Print(os.Getenv("FAKE_TABLE_PREFIX"))
			return
		}
		fmt.Print(base64.StdEncoding.EncodeToString([]byte(os.Getenv("FAKE_ROOT_PASSWORD"))))
	case "port-forward":
		fmt.Printf("Forwarding from 127.0.0.1:%s -> 3306\n", os.Getenv("FAKE_MARIADB_PORT"))
		time.Sleep(time.Hour)
	case "exec":
		i := slices.Index(args, "--")
		if i < 0 || len(args) < i+5 || args[i+1] != "sh" || args[i+2] != "-c" {
			fail("unexpected exec %q", args)
		}
		script := args[i+3]
		cmd := exec.Command("sh", "-c", script, "sh", os.Getenv("FAKE_PVC_DIR"))
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fail("%v", err)
		}
	default:
		fail("unexpected command %q", args)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "fakekubectl: "+format+"\n", args...)
	os.Exit(1)
}
