package event

import (
	"encoding/binary"
	"testing"
)

// TestSpecial8: the eight-at-a-time check agrees with the plain table for
// every byte at every position, among plain bytes and among other special
// ones.
func TestSpecial8(t *testing.T) {
	for _, fill := range []byte{'a', ' ', '~', '"', 0x1f, 0xff} {
		for c := range 256 {
			for pos := range 8 {
				var w [8]byte
				for i := range w {
					w[i] = fill
				}
				w[pos] = byte(c)
				want := !plain[c] || !plain[fill]
				if got := special8(binary.LittleEndian.Uint64(w[:])); got != want {
					t.Fatalf("special8(%q) = %v, want %v", w, got, want)
				}
			}
		}
	}
}
