package fake

import (
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestControlListener checks that the control routes are served on a
// loopback address only (NewServer fails otherwise, before serving).
func TestControlListener(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr net.Addr
		ok   bool
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, true},
		{&net.TCPAddr{IP: net.IPv4(127, 1, 2, 3), Port: 8080}, true},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 8080}, true},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8080}, false},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, false},
		{&net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 8080}, false},
		{&net.UnixAddr{Name: "/tmp/fake.sock", Net: "unix"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.addr.String(), func(t *testing.T) {
			t.Parallel()
			err := checkControlListener(tt.addr)
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "WithControl")
			assert.Contains(t, err.Error(), tt.addr.String())
		})
	}
}
