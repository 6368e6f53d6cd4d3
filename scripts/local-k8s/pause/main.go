// Command pause is the pod sandbox process of scripts/local-k8s.sh's cluster: it holds the
// pod's namespaces open until told to stop. Kubernetes' own pause image cannot be pulled
// here (no registry is reachable), so containerd runs this one-binary image instead.
// As PID 1 of the sandbox it also reaps the zombies that are re-parented to it.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range signals {
		if s == syscall.SIGCHLD {
			for {
				var status syscall.WaitStatus
				pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
				if pid <= 0 || err != nil {
					break
				}
			}
			continue
		}
		os.Exit(0)
	}
}
