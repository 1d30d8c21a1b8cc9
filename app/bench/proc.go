package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat: 100 on every Linux
// the project runs on (it is fixed in the kernel ABI, whatever HZ the kernel has).
const clockTicks = 100

// procUsage reads the CPU time (user + system) and resident set of a process from /proc.
func procUsage(pid int) (cpu time.Duration, rssKB int64, err error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("cpu of pid %d: %w", pid, err)
	}
	// The command name in parentheses may hold spaces; the fields follow its last ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("cpu of pid %d: malformed /proc stat", pid)
	}
	f := strings.Fields(string(stat[i+1:]))
	// After ')': state(0) … utime(11) stime(12).
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("cpu of pid %d: short /proc stat", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("cpu of pid %d: malformed utime/stime", pid)
	}
	cpu = time.Duration(ut+st) * time.Second / clockTicks
	status, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return cpu, 0, fmt.Errorf("rss of pid %d: %w", pid, err)
	}
	defer status.Close()
	sc := bufio.NewScanner(status)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			rssKB, _ = strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return cpu, rssKB, sc.Err()
}

// usageMeter follows the CPU and peak RSS of a set of processes over a run. A process that
// dies mid-run (a chaos kill) keeps the CPU it had used when last seen.
type usageMeter struct {
	pids  []int
	mu    sync.Mutex
	first map[int]time.Duration
	last  map[int]time.Duration
	peak  int64 // summed RSS, kB
	stop  chan struct{}
	done  chan struct{}
}

func startMeter(pids []int, every time.Duration) *usageMeter {
	m := &usageMeter{pids: pids, first: map[int]time.Duration{}, last: map[int]time.Duration{},
		stop: make(chan struct{}), done: make(chan struct{})}
	m.read()
	go func() {
		defer close(m.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				m.read()
				return
			case <-t.C:
				m.read()
			}
		}
	}()
	return m
}

func (m *usageMeter) read() {
	m.mu.Lock()
	defer m.mu.Unlock()
	var rss int64
	for _, pid := range m.pids {
		cpu, kb, err := procUsage(pid)
		if err != nil {
			continue
		}
		if _, ok := m.first[pid]; !ok {
			m.first[pid] = cpu
		}
		m.last[pid] = cpu
		rss += kb
	}
	m.peak = max(m.peak, rss)
}

// finish stops sampling and returns the CPU time used since the start and the peak RSS.
func (m *usageMeter) finish() (cpu time.Duration, peakKB int64) {
	close(m.stop)
	<-m.done
	m.mu.Lock()
	defer m.mu.Unlock()
	for pid, c := range m.last {
		cpu += c - m.first[pid]
	}
	return cpu, m.peak
}
