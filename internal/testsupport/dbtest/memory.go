package dbtest

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// memorySampler follows the memory a script takes while it runs: the sum of
// the proportional set sizes (PSS: a page shared by several processes, such
// as a server's shared buffers, counts once in all) of its process tree and
// of every process whose command line names dir (a scratch server started
// by pg_ctl or mariadbd-safe leaves the tree). Linux only: elsewhere it
// reads nothing and reports 0.
type memorySampler struct {
	stop chan struct{}
	done sync.WaitGroup
	peak int64
}

func sampleMemory(pid int, dir string) *memorySampler {
	s := &memorySampler{stop: make(chan struct{})}
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			s.peak = max(s.peak, treePSS(pid, dir))
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// Peak stops the sampling and returns the largest sum seen, in bytes.
func (s *memorySampler) Peak() int64 {
	close(s.stop)
	s.done.Wait()
	return s.peak
}

// treePSS sums the PSS of root's descendants (root included) and of the
// processes whose command line contains dir, with their descendants.
func treePSS(root int, dir string) int64 {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	parent := map[int]int{}
	in := map[int]bool{root: true}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) > 1 {
			parent[pid], _ = strconv.Atoi(fields[1])
		}
		if dir != "" {
			if cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline")); err == nil && bytes.Contains(cmd, []byte(dir)) {
				in[pid] = true
			}
		}
	}
	var total int64
	for pid := range parent {
		for p, hops := pid, 0; p > 1 && hops < 64; p, hops = parent[p], hops+1 {
			if in[p] {
				total += pss(pid)
				break
			}
		}
	}
	return total
}

// pss reads a process's PSS from /proc/<pid>/smaps_rollup, in bytes.
func pss(pid int) int64 {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "smaps_rollup"))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if kb, ok := strings.CutPrefix(sc.Text(), "Pss:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(kb), "kB")), 10, 64)
			return n << 10
		}
	}
	return 0
}
