package main

import "testing"

// TestPprofAddrLoopbackOnly: profiles are served on loopback or not at all.
func TestPprofAddrLoopbackOnly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:6060", true},
		{"[::1]:6060", true},
		{"localhost:6060", true},
		{"127.0.0.1:0", true},
		{"0.0.0.0:6060", false},
		{":6060", false},
		{"[::]:6060", false},
		{"10.0.0.5:6060", false},
		{"example.com:6060", false},
		{"127.0.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			t.Parallel()
			if err := checkPprofAddr(tt.addr); (err == nil) != tt.ok {
				t.Errorf("checkPprofAddr(%q) = %v, want ok %v", tt.addr, err, tt.ok)
			}
		})
	}
	if _, err := parseConfig([]string{"--pprof-addr", "0.0.0.0:6060"}); err == nil {
		t.Error("--pprof-addr 0.0.0.0:6060 accepted")
	}
	if o, err := parseConfig([]string{}); err != nil || o.pprofAddr != "" {
		t.Errorf("pprof by default = %q, %v; want off", o.pprofAddr, err)
	}
}
