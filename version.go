package chreplication

import "runtime"

// Version is the version of this module, sent in the User-Agent header.
const Version = "0.1.0"

// userAgent names the client, its version and the Go runtime, e.g.
// "chreplication-go/0.1.0 (go1.26.0; linux/amd64)".
var userAgent = "chreplication-go/" + Version + " (" + runtime.Version() + "; " + runtime.GOOS + "/" + runtime.GOARCH + ")"
