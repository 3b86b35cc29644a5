//go:build !unix

package autostart_test

import "os"

var freeSignal os.Signal // none: autostart installs no signal handler here
